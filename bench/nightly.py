"""What a second night costs: crawl the simulated network twice into a fresh dataset (real pipelines)
and print the full (200) downloads, 304s and seconds of each run.

    .venv/bin/python bench/nightly.py [--no-validators] [--families county,trs,…]
"""
from __future__ import annotations

import argparse
import tempfile
import time
from collections import Counter
from pathlib import Path

from nianbao.simulator import FAMILIES, start_network
from pipelines.crawlrun import crawl_run

FAST = {"DOWNLOAD_DELAY": 0, "AUTOTHROTTLE_ENABLED": False, "CONCURRENT_REQUESTS_PER_DOMAIN": 4,
        "DOWNLOAD_MAXSIZE": 20 * 1024 * 1024}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--no-validators", action="store_true", help="the sites send no ETag/Last-Modified")
    ap.add_argument("--families", default=",".join(FAMILIES))
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="nianbao-nightly-") as d, \
            start_network(seed=0, families=args.families.split(","), validators=not args.no_validators) as net:
        db = f"sqlite:///{Path(d) / 'nb.sqlite'}"
        for run in (1, 2):
            n0, t0 = len(net.log), time.monotonic()
            result = crawl_run(net.sites, db_url=db, data_dir=d, settings=FAST)
            seconds = time.monotonic() - t0
            codes = Counter(st for _, _, path, st in net.log[n0:] if path != "/robots.txt")
            print(f"run {run}: {codes[200]} full downloads, {codes[304]} not modified, "
                  f"{sum(codes.values())} requests, {seconds:.1f} s, status {result['status']}")


if __name__ == "__main__":
    main()
