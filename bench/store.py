"""Storage benchmark: N generated reports (~200 cells each) stored on SQLite and on Postgres.

Each report goes through the crawl's own write path (pipelines.dataset.store_document: source upsert,
agency match with StorePipeline's in-process cache, version check, cells and checks by COPY on Postgres
and driver-level executemany on SQLite, one transaction per report). By default every generated
report is of another agency, so the agency cache never hits: a worst case; --per-agency 5 is closer
to a crawl (an agency's reports of five years).
Prints reports/s and cells/s per backend, and the storage share of a crawl's wall time at a given
crawl rate (documents/s; default 2/s: DOWNLOAD_DELAY 1 s on each of 2 sites crawled at once).

    .venv/bin/python bench/store.py [-n 10000] [--crawl-rate 2] [--backends sqlite,postgres] [--per-agency 5]
"""
from __future__ import annotations

import argparse
import hashlib
import random
import sys
import tempfile
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import psycopg

from nianbao.simulator.reports import generate, to_report
from pipelines.dataset import store_document
from pipelines.db import open_db

PG = "host=127.0.0.1 port=5432 user=postgres dbname=nianbao_test"


def items(n: int, seed: int = 7, per_agency: int = 1) -> list[dict]:
    """n documents; with per_agency > 1, each agency has that many reports (2024, 2023, …)."""
    rng = random.Random(seed)
    out = []
    for i in range(n):
        if per_agency == 1:
            sample = generate(rng)
        else:
            if i % per_agency == 0:
                agency = generate(rng)
            sample = generate(rng, year=2024 - i % per_agency, agency=agency.agency, region=agency.region)
        report = to_report(sample)
        report.media_type = "text/html"
        sha = hashlib.sha256(f"bench-{seed}-{i}".encode()).hexdigest()
        out.append({"url": f"http://bench.test/{i}.html", "final_url": None, "site": "bench", "kind": "page",
                    "site_region": None, "sha256": sha, "path": f"raw/{sha[:2]}/{sha[2:4]}/{sha}.html",
                    "media_type": "text/html", "headers": {}, "fetched_at": "2025-02-01T00:00:00Z",
                    "report": report, "parse_error": None, "body": None})
    return out


def bench(url: str, docs: list[dict]) -> tuple[float, int]:
    engine = open_db(url)
    cache: dict = {}                     # as StorePipeline keeps it
    t = time.perf_counter()
    for d in docs:
        store_document(engine, d, "bench", cache)
    seconds = time.perf_counter() - t
    with engine.connect() as conn:
        cells = conn.exec_driver_sql("SELECT count(*) FROM cells").scalar_one()
    engine.dispose()
    return seconds, cells


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("-n", type=int, default=10_000, help="reports (default %(default)s)")
    p.add_argument("--crawl-rate", type=float, default=2.0, help="crawl documents/s (default %(default)s)")
    p.add_argument("--backends", default="sqlite,postgres")
    p.add_argument("--per-agency", type=int, default=1, choices=range(1, 7), metavar="1-6",
                   help="reports per agency, one a year, as a crawl finds them (default %(default)s: every "
                        "report is of another agency, so StorePipeline's agency cache never hits)")
    args = p.parse_args()

    t = time.perf_counter()
    docs = items(args.n, per_agency=args.per_agency)
    print(f"generated {args.n} reports, {sum(len(d['report'].cells) for d in docs)} cells "
          f"in {time.perf_counter() - t:.1f} s (not timed below)")
    for backend in args.backends.split(","):
        if backend == "sqlite":
            with tempfile.TemporaryDirectory() as tmp:
                seconds, cells = bench(f"sqlite:///{tmp}/bench.sqlite", docs)
        else:
            schema = f"bench_{uuid.uuid4().hex[:8]}"
            with psycopg.connect(PG, autocommit=True) as c:
                c.execute(f"CREATE SCHEMA {schema}")
            try:
                seconds, cells = bench(
                    f"postgresql+psycopg://postgres@127.0.0.1:5432/nianbao_test?options=-csearch_path%3D{schema}", docs)
            finally:
                with psycopg.connect(PG, autocommit=True) as c:
                    c.execute(f"DROP SCHEMA {schema} CASCADE")
        rate = args.n / seconds
        share = args.crawl_rate / rate          # storage seconds per crawl second
        print(f"{backend:8s}: {args.n} reports in {seconds:.1f} s = {rate:.0f} reports/s, "
              f"{cells / seconds:.0f} cells/s; at {args.crawl_rate:g} documents/s crawled, storage takes "
              f"{share:.2%} of the crawl's wall time (goal < 10%)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
