"""RunStats: a Scrapy extension that records each crawl run and each site's result in the dataset."""
from __future__ import annotations

import logging
import time

from scrapy import signals
from sqlalchemy import insert, update
from sqlalchemy.exc import DBAPIError

from pipelines.db import DatabaseError, one_line, open_db, utcnow, writer
from pipelines.db.models import CrawlRun, SiteRun

logger = logging.getLogger(__name__)


def start_run(engine, args: dict | None = None) -> int:
    """A new crawl_runs row (status "running"); `nianbao crawl` passes its id as NIANBAO_RUN_ID."""
    with writer(engine).begin() as conn:
        return conn.execute(insert(CrawlRun).values(started_at=utcnow(), status="running", args=args or {})
                            .returning(CrawlRun.id)).scalar_one()


def finish_run(engine, run_id: int, status: str) -> None:
    """Close a crawl run: status "ok" (every site fine) or "failed"."""
    with writer(engine).begin() as conn:
        conn.execute(update(CrawlRun).where(CrawlRun.id == run_id).values(finished_at=utcnow(), status=status))


def site_status(finish_reason: str | None, documents: int, errors: int) -> str:
    """A site is "ok" when it finished, found documents (a listing that yields none means the site
    changed) and logged no error; otherwise "failing". No new report is normal, not a failure."""
    return "ok" if finish_reason == "finished" and documents > 0 and errors == 0 else "failing"


def site_id(spider) -> str:
    for attr in ("site_id", "site"):
        v = getattr(spider, attr, None)
        if isinstance(v, str) and v:
            return v
        if isinstance(v, dict) and v.get("id"):
            return v["id"]
        if getattr(v, "id", None):
            return v.id
    return spider.name


class RunStats:
    """Writes crawl_runs and site_runs: pages, documents, new reports, errors, duration, finish reason.

    Settings: NIANBAO_DB, and NIANBAO_RUN_ID when `nianbao crawl` has opened the run itself;
    without it the extension opens and closes a run of its own.
    """

    def __init__(self, crawler, db_url: str, run_id: int | None):
        self.crawler = crawler
        self.db_url = db_url
        self.run_id = run_id
        self.own_run = run_id is None
        self.engine = None
        self.site_run_id = None
        self.started = None
        self.documents = 0
        self.fetch_errors = 0

    @classmethod
    def from_crawler(cls, crawler):
        from pipelines.settings import db_url
        run_id = crawler.settings.getint("NIANBAO_RUN_ID") or None
        ext = cls(crawler, db_url(crawler.settings), run_id)
        crawler.signals.connect(ext.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(ext.spider_closed, signal=signals.spider_closed)
        crawler.signals.connect(ext.item_seen, signal=signals.item_scraped)
        crawler.signals.connect(ext.item_seen, signal=signals.item_dropped)
        return ext

    def item_seen(self, item, **_):
        from crawler.items import CrawlErrorItem, DocumentItem
        if isinstance(item, DocumentItem):
            self.documents += 1
        elif isinstance(item, CrawlErrorItem):
            self.fetch_errors += 1

    def spider_opened(self, spider):
        self.started = time.monotonic()
        site = site_id(spider)
        try:
            self.engine = open_db(self.db_url)
            if self.own_run:
                self.run_id = start_run(self.engine, {"site": site})
            with writer(self.engine).begin() as conn:
                self.site_run_id = conn.execute(insert(SiteRun).values(
                    run_id=self.run_id, site=site, started_at=utcnow(), status="running",
                    pages=0, documents=0, new_reports=0, errors=0).returning(SiteRun.id)).scalar_one()
        except (DBAPIError, DatabaseError) as e:
            logger.error("nianbao: cannot record the run: %s", one_line(e))
            return
        self.crawler.stats.set_value("nianbao/run_id", self.run_id)

    def spider_closed(self, spider, reason):
        if self.site_run_id is None:
            return
        stats = self.crawler.stats
        errors = self.fetch_errors + (stats.get_value("log_count/ERROR") or 0)
        if stats.get_value("nianbao/database_error"):
            reason = "database_error"
        status = site_status(reason, self.documents, errors)
        try:
            with writer(self.engine).begin() as conn:
                conn.execute(update(SiteRun).where(SiteRun.id == self.site_run_id).values(
                    finished_at=utcnow(), pages=stats.get_value("response_received_count") or 0,
                    documents=self.documents, new_reports=stats.get_value("nianbao/new_report") or 0,
                    errors=errors, duration_s=round(time.monotonic() - self.started, 3),
                    finish_reason=reason, status=status))
            if self.own_run:
                finish_run(self.engine, self.run_id, "ok" if status == "ok" else "failed")
        except (DBAPIError, DatabaseError) as e:
            logger.error("nianbao: cannot record the run's result: %s", one_line(e))
        finally:
            self.engine.dispose()
