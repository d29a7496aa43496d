"""A 年报 column whose year sub-columns are titled like reports ("2023年政府信息公开工作年度报告" →
2023/index.html), with a department folder titled the same way inside a year (portals.md §3)."""
from __future__ import annotations

import html
from functools import partial

from ..server import Request, Response
from . import Entry, Site, li, page

COLUMN = "/zfxxgk/zfxxgknb/"
YEARS = (2021, 2022, 2023)
TOWNS = ["城关镇人民政府", "石门乡人民政府"]
DEPTS = ["县财政局", "县司法局"]


class YearFolders(Site):
    SITE_ID = "sim-yearfolders"
    NAME = "桃江县人民政府"
    REGION = {"province": "湖南省", "city": "益阳市", "county": "桃江县", "code": "430922"}
    START = "/"
    RENDER = False

    def build(self) -> None:
        self.docid = 983800
        column: list[tuple[str, str]] = []
        for year in YEARS:
            folder = f"{COLUMN}{year}/"
            entries = [self._report(year, f"桃江县{t}", folder) for t in TOWNS[: self.count(2)]]
            dept_entries = [self._report(year, f"桃江{d}", f"{folder}bm/") for d in DEPTS]
            sub = f"桃江县县直部门{year}年政府信息公开工作年度报告"
            self.static(f"{folder}bm/index.html", self._listing(sub, dept_entries), "text/html; charset=utf-8")
            self.forbidden.add(f"{folder}bm/index.html")  # a listing: never stored as a report
            links = [li(e) for e in entries] + [_folder_li(sub, "bm/index.html")]
            self.static(f"{folder}index.html", self._listing(f"{year}年政府信息公开工作年度报告", links=links),
                        "text/html; charset=utf-8")
            self.forbidden.add(f"{folder}index.html")
            column.append((f"{year}年政府信息公开工作年度报告", f"{year}/index.html"))
        own = self._report(2020, self.NAME, COLUMN)  # one report straight in the column
        body = "\n".join(_folder_li(t, h) for t, h in column) + "\n" + li(own)
        self.static(COLUMN + "index.html", self._listing("政府信息公开年报", links=[body]), "text/html; charset=utf-8")
        self.static("/", page(self.NAME, f'<ul class="nav"><li><a href="{COLUMN}index.html">政府信息公开年报</a>'
                                         '</li></ul>').encode(), "text/html; charset=utf-8")

    def _report(self, year: int, agency: str, folder: str) -> Entry:
        s = self.sample(year, agency)
        self.docid += self.rng.randrange(3, 90)
        d = s.published
        path = f"{folder}{d:%Y%m}/t{d:%Y%m%d}_{self.docid}.html"
        self.route(path, partial(self._page, s))
        self.publish(s, path)
        return Entry(s.title, path, d)

    def _listing(self, title: str, entries=(), *, links=None) -> bytes:
        items = links if links is not None else [li(e) for e in entries]
        body = (f'<div class="bread">首页 &gt; 政府信息公开 &gt; {html.escape(title)}</div>\n'
                '<ul class="list">\n' + "\n".join(items) + "\n</ul>")
        return page(title, body).encode()

    def _page(self, sample, req: Request) -> Response:
        return Response(200, self.content.page(sample, layout="table", chrome=True, encoding="utf-8",
                                               site_style="trs"), "text/html; charset=utf-8")


def _folder_li(title: str, href: str) -> str:
    t = html.escape(title)
    return f'<li><a href="{href}" title="{t}">{t}</a></li>'
