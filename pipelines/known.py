"""Item pipeline that drops a document whose bytes are already in the dataset (the rules: pipelines.dedupe)."""
from __future__ import annotations

from scrapy.exceptions import DropItem
from sqlalchemy import Engine
from sqlalchemy.exc import DBAPIError

from crawler.items import DocumentItem
from pipelines import engines
from pipelines.dataset import record_known
from pipelines.db import one_line
from pipelines.settings import db_url, fail_run


class DedupePipeline:
    """Drops a document whose bytes are already in the dataset, after recording where it was seen."""

    def __init__(self, crawler, db_url: str):
        self.crawler = crawler
        self.db_url = db_url
        self.engine: Engine | None = None

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler, db_url(crawler.settings))

    def open_spider(self):
        self.engine = engines.acquire(self.db_url)

    def close_spider(self):
        if self.engine is not None:
            engines.release(self.db_url)

    def process_item(self, item):
        if not isinstance(item, DocumentItem) or not item.get("sha256"):
            return item
        assert self.engine is not None, "open_spider() opens the dataset first"
        try:
            known = record_known(self.engine, item)
        except DBAPIError as e:
            item["body"] = None
            fail_run(self.crawler, one_line(e))
            raise DropItem(f"not stored: {item.get('url')}: database error", log_level="ERROR") from None
        if known:
            item["body"] = None
            raise DropItem(f"already stored: {item.get('url')} ({item['sha256'][:12]})", log_level="DEBUG")
        return item
