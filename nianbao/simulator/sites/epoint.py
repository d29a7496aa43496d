"""Epoint WebBuilder: a govInfoPub column page with deptcode and categorynum, the site's siteInfo in
/js/webBuilderCommon.js, and a JSON POST getgovinfolist answered as custom.data[]."""
from __future__ import annotations

import json

from ..server import Request, Response
from . import page
from .apilist import HTML, JSON, ApiListing

DEPT, CAT, GUID, PROJECT = "11411000MB1957230X", "003001005", "7eb5f7f1-9041-43ad-8e13-8fcb82ea831a", "EWB-FRONT"
API = f"/{PROJECT}/rest/lightfrontaction/getgovinfolist"


class Epoint(ApiListing):
    SITE_ID = "sim-epoint"
    NAME = "许昌市人民政府"
    REGION = {"province": "河南省", "city": "许昌市", "county": None, "code": "411000"}
    COLUMN = f"/govInfoPub/xxgkzn.html?deptcode={DEPT}&categorynum={CAT}"
    AGENCIES = ["许昌市人民政府", "许昌市财政局", "许昌市教育局", "许昌市自然资源和规划局", "许昌市民政局"]

    def detail_path(self, i, d) -> str:
        return f"/govinfo/{d:%Y%m%d}/{'%08x' % (0x5a3c0000 + i * 977)}-{DEPT[-4:]}.html"

    def build_api(self) -> None:
        info = json.dumps({"projectName": "/" + PROJECT, "siteGuid": GUID, "siteName": self.NAME})
        self.static("/js/webBuilderCommon.js", f"var siteInfo = {info};\nfunction ewbInit(){{}}\n".encode(),
                    "application/javascript; charset=utf-8")
        self.route(API, self.api)

    def column(self, req: Request) -> Response:
        body = ('<div class="ewb-list" id="infolist"></div>\n<script src="/js/webBuilderCommon.js"></script>\n'
                f"<script>var deptcode = '{req.param('deptcode')}'; var categorynum = '{req.param('categorynum')}';"
                "\ngetGovInfoList(deptcode, categorynum);</script>")
        return Response(200, page("政府信息公开年报_许昌市人民政府", body).encode(), HTML)

    def api(self, req: Request) -> Response:
        try:
            q = json.loads(req.body or b"{}")
            index, size = int(q.get("pageIndex", 0)), int(q.get("pageSize", 10))
        except (ValueError, TypeError, AttributeError):
            return Response(400, b'{"status": {"code": 400}}', JSON)
        if req.method != "POST" or (q.get("deptcode"), q.get("categorynum"), q.get("siteGuid")) != (DEPT, CAT, GUID):
            return Response(400, b'{"status": {"code": 400}}', JSON)
        rows = [{"title": e.title, "infourl": e.path, "infodate": str(e.date)}
                for e in self.entries[index * size:(index + 1) * size]]
        data = {"custom": {"data": rows, "total": len(self.entries)}, "status": {"code": 200}}
        return Response(200, json.dumps(data, ensure_ascii=False).encode(), JSON)
