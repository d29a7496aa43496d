"""Storage benchmark: N generated reports (~200 cells each) stored on SQLite and on Postgres.

Each report goes through the crawl's own write path (pipelines.dataset.store_document: source row,
agency match, version check, cells and checks by Core executemany, one transaction per report).
Prints reports/s and cells/s per backend, and the storage share of a crawl's wall time at a given
crawl rate (documents/s; default 2/s: DOWNLOAD_DELAY 1 s on each of 2 sites crawled at once).

    .venv/bin/python bench/store.py [-n 10000] [--crawl-rate 2] [--backends sqlite,postgres]
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

import psycopg  # noqa: E402

from nianbao.simulator.reports import generate, to_report  # noqa: E402
from pipelines.dataset import store_document  # noqa: E402
from pipelines.db import open_db  # noqa: E402

PG = "host=127.0.0.1 port=5432 user=postgres dbname=nianbao_test"


def items(n: int, seed: int = 7) -> list[dict]:
    rng = random.Random(seed)
    out = []
    for i in range(n):
        report = to_report(generate(rng))
        report.media_type = "text/html"
        sha = hashlib.sha256(f"bench-{seed}-{i}".encode()).hexdigest()
        out.append({"url": f"http://bench.test/{i}.html", "final_url": None, "site": "bench", "kind": "page",
                    "site_region": None, "sha256": sha, "path": f"raw/{sha[:2]}/{sha[2:4]}/{sha}.html",
                    "media_type": "text/html", "headers": {}, "fetched_at": "2025-02-01T00:00:00Z",
                    "report": report, "parse_error": None, "body": None})
    return out


def bench(url: str, docs: list[dict]) -> tuple[float, int]:
    engine = open_db(url)
    t = time.perf_counter()
    for d in docs:
        store_document(engine, d, "bench")
    seconds = time.perf_counter() - t
    with engine.connect() as conn:
        cells = conn.exec_driver_sql("SELECT count(*) FROM cells").scalar()
    engine.dispose()
    return seconds, cells


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("-n", type=int, default=10_000, help="reports (default %(default)s)")
    p.add_argument("--crawl-rate", type=float, default=2.0, help="crawl documents/s (default %(default)s)")
    p.add_argument("--backends", default="sqlite,postgres")
    args = p.parse_args()

    t = time.perf_counter()
    docs = items(args.n)
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
