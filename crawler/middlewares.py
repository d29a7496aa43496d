"""Downloader middleware that turns a redirect loop into a recorded error.

Scrapy's dupefilter silently drops the second visit of a looping redirect, so the errback never runs;
this middleware (placed before RedirectMiddleware sees the response) raises instead.
"""
from __future__ import annotations

from urllib.parse import urljoin

from scrapy.exceptions import IgnoreRequest
from w3lib.url import safe_url_string


class RedirectLoopMiddleware:
    def process_response(self, request, response, spider=None):
        location = response.headers.get("Location")
        if 300 <= response.status < 400 and location:
            target = safe_url_string(urljoin(request.url, location.decode("latin-1")))
            if target == request.url or target in request.meta.get("redirect_urls", ()):
                raise IgnoreRequest(f"redirect loop: {request.url} -> {target}")
        return response
