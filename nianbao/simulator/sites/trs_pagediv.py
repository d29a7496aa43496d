"""Newer TRS (Jiangxi 集约化): list.shtml, list_2.shtml …

paged by createPageHTML('page_div', n, k, 'list', 'shtml', total).
"""

from __future__ import annotations

from functools import partial

from ..server import Request, Response
from . import Entry, Site, attachment_block, inject, li, page

COLUMN = "/hcxxxgk/hc1554/"
PER_PAGE = 8
AGENCIES = ["会昌县人民政府", "会昌县发展和改革委员会", "会昌县农业农村局", "会昌县市场监督管理局",
            "会昌县应急管理局", "会昌县文广新旅局", "会昌县医疗保障局"]
PAGER_JS = """<script type="text/javascript">
function createPageHTML(divName, pageCount, currentPage, prefix, ext, total){
 var h = "共" + total + "条 ";
 for (var k = 1; k <= pageCount; k++) {
  var href = k == 1 ? prefix + "." + ext : prefix + "_" + k + "." + ext;
  h += k == currentPage ? "<span>" + k + "</span> " : "<a href=\\"" + href + "\\">" + k + "</a> ";
 }
 document.getElementById(divName).innerHTML = h;
}
</script>"""


class TrsPageDiv(Site):
    SITE_ID = "sim-huichang"
    NAME = "会昌县人民政府"
    REGION = {"province": "江西省", "city": "赣州市", "county": "会昌县", "code": "360733"}
    START = "/"
    RENDER = False

    def build(self) -> None:
        entries: list[Entry] = []
        n = self.count(12)
        for i in range(n):
            year = 2017 + i % 8
            agency = AGENCIES[(i + i // 8) % len(AGENCIES)]
            if i % 5 == 2:  # inline text plus the same report as a DOCX attachment
                s = self.content.attached(self.rng, ("docx",), year=year, agency=agency, region=self.region)
            else:
                s = self.sample(year, agency)
            d = s.published
            path = f"{COLUMN}{d:%Y%m}/{self.hex32()}.shtml"
            paths = [path]
            links = []
            if i % 5 == 2:
                doc = f"{COLUMN}{d:%Y%m}/W0{d:%Y%m%d}{i:04d}.docx"
                self.static(doc, partial(self.content.file, s, "docx"),
                            "application/vnd.openxmlformats-officedocument.wordprocessingml.document")
                links.append((doc, f"{s.title}.docx"))
                paths.append(doc)
            handler = partial(self._page, s, links, ("table", "tab", "pipe", "lines")[i % 4])
            if i == 3:  # the first request fails with 500; a retry succeeds
                self.flaky(path, handler)
            else:
                self.route(path, handler)
            self.publish(s, *paths)
            entries.append(Entry(s.title, path, d))
        d = self.published_on(2022)
        title = "文字解读:会昌县2022年政府信息公开工作年度报告"
        path = f"{COLUMN}{d:%Y%m}/{self.hex32()}.shtml"
        self.static(path, page(title, f"<p>{title}</p>").encode(), "text/html; charset=utf-8")
        self.forbidden.add(path)
        entries.append(Entry(title, path, d))

        entries.sort(key=lambda e: (e.date, e.path), reverse=True)
        pages = [entries[k:k + PER_PAGE] for k in range(0, len(entries), PER_PAGE)]
        for k, chunk in enumerate(pages, start=1):
            name = "list.shtml" if k == 1 else f"list_{k}.shtml"
            self.static(COLUMN + name, partial(self._listing, chunk, k, len(pages), len(entries)),
                        "text/html; charset=utf-8")
        self.static("/", self.home().encode(), "text/html; charset=utf-8")
        self.static("/hcxxxgk/index.shtml", self._xxgk().encode(), "text/html; charset=utf-8")
        self.static("/hcxxxgk/hc1550/guide.shtml", page("会昌县政府信息公开指南", "<p>指南正文</p>").encode(),
                    "text/html; charset=utf-8")
        self.forbidden.add("/hcxxxgk/hc1550/guide.shtml")
        self.plain("/hczx/index.shtml", "/hcxxxgk/hc1556/list.shtml")

    def home(self) -> str:
        return page(self.name, '<ul class="nav"><li><a href="/">首页</a></li><li><a href="/hcxxxgk/index.shtml">'
                    '政府信息公开</a></li><li><a href="/hczx/index.shtml">会昌资讯</a></li></ul>')

    def _xxgk(self) -> str:
        return page("政府信息公开_会昌县人民政府",
                    '<ul class="xxgk-nav"><li><a href="/hcxxxgk/hc1550/guide.shtml">政府信息公开指南</a></li>'
                    f'<li><a href="{COLUMN}list.shtml">政府信息公开年报</a></li>'
                    '<li><a href="/hcxxxgk/hc1556/list.shtml">法定主动公开内容</a></li></ul>')

    def _page(self, sample, links, layout, req: Request) -> Response:
        body = self.content.page(sample, layout=layout, chrome=True, encoding="utf-8", site_style="trs")
        if links:
            body = inject(body, "utf-8", body=attachment_block(links))
        return Response(200, body, "text/html; charset=utf-8")

    def _listing(self, chunk: list[Entry], k: int, n: int, total: int) -> bytes:
        body = ('<div class="bread">首页 &gt; 政府信息公开 &gt; 政府信息公开年报</div>\n<ul class="xxgk-list">\n'
                + "\n".join(li(e) for e in chunk) + f'\n</ul>\n<div id="page_div"></div>{PAGER_JS}\n'
                f"<script>createPageHTML('page_div', {n}, {k}, 'list', 'shtml', {total});</script>")
        return page("政府信息公开年报_会昌县人民政府", body).encode()
