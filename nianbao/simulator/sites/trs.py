"""TRS WCM classic: a GBK city portal, createPageHTML(n, k, "index", "html") paging, t<yyyymmdd>_<id>.html details."""
from __future__ import annotations

from dataclasses import replace
from functools import partial

from ..server import Request, Response
from . import Entry, Site, attachment_block, inject, li, page

COLUMN = "/zwgk/zfxxgk/zfxxgknb/"
PER_PAGE = 10
CITY = "衡阳市"
AGENCIES = ["衡阳市人民政府", "衡阳市司法局", "衡阳市卫生健康委员会", "衡阳市生态环境局", "衡阳市教育局",
            "衡阳市财政局", "衡阳市自然资源和规划局", "衡阳市人力资源和社会保障局"]
# createPageHTML as the TRS template library writes it (the real one lives in an external .js file)
PAGER_JS = """<script type="text/javascript">
function createPageHTML(_nPageCount, _nCurrIndex, _sPageName, _sPageExt){
 if(_nPageCount == null || _nPageCount <= 1){ return; }
 var h = "";
 if(_nCurrIndex == 0) h += "<span>首页</span> <span>上一页</span> ";
 else { h += "<a href=\\"" + _sPageName + "." + _sPageExt + "\\">首页</a> ";
  h += "<a href=\\"" + _sPageName + (_nCurrIndex - 1 > 0 ? "_" + (_nCurrIndex - 1) : "") + "." + _sPageExt
    + "\\">上一页</a> "; }
 if(_nCurrIndex + 1 < _nPageCount) h += "<a href=\\"" + _sPageName + "_" + (_nCurrIndex + 1) + "." + _sPageExt
    + "\\">下一页</a> ";
 document.write(h);
}
</script>"""
# GBK bytes with a gb2312 <meta> always; the Content-Type header has no charset, a wrong one, or the right one
HEADERS = ["text/html", "text/html; charset=UTF-8", "text/html; charset=GBK"]


class TrsClassic(Site):
    SITE_ID = "sim-hengyang"
    NAME = "衡阳市人民政府"
    REGION = {"province": "湖南省", "city": "衡阳市", "county": None, "code": "430400"}
    START = COLUMN + "index.html"
    RENDER = False

    def build(self) -> None:
        entries: list[Entry] = []
        docid = 865300
        n = self.count(14)
        for i in range(n):
            year = 2017 + i % 8
            agency = AGENCIES[(i + i // 8) % len(AGENCIES)]
            with_pdf = i % 4 == 1
            if with_pdf:  # the same report inline and as a PDF attachment
                s = self.content.attached(self.rng, ("pdf",), year=year, agency=agency, region=self.region)
            else:
                s = self.sample(year, agency)
            docid += self.rng.randrange(3, 400)
            entries.append(self._detail(s, docid, i, with_pdf))
        for s in self.shared:  # a county report, re-published on the city portal under a longer name
            docid += 7
            printed = replace(s, agency=CITY + s.agency, title=CITY + s.title)
            self.aliases.setdefault(s.agency, set()).add(printed.agency)
            entries.append(self._detail(s, docid, len(entries), False, printed=printed))
        for year in (2021, 2023):
            d = self.published_on(year)
            docid += 5
            for title in (f"图解:衡阳市{year}年政府信息公开工作年度报告",
                          f"关于做好{year}年政府信息公开工作年度报告编制和发布工作的通知"):
                docid += 1
                path = f"{COLUMN}{d:%Y%m}/t{d:%Y%m%d}_{docid}.html"
                body = page(title, f'<div class="TRS_Editor"><p>{title}</p></div>', charset="gb2312")
                self.static(path, body.encode("gbk", "xmlcharrefreplace"), "text/html")
                self.forbidden.add(path)
                entries.append(Entry(title, path, d))
        d = self.published_on(2020)  # listed, but the detail page is gone: 404
        path = f"{COLUMN}{d:%Y%m}/t{d:%Y%m%d}_{docid + 11}.html"
        self.errors[path] = "404"
        entries.append(Entry("衡阳市商务局2020年政府信息公开工作年度报告", path, d))

        entries.sort(key=lambda e: (e.date, e.path), reverse=True)
        pages = [entries[k:k + PER_PAGE] for k in range(0, len(entries), PER_PAGE)]
        for k, chunk in enumerate(pages):
            name = "index.html" if k == 0 else f"index_{k}.html"
            self.static(COLUMN + name, partial(self._listing, chunk, k, len(pages)), "text/html")
        self.redirect(COLUMN, COLUMN + "index.html", 301)

    def _detail(self, sample, docid: int, i: int, with_pdf: bool, printed=None) -> Entry:
        """The detail page of `sample`, rendered as `printed` (the same report under another name)."""
        d = sample.published
        rel = f"{d:%Y%m}/t{d:%Y%m%d}_{docid}.html"
        path = COLUMN + rel
        paths = [path]
        links = []
        if with_pdf:
            pdf = f"P0{d:%Y%m%d}{docid % 1000:03d}{i:03d}.pdf"
            pdf_path = f"{COLUMN}{d:%Y%m}/{pdf}"
            self.static(pdf_path, partial(self.content.file, sample, "pdf"), "application/pdf")
            links.append((f"./{pdf}", f"{sample.title}.pdf"))
            paths.append(pdf_path)
        header = HEADERS[i % len(HEADERS)]
        self.route(path, partial(self._page, printed or sample, header, links,
                                 ("table", "pipe", "tab", "lines")[i % 4]))
        self.publish(sample, *paths)
        return Entry((printed or sample).title, path, d)

    def _page(self, sample, header, links, layout, req: Request) -> Response:
        body = self.content.page(sample, layout=layout, chrome=True, encoding="gbk", site_style="trs")
        if links:
            body = inject(body, "gbk", body=attachment_block(links))
        return Response(200, body, header)

    def _listing(self, chunk: list[Entry], k: int, n: int) -> bytes:
        rel = [li(e, "./" + e.path[len(COLUMN):]) for e in chunk]
        body = ('<div class="position">当前位置:首页 &gt; 政务公开 &gt; 政府信息公开年报</div>\n'
                '<ul class="list">\n' + "\n".join(rel) + "\n</ul>\n"
                f'<div class="page">{PAGER_JS}<script>createPageHTML({n}, {k}, "index", "html");</script></div>')
        return page("政府信息公开年报_衡阳市人民政府", body, charset="gb2312").encode("gbk", "xmlcharrefreplace")
