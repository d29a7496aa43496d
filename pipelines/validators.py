"""Incremental nights: conditional requests, due re-checks and content hashes, the known links of an
unchanged page, retries of failed fetches and per-site bounds, as a downloader and a spider middleware.

What each URL answered last is kept in url_states (one row per site and request fingerprint):
- a URL with validators (ETag, Last-Modified) is asked conditionally; a 304 is not parsed;
- a document without validators is asked again only when due (NIANBAO_RECHECK_DAYS after its last
  check); a listing without validators is fetched every night, and the same bytes (sha256) as last time
  count as unchanged: the response reaches the spider as a 304;
- a fetched document's row travels with it and is written in the document's own transaction
  (pipelines.document), so a crawl killed at any moment never remembers a document the dataset lacks;
- an unchanged page is not parsed: the requests it led to when last parsed are made again instead
  (listings always, documents when due, failed, never fetched or carrying validators);
- a failed fetch keeps when and why (failed_at, error, failures) and is asked again on the next night;
- NIANBAO_MAX_REQUESTS (network requests per site and run), NIANBAO_MAX_LISTINGS (listing pages) and
  NIANBAO_MAX_DEPTH (listing levels) bound a night; what is left is raised as crawler.middlewares.NotFetched
  and fetched on a later night, so a site bigger than its budget completes over several nights;
- NIANBAO_FULL (`nianbao crawl --full`) asks everything unconditionally and parses everything.
"""
from __future__ import annotations

import hashlib
import logging
import weakref
from datetime import timedelta

from scrapy import Request, signals
from scrapy.http import Response
from sqlalchemy import select
from sqlalchemy.exc import DBAPIError

from crawler.items import CrawlErrorItem, DocumentItem
from crawler.middlewares import NotFetched
from pipelines import engines
from pipelines.db import DatabaseError, one_line, open_db, upsert, utcnow, writer
from pipelines.db.models import Source, UrlState
from pipelines.runstats import site_id
from pipelines.settings import db_url

logger = logging.getLogger(__name__)

LISTING, DOCUMENT = "listing", "document"
SKIP_HEADER = "X-Nianbao-Not-Due"   # marks the 304 this middleware answers itself for a document not due
FLUSH_EVERY = 500                   # changed rows written per transaction while the crawl runs
_ROLES = {"parse_listing": LISTING, "parse_report": DOCUMENT, "parse_attachment": DOCUMENT}
_COLUMNS = ("url", "role", "etag", "last_modified", "sha256", "checked_at", "changed_at", "failed_at", "error",
            "failures", "links")
_STATES: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def load_validators(db_url: str, site_id: str) -> dict[str, dict[str, str | None]]:
    """{url: {"etag", "last_modified"}} of the site's documents, from the latest sighting of each URL
    that carried a validator. A 304 answer to such a request only moves the source's last_seen."""
    engine = open_db(db_url)
    try:
        with engine.connect() as conn:
            return _validators(conn, site_id)
    finally:
        engine.dispose()


def _validators(conn, site_id: str) -> dict[str, dict[str, str | None]]:
    rows = conn.execute(
        select(Source.url, Source.etag, Source.last_modified)
        .where(Source.site == site_id, Source.path.is_not(None),
               (Source.etag.is_not(None)) | (Source.last_modified.is_not(None)))
        .order_by(Source.url, Source.last_seen, Source.id)).all()
    return {r.url: {"etag": r.etag, "last_modified": r.last_modified} for r in rows}   # the last sighting wins


def role(request) -> str | None:
    """"listing" or "document" by the spider callback the request goes to; None for anything else."""
    return _ROLES.get(getattr(request.callback, "__name__", ""))


