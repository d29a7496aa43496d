"""Many portals in one night: wall time of `nianbao crawl` over N small simulated portals against the
politeness floor, reports stored, and the peak memory of the whole crawl process tree.

    .venv/bin/python bench/crawl_scale.py [--n 100 300] [--old] [--old-n 100] [--delay 0.5] [--repeat 1] [--bare]

Each portal (nianbao.simulator.scale) has its own loopback address, a per-host delay of --delay
seconds (its registry entry's `settings`), robots.txt, a two-page column and 14 report pages: 17
requests, so the floor (every site at once, each at its own pace) is 17 × delay. The crawl runs as
`nianbao crawl SITE_IDs --sites FILE` in a child process with a fresh SQLite dataset; the simulated
portals run in this process and are not counted in the memory figure.

--old also runs the code of a git worktree at /tmp/nianbao-old (`git worktree add --detach
/tmp/nianbao-old REV` for an earlier revision; HEAD is added when it is missing), with its own
defaults. This machine's speed drifts (±3 s at N = 100): --repeat K runs each K times, new and old
alternating, and prints the median run of each.
Goals (issue 8): wall ≤ 3 × floor at N = 100, ≤ 4 × floor at N = 300, every report stored, peak
memory < 1 GB (PSS of the tree; the RSS sum, which counts shared pages once per process, is printed too).

Each run also prints the CPU seconds of the crawl's process tree (user + system). A crawl of many
sites is bound by CPU, not by politeness: on C cores its wall is at least CPU / C. --bare prints, for
each N, the same for a bare Scrapy crawl of the same portals (one process, one download slot per
portal, the same politeness and robots.txt, no parsing, no storage, no nianbao code): the least
that Scrapy alone costs here.
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil
import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from nianbao.simulator.scale import start_scale_network  # noqa: E402 - after the sys.path line above

OLD = Path("/tmp/nianbao-old")
GOALS = {100: 3.0, 300: 4.0}


def tree_memory(proc: psutil.Process, *, pss: bool) -> tuple[int, int]:
    """(RSS, PSS) summed over the process tree: RSS counts the pages the parse workers share with
    their fork server once per process, PSS shares them out (the tree's real footprint). PSS (read
    from smaps_rollup, which walks every mapping of each process) only when `pss`, else 0."""
    rss = total_pss = 0
    for p in [proc, *proc.children(recursive=True)]:
        try:
            if pss:
                full = p.memory_full_info()
                rss, total_pss = rss + full.rss, total_pss + full.pss
            else:
                rss += p.memory_info().rss
        except psutil.Error:
            continue
    return rss, total_pss


def run_crawl(code_dir: Path, sites: list[dict], workdir: Path) -> dict:
    """One `nianbao crawl` of `sites` with the code in code_dir; wall seconds, peak tree RSS, reports."""
    registry = workdir / "sites.yaml"
    registry.write_text(yaml.safe_dump(sites, allow_unicode=True), encoding="utf-8")
    db = workdir / "bench.sqlite"
    argv = [sys.executable, "-c", "import sys; from nianbao.cli import main; sys.exit(main(sys.argv[1:]))",
            "crawl", *[s["id"] for s in sites], "--sites", str(registry), "--db", f"sqlite:///{db}",
            "--data-dir", str(workdir / "data")]
    env = {**os.environ, "PYTHONPATH": str(code_dir)}
    start, cpu = time.monotonic(), _children_cpu()
    proc = subprocess.Popen(argv, cwd=code_dir, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    ps, peak_rss, peak_pss, looks = psutil.Process(proc.pid), 0, 0, 0
    while proc.poll() is None:       # RSS every 0.2 s, PSS every second (its reading costs the crawl CPU)
        rss, pss = tree_memory(ps, pss=looks % 5 == 0)
        peak_rss, peak_pss, looks = max(peak_rss, rss), max(peak_pss, pss), looks + 1
        time.sleep(0.2)
    wall, cpu = time.monotonic() - start, _children_cpu() - cpu
    with sqlite3.connect(db) as conn:
        reports = conn.execute("SELECT count(*) FROM reports").fetchone()[0]
    return {"wall": wall, "cpu": cpu, "rss_mb": peak_rss / 2**20, "pss_mb": peak_pss / 2**20, "reports": reports,
            "exit": proc.returncode}


def _children_cpu() -> float:
    """CPU seconds (user + system) of this process's children and their descendants, once waited for."""
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def bare_crawl(sites_file: str) -> None:
    """The child of --bare: Scrapy alone over the portals of sites_file, with their politeness; prints
    one JSON line {"requests", "reports"}."""
    import scrapy
    from scrapy.crawler import CrawlerProcess

    sites = yaml.safe_load(Path(sites_file).read_text(encoding="utf-8"))

    class Bare(scrapy.Spider):
        name = "bare"

        def parse(self, response):       # a listing: its report links and its next page
            for href in response.css("a::attr(href)").getall():
                if "/t20" in href or "page=2" in href:
                    yield response.follow(href, self.report if "/t20" in href else self.parse)

        def report(self, response):
            self.crawler.stats.inc_value("bare/reports")

    politeness = sites[0]["settings"]
    process = CrawlerProcess({**politeness, "LOG_LEVEL": "ERROR", "ROBOTSTXT_OBEY": True,
                              "CONCURRENT_REQUESTS": 10 * len(sites), "TELNETCONSOLE_ENABLED": False,
                              "REMOTE_CONTROL_ENABLED": False,
                              "SCHEDULER_PRIORITY_QUEUE": "scrapy.pqueues.DownloaderAwarePriorityQueue"})
    crawler = process.create_crawler(Bare)
    process.crawl(crawler, start_urls=[s["start_urls"][0] for s in sites])
    process.start()
    print(json.dumps({"requests": crawler.stats.get_value("downloader/request_count", 0),
                      "reports": crawler.stats.get_value("bare/reports", 0)}))


