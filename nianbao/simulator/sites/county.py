"""A multi-agency county portal: home → 政府信息公开 → 年报 column with department, town and year sub-columns,
plain 下一页/?page=N paging, an iframe shell, companion items, attachment-only and table-as-image reports."""
from __future__ import annotations

import re
import struct
import zlib
from dataclasses import dataclass
from datetime import timedelta
from functools import partial

from ..server import Request, Response
from . import Entry, Site, attachment_block, inject, li, no_year, not_found, page, retitle

ROOT = "/zfxxgk/zfxxgknb/"
PER_PAGE = 5
COUNTY = "衡南县人民政府"
DEPTS = [("xwsjkj", "衡南县卫生健康局"), ("sfj", "衡南县司法局"), ("jyj", "衡南县教育局"),
         ("czj", "衡南县财政局"), ("nyncj", "衡南县农业农村局"), ("swj", "衡南县商务局")]
TOWNS = [("dlx", "衡南县大垅乡人民政府"), ("tpz", "衡南县太平镇人民政府"), ("yhz", "衡南县云集街道办事处")]
IFRAME_DEPT = "sfj"
SEARCH = "/search/?q=%E5%B9%B4%E6%8A%A5"  # 年报; disallowed by robots.txt
HTML = "text/html; charset=utf-8"
TYPES = {"docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
         "doc": "application/msword", "wps": "application/octet-stream", "pdf": "application/pdf"}


@dataclass
class Column:
    title: str
    path: str               # the column's index.html
    entries: list[Entry]
    subcolumns: list[tuple[str, str]]  # (name, path)


