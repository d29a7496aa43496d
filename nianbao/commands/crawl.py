"""`nianbao crawl [SITE_ID…]`: crawl sites of the registry into the dataset."""
from __future__ import annotations

import sys
import time
from typing import Any

import click

from crawler.run import RUNNING
from nianbao.commands.options import data_dir_option, db_option
from pipelines import crawlrun, distributed
from pipelines.crawlrun import StartupError
from pipelines.progress import Progress, summary_text

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130


@click.command("crawl")
@click.argument("site_ids", nargs=-1, metavar="[SITE_ID]...")
@click.option("--sites", "sites", multiple=True, metavar="FILE",
              help="An extra registry file (YAML list of sites), e.g. one written by `nianbao simulate "
                   "--registry`; repeatable. `nianbao sites list --sites FILE` shows its ids.")
@click.option("--concurrency", type=click.IntRange(min=1), default=RUNNING, show_default=True,
              help="Sites fetching at once (one whose documents only wait to be parsed lets the next start).")
@click.option("--budget", type=click.IntRange(min=1), default=None, metavar="SECONDS",
              help="Per-site time budget; a site still running then is closed cleanly.")
@click.option("--redis", "redis_url", default=None, metavar="URL",
              help="Distributed: queue the sites' start requests in this Redis for `nianbao worker`s on "
                   "any machines, wait until they have drained it, and record the run (--db: PostgreSQL).")
@click.option("--full", is_flag=True,
              help="Re-crawl everything: no conditional requests, no document left until due, every page parsed.")
@db_option
@data_dir_option
def command(site_ids, sites, concurrency, budget, redis_url, full, db, data_dir) -> int:
    """Crawl sites into the dataset, many at once, each within its own politeness.

    Which sites: the SITE_IDs given (looked up in the shipped registry and the --sites files); without
    SITE_IDs and with --sites, every enabled site of those files only; with neither, every enabled site
    of the shipped registry. One crawl at a time per dataset: a second one exits 2 and changes nothing.
    Exit 0 when every site ended well, 1 when one did not, 2 for a start-up fault, 130 when interrupted
    (Ctrl-C or SIGTERM; the run is recorded as interrupted). On a terminal a live progress display;
    otherwise one JSON line per event on stderr. The next run resumes a killed one.
    """
    if redis_url:
        return _distributed(list(site_ids), list(sites), redis_url=redis_url, db=db, data_dir=data_dir, budget=budget)
    started = time.monotonic()
    try:
        chosen = crawlrun.choose_sites(list(site_ids), list(sites))
        with Progress(len(chosen)) as progress:
            result = crawlrun.crawl_run(chosen, db_url=db, data_dir=data_dir, concurrency=concurrency,
                                        budget=budget, on_event=progress,
                                        settings={"NIANBAO_FULL": True} if full else None)
            progress({"event": "run_end", "run": result["run_id"], "status": result["status"],
                      "sites": len(result["sites"]), "ok": sum(r["ok"] for r in result["sites"].values())})
    except StartupError as e:
        print(f"nianbao crawl: {e}", file=sys.stderr)
        return EXIT_USAGE
    print(summary_text(result["run_id"], result["status"], result["sites"], time.monotonic() - started))
    if result["status"] == "interrupted":
        return EXIT_INTERRUPTED
    return EXIT_OK if result["ok"] else EXIT_FAILED


def _distributed(site_ids, sites, *, redis_url, db, data_dir, budget) -> int:
    """`nianbao crawl --redis URL`: 0 every site ended well, 1 some did not, 2 start-up fault, 130 Redis lost
    the run."""
    try:
        chosen = crawlrun.choose_sites(site_ids, sites)
        result = distributed.crawl_run(chosen, redis_url=redis_url, db_url=db, data_dir=data_dir, budget=budget,
                                       on_event=_printer())
    except StartupError as e:
        print(f"nianbao crawl: {e}", file=sys.stderr)
        return EXIT_USAGE
    print(f"run {result['run_id']}: {result['status']}")
    for sid, r in sorted(result["sites"].items()):
        print(f"{sid:32} {r['status']:8} {r.get('pages', 0):6} pages {r.get('attachments', 0):5} files "
              f"{r.get('errors', 0):4} errors  {r.get('finish_reason') or ''}")
    if result["status"] == "interrupted":
        return EXIT_INTERRUPTED
    return EXIT_OK if result["status"] == "ok" else EXIT_FAILED


def _printer():
    """The coordinator's stderr lines: a progress line when a site ends (else one a minute), errors."""
    last: dict[str, Any] = {"done": None, "at": 0.0}

    def emit(event: dict) -> None:
        if event["event"] == "progress":
            if event["done"] == last["done"] and time.monotonic() - last["at"] < 60:
                return
            last.update(done=event["done"], at=time.monotonic())
            print(f"sites done {event['done']}/{event['sites']}, queued {event['queued']}, "
                  f"in flight {event['in_flight']}", file=sys.stderr)
        elif event["event"] == "seeded":
            if event.get("stale_runs_removed"):
                print(f"removed from Redis: the run(s) {', '.join(event['stale_runs_removed'])}, whose "
                      "coordinator was killed", file=sys.stderr)
            print(f"run {event['run']}: {event['requests']} start requests of {event['sites']} sites queued; "
                  "waiting for workers (`nianbao worker --redis URL --db …`)", file=sys.stderr)
        else:
            print(f"nianbao crawl: {event.get('error')}", file=sys.stderr)
    return emit