def run_bare(sites: list[dict], workdir: Path) -> dict:
    registry = workdir / "sites.yaml"
    registry.write_text(yaml.safe_dump(sites, allow_unicode=True), encoding="utf-8")
    start, cpu = time.monotonic(), _children_cpu()
    out = subprocess.run([sys.executable, __file__, "--bare-child", str(registry)], capture_output=True,
                         text=True, check=True)
    return {"wall": time.monotonic() - start, "cpu": _children_cpu() - cpu, **json.loads(out.stdout.splitlines()[-1])}


def ensure_old_worktree() -> None:
    if not (OLD / "crawler" / "run.py").exists():
        subprocess.run(["git", "worktree", "add", "--detach", str(OLD), "HEAD"], cwd=ROOT, check=True,
                       capture_output=True)


def measure(code_dir: Path | None, n: int, delay: float) -> dict:
    """One crawl of N fresh simulated portals with the code in code_dir (None: the bare Scrapy crawl):
    its figures, the floor and the reports published."""
    with start_scale_network(n) as net:
        sites = [{**s, "settings": {"DOWNLOAD_DELAY": delay, "RANDOMIZE_DOWNLOAD_DELAY": False,
                                    "AUTOTHROTTLE_ENABLED": False, "CONCURRENT_REQUESTS_PER_DOMAIN": 1}}
                 for s in net.sites]
        with tempfile.TemporaryDirectory(prefix="nianbao-scale-") as d:
            m = run_crawl(code_dir, sites, Path(d)) if code_dir else run_bare(sites, Path(d))
    return {**m, "floor": net.requests_per_site() * delay, "published": net.reports}


def line(label: str, n: int, m: dict) -> str:
    goal = GOALS.get(n)
    head = (f"{label:4} N={n:4}: wall {m['wall']:6.1f} s, floor {m['floor']:.1f} s, ratio {m['wall'] / m['floor']:5.1f}"
            + (f" (goal <= {goal:.0f})" if goal and label == "new" else "") + f", CPU {m['cpu']:5.1f} s")
    if label == "bare":
        return head + f", requests {m['requests']}, report pages fetched {m['reports']}/{m['published']}"
    return head + (f", reports stored {m['reports']}/{m['published']}, peak memory of the tree: "
                   f"PSS {m['pss_mb']:.0f} MB (RSS summed {m['rss_mb']:.0f} MB), exit {m['exit']}")


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--n", type=int, nargs="*", default=[100, 300], help="N for the new code (none: only --old)")
    p.add_argument("--delay", type=float, default=0.5)
    p.add_argument("--old", action="store_true", help="also measure the code at /tmp/nianbao-old (HEAD if missing)")
    p.add_argument("--old-n", type=int, nargs="+", default=[100], help="N for the old code")
    p.add_argument("--repeat", type=int, default=1,
                   help="runs of each; new and old alternate, and the median run of each is printed last")
    p.add_argument("--bare", action="store_true", help="also a bare Scrapy crawl of the same portals, for each N")
    p.add_argument("--bare-child", metavar="SITES", help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.bare_child:
        bare_crawl(args.bare_child)
        return 0
    if args.old:
        ensure_old_worktree()
    configs = ([("new", ROOT, n) for n in args.n] + ([("old", OLD, n) for n in args.old_n] if args.old else [])
               + ([("bare", None, n) for n in args.n] if args.bare else []))
    results: dict[tuple, list[dict]] = {}
    for _ in range(args.repeat):        # alternating, so that a drift of the machine's speed hits both
        for label, code_dir, n in configs:
            m = measure(code_dir, n, args.delay)
            results.setdefault((label, n), []).append(m)
            print(line(label, n, m), flush=True)
    if args.repeat > 1:
        for (label, n), ms in results.items():
            print("median " + line(label, n, sorted(ms, key=lambda m: m["wall"])[len(ms) // 2]), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
