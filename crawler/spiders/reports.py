"""The generic `reports` spider: discover 年报 columns, walk their listings with the sniffed CMS
strategy, download each report page and its attachments, record every failed fetch."""
from __future__ import annotations

import re
from datetime import UTC, datetime
from urllib.parse import parse_qs, urlsplit

import scrapy
from scrapy.exceptions import IgnoreRequest, StopDownload
from scrapy.http import TextResponse
from scrapy.spidermiddlewares.httperror import HttpError
from scrapy_playwright.page import PageMethod

from crawler import discover, registry, strategies
from crawler.classify import (
    LISTING_MAX_CHARS,
    classify,
    is_column_title,
    is_listing_page,
    own_chars,
    own_chars_at_least,
)
from crawler.encoding import fix_encoding
from crawler.errorkinds import error_kind
from crawler.files import challenge_reason, safe_filename, sniff_media
from crawler.items import CrawlErrorItem, DocumentItem
from crawler.middlewares import NotFetched
from crawler.strategies import paging
from crawler.strategies.links import Link, anchors
from parsers.media import DOCUMENT_TYPES, LINK_EXTS

_ATTACH_EXT = re.compile(rf"\.({'|'.join(LINK_EXTS)})(\?|#|$)", re.I)
_ATTACH_HINT = re.compile(r"downfile|download|attach|getfile|filedown", re.I)
_ATTACH_TEXT = re.compile(rf"附件|\.({'|'.join(LINK_EXTS)})\s*$", re.I)
# a cheap test on the raw bytes before parsing a report page for attachment links
_ATTACH_TOKENS = (*(f".{e}".encode() for e in LINK_EXTS), b"downfile", b"download", b"attach", b"getfile", b"filedown")
_CHALLENGE_MAX = 8192  # firewall/JS-challenge pages are small; larger HTML pages are not checked
_HEADERS = ("content-type", "content-disposition", "etag", "last-modified")
MAX_DEPTH = 6  # listing levels below a start page: column, group, agency, year folders, pages


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def apply_site_settings(settings, site: dict) -> None:
    """Per-site overrides, at "spider" priority: robots, TLS, rendering, then the entry's `settings:`."""
    settings.set("ROBOTSTXT_OBEY", site["robots_obey"], priority="spider")
    settings.set("DOWNLOAD_VERIFY_CERTIFICATES", site["tls_verify"], priority="spider")
    if site["render"]:
        settings.set("DOWNLOAD_HANDLERS", dict(settings.getdict("PLAYWRIGHT_HANDLERS")), priority="spider")
    for key, value in site["settings"].items():
        settings.set(key, value, priority="spider")


