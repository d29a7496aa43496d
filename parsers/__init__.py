"""Turns report documents (HTML, PDF, DOCX, DOC/WPS, text, scans) into checked Report records.

Pure library: bytes in, record out; no Scrapy and no database.
"""
from parsers.core import parse
from parsers.model import Cell, Check, Document, ParseError, Report, TableBlock, TextBlock

__all__ = ["parse", "Report", "Cell", "Check", "Document", "TextBlock", "TableBlock", "ParseError"]
