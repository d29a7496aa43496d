"""Many sites in one Scrapy process: a crawler per site, at most `running` fetching at once, JSON events.

    python -m crawler.engine JOB.json      # JOB: {"sites": [...], "settings": {...}, "run_dir": ..., "running": N}

Each site is its own Crawler (its own settings, download slots, CLOSESPIDER_TIMEOUT budget, stats),
so politeness, budget and health stay per site while hundreds of sites progress side by side in one
reactor. At most `running` sites fetch at once: a site with nothing left to fetch, whose documents
only wait for the parse workers, lets the next queued site start (at most `running` / 2 such sites,
which bounds the memory their documents hold). Events go to standard output, one JSON object per
line: {"event": "site_start"|"site_end"|"error"|"progress", "site": …, …}; Scrapy's log goes to
RUN_DIR/crawl.log. SIGTERM or SIGINT closes the running sites cleanly and starts no more.
The render sites share one Chromium (crawler.browser), started with the first of them and closed
after the last; its own output goes to RUN_DIR/chromium-PID.log.
"""
from __future__ import annotations

import json
import logging
import os
import signal
import sys
import time
from pathlib import Path

from scrapy import signals
from scrapy.crawler import Crawler, CrawlerProcess
from scrapy.utils.project import get_project_settings

from crawler import hygiene
from crawler.browser import SharedBrowser
from crawler.fetching import Draining
from crawler.items import CrawlErrorItem
from crawler.registry import spider_class

PROGRESS_EVERY = 2.0  # seconds between "progress" events
LOOK_EVERY = 0.25     # seconds between looks at which running sites still fetch
EXIT_STOPPED = 3      # the engine's exit code when SIGTERM/SIGINT stopped it (1 is a crash)


def summary(stats: dict) -> dict:
    """The per-site counts shown to the user and recorded by the coordinator (one definition of each)."""
    return {
        "finish_reason": stats.get("finish_reason"),
        "listings": sum(v for k, v in stats.items() if k.startswith("nianbao/listing/")),
        # report links on the listings parsed, plus those known from the listings that did not change
        "reports_linked": stats.get("nianbao/links/report", 0) + stats.get("nianbao/links/known_report", 0),
        "companions_skipped": stats.get("nianbao/links/companion", 0),
        "pages": stats.get("nianbao/documents/page", 0),
        "attachments": stats.get("nianbao/documents/attachment", 0),
        "new_reports": stats.get("nianbao/new_report", 0),
        # failed fetches (each recorded in fetch_errors) and documents that could not be parsed
        "errors": stats.get("nianbao/errors", 0) + stats.get("nianbao/parse_error", 0),
        # the same by kind: crawler.errorkinds.KINDS
        "errors_by_kind": {**{k[len("nianbao/error_kind/"):]: v for k, v in stats.items()
                              if k.startswith("nianbao/error_kind/")},
                           **({"parse": stats["nianbao/parse_error"]} if stats.get("nianbao/parse_error") else {})},
        # incremental nights (pipelines.validators): full downloads from the network, answers that
        # showed no change (304, or the same bytes as last time), documents not due, requests left
        # for a later run by the site's budget
        "downloads": stats.get("nianbao/fetch/full", 0),
        "unchanged": stats.get("nianbao/documents/unchanged", 0),   # documents answering 304, or the same bytes
        "not_due": stats.get("nianbao/fetch/not_due", 0),
        "deferred": stats.get("nianbao/bounds/deferred", 0),
        "changed": stats.get("nianbao/documents/changed", 0),   # documents fetched again, with other bytes
        "raw_files_not_stored": stats.get("nianbao/raw_store_errors", 0),   # their sources cannot be re-parsed
        "requests": stats.get("downloader/request_count", 0),
        "elapsed": round(stats.get("elapsed_time_seconds", 0.0), 1),
    }


