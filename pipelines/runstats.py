"""RunStats: a Scrapy extension that records each crawl run and each site's result in the dataset."""
from __future__ import annotations

import logging
import statistics
import time

from scrapy import signals
from sqlalchemy import Engine, func, insert, select, update
from sqlalchemy.exc import DBAPIError

from crawler.engine import summary
from crawler.errorkinds import KINDS, NETWORK
from pipelines import engines, settings
from pipelines.db import DatabaseError, insert_ignore, one_line, utcnow, writer
from pipelines.db.models import CrawlRun, SiteRun

logger = logging.getLogger(__name__)

HISTORY = 5            # runs of a site whose report links make its usual number
CHANGED_BELOW = 0.5    # fewer links than this share of the usual number: the column changed


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


def close_stale_runs(engine) -> int:
    """Close the runs left "running" by a crawl that was killed (call it holding the dataset lock, so no
    live run is touched): the run and its unfinished sites become "interrupted". Returns how many runs."""
    now = utcnow()
    with writer(engine).begin() as conn:
        stale = conn.execute(select(CrawlRun.id).where(CrawlRun.status == "running")).scalars().all()
        if stale:
            conn.execute(update(SiteRun.__table__).where(SiteRun.run_id.in_(stale), SiteRun.status == "running")
                         .values(status="interrupted", finish_reason="interrupted: the crawl was killed",
                                 finished_at=now))
            conn.execute(update(CrawlRun.__table__).where(CrawlRun.id.in_(stale))
                         .values(status="interrupted", finished_at=now))
    return len(stale)


def record_site_end(engine, run_id: int, site: str, status: str, reason: str) -> None:
    """The coordinator's word on a site whose own process did not record its end (killed, stopped,
    or unable to write): its site_runs row gets `status` and the reason, created if missing."""
    now = utcnow()
    with writer(engine).begin() as conn:
        row = conn.execute(select(SiteRun.id, SiteRun.status)
                           .where(SiteRun.run_id == run_id, SiteRun.site == site)).first()
        if row is None:
            row_id = conn.execute(insert(SiteRun).values(
                run_id=run_id, site=site, started_at=now, finished_at=now, status=status,
                finish_reason=reason[:100], pages=0, documents=0, new_reports=0, errors=0)
                .returning(SiteRun.id)).scalar_one()
        else:
            row_id = row.id
            conn.execute(update(SiteRun).where(SiteRun.id == row.id).values(
                status=status, finish_reason=reason[:100], finished_at=now))
        started = conn.execute(select(SiteRun.started_at).where(SiteRun.id == row_id)).scalar_one()
        conn.execute(update(SiteRun).where(SiteRun.id == row_id).values(
            health_reason=reason, health_since=health_since(conn, site, row_id, status, started)))


def record_site_result(engine, run_id: int, site: str, *, status: str, finish_reason: str, pages: int,
                       documents: int, new_reports: int, errors: int, duration_s: float | None = None) -> None:
    """A site's whole result at once (a distributed run's counts, merged over its workers): its
    site_runs row, created or replaced."""
    now = utcnow()
    values = dict(status=status, finish_reason=finish_reason[:100], finished_at=now, pages=pages, documents=documents,
                  new_reports=new_reports, errors=errors, duration_s=duration_s)
    with writer(engine).begin() as conn:
        row = conn.execute(select(SiteRun.id).where(SiteRun.run_id == run_id, SiteRun.site == site)).first()
        if row is None:
            conn.execute(insert(SiteRun).values(run_id=run_id, site=site, started_at=now, **values))
        else:
            conn.execute(update(SiteRun).where(SiteRun.id == row.id).values(**values))


def site_states(engine, run_id: int) -> dict[str, tuple[str, str | None]]:
    """{site: (status, reason)} of a run's site_runs rows: the site's health and why (its finish
    reason when no health reason was recorded)."""
    with engine.connect() as conn:
        return {r.site: (r.status, r.health_reason or r.finish_reason) for r in conn.execute(
            select(SiteRun.site, SiteRun.status, SiteRun.health_reason, SiteRun.finish_reason)
            .where(SiteRun.run_id == run_id))}


def close_run(engine, run_id: int, status: str) -> None:
    """The coordinator's end of a run: "ok" (every site ended well), "failed" or "interrupted"."""
    with writer(engine).begin() as conn:
        conn.execute(update(CrawlRun.__table__).where(CrawlRun.id == run_id).values(
            finished_at=utcnow(), status=status))


def site_status(finish_reason: str | None, documents: int, errors: int) -> str:
    """The health of a site known only by its counts (a distributed run's merged workers): "failing"
    when the crawl did not finish or found no document, "degraded" when some fetches failed, else "ok"."""
    if finish_reason != "finished" or documents == 0:
        return "failing"
    return "degraded" if errors else "ok"


def _finished(reason: str | None) -> bool:
    """Finished, or stopped by the site's own budget (it continues where it stopped on the next run)."""
    return reason == "finished" or str(reason).startswith("closespider_")


