"""`nianbao crawl`: open the dataset, take its lock, record the run, crawl every site in one engine
process (crawler.run), and record truthfully how each site and the run ended.

A run is "ok" only when every site in it ended well; a site the engine could not finish (killed,
stopped, its process unable to write) is recorded by this coordinator with the reason. A run left
"running" by a killed crawl is closed as "interrupted" when the next one starts.
"""
from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Engine
from sqlalchemy.exc import DBAPIError

from crawler.registry import RegistryError, load_sites
from crawler.run import RUNNING, crawl, new_run_id
from pipelines import runstats
from pipelines.db import DatabaseError, one_line, open_db
from pipelines.runlock import Busy, dataset_lock

BAD_STATES = {"running", "failing", "failed", "interrupted", "blocked"}
SETTINGS = {"NIANBAO_RUN_COORDINATED": True}


class StartupError(RuntimeError):
    """The crawl cannot start (bad sites, dataset, lock, data directory); the message is one line."""


def choose_sites(site_ids, files) -> list[dict]:
    """The sites a command line names: SITE_IDs (from the shipped registry and the --sites files);
    else every enabled site of the --sites files alone; else every enabled site of the shipped registry."""
    try:
        sites = load_sites(files)
        own = load_sites(files, shipped=False) if files else []
    except RegistryError as e:
        raise StartupError(str(e)) from None
    by_id = {s["id"]: s for s in sites}
    unknown = [i for i in site_ids if i not in by_id]
    if unknown:
        raise StartupError(f"unknown site id(s): {', '.join(unknown)} (see `nianbao sites list`)")
    chosen = [by_id[i] for i in site_ids] if site_ids else [s for s in (own if files else sites) if s["enabled"]]
    if not chosen:
        raise StartupError("no enabled sites to crawl")
    return chosen


def begin_run(engine, sites: list[dict], budget: int | None, **info) -> tuple[str, int]:
    """Close the runs that killed processes left open and record a new one: (run key, run id).
    Raises StartupError when the dataset cannot record it."""
    try:
        runstats.close_stale_runs(engine)
        run_key = new_run_id()
        return run_key, runstats.start_run(engine, run_key, {"sites": [s["id"] for s in sites], "budget": budget,
                                                             **info})
    except (DBAPIError, DatabaseError) as e:
        raise StartupError(f"cannot record the run: {one_line(e)}") from None


def crawl_run(sites: list[dict], *, db_url: str, data_dir, concurrency: int = RUNNING, budget: int | None = None,
              settings: dict | None = None, on_event=None) -> dict:
    """Crawl `sites` into the dataset as one recorded run; the crawl() summary plus "status" and each
    site's recorded "state" and "reason". Raises StartupError before anything is changed."""
    with locked_dataset(db_url) as engine:
        try:
            (Path(data_dir) / "runs").mkdir(parents=True, exist_ok=True)
        except OSError as e:
            raise StartupError(f"cannot write the data directory {data_dir}: {e.strerror}") from None
        run_key, run_id = begin_run(engine, sites, budget)
        if on_event:
            on_event({"event": "run_start", "run": run_key, "sites": len(sites)})
        result = crawl(sites, db_url=db_url, data_dir=data_dir, concurrency=concurrency, budget=budget,
                       settings={**(settings or {}), **SETTINGS}, run_id=run_key, on_event=on_event)
        result["status"] = _record(engine, run_id, result)
        return result


@contextmanager
def locked_dataset(db_url: str) -> Iterator[Engine]:
    """The dataset, opened and locked for one crawl (one-machine or Redis); StartupError, with nothing
    changed, when it cannot be opened or another crawl holds it."""
    try:
        engine = open_db(db_url)
    except DatabaseError as e:
        raise StartupError(str(e)) from None
    try:
        with dataset_lock(engine):
            yield engine
    except Busy as e:
        raise StartupError(str(e)) from None
    finally:
        engine.dispose()


def _record(engine, run_id: int, result: dict) -> str:
    """Settle each site's row and the run's status; returns the run's status."""
    try:
        recorded = runstats.site_states(engine, run_id)
        for sid, r in result["sites"].items():
            state, reason = recorded.get(sid, (None, None))
            if r["finish_reason"] in ("interrupted", "shutdown"):
                state, reason = "interrupted", r.get("error") or "interrupted (Ctrl-C or SIGTERM)"
                runstats.record_site_end(engine, run_id, sid, state, reason)
            elif state in (None, "running"):
                state = "failed"
                reason = r.get("error") or r.get("engine_error") or f"not recorded ({r['finish_reason']})"
                runstats.record_site_end(engine, run_id, sid, state, f"{r['finish_reason']}: {reason}")
            r["state"], r["reason"] = state, reason
            r["ok"] = r["ok"] and state not in BAD_STATES
        status = ("interrupted" if result["interrupted"]
                  else "ok" if all(r["ok"] for r in result["sites"].values()) else "failed")
        runstats.close_run(engine, run_id, status)
    except (DBAPIError, DatabaseError) as e:
        print(f"nianbao crawl: cannot record the run's end: {one_line(e)}", file=sys.stderr)
        status = "failed"
    result["ok"] = status == "ok"
    return status