class Engine(CrawlerProcess):
    """A CrawlerProcess that feeds sites from a queue into at most `running` crawlers at once."""

    def __init__(self, settings, sites: list[dict], *, running: int, run_dir: Path, emit):
        super().__init__(settings)
        self.queue = list(sites)
        self.running_max = max(1, running)
        self.active: dict[str, Crawler] = {}
        self.draining = Draining()          # the active sites that only store what they fetched
        self.run_dir = run_dir
        self.emit = emit
        self.stopping = False
        # one Chromium for all the render sites of this process, launched when the first one starts
        self.browser = SharedBrowser(self.settings.getdict("PLAYWRIGHT_LAUNCH_OPTIONS"),
                                     run_dir / f"chromium-{os.getpid()}.log")
        self.rendering: set[str] = set()   # the running render sites

    def _signal_shutdown(self, signum, frame):
        self.stopping = True          # no new site starts; the running ones close cleanly
        super()._signal_shutdown(signum, frame)

    def fill(self) -> None:
        while (self.queue and not self.stopping and self.draining.busy(self.active) < self.running_max
               and len(self.active) < self.running_max + max(1, self.running_max // 2)):
            self.start_site(self.queue.pop(0))

    def look(self) -> None:
        self.draining.look(self.active)
        self.fill()

    def start_site(self, site: dict) -> None:
        crawler = self.create_crawler(spider_class(site))  # the entry's `spider: module:Class`, if any
        # each crawler reinstalls Scrapy's root handler and lets the root logger pass every level: a
        # DEBUG record ("Crawled (200)", two per request) would be made, then dropped by each handler
        logging.root.setLevel(crawler.settings.get("LOG_LEVEL"))
        sid = site["id"]
        if site.get("render"):
            self.rendering.add(sid)
            if url := self.browser.endpoint():
                # its scrapy-playwright handler connects to the shared browser, in a context of its own
                crawler.settings.setdict({"PLAYWRIGHT_CDP_URL": url, "PLAYWRIGHT_LAUNCH_OPTIONS": {}},
                                         priority="cmdline")
        self.active[sid] = crawler
        crawler.signals.connect(lambda item, **_: self._item(sid, item), signal=signals.item_scraped, weak=False)
        crawler.signals.connect(lambda item, **_: self._item(sid, item), signal=signals.item_dropped, weak=False)
        self.emit({"event": "site_start", "site": sid})
        d = self.crawl(crawler, site=site)
        d.addBoth(self._site_done, sid, crawler)

    def _item(self, sid: str, item) -> None:
        if isinstance(item, CrawlErrorItem):
            self.emit({"event": "error", "site": sid, "url": item.get("url"), "status": item.get("status"),
                       "error": item.get("error")})

    def _site_done(self, result, sid: str, crawler) -> None:
        del self.active[sid]
        self.rendering.discard(sid)
        stats = dict(crawler.stats.get_stats()) if crawler.stats else {}
        (self.run_dir / f"{sid}.stats.json").write_text(json.dumps(stats, default=str), encoding="utf-8")
        event = {"event": "site_end", "site": sid, **summary(stats)}
        if hasattr(result, "getErrorMessage"):           # the crawler itself failed (not a fetch)
            event["error"] = " ".join(result.getErrorMessage().split())[:300]
            event["finish_reason"] = event["finish_reason"] or "crawler_error"
        self.emit(event)
        self.fill()
        if not self.rendering and not any(s.get("render") for s in self.queue):
            self.browser.close()      # no render site left: no idle browser for the rest of the run
        if not self.active and (not self.queue or self.stopping):
            self._stop_reactor()

    def progress(self) -> None:
        docs = sum((c.stats.get_value("nianbao/documents/page", 0)
                    + c.stats.get_value("nianbao/documents/attachment", 0))
                   for c in self.active.values() if c.stats)
        self.emit({"event": "progress", "running": len(self.active), "queued": len(self.queue),
                   "documents_running": docs})


def run_job(job: dict, out=sys.stdout) -> int:
    """Crawl job["sites"] with job["settings"] above the project's; returns 0, or EXIT_STOPPED."""
    from twisted.internet import task

    def emit(event: dict) -> None:
        out.write(json.dumps({**event, "t": round(time.time(), 3)}, ensure_ascii=False, default=str) + "\n")
        out.flush()

    run_dir = Path(job["run_dir"])
    settings = get_project_settings()
    settings.setdict({"LOG_FILE": str(run_dir / job.get("log", "crawl.log")), **job.get("settings", {})},
                     priority="cmdline")
    engine = Engine(settings, job["sites"], running=job.get("running", 64), run_dir=run_dir, emit=emit)
    # each site's start-up listings (settings, components) and stats dump would bury the log's
    # warnings under hundreds of sites (and every record visits each crawler's log counter); the
    # stats are in RUN_DIR/<site>.stats.json
    for name in ("scrapy.middleware", "scrapy.crawler", "scrapy.statscollectors", "scrapy.addons"):
        logging.getLogger(name).setLevel(logging.WARNING)
    engine.fill()
    if not engine.active:
        return 0
    task.LoopingCall(engine.progress).start(PROGRESS_EVERY, now=False)
    task.LoopingCall(engine.look).start(LOOK_EVERY, now=False)
    try:
        engine.start(stop_after_crawl=False)
    finally:
        engine.browser.close()
    return EXIT_STOPPED if engine.stopping else 0


def main(job_path: str) -> int:
    job = json.loads(Path(job_path).read_text(encoding="utf-8"))
    hygiene.die_with_parent(parent=job.get("parent"))
    signal.signal(signal.SIGINT, signal.SIG_IGN)   # the coordinator forwards Ctrl-C as one SIGTERM
    return run_job(job)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
