"""Which running sites still fetch: a site whose documents only wait to be parsed and stored frees its place."""
from __future__ import annotations

from collections.abc import Mapping

from scrapy.crawler import Crawler


def fetching(crawler: Crawler) -> bool:
    """Whether the site has start requests not yet sent, requests queued or downloading, or answers
    waiting for their callback or in it (which may yield more requests). Its items in the item
    pipeline (parsed and stored in the parse workers) do not count: they load no portal.

    Reads Scrapy's engine state (ExecutionEngine._start and _slot have no public accessor); anything
    missing counts as fetching, as does a crawler whose engine is not open yet."""
    engine = crawler.engine
    slot = getattr(engine, "_slot", None)
    scraper = getattr(getattr(engine, "scraper", None), "slot", None)
    if engine is None or slot is None or scraper is None or getattr(engine, "_start", True) is not None:
        return True
    if engine.downloader.active or slot.scheduler.has_pending_requests() or scraper.queue:
        return True
    # each answer being scraped holds its items in the pipeline; one holding none is in its callback
    return len(scraper.active) > scraper.itemproc_size


class Draining:
    """The running sites seen not fetching at two looks in a row: between an answer's download and
    its callback's requests there are moments when one look would see nothing to fetch."""

    def __init__(self) -> None:
        self.sites: set[str] = set()
        self._seen: set[str] = set()

    def look(self, crawlers: Mapping[str, Crawler]) -> None:
        idle = {sid for sid, c in crawlers.items() if not fetching(c)}
        self.sites, self._seen = idle & self._seen, idle

    def busy(self, crawlers: Mapping[str, Crawler]) -> int:
        """How many of the running sites still fetch (or have not been seen not to twice)."""
        return len(crawlers.keys() - self.sites)