class UrlStates:
    """One crawler's view of url_states, shared by its downloader and spider middlewares."""

    def __init__(self, crawler):
        s = crawler.settings
        self.crawler = crawler
        self.stats = crawler.stats
        self.db_url = db_url(s)
        self.full = s.getbool("NIANBAO_FULL")
        self.recheck = timedelta(days=s.getfloat("NIANBAO_RECHECK_DAYS", 30.0))
        self.max_requests = s.getint("NIANBAO_MAX_REQUESTS", 0)
        self.max_listings = s.getint("NIANBAO_MAX_LISTINGS", 0)
        self.max_depth = s.getint("NIANBAO_MAX_DEPTH", 0)
        self.site = None
        self.engine = None
        self.known: dict[str, dict] = {}
        self.validators: dict[str, dict] = {}   # documents stored before url_states existed
        self.dirty: set[str] = set()
        self.pending: set[str] = set()          # documents whose row is written with the document itself
        self.fetched = self.listings = 0
        crawler.signals.connect(self.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(self.spider_closed, signal=signals.spider_closed)
        crawler.signals.connect(self.item_scraped, signal=signals.item_scraped)

    @classmethod
    def of(cls, crawler) -> UrlStates:
        if crawler not in _STATES:
            _STATES[crawler] = cls(crawler)
        return _STATES[crawler]

    # ---- loading and saving ----------------------------------------------------------------------

    def spider_opened(self, spider):
        self.site = site_id(spider)
        try:
            self.engine = engines.acquire(self.db_url)
            with self.engine.connect() as conn:
                rows = conn.execute(select(UrlState.__table__).where(UrlState.site == self.site)).all()
                # a document whose latest sighting was stored without its raw file is fetched again in full
                latest = dict(conn.execute(select(Source.url, Source.path).where(Source.site == self.site)
                                           .order_by(Source.last_seen, Source.id)).all())
                self.validators = _validators(conn, self.site)
            self.known = {r.key: {c: getattr(r, c) for c in _COLUMNS} for r in rows
                          if not (r.role == DOCUMENT and r.url in latest and latest[r.url] is None)}
        except (DBAPIError, DatabaseError) as e:   # crawl everything; nothing is remembered this time
            logger.warning("nianbao: no URL states for %s: %s", self.site, one_line(e))
            if self.engine is not None:
                engines.release(self.db_url)
            self.engine = None

    def spider_closed(self, spider, reason=None):
        self.flush()
        if self.engine is not None:
            engines.release(self.db_url)
            self.engine = None

    def save(self, key: str, state: dict) -> None:
        self.known[key] = state
        if key in self.pending:
            return
        self.dirty.add(key)
        if len(self.dirty) >= FLUSH_EVERY:
            self.flush()

    def item_scraped(self, item, **_):
        """A document through the item pipelines whose row no pipeline wrote (pipelines.store writes it
        with the document, then clears it): remembered as usual."""
        row = item.get("url_state") if isinstance(item, DocumentItem) else None
        if row and row["key"] in self.known:
            self.save(row["key"], self.known[row["key"]])

    def row(self, key: str) -> dict:
        """The url_states row of a key."""
        row = {"site": self.site, "key": key, **{c: self.known[key].get(c) for c in _COLUMNS}}
        row["failures"] = row["failures"] or 0
        return row

    def flush(self) -> None:
        if self.engine is None or not self.dirty:
            return
        rows = [self.row(k) for k in self.dirty]
        try:
            with writer(self.engine).begin() as conn:
                conn.execute(upsert(conn, UrlState.__table__, ["site", "key"]), rows)
            self.dirty.clear()
        except (DBAPIError, DatabaseError) as e:
            logger.error("nianbao: cannot record URL states of %s: %s", self.site, one_line(e))

    # ---- decisions ---------------------------------------------------------------------------------

    def key(self, request) -> str:
        if "nb_key" not in request.meta:
            request.meta["nb_key"] = self.crawler.request_fingerprinter.fingerprint(request).hex()
        return request.meta["nb_key"]

    def has_validators(self, state: dict | None, url: str) -> dict:
        v = state if state and (state.get("etag") or state.get("last_modified")) else self.validators.get(url)
        return {k: v.get(k) for k in ("etag", "last_modified")} if v else {}

    def due(self, state: dict) -> bool:
        """A stored document is due again when its last check is older than the site's interval."""
        return state.get("checked_at") is None or state["checked_at"] + self.recheck <= utcnow()

    def wanted(self, link: dict) -> bool:
        """Whether a link of an unchanged page is asked again this night."""
        if link["role"] == LISTING or self.full:
            return True
        child = self.known.get(link["key"])
        return (child is None or bool(child.get("error")) or self.due(child)
                or bool(self.has_validators(child, link["url"])))

    # ---- downloader side ---------------------------------------------------------------------------

    def before_fetch(self, request):
        r = role(request)
        if r is None or request.meta.get("playwright"):
            return None
        meta = request.meta
        again = "redirect_urls" in meta or meta.get("retry_times")
        key = self.key(request)
        if not again:
            self._bound(request, r)
        state = self.known.get(key)
        if not self.full and not again:
            validators = self.has_validators(state, request.url)
            if r == DOCUMENT and state and not state.get("error") and not validators and not self.due(state):
                self.stats.inc_value("nianbao/fetch/not_due")
                meta["handle_httpstatus_list"] = [*meta.get("handle_httpstatus_list", ()), 304]
                return Response(request.url, status=304, headers={SKIP_HEADER: "1"}, request=request)
            if validators.get("etag"):
                request.headers["If-None-Match"] = validators["etag"]
            if validators.get("last_modified"):
                request.headers["If-Modified-Since"] = validators["last_modified"]
            if validators:
                meta["handle_httpstatus_list"] = [*meta.get("handle_httpstatus_list", ()), 304]
        self.fetched += 1
        self.listings += r == LISTING and not again
        return None

    def _bound(self, request, r: str) -> None:
        if r == LISTING and self.max_depth and request.meta.get("nb_depth", 0) > self.max_depth:
            self.stats.inc_value("nianbao/bounds/depth")
            raise NotFetched(f"listing deeper than NIANBAO_MAX_DEPTH={self.max_depth}")
        if r == LISTING and self.max_listings and self.listings >= self.max_listings:
            self.stats.inc_value("nianbao/bounds/listings")
            raise NotFetched(f"more listing pages than NIANBAO_MAX_LISTINGS={self.max_listings}")
        if self.max_requests and self.fetched >= self.max_requests:
            self.stats.inc_value("nianbao/bounds/deferred")
            raise NotFetched(f"budget of NIANBAO_MAX_REQUESTS={self.max_requests} spent: left for the next run")

    def after_fetch(self, request, response):
        r, key = role(request), request.meta.get("nb_key")
        if r is None or key is None or response.headers.get(SKIP_HEADER):
            return response
        now = utcnow()
        state = dict(self.known.get(key) or {"url": linked_url(request), "role": r, "failures": 0})
        if response.status == 304:
            self.stats.inc_value("nianbao/fetch/not_modified")
            if r == DOCUMENT:
                self.stats.inc_value("nianbao/documents/unchanged")
            self.save(key, {**state, "checked_at": now, "error": None, "failures": 0})
            return response
        if response.status >= 400:
            self.failed(request, f"HTTP {response.status}")
            return response
        if response.status >= 300:
            return response
        self.stats.inc_value("nianbao/fetch/full")
        sha = hashlib.sha256(response.body).hexdigest()
        unchanged = not self.full and state.get("sha256") == sha
        state.update(etag=_header(response, "ETag"), last_modified=_header(response, "Last-Modified"), sha256=sha,
                     checked_at=now, error=None, failures=0)
        if unchanged:
            self.stats.inc_value("nianbao/fetch/unchanged")
            if r == DOCUMENT:
                self.stats.inc_value("nianbao/documents/unchanged")
            self.save(key, state)
            request.meta["handle_httpstatus_list"] = [*request.meta.get("handle_httpstatus_list", ()), 304]
            return response.replace(status=304, body=b"")
        if state.get("changed_at") and r == DOCUMENT:
            self.stats.inc_value("nianbao/documents/changed")
        state["changed_at"] = now
        if r == DOCUMENT:       # remembered only with the document (after_parse): a kill cannot lose it
            self.pending.add(key)
        self.save(key, state)
        return response

    def failed(self, request, error: str) -> None:
        key = request.meta.get("nb_key")
        if key is None or role(request) is None:
            return
        state = dict(self.known.get(key) or {"url": linked_url(request), "role": role(request), "failures": 0})
        self.save(key, {**state, "failed_at": utcnow(), "error": error[:300], "failures": (state["failures"] or 0) + 1})

    # ---- spider side -----------------------------------------------------------------------------

    def after_parse(self, response, result):
        """The spider's output, recorded as the page's links; an unchanged page's known links appended.
        A fetched document carries its own url_states row (DocumentItem "url_state"), written with it."""
        request = response.request
        key = request.meta.get("nb_key") if request is not None else None
        if key is None or key not in self.known or response.status >= 400:   # a failure is kept by after_fetch
            yield from result
            return
        if response.status == 304:
            yield from result
            yield from self.known_links(key)
            return
        outs, links, rejected = list(result), [], None
        for out in outs:
            if isinstance(out, Request):
                link = self.link(out)
                if link:
                    links.append(link)
            elif isinstance(out, CrawlErrorItem) and out.get("url") in (response.url, request.url, linked_url(request)):
                rejected = out.get("error") or "rejected"
        state = self.known[key]
        if rejected:   # a page the spider refused (a challenge page): not remembered as the page
            self.save(key, {**state, "etag": None, "last_modified": None, "sha256": None, "error": rejected[:300],
                            "failed_at": utcnow(), "failures": (state.get("failures") or 0) + 1})
        else:
            self.save(key, {**state, "links": links})
        document = next((o for o in outs if isinstance(o, DocumentItem)), None) if not rejected else None
        if key in self.pending:
            self.pending.discard(key)
            if document is not None:
                document["url_state"] = self.row(key)
            else:               # no document came of it (a listing after all): remembered as usual
                self.save(key, self.known[key])
        yield from outs

    def link(self, request) -> dict | None:
        r = role(request)
        if r is None or request.meta.get("playwright"):
            return None
        return {"key": self.key(request), "role": r, "url": request.url, "method": request.method,
                "body": request.body.decode("latin-1"), "callback": request.callback.__name__,
                "headers": {k.decode("latin-1"): v[0].decode("latin-1") for k, v in request.headers.items() if v},
                "meta": {k: v for k, v in request.meta.items() if k.startswith("nb_") and _plain(v)}}

    def known_links(self, key: str, depth: int = 0):
        """The requests an unchanged page led to that are wanted tonight; of a document not asked
        again, the wanted requests it led to in turn (a failed attachment of a page not due)."""
        spider = self.crawler.spider
        for link in (self.known.get(key) or {}).get("links") or ():
            if link["callback"] == "parse_report" and depth == 0:
                self.stats.inc_value("nianbao/links/known_report")
            if not self.wanted(link):
                if link["role"] == DOCUMENT and depth < 2:
                    yield from self.known_links(link["key"], depth + 1)
                continue
            self.stats.inc_value("nianbao/links/known_requested")
            yield Request(link["url"], method=link["method"], body=link["body"].encode("latin-1"),
                          headers=link["headers"], meta=dict(link["meta"]),
                          callback=getattr(spider, link["callback"]), errback=getattr(spider, "on_error", None))


def linked_url(request) -> str:
    """The URL as linked, before any redirect."""
    return (request.meta.get("redirect_urls") or [request.url])[0]


def _header(response, name: str) -> str | None:
    v = response.headers.get(name)
    return v.decode("latin-1") if v else None


def _plain(v) -> bool:
    return v is None or isinstance(v, (str, int, float, bool))


class ConditionalRequestMiddleware:
    """Downloader middleware: conditional and due requests, bounds, content hashes (see the module)."""

    def __init__(self, states: UrlStates):
        self.states = states

    @classmethod
    def from_crawler(cls, crawler):
        return cls(UrlStates.of(crawler))

    def process_request(self, request, spider=None):
        return self.states.before_fetch(request)

    def process_response(self, request, response, spider=None):
        return self.states.after_fetch(request, response)

    def process_exception(self, request, exception, spider=None):
        if not isinstance(exception, NotFetched):
            self.states.failed(request, f"{type(exception).__name__}: {exception}")


class KnownLinksMiddleware:
    """Spider middleware: records the requests each page leads to, and makes them again for a page
    that did not change (its response reaches the spider as a 304 and is not parsed)."""

    def __init__(self, states: UrlStates):
        self.states = states

    @classmethod
    def from_crawler(cls, crawler):
        return cls(UrlStates.of(crawler))

    def process_spider_output(self, response, result, spider=None):
        yield from self.states.after_parse(response, result)

    async def process_spider_output_async(self, response, result, spider=None):
        items = [out async for out in result]
        for out in self.states.after_parse(response, items):
            yield out