class CountyPortal(Site):
    SITE_ID = "sim-hengnan"
    NAME = COUNTY
    REGION = {"province": "湖南省", "city": "衡阳市", "county": "衡南县", "code": "430422"}
    START = "/"
    RENDER = False

    def build(self) -> None:
        self.serial = 1533676551588134900
        county = self._column("衡南县人民政府", ROOT + "index.html")
        for year in range(2017, 2025):
            s = self.sample(year, COUNTY)
            county.entries.append(self._detail(s, f"{ROOT}{s.published:%Y%m}/t{s.published:%Y%m%d}_{self._id()}.html"))
            if year == 2022:
                self.shared.append(s)
        for title in ("图解:衡南县2022年政府信息公开工作年度报告", "文字解读:衡南县2022年政府信息公开工作年度报告",
                      "关于做好2023年政府信息公开工作年度报告编制和发布工作的通知", "衡南县2022年法治政府建设年度报告",
                      "衡南县2023年上半年政府信息公开数据统计"):
            county.entries.append(self._companion(title, f"{ROOT}{self._id()}.html", 2022))

        depts = self._column("县政府工作部门", ROOT + "bm/index.html")
        county.subcolumns.append(("县政府工作部门", depts.path))
        n = self.count(3)
        for k, (code, agency) in enumerate(DEPTS):
            shell = code == IFRAME_DEPT  # the column page is a shell around a same-origin iframe
            col = self._column(agency, f"{ROOT}bm/{code}/{'list' if shell else 'index'}.html")
            depts.subcolumns.append((agency, f"{ROOT}bm/{code}/index.html"))
            for j in range(n):
                year = 2024 - (j * 3 + k) % 8
                s = self.sample(year, agency)
                path = f"{ROOT}bm/{code}/{s.published:%Y%m}/{self._id()}.html"
                col.entries.extend(self._special(k, s, path) if j == 0 else [self._detail(s, path)])
            col.entries.append(self._companion(f"文字解读:{agency}2023年政府信息公开工作年度报告",
                                               f"{ROOT}bm/{code}/{self._id()}.html", 2023))
            if shell:
                self.static(f"{ROOT}bm/{code}/index.html", page(agency, '<div class="main"><iframe src="list.html" '
                            'width="100%" height="800" frameborder="0" scrolling="no"></iframe></div>').encode(), HTML)

        towns = self._column("乡镇、街道", ROOT + "xz/index.html")
        county.subcolumns.append(("乡镇、街道", towns.path))
        for code, agency in TOWNS:
            town = self._column(agency, f"{ROOT}xz/{code}/index.html")
            towns.subcolumns.append((agency, town.path))
            for year in sorted({2024 - (i + len(code)) % 8 for i in range(n)}, reverse=True):
                folder = self._column(f"{year}年", f"{ROOT}xz/{code}/{year}n/index.html")
                town.subcolumns.append((f"{year}年", folder.path))
                s = self.sample(year, agency)
                if year % 2:  # the year is only in the folder name and the body
                    s = retitle(s, no_year(s.title), perturb=s.perturb | {"no_year_title"})
                folder.entries.append(self._detail(s, f"{ROOT}xz/{code}/{year}n/{self._id()}.html"))

        self.static("/", self._home, HTML)
        png = blank_png()
        for i in range(1, 10):
            self.static(f"/images/nb/table{i}.png", png, "image/png")
        self.static("/images/tj.png", png, "image/png")
        self.redirect("/zfxxgk/", "/zfxxgk/index.html")
        self.plain("/zwdt/index.html", "/bsfw/index.html", "/zfxxgk/fdzdgknr/index.html")
        self.redirect(ROOT, ROOT + "index.html")
        self.static("/zfxxgk/index.html", page("政府信息公开_衡南县人民政府", (
            '<ul class="gk-nav"><li><a href="/zfxxgk/zfxxgkzn/index.html">政府信息公开指南</a></li>'
            '<li><a href="/zfxxgk/zfxxgkzd/index.html">政府信息公开制度</a></li>'
            '<li><a href="/zfxxgk/fdzdgknr/index.html">法定主动公开内容</a></li>'
            f'<li><a href="{ROOT}index.html">政府信息公开年报</a></li></ul>')).encode(), HTML)
        for path, title in (("/zfxxgk/zfxxgkzn/index.html", "衡南县人民政府政府信息公开指南"),
                            ("/zfxxgk/zfxxgkzd/index.html", "衡南县政府信息公开制度")):
            self.static(path, page(title, f"<p>{title}</p>").encode(), HTML)
            self.forbidden.add(path)
        self.forbidden.add(SEARCH)
        self.offsite.add(ROOT + "index.html")

    # ---- building blocks ---------------------------------------------------------------------------
    def _id(self) -> int:
        self.serial += self.rng.randrange(10**6, 10**9)
        return self.serial

    def _column(self, title: str, path: str) -> Column:
        col = Column(title, path, [], [])
        self.route(path, partial(self._listing, col))
        return col

    def _detail(self, sample, path: str, links=(), layout=None) -> Entry:
        layout = layout or ("table", "pipe", "tab", "lines")[len(self.publications) % 4]
        self.route(path, partial(self._page, sample, layout, list(links)))
        self.publish(sample, path, *(h for h, _ in links))
        return Entry(sample.title, path, sample.published)

    def _companion(self, title: str, path: str, year: int) -> Entry:
        self.static(path, page(title, f'<div class="article"><h1>{title}</h1><img src="/images/tj.png"></div>')
                    .encode(), HTML)
        self.forbidden.add(path)
        return Entry(title, path, self.published_on(year))

    def _file(self, path: str, sample, kind: str, served_as: str) -> tuple[str, str]:
        self.static(path, partial(self.content.file, sample, kind), TYPES[served_as])
        return path, f"{sample.title}.{served_as}"

    def _special(self, k: int, s, path: str) -> list[Entry]:
        """Each department's first report shows one of the awkward cases."""
        base = path.rsplit("/", 1)[0]
        if k == 0:  # a corrected version, published later with other values
            fixed = self.sample(s.year, s.agency)
            fixed = retitle(fixed, s.title + "（更正版）", published=s.published + timedelta(days=40),
                            perturb=fixed.perturb | {"corrected"})
            return [self._detail(s, path), self._detail(fixed, f"{base}/{self._id()}.html")]
        if k == 1:  # attachment only: DOCX plus the same report as a .wps holding DOC bytes
            s = self.content.attached(self.rng, ("docx", "doc"), year=s.year, agency=s.agency, region=self.region)
            links = [self._file(f"{base}/W0{self._id()}.docx", s, "docx", "docx"),
                     self._file(f"{base}/W0{self._id()}.wps", s, "doc", "wps")]
            return [self._attachment_only(s, path, links)]
        if k == 2:  # attachment only, a legacy .doc
            s = self.content.attached(self.rng, ("doc",), year=s.year, agency=s.agency, region=self.region)
            return [self._attachment_only(s, path, [self._file(f"{base}/W0{self._id()}.doc", s, "doc", "doc")])]
        if k == 3:  # the tables are images
            s = retitle(s, s.title, perturb=s.perturb | {"table_image"})
            self.route(path, partial(self._image_tables, s))
            self.publish(s, path)
            return [Entry(s.title, path, s.published)]
        if k == 4:  # inline and as PDF
            s = self.content.attached(self.rng, ("pdf",), year=s.year, agency=s.agency, region=self.region)
            return [self._detail(s, path, [self._file(f"{base}/P0{self._id()}.pdf", s, "pdf", "pdf")])]
        loop_a, loop_b = f"{base}/loop.html", f"{base}/loop_1.html"  # a redirect loop
        self.redirect(loop_a, loop_b)
        self.redirect(loop_b, loop_a)
        self.errors[loop_a] = "redirect-loop"
        return [Entry(s.title, loop_a, s.published)]

    def _attachment_only(self, s, path: str, links) -> Entry:
        body = ("<p>根据《中华人民共和国政府信息公开条例》规定，现将" + s.title + "予以公布，详见附件。</p>"
                + attachment_block(links))
        self.static(path, page(s.title, f'<div class="article"><h1>{s.title}</h1>{body}</div>').encode(), HTML)
        self.publish(s, path, *(h for h, _ in links))
        return Entry(s.title, path, s.published)

    # ---- serving ------------------------------------------------------------------------------------
    def _home(self) -> bytes:
        return page(COUNTY, (
            '<ul class="nav"><li><a href="/">首页</a></li><li><a href="/zwdt/index.html">政务动态</a></li>'
            '<li><a href="/zfxxgk/index.html">政府信息公开</a></li><li><a href="/bsfw/index.html">办事服务</a></li>'
            f'</ul>\n<form action="/search/"><input name="q"></form><a href="{SEARCH}">年报搜索</a>\n'
            f'<div class="links">友情链接:<a href="{self.mirror_base}{ROOT}index.html">衡南县政府信息公开年报(镜像)</a>'
            '</div>')).encode()

    def _listing(self, col: Column, req: Request) -> Response:
        entries = sorted(col.entries, key=lambda e: (e.date, e.path), reverse=True)
        pages = max(1, -(-len(entries) // PER_PAGE))
        try:
            k = int(req.param("page", "1") or 1)
        except ValueError:
            k = 1
        if not 1 <= k <= pages:
            return not_found()
        rel = col.path.rsplit("/", 1)[1]
        items = "\n".join(li(e) for e in entries[(k - 1) * PER_PAGE:k * PER_PAGE])
        subs = "".join(f'<li><a href="{p}">{t}</a></li>' for t, p in col.subcolumns)
        pager = f"<span>共{len(entries)}条 {k}/{pages}页</span> "
        if k > 1:
            pager += f'<a href="{rel}">首页</a> <a href="{rel}?page={k - 1}">上一页</a> '
        if k < pages:
            pager += f'<a href="{rel}?page={k + 1}">下一页</a> <a href="{rel}?page={pages}">尾页</a>'
        body = (f'<div class="crumb">首页 &gt; 政府信息公开 &gt; 政府信息公开年报 &gt; {col.title}</div>\n'
                f'<ul class="subcol">{subs}</ul>\n<ul class="list">\n{items}\n</ul>\n<div class="pager">{pager}</div>')
        if col.path == ROOT + "index.html":
            body += (f'<p class="mirror"><a href="{self.mirror_base}{ROOT}index.html">'
                     '衡南县2021年政府信息公开工作年度报告(镜像站)</a></p>')
        return Response(200, page(f"{col.title}_政府信息公开年报", body).encode())

    def _page(self, sample, layout: str, links, req: Request) -> Response:
        body = self.content.page(sample, layout=layout, chrome=True, encoding="utf-8", site_style="trs")
        return Response(200, inject(body, "utf-8", body=attachment_block(links)) if links else body, HTML)

    def _image_tables(self, sample, req: Request) -> Response:
        text = self.content.page(sample, layout="table", chrome=True, encoding="utf-8", site_style="trs").decode()
        n = iter(range(1, 100))
        text = re.sub(r"<table.*?</table>", lambda m: f'<p><img src="/images/nb/table{next(n)}.png"></p>', text,
                      flags=re.S)
        return Response(200, text.encode(), HTML)


def blank_png(width: int = 64, height: int = 16) -> bytes:
    """A small white PNG (the table images; their values are not recoverable by design)."""
    def chunk(tag: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(tag + data))
    raw = b"".join(b"\x00" + b"\xff" * width * 3 for _ in range(height))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))
