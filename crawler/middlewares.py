"""Downloader middlewares: a redirect loop or a redirect off the site becomes a recorded error, a host
answering with retryable errors gets a growing delay (per-host back-off) before Scrapy's
RetryMiddleware retries, the cookie jar is bounded, and a trickling download is stopped."""
from __future__ import annotations

import ipaddress
import time
from urllib.parse import urljoin, urlsplit

from scrapy import signals
from scrapy.downloadermiddlewares.cookies import CookiesMiddleware
from scrapy.exceptions import IgnoreRequest, NotConfigured, StopDownload
from scrapy.utils.httpobj import urlparse_cached
from tldextract import TLDExtract
from w3lib.url import safe_url_string

from crawler.registry import url_allowed


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


class RedirectGuardMiddleware:
    """A redirect that leaves the site (another host, a metadata or private address, file:// or any
    other scheme) becomes a recorded error with its reason instead of a silent drop or "HTTP 302"."""

    def __init__(self, crawler):
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def process_response(self, request, response, spider=None):
        location = response.headers.get("Location")
        if not (300 <= response.status < 400 and location):
            return response
        target = safe_url_string(urljoin(request.url, location.decode("latin-1")))
        domains = getattr(self.crawler.spider, "allowed_domains", None)
        if not domains or url_allowed(target, domains):
            return response
        parts = urlsplit(target)
        if parts.scheme not in ("http", "https"):
            why = f"redirect to a non-HTTP URL ({parts.scheme}:)"
        elif _special_address(parts.hostname or ""):
            why = "redirect to a private or metadata address"
        else:
            why = "redirect off the site"
        raise IgnoreRequest(f"{why}: {request.url} -> {target}")


def _special_address(host: str) -> bool:
    try:
        ip = ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return host.lower() in ("localhost", "metadata.google.internal")
    return ip.is_private or ip.is_link_local or ip.is_loopback or ip.is_reserved or ip.is_multicast


# The Public Suffix List as shipped inside tldextract: never fetched from the internet.
_OFFLINE_PSL = TLDExtract(suffix_list_urls=(), cache_dir=None, include_psl_private_domains=True)


class BoundedCookiesMiddleware(CookiesMiddleware):
    """Scrapy's cookie handling with a bounded jar and an offline Public Suffix List.

    A site may keep at most NIANBAO_COOKIES_MAX cookies of at most NIANBAO_COOKIES_MAX_BYTES in all
    (names plus values); further new cookies are refused and the first refusal is recorded as an
    error of the site, so the Cookie header stays small enough for the server to accept."""

    def __init__(self, debug=False, *, max_cookies=50, max_bytes=4096):
        super().__init__(debug)
        self.max_cookies, self.max_bytes = max_cookies, max_bytes
        self.refused = False

    @classmethod
    def from_crawler(cls, crawler):
        if not crawler.settings.getbool("COOKIES_ENABLED"):
            raise NotConfigured
        o = cls(crawler.settings.getbool("COOKIES_DEBUG"),
                max_cookies=crawler.settings.getint("NIANBAO_COOKIES_MAX", 50),
                max_bytes=crawler.settings.getint("NIANBAO_COOKIES_MAX_BYTES", 4096))
        o.crawler = crawler
        return o

    def _process_cookies(self, cookies, *, jar, request):
        hostname = urlparse_cached(request).hostname
        if hostname is None:
            return
        held = {(c.domain, c.path, c.name): len(c.name) + len(c.value or "") for c in jar.jar}
        for cookie in cookies:
            domain = cookie.domain.removeprefix(".")
            if domain and not _OFFLINE_PSL(domain).domain:  # a public suffix such as gov.cn
                if domain != hostname.lower():
                    continue
                cookie.domain = hostname.lower()
            key = (cookie.domain, cookie.path, cookie.name)
            size = len(cookie.name) + len(cookie.value or "")
            if key not in held and (len(held) >= self.max_cookies or sum(held.values()) + size > self.max_bytes):
                if not self.refused:
                    self.refused = True
                    request.meta.setdefault("nb_notices", []).append(
                        f"cookie jar full: the site sets more than {self.max_cookies} cookies or "
                        f"{self.max_bytes} bytes of them; further cookies are refused")
                continue
            held[key] = size
            jar.set_cookie_if_ok(cookie, request)


class SlowDownloadMiddleware:
    """Stops a download whose body arrives slower than NIANBAO_MIN_RATE bytes/s once it has run
    NIANBAO_MIN_RATE_GRACE seconds (a trickling server would otherwise hold a slot for
    DOWNLOAD_TIMEOUT × retries); the stop is not retried and is recorded as an error."""

    def __init__(self, min_rate: float, grace: float):
        self.min_rate, self.grace = min_rate, grace
        self.started: dict[int, tuple[float, int]] = {}

    @classmethod
    def from_crawler(cls, crawler):
        o = cls(crawler.settings.getfloat("NIANBAO_MIN_RATE", 1024.0),
                crawler.settings.getfloat("NIANBAO_MIN_RATE_GRACE", 20.0))
        crawler.signals.connect(o.headers_received, signal=signals.headers_received)
        crawler.signals.connect(o.bytes_received, signal=signals.bytes_received)
        crawler.signals.connect(o.done, signal=signals.response_downloaded)
        return o

    def headers_received(self, headers, body_length, request, spider=None):
        self.started[id(request)] = (time.monotonic(), 0)

    def bytes_received(self, data, request, spider=None):
        t0, got = self.started.get(id(request), (time.monotonic(), 0))
        got += len(data)
        self.started[id(request)] = (t0, got)
        elapsed = time.monotonic() - t0
        if elapsed > self.grace and got / elapsed < self.min_rate:
            del self.started[id(request)]
            request.meta["nb_stop_reason"] = (f"download too slow: {got} bytes in {elapsed:.0f} s "
                                              f"(below {self.min_rate:.0f} bytes/s)")
            raise StopDownload(fail=True)

    def done(self, response, request, spider=None):
        self.started.pop(id(request), None)


class NotFetched(IgnoreRequest):
    """A request this run leaves alone on purpose (the site's budget is spent, a listing beyond the site's
    bounds): not an error; a later run fetches it (raised by pipelines.validators)."""
