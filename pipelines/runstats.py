"""RunStats: a Scrapy extension that records each crawl run and each site's result in the dataset."""
from __future__ import annotations

import logging
import time

from scrapy import signals
from sqlalchemy import func, insert, select, update
from sqlalchemy.exc import DBAPIError

from pipelines.db import DatabaseError, insert_ignore, one_line, open_db, utcnow, writer
from pipelines.db.models import CrawlRun, SiteRun

logger = logging.getLogger(__name__)


def start_run(engine, key: str | None = None, args: dict | None = None) -> int:
    """The crawl_runs row of run `key` (`nianbao crawl`'s run id; all its site processes share the
    row), created with status "running" if new; without a key, a new run of its own."""
    with writer(engine).begin() as conn:
        if key is not None:
            conn.execute(insert_ignore(conn, CrawlRun.__table__, ["key"]).values(
                key=key, started_at=utcnow(), status="running", args=args or {}))
            return conn.execute(select(CrawlRun.id).where(CrawlRun.key == key)).scalar_one()
        return conn.execute(insert(CrawlRun.__table__).values(started_at=utcnow(), status="running",
                                                              args=args or {}).returning(CrawlRun.id)).scalar_one()


def finish_run(engine, run_id: int) -> None:
    """Bring the run up to date after a site ends: "failed" if any site is failing, else "ok"."""
    with writer(engine).begin() as conn:
        failing = conn.execute(select(func.count()).select_from(SiteRun).where(
            SiteRun.run_id == run_id, SiteRun.status == "failing")).scalar()
        conn.execute(update(CrawlRun.__table__).where(CrawlRun.id == run_id).values(
            finished_at=utcnow(), status="failed" if failing else "ok"))


def site_status(finish_reason: str | None, documents: int, errors: int) -> str:
    """"failing" when the crawl did not finish or found no document (a listing that yields none means
    the site changed or is down); "errors" when it worked but some fetches failed (each is recorded in
    fetch_errors); else "ok". No new report is normal, not a failure."""
    if finish_reason != "finished" or documents == 0:
        return "failing"
    return "errors" if errors else "ok"


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

    Settings: NIANBAO_DB, and NIANBAO_RUN_ID, the run id `nianbao crawl` gives all its sites (the
    crawl_runs row is keyed by it); without one each spider process records a run of its own.
    """

    def __init__(self, crawler, db_url: str, run_key: str | None):
        self.crawler = crawler
        self.db_url = db_url
        self.run_key = run_key
        self.run_id = None
        self.engine = None
        self.site_run_id = None
        self.started = None
        self.documents = 0
        self.fetch_errors = 0

    @classmethod
    def from_crawler(cls, crawler):
        from pipelines.settings import db_url
        ext = cls(crawler, db_url(crawler.settings), crawler.settings.get("NIANBAO_RUN_ID") or None)
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
            self.run_id = start_run(self.engine, self.run_key and str(self.run_key), {"site": site})
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
            finish_run(self.engine, self.run_id)
        except (DBAPIError, DatabaseError) as e:
            logger.error("nianbao: cannot record the run's result: %s", one_line(e))
        finally:
            self.engine.dispose()
