"""The base of the simulated portals whose 年报 column is filled by a listing API (TRS 动静结合,
TrueCMS, Hanweb JPaaS, Epoint, Hanweb xxgk): reports, a companion item, a home page, detail pages."""
from __future__ import annotations

import html
from functools import partial

from ..server import Request, Response
from . import Entry, Site, page

HTML = "text/html; charset=utf-8"
JSON = "application/json; charset=utf-8"


class ApiListing(Site):
    """Subclasses set COLUMN (the column page), AGENCIES, `detail_path(i, sample)` and serve
    `column(req)` plus their API routes from `build_api()`."""

    COLUMN = "/"
    AGENCIES: list[str] = []
    REPORTS = 23
    START = "/"
    RENDER = False
    STYLE = "trs"

    def build(self) -> None:
        self.entries: list[Entry] = []
        for i in range(self.count(self.REPORTS)):
            s = self.sample(2017 + i % 8, self.AGENCIES[i % len(self.AGENCIES)])
            path = self.detail_path(i, s.published)
            self.route(path, partial(self._detail, s, ("table", "lines", "pipe", "tab")[i % 4]))
            self.publish(s, path)
            self.entries.append(Entry(s.title, path, s.published))
        d = self.published_on(2022)
        title = f"图解:{self.NAME}2022年政府信息公开工作年度报告"
        path = self.detail_path(999, d)
        self.static(path, page(title, f"<p>{title}</p>").encode(), HTML)
        self.forbidden.add(path)
        self.entries.append(Entry(title, path, d))
        self.entries.sort(key=lambda e: (e.date, e.path), reverse=True)
        self.route(self.COLUMN, self.column)
        self.static("/", page(self.NAME, f'<ul class="nav"><li><a href="{html.escape(self.COLUMN)}">'
                                         '政府信息公开年报</a></li></ul>').encode(), HTML)
        self.build_api()

    def detail_path(self, i: int, d) -> str:
        raise NotImplementedError

    def build_api(self) -> None:
        raise NotImplementedError

    def column(self, req: Request) -> Response:
        raise NotImplementedError

    def _detail(self, sample, layout, req: Request) -> Response:
        return Response(200, self.content.page(sample, layout=layout, chrome=True, encoding="utf-8",
                                               site_style=self.STYLE), HTML)


def a(entry: Entry, href: str | None = None) -> str:
    t = html.escape(entry.title)
    return f'<li><a href="{html.escape(href or entry.path)}" title="{t}">{t}</a><span>{entry.date}</span></li>'


def int_param(req: Request, name: str, default: int) -> int:
    try:
        return int(req.param(name, str(default)))
    except ValueError:
        return default
