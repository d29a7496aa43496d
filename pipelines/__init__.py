"""Scrapy item pipelines and the storage layer: raw files, parsing, deduplication, the dataset."""
