"""A simulated network that changes between nights: validators on any site, and a column that grows,
changes a page, breaks (404, challenge page) or is big (10,000 small report pages).

    conditional(handle)            a site handler that sends ETag/Last-Modified and answers 304
    with ChangingColumn(n=30, per_page=10, validators=True) as col:
        col.site                   its registry entry;  col.expected: every report page URL
        col.add_report()           a new report on top of the listing (returns its URL)
        col.change_page(i)         new bytes for report i (same URL)
        col.breaks = "404"|"challenge"|None   the column (every listing page) answers so from now on
        col.broken                 {URL}: report pages answering 500 until removed from the set
        col.log                    [(ip, method, path, status)] of every request served
"""
from __future__ import annotations

import hashlib
import html
import threading
from email.utils import formatdate

from . import server
from .server import Request, Response

LAST_MODIFIED = formatdate(1_700_000_000, usegmt=True)
CHALLENGE = ('<html><head><title>安全验证</title><script>document.cookie="__jsl_clearance=1";location.reload();'
             '</script></head><body>请开启JavaScript并刷新该页</body></html>').encode()


def conditional(handle):
    """`handle` with validators: ETag from the body's hash, a fixed Last-Modified, 304 when they match."""
    def serve(req: Request) -> Response:
        resp = handle(req)
        if resp.status != 200 or req.method != "GET" or not isinstance(resp.body, bytes):
            return resp
        etag = '"' + hashlib.sha1(resp.body).hexdigest()[:16] + '"'
        headers = [*resp.headers, ("ETag", etag), ("Last-Modified", LAST_MODIFIED)]
        if req.headers.get("if-none-match") == etag or (
                "if-none-match" not in req.headers and req.headers.get("if-modified-since") == LAST_MODIFIED):
            return Response(304, b"", None, headers)
        return Response(resp.status, resp.body, resp.content_type, headers)
    return serve


class ChangingColumn:
    """One portal with one 年报 column of small report pages, served on a loopback address."""

    def __init__(self, n: int = 30, *, per_page: int = 10, validators: bool = False, ip: str = "127.0.0.31",
                 site_id: str = "sim-nightly"):
        self.per_page = per_page
        self.pages: list[tuple[str, str]] = []      # (path, title), newest last
        self.versions: dict[str, int] = {}
        self.breaks: str | None = None
        self.broken: set[str] = set()
        for _ in range(n):
            self._add()
        self.log: list = []
        handle = conditional(self.handle) if validators else self.handle
        self.port, self._servers = server.start_servers({ip: handle}, self.log, threading.Lock())
        self.base = f"http://{ip}:{self.port}"
        self.site = {"id": site_id, "name": "衡阳市人民政府", "region": {"province": "湖南省", "city": "衡阳市",
                                                                   "county": None, "code": "430400"},
                     "start_urls": [self.base + "/nb/index.html"], "allowed_domains": [ip], "render": False,
                     "enabled": True, "settings": {}}

    @property
    def expected(self) -> set[str]:
        return {self.base + p for p, _ in self.pages}

    def _add(self) -> str:
        i = len(self.pages)
        path = f"/nb/t{i:05d}.html"
        self.pages.append((path, f"衡阳市第{i}局{2015 + i % 10}年政府信息公开工作年度报告"))
        self.versions[path] = 0
        return path

    def add_report(self) -> str:
        return self.base + self._add()

    def change_page(self, i: int) -> str:
        path = self.pages[i][0]
        self.versions[path] += 1
        return self.base + path

    def handle(self, req: Request) -> Response:
        if req.path == "/robots.txt":
            return Response(200, b"User-agent: *\nAllow: /\n", "text/plain")
        if req.path.startswith("/nb/index"):
            if self.breaks == "404":
                return Response(404, b"<html><body><h1>404</h1></body></html>")
            if self.breaks == "challenge":
                return Response(200, CHALLENGE)
            k = 0 if req.path == "/nb/index.html" else int(req.path[len("/nb/index_"):-len(".html")])
            return self._listing(k)
        if self.base + req.path in self.broken:
            return Response(500, b"<html><body>500 Internal Server Error</body></html>")
        if req.path in self.versions:
            title = dict(self.pages)[req.path]
            v = self.versions[req.path]
            body = (f"<html><head><meta charset='utf-8'><title>{title}</title></head><body><h1>{title}</h1>"
                    f"<p>一、总体情况。本年度第{v}版。</p></body></html>")
            return Response(200, body.encode("utf-8"))
        return Response(404, b"<html><body>404</body></html>")

    def _listing(self, k: int) -> Response:
        newest = list(reversed(self.pages))
        chunk = newest[k * self.per_page:(k + 1) * self.per_page]
        if not chunk and k:
            return Response(404, b"<html><body>404</body></html>")
        n = -(-len(newest) // self.per_page)
        items = "".join(f'<li><a href="{p}" title="{html.escape(t)}">{html.escape(t)}</a><span>2024-02-01</span></li>'
                        for p, t in chunk)
        pager = f'<a href="/nb/index_{k + 1}.html">下一页</a>' if k + 1 < n else ""
        body = (f"<html><head><meta charset='utf-8'><title>政府信息公开年报</title></head><body>"
                f'<ul class="list">{items}</ul><div class="page">{pager}</div></body></html>')
        return Response(200, body.encode("utf-8"))

    def stop(self) -> None:
        server.stop_servers(self._servers)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()
