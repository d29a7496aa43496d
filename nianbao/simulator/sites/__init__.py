"""The base of every simulated site: routing, ground-truth bookkeeping and small HTML helpers."""
from __future__ import annotations

import dataclasses
import html
import random
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any, ClassVar, Protocol

from ..server import Handler, Request, Response

ROBOTS = "User-agent: *\nDisallow: /search/\nDisallow: /admin/\nAllow: /\n"
# pages linked by the portal chrome of every page (navigation bars): plain 200 pages with no reports
CHROME_PATHS = {"/zwgk/": "政务公开", "/zwfw/": "政务服务", "/hdjl/": "互动交流", "/zwgk/zfxxgknb/": "政府信息公开年报",
                "/zfxxgk/": "政务公开"}


@dataclass
class Entry:
    """One listing line: a report, a companion item, or a link that ends in an error."""

    title: str
    path: str
    date: date


class Content(Protocol):
    """What a site uses of network.Content: report samples and the documents rendered from them."""

    def sample(self, rng: random.Random, **kw) -> Any: ...

    def attached(self, rng: random.Random, kinds: tuple[str, ...], **kw) -> Any: ...

    def page(self, sample, **kw) -> bytes: ...

    def file(self, sample, kind: str) -> bytes: ...


@dataclass
class Publication:
    sample: object
    paths: list[str]


@dataclass
class Site:
    """A simulated portal. Families subclass it and fill `routes` in `build()`.

    Ground truth is kept as paths on this host; the network turns them into absolute URLs once the
    port is bound. Pages are rendered lazily per request from the stored samples.
    """

    # each family names its portal; the network builds one site per family from these
    SITE_ID: ClassVar[str]
    NAME: ClassVar[str]
    REGION: ClassVar[dict]
    START: ClassVar[str]
    RENDER: ClassVar[bool]

    id: str
    name: str
    region: dict
    ip: str
    content: Content                      # network.Content: samples, pages, PDF/DOCX/DOC bytes
    rng: random.Random
    scale: float = 1.0
    start_path: str = "/"
    render: bool = False
    base: str = ""                        # http://ip:port, set by the network after binding
    mirror_base: str = ""                 # the off-site mirror's http://ip:port
    routes: dict[str, Handler] = field(default_factory=dict)
    expected: set[str] = field(default_factory=set)
    forbidden: set[str] = field(default_factory=set)
    offsite: set[str] = field(default_factory=set)      # paths linked on the mirror host
    errors: dict[str, str] = field(default_factory=dict)
    redirects: dict[str, str] = field(default_factory=dict)
    publications: list[Publication] = field(default_factory=list)
    shared: list = field(default_factory=list)          # samples re-published across portals
    aliases: dict[str, set[str]] = field(default_factory=dict)  # agency -> other names it is printed under
    _hits: dict[str, int] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    # ---- building -------------------------------------------------------------------------
    def build(self) -> None:
        raise NotImplementedError

    def count(self, base: int) -> int:
        return max(1, round(base * self.scale))

    def publish(self, sample, *paths: str) -> None:
        self.publications.append(Publication(sample, list(paths)))
        self.expected.update(paths)

    def route(self, path: str, handler: Handler) -> None:
        self.routes[path] = handler

    def static(self, path: str, body: bytes | Callable[[], bytes], content_type: str, **kw) -> None:
        def serve(req: Request) -> Response:
            return Response(200, body() if callable(body) else body, content_type, **kw)
        self.routes[path] = serve

    def plain(self, *paths: str) -> None:
        """Navigation pages that exist but hold nothing of interest."""
        for path in paths:
            self.static(path, page(self.name, "<p>栏目内容</p>").encode(), "text/html; charset=utf-8")

    def redirect(self, path: str, target: str, status: int = 302) -> None:
        self.routes[path] = lambda req: Response(status, b"", None, [("Location", target)])

    def flaky(self, path: str, handler: Handler) -> None:
        """The first request for `path` answers 500; later ones are served normally."""
        def serve(req: Request) -> Response:
            with self._lock:
                n = self._hits[path] = self._hits.get(path, 0) + 1
            if n == 1:
                return Response(500, b"<html><body>500 Internal Server Error</body></html>")
            return handler(req)
        self.routes[path] = serve

    # ---- serving ----------------------------------------------------------------------------
    def handle(self, req: Request) -> Response:
        if req.path == "/robots.txt":
            return Response(200, ROBOTS.encode(), "text/plain")
        handler = self.routes.get(req.path) or self.routes.get(req.target)
        if handler is None:
            if req.path == "/":
                return Response(200, self.home().encode())
            if req.path in CHROME_PATHS:
                return Response(200, page(CHROME_PATHS[req.path], "<p>栏目建设中</p>").encode())
            return not_found()
        return handler(req)

    def home(self) -> str:
        """A default home page that links the 年报 column."""
        return page(self.name, f'<ul class="nav"><li><a href="{self.start_path}">政府信息公开年报</a></li></ul>')

    # ---- helpers for families -------------------------------------------------------------------
    def hex32(self) -> str:
        return f"{self.rng.getrandbits(128):032x}"

    def published_on(self, year: int) -> date:
        """A publish date in January–March of the year after the report year."""
        return date(year + 1, 1, 10) + timedelta(days=self.rng.randrange(0, 75))

    def sample(self, year: int, agency: str, **kw):
        return self.content.sample(self.rng, year=year, agency=agency, region=self.region, **kw)


