"""Hanweb JPaaS: a column shell with webId/pageId/tplSetId/tagId; the list comes from the jpaas
publish-server API as JSON data.html, paged only through paramJson; a pageNo past the end answers
the last page again (as some servers do)."""
from __future__ import annotations

import json

from ..server import Request, Response
from . import page
from .apilist import HTML, JSON, ApiListing, a

IDS = {"webId": "a1b2c3d4e5", "pageId": "f6e5d4c3b2", "tplSetId": "9f8e7d6c5b", "tagId": "当前栏目列表"}
COL = "1229134232"
API = "/api-gateway/jpaas-publish-server/front/page/build/unit"


class Jpaas(ApiListing):
    SITE_ID = "sim-jpaas"
    NAME = "义乌市人民政府"
    REGION = {"province": "浙江省", "city": "金华市", "county": "义乌市", "code": "330782"}
    COLUMN = f"/col/col{COL}/index.html"
    AGENCIES = ["义乌市人民政府", "义乌市财政局", "义乌市稠城街道办事处", "义乌市市场监督管理局", "义乌市卫生健康局"]
    STYLE = "hanweb"

    def detail_path(self, i, d) -> str:
        return f"/art/{d.year}/{d.month}/{d.day}/art_{COL}_{4052000 + i * 31}.html"

    def build_api(self) -> None:
        self.route(API, self.api)

    def column(self, req: Request) -> Response:
        params = ", ".join(f"{k}: '{v}'" for k, v in IDS.items())
        body = ('<div id="listArea"></div>\n<script src="/api-gateway/jpaas-publish-server/static/js/unit.js">'
                f"</script>\n<script>var unitParams = {{{params}}}; loadUnit(unitParams);</script>")
        return Response(200, page("政府信息公开年报_义乌市人民政府", body).encode(), HTML)

    def api(self, req: Request) -> Response:
        if any(req.param(k) != v for k, v in IDS.items()) or req.param("pageType") != "column":
            return Response(400, b'{"success": false}', JSON)
        try:
            param = json.loads(req.param("paramJson") or "{}")
            k, size = max(1, int(param.get("pageNo", 1))), int(param.get("pageSize", 15))
        except (ValueError, TypeError, AttributeError):
            k, size = 1, 15
        last = max(1, -(-len(self.entries) // size))
        k = min(k, last)
        html = "<ul>" + "".join(a(e) for e in self.entries[(k - 1) * size:k * size]) + "</ul>"
        return Response(200, json.dumps({"success": True, "data": {"html": html}}, ensure_ascii=False).encode(), JSON)
