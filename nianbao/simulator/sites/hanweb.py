"""Hanweb JCMS: jpage column (inline CDATA datastore, later records only by POST dataproxy.jsp), /art/ pages,
downfile.jsp → 302 → /attach/ attachments (with hostile Content-Disposition names), xxgkAnnualReport.jsp."""
from __future__ import annotations

import html
from functools import partial

from ..server import Request, Response
from . import Entry, Site, attachment_block, inject, page, ymd_path

COL = 70623
UNIT = "341234"
AREA = "11371003MB2852661X"
PER_PAGE = 10
AGENCIES = ["威海市文登区人民政府", "威海市文登区司法局", "威海市文登区民政局", "威海市文登区住房和城乡建设局",
            "威海市文登区交通运输局", "威海市文登区审计局", "威海市文登区信访局"]
PDF = "application/pdf"
# Content-Disposition headers of the attachments, in turn: hostile path, RFC 5987 name, plain
DISPOSITIONS = ["attachment; filename=\"../../x.pdf\"",
                "attachment; filename*=UTF-8''%E5%B9%B4%E6%8A%A5.pdf",
                'attachment; filename="{name}"']
CHALLENGE = ("<html><head><title>安全验证</title></head><body><noscript>请开启JavaScript并刷新该页.</noscript>"
             "<script>var _0x1f=['cookie','__jsl_clearance'];document[_0x1f[0]]=_0x1f[1]+'=1700000000.123|0|'"
             "+(function(){return 'abc';})();location.href=location.pathname+location.search;</script>"
             "</body></html>")


