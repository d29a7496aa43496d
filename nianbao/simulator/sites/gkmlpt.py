"""Guangdong gkmlpt: a Vue shell with SID and category TREE, JSON /gkmlpt/api/all/<cat>, post_<id>.html details."""
from __future__ import annotations

import json
from functools import partial

from ..server import Request, Response
from . import Site, attachment_block, inject, page

SID = "755019"
CAT = 2656        # 政府信息公开年报
OTHER_CAT = 2650  # 部门文件: unrelated documents
PER_PAGE = 10
HUGE = 40 * 1024 * 1024
AGENCIES = ["徐闻县人民政府", "徐闻县司法局", "徐闻县卫生健康局", "徐闻县农业农村局", "徐闻县城市管理和综合执法局",
            "湛江市生态环境局徐闻分局", "徐闻县徐城街道办事处", "徐闻县下洋镇人民政府"]
JSON = "application/json; charset=utf-8"
PDF = "application/pdf"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


class Gkmlpt(Site):
    SITE_ID = "sim-xuwen"
    NAME = "徐闻县人民政府"
    REGION = {"province": "广东省", "city": "湛江市", "county": "徐闻县", "code": "440825"}
    START = "/gkmlpt/index"
    RENDER = False

    def build(self) -> None:
        self.articles: dict[int, list[dict]] = {CAT: [], OTHER_CAT: []}
        post = 1865000
        n = self.count(20)
        for i in range(n):
            year = 2017 + i % 8
            agency = AGENCIES[(i + i // 8) % len(AGENCIES)]
            kinds = ("pdf",) if i % 5 == 1 else ("docx",) if i % 5 == 3 else ()
            s = (self.content.attached(self.rng, kinds, year=year, agency=agency, region=self.region) if kinds
                 else self.sample(year, agency))
            post += self.rng.randrange(10, 3000)
            path = f"/gkmlpt/content/{post // 1000000}/{post // 1000}/post_{post}.html"
            paths = [path]
            links = []
            for kind in kinds:
                att = f"/attachment/0/{post // 1000 % 100}/{post % 1000}/{post}.{kind}"
                ctype = PDF if kind == "pdf" else DOCX
                self.static(att, partial(self.content.file, s, kind), ctype)
                links.append((att, f"{s.title}.{kind}"))
                paths.append(att)
            if i == 6:  # a scanned report far bigger than any sane DOWNLOAD_MAXSIZE, served streaming
                att = f"/attachment/0/99/{post % 1000}/{post}_scan.pdf"
                self.route(att, _huge)
                links.append((att, f"{s.title}(扫描件).pdf"))
                self.errors[att] = "too-large"
            self.route(path, partial(self._detail, s, post, links, ("table", "lines", "pipe", "tab")[i % 4]))
            self.publish(s, *paths)
            self._article(CAT, post, s.title, path, s.published)
        for title, cat in (("徐闻县2022年政府信息公开工作年度报告（图解）", CAT),
                           ("徐闻县2022年法治政府建设年度报告", OTHER_CAT),
                           ("徐闻县2023年部门决算公开", OTHER_CAT)):
            post += 17
            d = self.published_on(2022)
            path = f"/gkmlpt/content/{post // 1000000}/{post // 1000}/post_{post}.html"
            self.static(path, page(title, f"<p>{title}</p>").encode(), "text/html; charset=utf-8")
            self.forbidden.add(path)
            self._article(cat, post, title, path, d)
        for arts in self.articles.values():
            arts.sort(key=lambda a: (a["created_at"], a["id"]), reverse=True)
        self.route(self.START, self._shell)
        self.route("/", lambda req: Response(200, page(self.NAME, '<a href="/gkmlpt/index">政府信息公开</a>').encode()))
        for cat in self.articles:
            self.route(f"/gkmlpt/api/all/{cat}", partial(self._api, cat))

    def _article(self, cat: int, post: int, title: str, path: str, d) -> None:
        self.articles[cat].append({"id": post, "title": title, "path": path,
                                   "created_at": f"{d:%Y-%m-%d} 10:00:00"})

    def _shell(self, req: Request) -> Response:
        config = {"SID": SID, "TREE": [
            {"id": 2640, "name": "政府信息公开", "parent": 0},
            {"id": OTHER_CAT, "name": "部门文件", "parent": 2640},
            {"id": CAT, "name": "政府信息公开年报", "parent": 2640}]}
        head = (f"<script>window._CONFIG = {json.dumps(config, ensure_ascii=False)};\n"
                f"window._CONFIG.SID = '{SID}';</script>\n")
        body = ('<div id="app"></div><noscript>请开启JavaScript</noscript>\n'
                '<script src="/gkmlpt/static/js/manifest.js"></script><script src="/gkmlpt/static/js/app.js"></script>')
        return Response(200, page("徐闻县人民政府信息公开目录", body, head=head).encode())

    def _api(self, cat: int, req: Request) -> Response:
        if req.param("sid") != SID:
            return Response(400, json.dumps({"code": 400, "msg": "sid error"}).encode(), JSON)
        try:
            k = max(1, int(req.param("page", "1")))
        except ValueError:
            k = 1
        arts = self.articles[cat]
        chunk = [{"id": a["id"], "title": a["title"], "url": self.base + a["path"], "created_at": a["created_at"]}
                 for a in arts[(k - 1) * PER_PAGE:k * PER_PAGE]]
        data = {"total": len(arts), "articles": chunk, "classify": {"id": cat, "post_count": len(arts)}}
        return Response(200, json.dumps(data, ensure_ascii=False).encode(), JSON)

    def _detail(self, sample, post: int, links, layout, req: Request) -> Response:
        body = self.content.page(sample, layout=layout, chrome=True, encoding="utf-8", site_style="gkmlpt")
        detail = {"id": post, "title": sample.title, "date": f"{sample.published:%Y-%m-%d}",
                  "attachments": [{"name": t, "url": self.base + h} for h, t in links]}
        data = json.dumps(detail, ensure_ascii=False).replace("</", "<\\/")
        head = f"<script>window._CONFIG = {{DETAIL: {data}}};</script>\n"
        return Response(200, inject(body, "utf-8", head=head, body=attachment_block(links) if links else ""))



def _huge(req: Request) -> Response:
    chunk = b"0" * 65536

    def stream():
        head = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n"
        yield head
        sent = len(head)
        while sent < HUGE:
            part = chunk[:HUGE - sent]
            sent += len(part)
            yield part
    return Response(200, stream(), PDF, length=HUGE)
