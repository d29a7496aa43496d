"""Crawl throughput and memory: our spider vs a bare Scrapy spider fetching the same documents.

    .venv/bin/python bench/crawl.py [--scale 20] [--rounds 2] [--pipelines]

Starts a simulated network (nianbao.simulator) with at least 2,000 report pages plus attachments
(the JS-only site is left out: it measures Chromium, not the crawler), then runs, each in its own
process with the same politeness settings: (1) our `reports` spider on every site, discovering and
paginating the listings itself; (2) a bare spider given the expected URL list (net.expected) that
only downloads. Prints documents per second and the peak RSS of each crawl process, and the ratio.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SETTINGS = {"DOWNLOAD_DELAY": 0, "AUTOTHROTTLE_ENABLED": False, "CONCURRENT_REQUESTS": 16,
            "CONCURRENT_REQUESTS_PER_DOMAIN": 8, "LOG_LEVEL": "WARNING", "ROBOTSTXT_OBEY": True,
            "DOWNLOAD_MAXSIZE": 20 * 1024 * 1024, "ITEM_PIPELINES": {}, "EXTENSIONS": {},
            "TELNETCONSOLE_ENABLED": False, "NIANBAO_DB": None}


def worker(job: dict) -> None:
    """Run one crawl in this process; print the number of documents fetched as JSON."""
    import scrapy
    from scrapy.crawler import CrawlerProcess
    from scrapy.utils.project import get_project_settings

    settings = get_project_settings()
    settings.setdict({**SETTINGS, **job.get("settings", {})}, priority="cmdline")
    settings.set("LOG_INSTALL_ROOT_HANDLER", False, priority="cmdline")
    process = CrawlerProcess(settings)
    crawlers = []
    if job["mode"] == "ours":
        # not loaded by a bare crawl, whose peak RSS is measured
        from crawler.spiders.reports import ReportsSpider  # lazy: RSS
        for site in job["sites"]:
            c = process.create_crawler(ReportsSpider)
            process.crawl(c, site=site)
            crawlers.append(c)
    else:
        class Bare(scrapy.Spider):
            name = "bare"

            async def start(self):
                for url in job["urls"]:
                    yield scrapy.Request(url, callback=self.parse, errback=self.failed)

            def parse(self, response):
                self.crawler.stats.inc_value("nianbao/documents/page")

            def failed(self, failure):
                pass
        c = process.create_crawler(Bare)
        process.crawl(c)
        crawlers.append(c)
    process.start()
    docs = sum(c.stats.get_value("nianbao/documents/page", 0) + c.stats.get_value("nianbao/documents/attachment", 0)
               for c in crawlers)
    requests = sum(c.stats.get_value("downloader/request_count", 0) for c in crawlers)
    slowest = {_label(c.spider): round(c.stats.get_value("elapsed_time_seconds", 0), 1) for c in crawlers}
    print(json.dumps({"documents": docs, "requests": requests, "per_crawler_seconds": slowest}))


def _label(spider) -> str:
    """A crawler in the figures: our spider by its site id, the bare one by its name."""
    return str(getattr(spider, "site_id", None) or getattr(spider, "name", "?"))


def measure(job: dict) -> dict:
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
        json.dump(job, f, ensure_ascii=False)
    env = {**os.environ, "SCRAPY_SETTINGS_MODULE": "crawler.settings", "PYTHONPATH": str(ROOT)}
    start = time.monotonic()
    proc = subprocess.Popen([sys.executable, __file__, "--worker", f.name], stdout=subprocess.PIPE, env=env,
                            cwd=ROOT)
    assert proc.stdout is not None            # stdout=PIPE
    out = proc.stdout.read()
    _, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.monotonic() - start
    os.unlink(f.name)
    if status != 0:
        raise SystemExit(f"{job['mode']} crawl failed with status {status}")
    result = json.loads(out.decode().strip().splitlines()[-1])
    # the rate counts crawl time (the slowest spider's engine time), not interpreter start-up
    crawl_seconds = max(result["per_crawler_seconds"].values())
    return {**result, "seconds": crawl_seconds, "wall": elapsed, "rss_mb": usage.ru_maxrss / 1024}


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--scale", type=float, default=20.0)
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--pipelines", action="store_true", help="our crawl also runs the storage pipelines")
    p.add_argument("--worker", help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.worker:
        worker(json.loads(Path(args.worker).read_text(encoding="utf-8")))
        return 0

    sys.path.insert(0, str(ROOT))
    # the simulator and the settings stay out of the crawl processes, whose peak RSS is measured
    from nianbao.simulator import FAMILIES, start_network  # lazy: RSS

    t = time.monotonic()
    net = start_network(seed=0, scale=args.scale, families=[f for f in FAMILIES if f != "jsonly"])
    try:
        urls = sorted(u for s in net.expected.values() for u in s)
        pages = sum(1 for u in urls if u.rsplit(".", 1)[-1].lower() not in ("pdf", "doc", "docx", "wps", "xls")
                    and "downfile" not in u and "/attachment/" not in u)
        print(f"network: {len(net.sites)} sites, {len(urls)} expected documents (~{pages} report pages), "
              f"built in {time.monotonic() - t:.0f} s")
        ours_settings = {}
        if args.pipelines:
            from crawler import settings as project  # lazy: RSS
            d = tempfile.mkdtemp(prefix="nianbao-bench-")
            ours_settings = {"ITEM_PIPELINES": project.ITEM_PIPELINES, "EXTENSIONS": project.EXTENSIONS,
                             "NIANBAO_DB": f"sqlite:///{d}/bench.sqlite", "NIANBAO_DATA_DIR": d}
        best: dict[str, dict] = {}
        for r in range(args.rounds):
            for mode in ("bare", "ours"):
                job = ({"mode": "bare", "urls": urls} if mode == "bare"
                       else {"mode": "ours", "sites": net.sites, "settings": ours_settings})
                m = measure(job)
                m["rate"] = m["documents"] / m["seconds"]
                print(f"round {r + 1} {mode:4}: {m['documents']} documents, {m['requests']} requests, "
                      f"{m['seconds']:.1f} s crawling ({m['wall']:.1f} s with start-up), {m['rate']:.0f} documents/s, "
                      f"peak RSS {m['rss_mb']:.0f} MB; "
                      f"seconds per spider {m['per_crawler_seconds']}")
                if mode not in best or m["rate"] > best[mode]["rate"]:
                    best[mode] = m
        ratio = best["ours"]["rate"] / best["bare"]["rate"]
        print(f"best: ours {best['ours']['rate']:.0f}/s vs bare {best['bare']['rate']:.0f}/s = {ratio:.0%} "
              f"(goal >= 70%); peak RSS ours {best['ours']['rss_mb']:.0f} MB (goal < 500 MB)")
        missing = len(urls) - best["ours"]["documents"]
        if missing:
            print(f"note: our crawl fetched {missing} fewer documents than expected (errors on purpose: "
                  f"{len(net.errors)})")
    finally:
        net.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
