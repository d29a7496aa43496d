"""StorePipeline: hands each crawled item to pipelines.document in a parse worker and records the outcome."""
from __future__ import annotations

import logging
from typing import Any

from scrapy.exceptions import DropItem

from crawler.items import CrawlErrorItem, DocumentItem
from pipelines import document, engines, parsepool, rawstore, settings

logger = logging.getLogger(__name__)


class StorePipeline:
    """The crawl's one item pipeline: DocumentItems are stored (raw file, known bytes, parse, dataset)
    and CrawlErrorItems recorded in fetch_errors, beside the downloads.

    With NIANBAO_PARSE_WORKERS > 0 (the crawl's default) the work runs in pipelines.parsepool's worker
    processes; 0 runs it in the calling thread. NIANBAO_PARSER names the parse function (the tests slow
    it down on purpose). A database that is locked past the busy timeout or goes away ends the run
    with reason "database_error"; the document's transaction is rolled back, so no half-written report
    remains. A worker that dies costs its document a recorded parse error. An item that arrives
    parsed (its "report" or "parse_error" set) is stored as it is.
    """

    def __init__(self, crawler, db_url: str, data_dir: str | None = None, *, workers: int = 0, tasks: int = 50,
                 parser: str = document.PARSER):
        self.crawler = crawler
        self.db_url = db_url
        self.data_dir = data_dir
        self.workers, self.tasks, self.parser = workers, tasks, parser

    @classmethod
    def from_crawler(cls, crawler):
        s = crawler.settings
        return cls(crawler, settings.db_url(s), settings.data_dir(s), workers=s.getint("NIANBAO_PARSE_WORKERS", 0),
                   tasks=s.getint("NIANBAO_PARSE_TASKS", 50), parser=s.get("NIANBAO_PARSER") or document.PARSER)

    def open_spider(self):
        engine = engines.acquire(self.db_url)           # opened (and migrated) here, before any worker
        if self.workers > 0:
            parsepool.warm(self.workers, self.tasks, document.__name__)
        if self.data_dir is not None:
            rawstore.record_raw_dir(engine, self.data_dir)

    def close_spider(self):
        engines.release(self.db_url)
        if self.workers <= 0:
            document.close(self.db_url)

    async def process_item(self, item):
        fields = {k: v for k, v in item.items() if k not in ("report", "parse_error")}
        fields["run_id"] = self.crawler.stats.get_value("nianbao/run_id")
        if isinstance(item, CrawlErrorItem):
            self._record(item, await self._run("handle_error", fields, db_url=self.db_url))
            return item
        if not isinstance(item, DocumentItem):
            return item
        kwargs: dict[str, Any] = {"db_url": self.db_url, "data_dir": self.data_dir, "parser": self.parser}
        if item.get("report") is not None or item.get("parse_error"):    # it arrives parsed: stored as it is
            kwargs["parsed"] = (item.get("report"), item.get("parse_error"))
        try:
            out = await self._run("handle", fields, **kwargs)
        except parsepool.WorkerDied as e:    # stored unparsed, with the reason, in this process
            out = document.handle(fields, **kwargs, parse_error=str(e))
        item["body"] = None
        item["sha256"], item["path"] = out.get("sha256"), out.get("path")
        self._record(item, out)
        item["url_state"] = None        # written with the document (pipelines.validators)
        if out.get("outcome") == "known":
            raise DropItem(f"already stored: {item.get('url')} ({(item['sha256'] or '')[:12]})", log_level="DEBUG")
        return item

    async def _run(self, name: str, fields: dict, **kwargs) -> dict:
        """pipelines.document's `name`(fields, **kwargs), in a worker or (no workers) here."""
        if self.workers > 0:
            return await parsepool.run(f"pipelines.document.{name}", fields, workers=self.workers,
                                       tasks=self.tasks, **kwargs)
        return getattr(document, name)(fields, **kwargs)

    def _record(self, item, out: dict) -> None:
        stats = self.crawler.stats
        if out.get("raw_error"):
            stats.inc_value("nianbao/raw_store_errors")
        if out.get("outcome") in ("new_report", "source", "parse_error"):
            stats.inc_value(f"nianbao/{out['outcome']}")
        if out.get("db_error"):
            settings.fail_run(self.crawler, out["db_error"])
            raise DropItem(f"not stored: {item.get('url')}: database error", log_level="ERROR")
