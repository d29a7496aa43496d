"""TRS "动静结合" (a Fujian portal): page 1 of the column is static HTML; the other pages come only from
the TRS search API that `listModel({quickMode: "动静结合", …})` calls (issue 10, portals.md §2)."""
from __future__ import annotations

import json

from ..server import Request, Response
from . import page
from .apilist import HTML, JSON, ApiListing, a, int_param

CHANNEL, CLASSSQL, SORT = "4321", "chnlid=1813", "-docorderpri,-docreltime"
PER = 10


class TrsDongJing(ApiListing):
    SITE_ID = "sim-trs-dongjing"
    NAME = "南平市人民政府"
    REGION = {"province": "福建省", "city": "南平市", "county": None, "code": "350700"}
    COLUMN = "/zwgk/zfxxgkzl/gkndbg/"
    AGENCIES = ["南平市人民政府", "南平市财政局", "南平市司法局", "南平市教育局", "南平市林业局"]

    def detail_path(self, i, d) -> str:
        return f"{self.COLUMN}{d:%Y%m}/t{d:%Y%m%d}_{5700000 + i * 37}.htm"

    def build_api(self) -> None:
        self.route("/fjdzapp/search", self.api)

    def column(self, req: Request) -> Response:
        items = "\n".join(a(e, "./" + e.path[len(self.COLUMN):]) for e in self.entries[:PER])
        script = ('<script src="/common/js/require.js"></script>\n<script>\n'
                  'require(["list2.trsapi", "pagebar"], function () {\n'
                  f'  listModel({{quickMode: "动静结合", maxStaticIndex: 1, el: "#list",\n'
                  f'    listArgs: {{channelid: {CHANNEL}, classsql: "{CLASSSQL}", sortfield: "{SORT}"}},\n'
                  f"    pagebar: {{prepage: {PER}, recordCount: '{len(self.entries)}', el: \"#pagebar\"}}}});\n"
                  "});\n</script>")
        body = f'<ul id="list">\n{items}\n</ul>\n<div id="pagebar"></div>\n{script}'
        return Response(200, page("政府信息公开年报_南平市人民政府", body).encode(), HTML)

    def api(self, req: Request) -> Response:
        if (req.param("channelid"), req.param("classsql"), req.param("sortfield")) != (CHANNEL, CLASSSQL, SORT):
            return Response(400, b'{"code": 400, "msg": "bad arguments"}', JSON)
        per, k = int_param(req, "prepage", PER), max(1, int_param(req, "page", 1))
        docs = [{"doctitle": e.title, "docpuburl": self.base + e.path, "docreltime": f"{e.date} 10:00:00"}
                for e in self.entries[(k - 1) * per:k * per]]
        return Response(200, json.dumps({"totalcount": len(self.entries), "page": k, "docs": docs},
                                        ensure_ascii=False).encode(), JSON)