def not_found() -> Response:
    return Response(404, page("404 页面不存在", "<h1>404</h1><p>您访问的页面不存在。</p>").encode())


def page(title: str, body: str, *, charset: str = "utf-8", head: str = "") -> str:
    """A minimal portal page; `charset` only sets the meta tag (the caller encodes)."""
    return (f'<!DOCTYPE html>\n<html>\n<head>\n<meta http-equiv="Content-Type" content="text/html; '
            f'charset={charset}">\n<title>{html.escape(title)}</title>\n{head}</head>\n<body>\n'
            f'<div class="header"><a href="/">首页</a> | <a href="/zfxxgk/">政务公开</a> | 无障碍 | 长辈版</div>\n'
            f'{body}\n<div class="footer">主办单位:{html.escape(title)} 网站标识码 4304220001 '
            f'ICP备05012345号</div>\n</body>\n</html>\n')


def li(entry: Entry, href: str | None = None) -> str:
    t = html.escape(entry.title)
    return (f'<li><a href="{html.escape(href or entry.path)}" title="{t}" target="_blank">{t}</a>'
            f'<span>{entry.date.isoformat()}</span></li>')


def no_year(title: str) -> str:
    """The title without its year ("…2021年度…" → "…"), as some portals list reports."""
    return re.sub(r"(19|20)\d\d年度?", "", title, count=1)


def retitle(sample, title: str, **changes):
    """A copy of the sample with another title (and other field changes), for ground truth."""
    return dataclasses.replace(sample, title=title, **changes)


def inject(page_bytes: bytes, encoding: str, *, head: str = "", body: str = "") -> bytes:
    """Insert markup before </head> and before the last </body> of a rendered report page."""
    text = page_bytes.decode(encoding)
    if head:
        text = text.replace("</head>", head + "</head>", 1) if "</head>" in text else head + text
    if body:
        i = text.rfind("</body>")
        text = text[:i] + body + text[i:] if i >= 0 else text + body
    return text.encode(encoding, "xmlcharrefreplace")


def attachment_block(links: list[tuple[str, str]]) -> str:
    items = "".join(f'<p><a href="{html.escape(h)}">{html.escape(t)}</a></p>' for h, t in links)
    return f'<div class="attachments"><p>附件:</p>{items}</div>'


def ymd_path(d: date) -> str:
    return f"{d.year}/{d.month}/{d.day}"