def site_health(stats: dict, history: list[int]) -> tuple[str, str | None]:
    """The site's health after a run, and why (None when ok), from its Scrapy stats and the report
    links its recent ok/degraded runs found (`history`); the one definition that the crawl summary,
    site_runs and `nianbao status` share:

    - blocked: no report link, and challenge pages, 403/412/… or robots.txt stopped us;
    - failing: the crawl did not finish (database error, crash), or no report link and the site could
      not be reached (DNS, TLS, connection, timeout), or no report link ever;
    - changed: report links fell below CHANGED_BELOW of the recent median (on a night not cut short
      by the site's request budget), or to none (the column answers 404 or is empty): the column
      moved or was redesigned;
    - degraded: it worked, but some fetches failed (or documents could not be parsed);
    - ok.
    """
    c = summary(stats)
    kinds = {k: n for k, n in c["errors_by_kind"].items() if n}

    def first(*ks):
        return next((stats[f"nianbao/first_error/{k}"] for k in ks if stats.get(f"nianbao/first_error/{k}")), None)

    if stats.get("nianbao/database_error"):
        return "failing", f"database error: {stats['nianbao/database_error']}"
    if not _finished(c["finish_reason"]):
        return "failing", f"the crawl ended early: {c['finish_reason'] or 'unknown reason'}"
    linked = c["reports_linked"]
    usual = statistics.median(history) if history else 0
    if linked == 0:
        if kinds.get("blocked"):
            return "blocked", first("blocked")
        network = [k for k in KINDS if k in NETWORK and kinds.get(k)]
        if network:
            return "failing", first(*network)
        why = first("http", "other")
        if usual:
            return "changed", f"no report link found (recent runs: {usual:g})" + (f"; {why}" if why else "")
        return "failing", "no report link found" + (f"; {why}" if why else "")
    if usual and linked < CHANGED_BELOW * usual and not c["deferred"]:   # a night cut short by its budget sees less
        return "changed", f"{linked} report links (recent runs: {usual:g})"
    if kinds:
        by_kind = ", ".join(f"{k} {n}" for k, n in sorted(kinds.items()))
        example = first(*kinds)
        return "degraded", f"{sum(kinds.values())} failed ({by_kind})" + (f"; first: {example}" if example else "")
    return "ok", None


def _json_safe(counts: dict) -> dict:
    return {k: v for k, v in counts.items() if isinstance(v, (int, float, str, dict, type(None)))}


def health_since(conn, site: str, site_run_id: int, state: str, started_at):
    """When the site entered `state`: the previous run's "since" if it was in the same state, else now."""
    prev = conn.execute(select(SiteRun.status, SiteRun.health_since, SiteRun.started_at).where(
        SiteRun.site == site, SiteRun.id < site_run_id, SiteRun.status != "running")
        .order_by(SiteRun.id.desc()).limit(1)).first()
    if prev is not None and prev.status == state:
        return prev.health_since or prev.started_at
    return started_at


def linked_history(conn, site: str, before_id: int) -> list[int]:
    """Report links found by the site's last HISTORY runs that were ok or degraded."""
    rows = conn.execute(select(SiteRun.counts).where(
        SiteRun.site == site, SiteRun.id < before_id, SiteRun.status.in_(("ok", "degraded")))
        .order_by(SiteRun.id.desc()).limit(HISTORY)).scalars().all()
    return [r["reports_linked"] for r in rows if r and r.get("reports_linked") is not None]


def site_id(spider) -> str:
    for attr in ("site_id", "site"):
        v = getattr(spider, attr, None)
        if isinstance(v, str) and v:
            return v
        if isinstance(v, dict) and v.get("id"):
            return v["id"]
        if ident := getattr(v, "id", None):
            return ident
    return spider.name


class RunStats:
    """Writes crawl_runs and site_runs: the site's counts (crawler.engine.summary), its health and since
    when (site_health), duration and finish reason.

    Settings: NIANBAO_DB, and NIANBAO_RUN_ID, the run id `nianbao crawl` gives all its sites (the
    crawl_runs row is keyed by it); without one each spider process records a run of its own.
    NIANBAO_RUN_COORDINATED: the run's own status is left to the coordinator (pipelines.crawlrun),
    which sets it once every site has ended.
    """

    def __init__(self, crawler, db_url: str, run_key: str | None, coordinated: bool = False):
        self.crawler = crawler
        self.db_url = db_url
        self.run_key = run_key
        self.coordinated = coordinated
        self.run_id: int | None = None
        self.engine: Engine | None = None
        self.site_run_id: int | None = None
        self.started: float | None = None

    @classmethod
    def from_crawler(cls, crawler):
        ext = cls(crawler, settings.db_url(crawler.settings), crawler.settings.get("NIANBAO_RUN_ID") or None,
                  crawler.settings.getbool("NIANBAO_RUN_COORDINATED"))
        crawler.signals.connect(ext.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(ext.spider_closed, signal=signals.spider_closed)
        return ext

    def spider_opened(self, spider):
        self.started = time.monotonic()
        site = site_id(spider)
        try:
            self.engine = engines.acquire(self.db_url)
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
            if self.engine is not None:
                engines.release(self.db_url)
            return
        # spider_opened set these before the site's row
        assert self.engine is not None and self.run_id is not None and self.started is not None
        stats = self.crawler.stats
        if stats.get_value("nianbao/database_error"):
            reason = "database_error"
        values = {**stats.get_stats(), "finish_reason": reason}
        counts = summary(values)
        try:
            with writer(self.engine).begin() as conn:
                site, started = conn.execute(select(SiteRun.site, SiteRun.started_at).where(
                    SiteRun.id == self.site_run_id)).one()
                status, why = site_health(values, linked_history(conn, site, self.site_run_id))
                conn.execute(update(SiteRun).where(SiteRun.id == self.site_run_id).values(
                    finished_at=utcnow(), pages=stats.get_value("response_received_count") or 0,
                    documents=counts["pages"] + counts["attachments"], new_reports=counts["new_reports"],
                    errors=counts["errors"], duration_s=round(time.monotonic() - self.started, 3),
                    finish_reason=reason, status=status, health_reason=why, counts=_json_safe(counts),
                    health_since=health_since(conn, site, self.site_run_id, status, started)))
            if not self.coordinated:
                finish_run(self.engine, self.run_id)
        except (DBAPIError, DatabaseError) as e:
            logger.error("nianbao: cannot record the run's result: %s", one_line(e))
        finally:
            engines.release(self.db_url)
