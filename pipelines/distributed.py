"""`nianbao crawl --redis` and `nianbao worker`: a run recorded in the dataset, crawled by workers on
any number of machines through Redis (crawler.distributed), its per-site counts merged into one record."""
from __future__ import annotations

import time

import redis
from scrapy.utils.project import get_project_settings

from crawler import distributed
from pipelines import runstats
from pipelines.crawlrun import StartupError, begin_run, locked_dataset
from pipelines.db import DatabaseError, open_db

POLL = 2.0  # seconds between looks at the run's progress


def _redis(url: str) -> redis.Redis:
    try:
        server = distributed.connect(url)
        server.ping()
        return server
    except (redis.RedisError, ValueError) as e:
        raise StartupError(f"cannot reach Redis at {url}: {e}") from None


def crawl_run(sites: list[dict], *, redis_url: str, db_url: str, data_dir, budget: int | None = None,
              settings: dict | None = None, on_event=None, poll: float = POLL) -> dict:
    """Record a run, seed the sites' start requests into Redis, wait until the workers have drained the
    queue, and write each site's merged counts; returns {"run_id", "status", "sites": {id: result}}.

    The dataset lock is held for the run (no one-machine crawl of the same dataset meanwhile). If Redis
    loses the run (restarted without persistence), the run ends "interrupted": what was stored stays,
    each document in its own transaction, and the next run fetches the rest. While waiting, the run's
    keys in Redis are kept from lapsing (distributed.refresh); a killed coordinator's run lapses by
    itself, or is removed when the next coordinator starts (distributed.clean_stale)."""
    server = _redis(redis_url)
    with locked_dataset(db_url) as engine:
        run_key, run_id = begin_run(engine, sites, budget, redis=True)
        extra = {**(settings or {}), "NIANBAO_RUN_COORDINATED": True}
        if budget:
            extra["CLOSESPIDER_TIMEOUT"] = budget
        stale = distributed.clean_stale(server, keep=run_key)
        queued = distributed.seed(server, run_key, sites, {"run_key": run_key, "run_id": run_id, "settings": extra})
        if on_event:
            on_event({"event": "seeded", "run": run_key, "sites": len(sites), "requests": queued,
                      "stale_runs_removed": stale})
        lost = _wait(server, run_key, [s["id"] for s in sites], on_event, poll)
        results = distributed.site_results(server, run_key)
        status = _record(engine, run_id, results, lost)
        distributed.end_run(server, run_key)
        return {"run_id": run_key, "status": status, "sites": results}


def _wait(server, run: str, site_ids: list[str], on_event, poll: float) -> bool:
    """Until the run has drained, keeping its keys alive; True if Redis lost it meanwhile."""
    every = min(distributed.ALIVE_S / 4, distributed.RUN_TTL / 3)
    refreshed = time.monotonic()
    while True:
        try:
            if time.monotonic() - refreshed >= every:
                distributed.refresh(server, run, site_ids)
                distributed.clean_stale(server, keep=run)
                refreshed = time.monotonic()
            st = distributed.state(server, run)
        except redis.RedisError as e:
            if on_event:
                on_event({"event": "error", "error": f"Redis: {e}"})
            time.sleep(poll)
            continue
        if on_event:
            on_event({"event": "progress", **st})
        if not st["known"]:
            return True
        if distributed.drained(st):
            return False
        time.sleep(poll)


def _record(engine, run_id: int, results: dict, lost: bool) -> str:
    """One site_runs row per site from the workers' merged counts; the run's status."""
    ok = True
    for sid, r in results.items():
        documents = r.get("pages", 0) + r.get("attachments", 0)
        reason = r.get("finish_reason") or ("redis_lost" if lost else "not_finished")
        # a site over its time budget ended well, as on one machine (the next run goes on from there)
        ended = "finished" if reason == distributed.OVER_BUDGET else reason
        status = runstats.site_status(ended, documents, r.get("errors", 0))
        ok = ok and status != "failing"
        r["status"] = status
        runstats.record_site_result(engine, run_id, sid, status=status, finish_reason=reason,
                                    pages=r.get("requests", 0), documents=documents,
                                    new_reports=r.get("new_reports", 0), errors=r.get("errors", 0),
                                    duration_s=r.get("elapsed"))
    status = "interrupted" if lost else "ok" if ok else "failed"
    runstats.close_run(engine, run_id, status)
    return status


def worker(*, redis_url: str, db_url: str, data_dir, running: int = 16, forever: bool = False,
           settings: dict | None = None) -> int:
    """`nianbao worker`: check the dataset and Redis, then crawl the current run's sites until it drains."""
    _redis(redis_url)
    try:
        open_db(db_url).dispose()                       # migrated and reachable before any site starts
    except DatabaseError as e:
        raise StartupError(str(e)) from None
    extensions = get_project_settings().getdict("EXTENSIONS")
    extensions["pipelines.runstats.RunStats"] = None         # the coordinator records the run
    extra = {**(settings or {}), "NIANBAO_DB": db_url, "NIANBAO_DATA_DIR": str(data_dir), "EXTENSIONS": extensions}
    return distributed.run_worker(redis_url, extra, running=running, forever=forever)
