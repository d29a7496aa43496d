"""StorePipeline: writes each document to the dataset (one transaction each) and records fetch errors."""
from __future__ import annotations

import logging

from scrapy.exceptions import DropItem
from sqlalchemy import Engine, insert
from sqlalchemy.exc import DBAPIError

from crawler.items import CrawlErrorItem, DocumentItem
from pipelines import dataset, engines, rawstore, settings
from pipelines.db import DatabaseError, one_line, utcnow, writer
from pipelines.db.models import FetchError

logger = logging.getLogger(__name__)


class StorePipeline:
    """Stores DocumentItems (sources, reports, cells, checks) and CrawlErrorItems (fetch_errors).

    A database that is locked past the busy timeout or goes away ends the run with reason
    "database_error"; the document's transaction is rolled back, so no half-written report remains.
    """

    def __init__(self, crawler, db_url: str, data_dir: str | None = None):
        self.crawler = crawler
        self.db_url = db_url
        self.data_dir = data_dir            # recorded in the dataset as where its raw files are
        self.engine: Engine | None = None
        self.version: str | None = None
        self.agency_cache: dict = {}         # agencies and aliases stored, for dataset.store_document

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler, settings.db_url(crawler.settings), settings.data_dir(crawler.settings))

    def open_spider(self):
        self.engine = engines.acquire(self.db_url)
        self.version = dataset.parser_version()
        if self.data_dir is not None:
            rawstore.record_raw_dir(self.engine, self.data_dir)

    def close_spider(self):
        if self.engine is not None:
            engines.release(self.db_url)

    def process_item(self, item):
        assert self.engine is not None and self.version is not None, "open_spider() opens the dataset first"
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
            settings.fail_run(self.crawler, one_line(e))
            raise DropItem(f"not stored: {item.get('url')}: database error", log_level="ERROR") from None
        finally:
            if isinstance(item, DocumentItem):
                item["body"] = None
        return item

    def _fetch_error(self, item) -> None:
        assert self.engine is not None, "open_spider() opens the dataset first"
        with writer(self.engine).begin() as conn:
            conn.execute(insert(FetchError).values(
                run_id=self.crawler.stats.get_value("nianbao/run_id"), site=item.get("site"), url=item.get("url"),
                status=item.get("status"), error=(item.get("error") or "unknown error")[:1000],
                referer=item.get("referer"), at=utcnow()))
