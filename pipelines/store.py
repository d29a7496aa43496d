"""StorePipeline: writes each document to the dataset (one transaction each) and records fetch errors."""
from __future__ import annotations

import logging

from scrapy.exceptions import DropItem
from sqlalchemy import insert
from sqlalchemy.exc import DBAPIError

from pipelines.db import DatabaseError, one_line, open_db, utcnow, writer
from pipelines.db.models import FetchError

logger = logging.getLogger(__name__)


class StorePipeline:
    """Stores DocumentItems (sources, reports, cells, checks) and CrawlErrorItems (fetch_errors).

    A database that is locked past the busy timeout or goes away ends the run with reason
    "database_error"; the document's transaction is rolled back, so no half-written report remains.
    """

    def __init__(self, crawler, db_url: str):
        self.crawler = crawler
        self.db_url = db_url
        self.engine = None
        self.version = None
        self.agency_cache: dict = {}         # agencies and aliases stored, for dataset.store_document

    @classmethod
    def from_crawler(cls, crawler):
        from pipelines.settings import db_url
        return cls(crawler, db_url(crawler.settings))

    def open_spider(self):
        from pipelines.dataset import parser_version
        self.engine = open_db(self.db_url)
        self.version = parser_version()

    def close_spider(self):
        if self.engine is not None:
            self.engine.dispose()

    def process_item(self, item):
        from crawler.items import CrawlErrorItem, DocumentItem
        from pipelines import dataset
        stats = self.crawler.stats
        try:
            if isinstance(item, CrawlErrorItem):
                self._fetch_error(item)
            elif isinstance(item, DocumentItem):
                if item.get("status") == 304:
                    dataset.record_not_modified(self.engine, item)
                elif item.get("sha256"):
                    outcome = dataset.store_document(self.engine, item, self.version, self.agency_cache)
                    stats.inc_value(f"nianbao/{outcome}")
        except (DBAPIError, DatabaseError) as e:
            from pipelines.settings import fail_run
            fail_run(self.crawler, one_line(e))
            raise DropItem(f"not stored: {item.get('url')}: database error", log_level="ERROR") from None
        finally:
            if isinstance(item, DocumentItem):
                item["body"] = None
        return item

    def _fetch_error(self, item) -> None:
        with writer(self.engine).begin() as conn:
            conn.execute(insert(FetchError).values(
                run_id=self.crawler.stats.get_value("nianbao/run_id"), site=item.get("site"), url=item.get("url"),
                status=item.get("status"), error=(item.get("error") or "unknown error")[:1000],
                referer=item.get("referer"), at=utcnow()))
