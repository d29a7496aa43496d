"""An off-site mirror/spam host: it copies any government path; a crawler must never request it."""
from __future__ import annotations

from ..server import Request, Response
from . import Site, page


class Mirror(Site):
    def handle(self, req: Request) -> Response:
        body = page("365bet体育在线-政府信息公开工作年度报告", f"<p>镜像页面 {req.path}</p>")
        return Response(200, body.encode())
