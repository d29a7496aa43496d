"""Downloader middlewares: a redirect loop becomes a recorded error, and a host answering with
retryable errors gets a growing delay (per-host back-off) before Scrapy's RetryMiddleware retries."""
from __future__ import annotations

from urllib.parse import urljoin

from scrapy.exceptions import IgnoreRequest
from w3lib.url import safe_url_string


class RedirectLoopMiddleware:
    """Scrapy's dupefilter silently drops the second visit of a looping redirect, so the errback never
    runs; placed before RedirectMiddleware sees the response, this raises instead."""

    def process_response(self, request, response, spider=None):
        location = response.headers.get("Location")
        if 300 <= response.status < 400 and location:
            target = safe_url_string(urljoin(request.url, location.decode("latin-1")))
            if target == request.url or target in request.meta.get("redirect_urls", ()):
                raise IgnoreRequest(f"redirect loop: {request.url} -> {target}")
        return response


class RetryBackoffMiddleware:
    """Doubles the host's download delay (at least NIANBAO_BACKOFF_MIN s, at most NIANBAO_BACKOFF_MAX s)
    whenever it answers with a RETRY_HTTP_CODES status, and halves it back towards DOWNLOAD_DELAY
    with each other answer."""

    def __init__(self, crawler):
        self.crawler = crawler
        self.codes = {int(c) for c in crawler.settings.getlist("RETRY_HTTP_CODES")}
        self.low = crawler.settings.getfloat("NIANBAO_BACKOFF_MIN", 1.0)
        self.high = crawler.settings.getfloat("NIANBAO_BACKOFF_MAX", 60.0)
        self.base = crawler.settings.getfloat("DOWNLOAD_DELAY", 0.0)

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def process_response(self, request, response, spider=None):
        downloader = self.crawler.engine.downloader
        slot = downloader.slots.get(downloader.get_slot_key(request))
        if slot is None:
            return response
        if response.status in self.codes:
            slot.delay = min(self.high, max(self.low, slot.delay * 2))
        elif slot.delay > self.base:
            slot.delay = max(self.base, slot.delay / 2)
        return response