class ReportsSpider(scrapy.Spider):
    name = "reports"

    def __init__(self, site=None, sites=None, **kwargs):
        super().__init__(**kwargs)
        if isinstance(site, dict):
            self.site = registry.validate_entry(site, f"<site {site.get('id')}>")
        elif isinstance(site, str):
            self.site = registry.get_site(site, [sites] if sites else [])
        else:
            raise ValueError("the reports spider needs a site: -a site=ID (or a registry dict)")
        self.site_id = self.site["id"]
        self.allowed_domains = list(self.site["allowed_domains"])
        self.start_urls = list(self.site["start_urls"])

    @classmethod
    def from_crawler(cls, crawler, *args, **kwargs):
        spider = super().from_crawler(crawler, *args, **kwargs)
        apply_site_settings(crawler.settings, spider.site)
        return spider

    # ---- hooks for a site with quirks (a registry entry's `spider: module:Class` subclasses this) ----

    def keep_link(self, link: Link, kind: str) -> bool:
        """Whether to act on a listing link that classify() called `kind` ("report", "companion",
        "unrelated"); a subclass drops a portal's decoys or lets an odd title through here."""
        return True

    def process_item(self, item):
        """Last look at each DocumentItem/CrawlErrorItem before it leaves the spider."""
        return item

    # ---- requests ------------------------------------------------------------------------------

    def _allowed(self, url: str) -> bool:
        return registry.url_allowed(url, self.allowed_domains)

    def _listing(self, url_or_request, *, root, depth=0, strategy=None, **meta):
        req = url_or_request if isinstance(url_or_request, scrapy.Request) else scrapy.Request(url_or_request)
        meta = {**req.meta, "nb_root": root, "nb_depth": depth, **meta}
        if strategy:
            meta["nb_strategy"] = strategy
        if self.site["render"] and req.method == "GET" and not meta.get("nb_strategy"):
            # the page's own scripts fetch the listing after the load event: wait until the
            # network has been idle (no request for 500 ms) before taking the rendered HTML
            meta["playwright"] = True
            meta["playwright_page_methods"] = [PageMethod("wait_for_load_state", "networkidle")]
        return req.replace(callback=self.parse_listing, errback=self.on_error, meta=meta)

    def _document(self, url, callback, **meta):
        # conditional requests (If-None-Match, If-Modified-Since) are added by the storage side's
        # downloader middleware (pipelines.validators), which knows what is stored
        return scrapy.Request(url, callback=callback, errback=self.on_error, meta=meta)

    async def start(self):
        for url in self.start_urls:
            root = None if discover.is_home(url) else discover.column_root(url)
            yield self._listing(url, root=root)

    # ---- listings ------------------------------------------------------------------------------

    def parse_listing(self, response):
        if response.status == 304:  # unchanged since the last run: its known links are asked again instead
            return
        response = fix_encoding(response)
        yield from self._notices(response)
        reason = challenge_reason(response.body, response.status) if len(response.body) < _CHALLENGE_MAX else None
        if reason:
            yield self._error(response.url, reason, response.status, response.meta.get("nb_listing"))
            return
        name = response.meta.get("nb_strategy") or self.site.get("strategy") or strategies.sniff(response)
        strategy = strategies.STRATEGIES[name]
        self.crawler.stats.inc_value(f"nianbao/listing/{name}")
        root, depth = response.meta.get("nb_root"), response.meta.get("nb_depth", 0)
        for link in strategy.links(response):
            if not self._allowed(link.url):
                self.crawler.stats.inc_value("nianbao/links/offsite")
                continue
            kind = classify(link.title, link.url, in_column=root is not None)
            if not self.keep_link(link, kind):
                continue
            if kind == "report":
                self.crawler.stats.inc_value("nianbao/links/report")
                yield self._document(link.url, self.parse_report, nb_listing=response.url,
                                     nb_title=link.title, nb_text=link.text, nb_root=root, nb_depth=depth)
                continue
            if kind == "companion":
                self.crawler.stats.inc_value("nianbao/links/companion")
                continue
            follow = discover.follow(link, root=root)
            if follow and depth < MAX_DEPTH and (follow[0] != "hub" or depth < 2):
                yield self._listing(link.url, root=follow[1], depth=depth + 1)
        for req in strategy.pages(response):
            if self._allowed(req.url):
                yield self._listing(req, root=root, depth=depth, strategy=req.meta.get("nb_strategy"))
        for url in paging.iframe_shell(response):
            yield self._listing(url, root=root, depth=depth)

    def _is_listing(self, response) -> bool:
        """A page fetched as a report that is a listing: a year or group folder titled like a report."""
        enough = 2 * LISTING_MAX_CHARS  # a report's text of its own, seen without parsing the page (twice the bound)
        if not isinstance(response, TextResponse) or own_chars_at_least(response.text, enough) >= enough:
            return False
        if response.selector.type != "html":
            return False
        own = own_chars(response.selector.root)
        if own >= LISTING_MAX_CHARS:
            return False
        reports = {link.url for link in anchors(response.selector, response.url, response.urljoin)
                   if link.url != response.url and not _ATTACH_EXT.search(urlsplit(link.url).path)
                   and classify(link.title, link.url, in_column=True) == "report"}
        return is_listing_page(len(reports), own, paged=strategies.sniff(response) != "paging",
                               column_title=is_column_title(response.meta.get("nb_title")))

    # ---- documents -----------------------------------------------------------------------------

    def _item(self, response, kind, **fields):
        headers = {h: response.headers.get(h).decode("latin-1") for h in _HEADERS if response.headers.get(h)}
        meta = response.meta
        return self.process_item(DocumentItem(
            url=self._linked_url(response), final_url=response.url, site=self.site_id,
            site_region=self.site["region"], kind=kind, listing_url=meta.get("nb_listing"),
            listing_title=meta.get("nb_title"), link_text=meta.get("nb_text"), status=response.status,
            headers=headers, filename=safe_filename(response.headers.get("Content-Disposition"), response.url),
            fetched_at=now(), **fields))

    @staticmethod
    def _linked_url(response) -> str:
        """The URL as linked, before any redirect (the ground truth and the dataset key)."""
        return (response.meta.get("redirect_urls") or [response.url])[0]

    def _error(self, url, error, status=None, referer=None):
        stats = self.crawler.stats
        stats.inc_value("nianbao/errors")
        kind = error_kind(error, status)
        stats.inc_value(f"nianbao/error_kind/{kind}")
        if stats.get_value(f"nianbao/first_error/{kind}") is None:  # the reason a site's health names
            stats.set_value(f"nianbao/first_error/{kind}", f"{error} ({url})")
        return self.process_item(CrawlErrorItem(site=self.site_id, url=url, status=status, error=error,
                                                referer=referer, fetched_at=now()))

    def _notices(self, response):
        """Error items for what a downloader middleware bounded on the way (meta["nb_notices"])."""
        for reason in response.meta.pop("nb_notices", ()):
            yield self._error(response.url, reason, response.status, response.meta.get("nb_listing"))

    def parse_report(self, response):
        yield from self._notices(response)
        if response.status == 304:
            yield self._item(response, "page", body=None, media_type=None)
            return
        media = sniff_media(response.body)
        if media in DOCUMENT_TYPES:  # the listing linked the file itself
            yield self._item(response, "attachment", body=response.body, media_type=media)
            return
        reason = challenge_reason(response.body, response.status) if len(response.body) < _CHALLENGE_MAX else None
        if reason or media not in ("text/html", "application/xhtml+xml", None):
            yield self._error(self._linked_url(response), reason or f"not a report page: {media}", response.status,
                              response.meta.get("nb_listing"))
            return
        # a copy reads the page: its parse tree (ten times the page's bytes) goes when this callback
        # ends, not when the scraper lets go of the response, after the document is stored
        page = fix_encoding(response)
        page = response.replace() if page is response else page
        if self._is_listing(page):  # never stored as a report: walked as the listing it is
            self.crawler.stats.inc_value("nianbao/links/listing_titled_as_report")
            depth = page.meta.get("nb_depth", 0) + 1
            if depth <= MAX_DEPTH:
                root = page.meta.get("nb_root") or discover.column_root(page.url)
                yield from self.parse_listing(page.replace(
                    request=page.request.replace(meta={**page.meta, "nb_root": root, "nb_depth": depth})))
            return
        yield self._item(response, "page", body=response.body, media_type=media or "text/html")
        self.crawler.stats.inc_value("nianbao/documents/page")
        low = response.body.lower()
        if not any(token in low for token in _ATTACH_TOKENS):
            return
        for link in attachment_links(page):
            if self._allowed(link.url):
                yield self._document(link.url, self.parse_attachment, nb_listing=response.meta.get("nb_listing"),
                                     nb_title=response.meta.get("nb_title"), nb_text=link.text,
                                     nb_parent=response.url)

    def parse_attachment(self, response):
        yield from self._notices(response)
        meta = response.meta
        if response.status == 304:
            yield self._item(response, "attachment", parent_url=meta.get("nb_parent"), body=None, media_type=None)
            return
        media = sniff_media(response.body)
        if media not in DOCUMENT_TYPES:
            reason = challenge_reason(response.body, response.status) or f"not a document: {media or 'unknown bytes'}"
            yield self._error(self._linked_url(response), reason, response.status, meta.get("nb_parent"))
            return
        self.crawler.stats.inc_value("nianbao/documents/attachment")
        yield self._item(response, "attachment", parent_url=meta.get("nb_parent"), body=response.body,
                         media_type=media)

    # ---- errors --------------------------------------------------------------------------------

    def on_error(self, failure):
        if failure.check(NotFetched):  # left for a later run on purpose: not an error
            return
        request = failure.request
        for reason in request.meta.pop("nb_notices", ()):
            yield self._error(request.url, reason, None, request.meta.get("nb_listing"))
        status = None
        if failure.check(HttpError):
            status = failure.value.response.status
            retries = request.meta.get("retry_times")
            error = f"HTTP {status}" + (f" after {retries} retries" if retries else "")
            reason = challenge_reason(failure.value.response.body, status)
            if reason:
                error = reason
        elif failure.check(IgnoreRequest):
            error = f"ignored: {failure.value}"
        elif failure.check(StopDownload):
            error = request.meta.get("nb_stop_reason") or "download stopped"
        else:
            error = f"{type(failure.value).__name__}: {failure.value}"
        error = " ".join(str(error).split())[:300]
        yield self._error((request.meta.get("redirect_urls") or [request.url])[0], error, status,
                          request.meta.get("nb_parent") or request.meta.get("nb_listing"))


def attachment_links(response) -> list[Link]:
    """Document links on a report page: <a>, onclick, iframe/embed/object, and PDF-viewer ?file=."""
    found: dict[str, Link] = {}
    for link in anchors(response.selector, response.url, response.urljoin):
        path = urlsplit(link.url).path
        if _ATTACH_EXT.search(path) or (_ATTACH_HINT.search(link.url) and
                                        (_ATTACH_EXT.search(link.url) or _ATTACH_TEXT.search(link.text))):
            found.setdefault(link.url, link)
    for src in response.xpath("//iframe/@src | //embed/@src | //object/@data").getall():
        url = response.urljoin(src.strip())
        if _ATTACH_EXT.search(url) or _ATTACH_HINT.search(url):
            found.setdefault(url, Link(url, "", ""))
    for url in list(found):
        files = parse_qs(urlsplit(url).query).get("file")
        if files and "viewer" in url.lower():
            real = response.urljoin(files[0])
            found[real] = found.pop(url)._replace(url=real)
    return list(found.values())

