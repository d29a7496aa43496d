"""Distributed crawling: throughput with 1, 2 and 3 `nianbao worker`s on the real local Redis and
PostgreSQL, and Redis memory per queued request.

    .venv/bin/python bench/distributed.py [--n 40] [--delay 0.2] [--workers 1 2 3] [--concurrency 16]

For each worker count: a fresh PostgreSQL database (dropped afterwards), Redis database 13 (flushed),
N small simulated portals (nianbao.simulator.scale, one loopback address each, a per-host delay of
--delay s); `nianbao crawl --redis` (pipelines.distributed.crawl_run) seeds the run in this process
and waits for the drain while the workers run as child processes. Prints wall time from seeding to
drain, documents stored per second, the ratio to one worker, and the most requests in flight (popped,
not yet acknowledged) the coordinator saw: bounded by the sites' concurrency when acknowledging works.
On 2 cores the goal is no slowdown at 2 workers (each worker is a whole Scrapy process: more workers
add CPU, not politeness slots).
Then Redis database 14: used_memory before and after queueing --queued report requests of one site
(queue entry, request data, dupefilter fingerprint), per request.
"""
from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path
from typing import Any

import psycopg
import redis

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from crawler import distributed as dist
from crawler.spiders.reports import ReportsSpider
from nianbao.simulator.scale import start_scale_network
from pipelines import distributed

ROOT = Path(__file__).resolve().parent.parent
PG_ADMIN = "host=127.0.0.1 port=5432 user=postgres dbname=postgres"
REDIS = "redis://127.0.0.1:6379"
SETTINGS = {"AUTOTHROTTLE_ENABLED": False, "LOG_LEVEL": "WARNING"}


def one_round(n_workers: int, args) -> dict:
    name = f"nianbao_dist_bench_{uuid.uuid4().hex[:6]}"
    with psycopg.connect(PG_ADMIN, autocommit=True) as c:
        c.execute(f"CREATE DATABASE {name}")
    db_url = f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"
    redis_url = f"{REDIS}/13"
    redis.Redis.from_url(redis_url).flushdb()
    try:
        with start_scale_network(args.n) as net, tempfile.TemporaryDirectory() as data:
            for s in net.sites:
                s["settings"] = {**s.get("settings", {}), "DOWNLOAD_DELAY": args.delay}
            out: dict = {}
            most = {"in_flight": 0}                # requests popped and not yet acknowledged, at most

            def progress(event: dict) -> None:
                most["in_flight"] = max(most["in_flight"], event.get("in_flight", 0))
            coordinator = threading.Thread(target=lambda: out.update(distributed.crawl_run(
                net.sites, redis_url=redis_url, db_url=db_url, data_dir=data, settings=SETTINGS, poll=0.2,
                on_event=progress)))
            started = time.monotonic()
            coordinator.start()
            workers = [subprocess.Popen(
                [sys.executable, "-c", "import sys; from nianbao.cli import main; sys.exit(main(sys.argv[1:]))",
                 "worker", "--redis", redis_url, "--db", db_url, "--data-dir", data,
                 "--concurrency", str(args.concurrency)], cwd=ROOT, stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL) for _ in range(n_workers)]
            coordinator.join()
            wall = time.monotonic() - started
            for w in workers:
                w.wait(timeout=120)
        with psycopg.connect(f"host=127.0.0.1 port=5432 user=postgres dbname={name}") as c:
            docs = _count(c, "sources")
            reports = _count(c, "reports")
        return {"workers": n_workers, "wall": wall, "docs": docs, "reports": reports, "expected": net.reports,
                "status": out.get("status"), "in_flight": most["in_flight"]}
    finally:
        with psycopg.connect(PG_ADMIN, autocommit=True) as c:
            c.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def _count(conn: psycopg.Connection, table: str) -> int:
    row = conn.execute(f"SELECT count(*) FROM {table}").fetchone()
    assert row is not None                    # count(*) always returns a row
    return row[0]


def memory_per_request(queued: int) -> float:
    server = redis.Redis.from_url(f"{REDIS}/14")
    server.flushdb()
    site: dict[str, Any] = {
        "id": "bench-site", "name": "某某县人民政府", "start_urls": ["http://127.0.0.9/xxgk/ndbg/index.html"],
        "allowed_domains": ["127.0.0.9"],
        "region": {"province": "北京市", "city": None, "county": "东城区", "code": "110101"}}
    spider = ReportsSpider(site=site)
    base = dist.site_key("bench", site["id"])
    queue, df = dist.SiteQueue(server, spider, base), dist.SeenFilter(server, f"{base}:seen")
    before = server.info("memory")["used_memory"]
    listing = "http://127.0.0.9/xxgk/ndbg/index_3.html"
    for i in range(queued):
        req = spider._document(f"http://127.0.0.9/xxgk/ndbg/202403/t20240315_{1000000 + i}.html", spider.parse_report,
                               nb_listing=listing, nb_title="某某县卫生健康局2023年政府信息公开工作年度报告")
        if not df.request_seen(req):
            queue.push(req)
    after = server.info("memory")["used_memory"]
    server.flushdb()
    return (after - before) / queued


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=40, help="simulated portals")
    ap.add_argument("--delay", type=float, default=0.2, help="per-host DOWNLOAD_DELAY (s)")
    ap.add_argument("--workers", type=int, nargs="+", default=[1, 2, 3])
    ap.add_argument("--concurrency", type=int, default=16, help="sites per worker at once")
    ap.add_argument("--queued", type=int, default=20000, help="requests queued for the memory figure")
    args = ap.parse_args()
    print(f"{args.n} portals, {args.delay} s per-host delay, worker --concurrency {args.concurrency}")
    print(f"{'workers':>7} {'wall s':>8} {'docs':>6} {'docs/s':>7} {'vs 1':>6} {'reports':>8} {'in flight':>9}  status")
    first = None
    for n in args.workers:
        r = one_round(n, args)
        rate = r["docs"] / r["wall"]
        first = first or rate
        print(f"{n:7} {r['wall']:8.1f} {r['docs']:6} {rate:7.2f} {rate / first:6.2f} "
              f"{r['reports']:>4}/{r['expected']:<4} {r['in_flight']:9} {r['status']}", flush=True)
    per = memory_per_request(args.queued)
    print(f"Redis memory per queued request: {per:.0f} bytes ({args.queued} report requests of one site, "
          "with their dupefilter fingerprints)")


if __name__ == "__main__":
    main()
