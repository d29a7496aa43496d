"""TrueCMS (Jiangsu, Nantong-style): the column page names columnId and the getMessage.do proxy; records
come only as JSONP windows of exactly PER records; a request without a Referer is refused."""
from __future__ import annotations

import json
import re

from ..server import Request, Response
from . import page
from .apilist import HTML, ApiListing, a, int_param

COL = "76543"
PER = 10
PROXY = "/module/web/messageController/getMessage.do"


class TrueCms(ApiListing):
    SITE_ID = "sim-truecms"
    NAME = "如皋市人民政府"
    REGION = {"province": "江苏省", "city": "南通市", "county": "如皋市", "code": "320682"}
    COLUMN = "/rgsrmzf/gknb/index.html"
    AGENCIES = ["如皋市人民政府", "如皋市财政局", "如皋市城北街道办事处", "如皋市交通运输局", "如皋市民政局"]

    def detail_path(self, i, d) -> str:
        return f"/rgsrmzf/art/{d.year}/{d.month}/{d.day}/art_{COL}_{880000 + i * 13}.html"

    def build_api(self) -> None:
        self.route(PROXY, self.api)

    def column(self, req: Request) -> Response:
        script = ("<script>\n$(function(){ $('#list').pager({ columnId:'" + COL + "', perpage:'" + str(PER)
                  + "', proxyUrl:'" + PROXY + "', unitid:'123456', webid:'31' }); });\n</script>")
        body = f'<div class="bread">首页 &gt; 信息公开 &gt; 政府信息公开年报</div><ul id="list"></ul>\n{script}'
        return Response(200, page("政府信息公开年报_如皋市人民政府", body).encode(), HTML)

    def api(self, req: Request) -> Response:
        if not req.headers.get("referer") or req.param("columnId") != COL:
            return Response(403, b"forbidden", "text/plain")
        start, end, per = int_param(req, "startrecord", 1), int_param(req, "endrecord", 0), int_param(req, "perpage", 0)
        callback = req.param("callback", "callback")
        if per != PER or end - start + 1 != PER or not re.fullmatch(r"[\w$.]+", callback):
            records = ""  # a wrong window size answers empty, as the real servers do
        else:
            records = "".join(f"<record><![CDATA[{a(e)}]]></record>" for e in self.entries[start - 1:end])
        result = f"<datastore><recordset>{records}</recordset></datastore>"
        data = {"total": len(self.entries), "result": result}
        return Response(200, f"{callback}({json.dumps(data, ensure_ascii=False)});".encode(),
                        "application/javascript; charset=utf-8")
