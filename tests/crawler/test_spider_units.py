"""The spider's own decisions on literal responses: attachment links, 304 answers.

Conditional GETs are tested in tests/test_nightly_units.py.
"""
import pytest
from scrapy.exceptions import IgnoreRequest
from scrapy.http import HtmlResponse, Request, Response

from crawler.middlewares import RedirectLoopMiddleware, RetryBackoffMiddleware
from crawler.spiders.reports import ReportsSpider, attachment_links

SITE = {"id": "t-site", "name": "衡阳市人民政府",
        "region": {"province": "湖南省", "city": "衡阳市", "county": None, "code": "430400"},
        "start_urls": ["http://a.gov.cn/zfxxgknb/"], "allowed_domains": ["a.gov.cn"]}
PAGE = "http://a.gov.cn/zfxxgknb/202301/t20230113_1.html"


def test_a_304_yields_an_item_without_body():
    spider = ReportsSpider(site=dict(SITE))
    resp = Response(PAGE, status=304, request=Request(PAGE, meta={"nb_listing": SITE["start_urls"][0]}))
    (item,) = list(spider.parse_report(resp))
    assert item["status"] == 304 and item["body"] is None and item["kind"] == "page"
    assert item["listing_url"] == SITE["start_urls"][0] and item["site_region"]["code"] == "430400"


def test_attachment_links_of_every_shape():
    body = """<html><body><div id="zoom"><p>详见附件</p>
    <a href="./P020230113.pdf">年报.pdf</a>
    <a href="/module/download/downfile.jsp?classid=0&filename=abc.pdf">附件下载</a>
    <a href="javascript:void(0)" onclick="window.open('/files/W0202301.docx')">下载</a>
    <iframe src="/pdfjs/web/viewer.html?file=%2Ffiles%2Fscan.pdf"></iframe>
    <embed src="/files/t.wps">
    <a href="/download/app.html">下载客户端</a><a href="/news/1.html">新闻</a></div></body></html>"""
    resp = HtmlResponse(PAGE, body=body.encode(), encoding="utf-8")
    urls = [link.url for link in attachment_links(resp)]
    assert urls == ["http://a.gov.cn/zfxxgknb/202301/P020230113.pdf",
                    "http://a.gov.cn/module/download/downfile.jsp?classid=0&filename=abc.pdf",
                    "http://a.gov.cn/files/W0202301.docx", "http://a.gov.cn/files/t.wps",
                    "http://a.gov.cn/files/scan.pdf"]


def test_retryable_errors_back_off_the_host():
    from types import SimpleNamespace

    from scrapy.settings import Settings

    slot = SimpleNamespace(delay=0.0)
    downloader = SimpleNamespace(slots={"a.gov.cn": slot}, get_slot_key=lambda request: "a.gov.cn")
    crawler = SimpleNamespace(settings=Settings({"RETRY_HTTP_CODES": [500, 503], "NIANBAO_BACKOFF_MIN": 1.0,
                                                 "NIANBAO_BACKOFF_MAX": 3.0}),
                              engine=SimpleNamespace(downloader=downloader))
    mw = RetryBackoffMiddleware.from_crawler(crawler)
    req = Request(PAGE)
    delays = []
    for status in (500, 503, 503, 200):
        mw.process_response(req, Response(PAGE, status=status, request=req))
        delays.append(slot.delay)
    assert delays == [1.0, 2.0, 3.0, 1.5]

    loop = Request(PAGE + "?b", meta={"redirect_urls": [PAGE]})
    with pytest.raises(IgnoreRequest, match="redirect loop"):
        RedirectLoopMiddleware().process_response(loop, Response(loop.url, status=302, headers={"Location": PAGE}))
    ok = Response(PAGE, status=302, headers={"Location": "/other.html"})
    assert RedirectLoopMiddleware().process_response(Request(PAGE), ok) is ok
