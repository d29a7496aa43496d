"""The Hanweb xxgk catalogue: a column page with the tree (tree.jsp?area=…) and a result table filled by
POST /module/xxgk/search.jsp (currpage=k, "共N页"); the search answers the whole area's entries, this
column's (art_<colid>_) and another column's."""
from __future__ import annotations

import html
from datetime import date

from ..server import Request, Response
from . import Entry, page
from .apilist import HTML, ApiListing, int_param

AREA, COL, OTHER = "11371000004359010J", "168496", "168500"
PER = 8


class Xxgk(ApiListing):
    SITE_ID = "sim-xxgk"
    NAME = "威海市人民政府"
    REGION = {"province": "山东省", "city": "威海市", "county": None, "code": "371000"}
    COLUMN = f"/col/col{COL}/index.html"
    AGENCIES = ["威海市人民政府", "威海市财政局", "威海市司法局", "威海市交通运输局", "威海市海洋发展局"]
    STYLE = "hanweb"

    def detail_path(self, i, d) -> str:
        return f"/art/{d.year}/{d.month}/{d.day}/art_{COL}_{5305000 + i * 41}.html"

    def build_api(self) -> None:
        self.others = []
        for i, title in enumerate(["关于印发威海市2023年政务公开工作要点的通知", "威海市2022年法治政府建设年度报告",
                                   "威海市人民政府关于调整部分行政权力事项的决定"]):
            path = f"/art/2023/2/{i + 1}/art_{OTHER}_{5400000 + i}.html"
            self.static(path, page(title, f"<p>{html.escape(title)}</p>").encode(), HTML)
            self.forbidden.add(path)
            self.others.append(Entry(title, path, date(2023, 2, i + 1)))
        self.route("/module/xxgk/search.jsp", self.search)
        self.static("/module/xxgk/tree.jsp", "<ul class='tree'><li>政府信息公开年报</li></ul>".encode(), HTML)

    def column(self, req: Request) -> Response:
        body = (f'<div class="tree"><iframe src="/module/xxgk/tree.jsp?area={AREA}&divid=div{COL}" '
                'style="display:none"></iframe></div>\n<div id="div' + COL + '"></div>\n'
                f"<script>var xxgkParams = {{infotypeId: 'A0501', jdid: '31', area: '{AREA}', divid: 'div{COL}'}};"
                "\nxxgkSearch(xxgkParams, 1);</script>")
        return Response(200, page("政府信息公开年报_威海市人民政府", body).encode(), HTML)

    def search(self, req: Request) -> Response:
        if req.method != "POST" or req.param("area") != AREA:
            return Response(400, b"bad request", "text/plain")
        rows = sorted(self.entries + self.others, key=lambda e: (e.date, e.path), reverse=True)
        pages = max(1, -(-len(rows) // PER))
        k = min(max(1, int_param(req, "currpage", 1)), pages)
        trs = "".join(
            f'<tr class="tr_main_value_{"odd" if n % 2 else "even"}"><td><a href="{html.escape(e.path)}" '
            f'title="{html.escape(e.title)}">{html.escape(e.title)}</a></td><td>{e.date}</td></tr>'
            for n, e in enumerate(rows[(k - 1) * PER:k * PER]))
        body = f"<table>{trs}</table><div class='page'>共{pages}页 第{k}页</div>"
        return Response(200, body.encode(), HTML)