class HanwebJpage(Site):
    SITE_ID = "sim-wendeng"
    NAME = "威海市文登区人民政府"
    REGION = {"province": "山东省", "city": "威海市", "county": "文登区", "code": "371003"}
    START = f"/col/col{COL}/index.html"
    RENDER = False

    def build(self) -> None:
        self.records: list[Entry] = []
        self.annual: dict[str, tuple] = {}   # fbtime -> (the district government's own report, publication index)
        self.files: dict[str, tuple] = {}    # downfile name -> (sample | None, Content-Disposition)
        artid = 2255700
        n = self.count(24)
        for i in range(n):
            year = 2017 + i % 8
            agency = AGENCIES[(i + i // 8) % len(AGENCIES)]
            kind = "pdf" if i % 4 == 3 else "challenge" if i == 5 else None
            if kind == "pdf":
                s = self.content.attached(self.rng, ("pdf",), year=year, agency=agency, region=self.region)
            else:
                s = self.sample(year, agency)
            artid += self.rng.randrange(5, 900)
            path = f"/art/{ymd_path(s.published)}/art_{COL}_{artid}.html"
            paths = [path]
            links = []
            if kind:
                name = self.hex32() + ".pdf"
                link = f"/module/download/downfile.jsp?classid=0&filename={name}"
                self.redirects[link] = f"/attach/0/{name}"
                links.append((link, f"{s.title}.pdf"))
                if kind == "pdf":
                    cd = DISPOSITIONS[len(self.files) % len(DISPOSITIONS)].format(name=name)
                    self.files[name] = (s, cd)
                    paths.append(link)
                else:
                    self.files[name] = (None, None)
                    self.errors[link] = "challenge"
            self.route(path, partial(self._article, s, links, ("table", "pipe", "lines", "tab")[i % 4]))
            self.publish(s, *paths)
            if agency == self.NAME and year >= 2019:
                self.annual[str(year)] = (s, len(self.publications) - 1)
            self.records.append(Entry(s.title, path, s.published))
        for fbtime, (_s, k) in self.annual.items():  # the same reports again, from the xxgk database
            jsp = f"/module/xxgk/xxgkAnnualReport.jsp?area={AREA}&fbtime={fbtime}"
            self.publications[k].paths.append(jsp)
            self.expected.add(jsp)
        d = self.published_on(2022)
        artid += 3
        title = "威海市文登区2022年政府信息公开工作年度报告图解"
        path = f"/art/{ymd_path(d)}/art_{COL}_{artid}.html"
        self.static(path, page(title, f'<div id="zoom"><img src="/picture/0/tj2022.png" alt="{title}"></div>')
                    .encode(), "text/html; charset=utf-8")
        self.forbidden.add(path)
        self.records.append(Entry(title, path, d))
        self.records.sort(key=lambda e: (e.date, e.path), reverse=True)

        self.route(self.START, self._column)
        self.route("/module/web/jpage/dataproxy.jsp", self._dataproxy)
        self.route("/module/download/downfile.jsp", self._downfile)
        self.route("/module/xxgk/xxgkAnnualReport.jsp", self._annual_report)
        for name in self.files:
            self.route(f"/attach/0/{name}", partial(self._attach, name))

    @staticmethod
    def _record(e: Entry) -> str:
        t = html.escape(e.title)
        return (f'<record><![CDATA[<li><a href="{e.path}" title="{t}" target="_blank">{t}</a>'
                f'<span class="bt-data-time">{e.date.isoformat()}</span></li>]]></record>')

    def _column(self, req: Request) -> Response:
        total = len(self.records)
        inline = "".join(self._record(e) for e in self.records[:PER_PAGE])
        years = "".join(f'<li><a href="/module/xxgk/xxgkAnnualReport.jsp?area={AREA}&amp;fbtime={y}">'
                        f'{y}年政府信息公开工作年度报告</a></li>' for y in sorted(self.annual, reverse=True))
        body = (f'<div class="bt-position">您当前的位置:首页 &gt; 政务公开 &gt; 政府信息公开年报</div>\n'
                f'<ul class="nbcx">{years}</ul>\n<div id="{UNIT}"><script type="text/xml"><datastore>'
                f'<nextgroup><![CDATA[<a href="/module/web/jpage/dataproxy.jsp?page=1&webid=1&path=/'
                f'&columnid={COL}&unitid={UNIT}&webname=威海市文登区人民政府&permissiontype=0"></a>]]></nextgroup>'
                f'<recordset>{inline}</recordset></datastore></script></div>\n'
                f'<script language="javascript" src="/module/web/jpage/jpage.js"></script>\n'
                f"<script>var param_{UNIT} = {{col:1, appid:1, webid:1, path:'/', columnid:{COL}, "
                f"sourceContentType:1, unitid:'{UNIT}', webname:'威海市文登区人民政府', permissiontype:0}};\n"
                f"jpage.create({{dataStore:'{UNIT}', totalRecord:{total}, perpage:{PER_PAGE}, groupSize:1, "
                f"proxyUrl:'/module/web/jpage/dataproxy.jsp', param:param_{UNIT}}});</script>")
        return Response(200, page("政府信息公开年报 威海市文登区人民政府", body).encode())

    def _dataproxy(self, req: Request) -> Response:
        if req.method != "POST":
            return Response(405, b"<html><body>405 Method Not Allowed</body></html>")
        if req.param("columnid") != str(COL):
            return Response(200, b"<datastore><totalrecord>0</totalrecord><totalpage>0</totalpage>"
                                 b"<recordset></recordset></datastore>", "text/xml; charset=utf-8")
        total = len(self.records)
        try:
            start = max(1, int(req.param("startrecord", "1")))
            end = min(total, int(req.param("endrecord", str(start + PER_PAGE - 1))))
            perpage = max(1, int(req.param("perpage", str(PER_PAGE))))
        except ValueError:
            return Response(400, b"bad parameters", "text/plain")
        records = "".join(self._record(e) for e in self.records[start - 1:end])
        xml = (f"<datastore><totalrecord>{total}</totalrecord><totalpage>{-(-total // perpage)}</totalpage>"
               f"<recordset>{records}</recordset></datastore>")
        return Response(200, xml.encode(), "text/xml; charset=utf-8")

    def _downfile(self, req: Request) -> Response:
        name = req.param("filename")
        if name not in self.files:
            return Response(404, page("文件不存在", "<p>文件不存在</p>").encode())
        return Response(302, b"", None, [("Location", f"/attach/0/{name}")])

    def _attach(self, name: str, req: Request) -> Response:
        sample, disposition = self.files[name]
        if sample is None:  # a firewall JS challenge served in place of the PDF
            return Response(200, CHALLENGE.encode(), "text/html; charset=utf-8")
        return Response(200, self.content.file(sample, "pdf"), PDF, [("Content-Disposition", disposition)])

    def _article(self, sample, links, layout, req: Request) -> Response:
        body = self.content.page(sample, layout=layout, chrome=True, encoding="utf-8", site_style="hanweb")
        body = inject(body, "utf-8", head='<meta name="ColumnName" content="政府信息公开年报">\n',
                      body=attachment_block(links) if links else "")
        return Response(200, body)

    def _annual_report(self, req: Request) -> Response:
        found = self.annual.get(req.param("fbtime")) if req.param("area") == AREA else None
        if found is None:
            return Response(200, page("年报查询", "<p>暂无数据</p>").encode())
        body = self.content.page(found[0], layout="table", chrome=False, encoding="utf-8", site_style="hanweb")
        return Response(200, body)
