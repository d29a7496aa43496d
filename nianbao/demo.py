"""`nianbao demo`: crawl the bundled simulated portals into a fresh SQLite file, offline."""
from __future__ import annotations

import sys
from pathlib import Path

from sqlalchemy import func, select

from crawler.run import crawl
from nianbao.simulator import start_network
from pipelines import query, status
from pipelines.db import open_db
from pipelines.db.models import Agency, Cell, Report, Source

DEMO_DB = Path("data/demo.sqlite")
DEMO_DATA = Path("data/demo")
# The simulated portals are on loopback: no politeness delay is needed there (robots.txt still applies).
LOOPBACK_SETTINGS = {"DOWNLOAD_DELAY": 0, "AUTOTHROTTLE_ENABLED": False, "CONCURRENT_REQUESTS_PER_DOMAIN": 4,
                     "DOWNLOAD_MAXSIZE": 20 * 1024 * 1024}


def fresh_sqlite(path: Path) -> str:
    """Remove an earlier demo database (with its WAL files) and return the URL of a new one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    for p in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        p.unlink(missing_ok=True)
    return f"sqlite:///{path}"


def dataset_counts(engine) -> dict[str, int]:
    with engine.connect() as conn:
        return {
            "agencies": conn.scalar(select(func.count()).select_from(Agency)),
            "reports (current)": conn.scalar(select(func.count()).select_from(Report).where(Report.is_current)),
            "reports (all versions)": conn.scalar(select(func.count()).select_from(Report)),
            "sources": conn.scalar(select(func.count()).select_from(Source)),
            "cells": conn.scalar(select(func.count()).select_from(Cell)),
        }


def run(args) -> int:
    db_url = args.db or fresh_sqlite(DEMO_DB)
    data_dir = Path(args.data_dir) if args.data_dir else DEMO_DATA
    print("Starting the simulated portals on loopback (the first run renders their PDFs; about a minute)…",
          flush=True)
    with start_network(seed=0) as net:
        for site in net.sites:
            print(f"  {site['id']:14} {site['name']:16} {site['start_urls'][0]}", flush=True)
        print(f"Crawling {len(net.sites)} sites into {db_url} …", flush=True)
        engine = open_db(db_url)  # create and migrate once, before the crawl processes start
        summary = crawl(net.sites, db_url=db_url, data_dir=data_dir, concurrency=2, settings=LOOPBACK_SETTINGS)

    print()
    print(status.report(engine))
    print()
    counts = dataset_counts(engine)
    print("Dataset: " + ", ".join(f"{v} {k}" for k, v in counts.items()))
    print()
    print("Sample query: requests received and granted, by region and year "
          f"(nianbao query --db {db_url} --view v_requests_by_region_year):")
    rows = query.view_rows(engine, "v_requests_by_region_year", limit=12)
    query.print_table(list(rows[0]) if rows else [], rows)
    engine.dispose()
    if not counts["reports (current)"]:
        print("nianbao demo: the crawl stored no report", file=sys.stderr)
        return 1
    print()
    print(f"Explore it: nianbao serve --db {db_url}")
    return 0 if summary["ok"] else 1
