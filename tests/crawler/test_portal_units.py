"""Unit checks for issue 10/12 pieces: listing-vs-report from the page, the ASCII User-Agent, JSON
listings without xpath, the TRS 动静结合 arguments, and the registry's strategy/spider hooks."""
import importlib
import json
import socket

import pytest
from hypothesis import given
from hypothesis import strategies as st
from scrapy.http import Request, Response, TextResponse
from scrapy.settings import Settings
from scrapy.utils.test import get_crawler

import crawler.settings as settings
from crawler import registry
from crawler.classify import LISTING_MAX_CHARS, is_column_title, is_listing_page
from crawler.middlewares import BoundedCookiesMiddleware
from crawler.spiders.reports import ReportsSpider
from crawler.strategies import paging, trsapi
from tests.crawler.helpers import html

SITE = {"id": "t-site", "name": "衡阳市人民政府",
        "region": {"province": "湖南省", "city": "衡阳市", "county": None, "code": "430400"},
        "start_urls": ["http://a.gov.cn/zfxxgknb/"], "allowed_domains": ["a.gov.cn"]}
BODY = "本年度政府信息公开工作情况如下。" * 40


@given(st.integers(0, 50), st.integers(0, 5000), st.booleans(), st.booleans())
def test_listing_needs_little_own_text(links, chars, paged, column):
    if chars >= LISTING_MAX_CHARS:
        assert not is_listing_page(links, chars, paged=paged, column_title=column)
    elif links >= 2:
        assert is_listing_page(links, chars, paged=paged, column_title=column)
    elif not paged:
        assert not is_listing_page(links, chars, column_title=column)


def test_column_titles_have_no_year():
    assert is_column_title("政府信息公开年报") and is_column_title("政府信息公开工作年度报告")
    assert not is_column_title("2023年政府信息公开工作年度报告")


def _spider():
    return ReportsSpider(site=dict(SITE))


def test_a_year_folder_titled_like_a_report_is_a_listing_and_a_report_is_not():
    spider = _spider()
    items = "".join(f'<li><a href="./2023{i:02d}/t2023_{i}.html">某局2023年政府信息公开工作年度报告</a></li>'
                    for i in range(3))
    folder = html("http://a.gov.cn/zfxxgknb/2023/index.html", f"<html><body><ul>{items}</ul></body></html>")
    assert spider._is_listing(folder)
    report = html("http://a.gov.cn/zfxxgknb/2023/202401/t1.html",
                  f"<html><body><h1>2023年报</h1><p>{BODY}</p><ul>{items}</ul></body></html>")
    assert not spider._is_listing(report)
    attachment_only = html("http://a.gov.cn/zfxxgknb/2023/202401/t2.html",
                           '<html><body><p>详见附件</p><a href="./P0.pdf">某局2023年政府信息公开工作年度报告.pdf</a>'
                           "</body></html>")
    assert not spider._is_listing(attachment_only)


def test_json_listing_replies_are_not_read_with_xpath():
    resp = TextResponse("http://a.gov.cn/gkmlpt/api/all/1?page=1", body=json.dumps({"total": 0}).encode(),
                        headers={"Content-Type": "application/json"}, request=Request("http://a.gov.cn/"))
    assert paging.iframe_shell(resp) == []


def test_user_agent_is_ascii_with_the_configured_contact(monkeypatch):
    monkeypatch.setenv("NIANBAO_CONTACT", "https://example.org/联系")
    try:
        ua = importlib.reload(settings).USER_AGENT
        assert ua.isascii() and "https://example.org/%E8%81%94%E7%B3%BB" in ua
        monkeypatch.delenv("NIANBAO_CONTACT")
        ua = importlib.reload(settings).USER_AGENT
        assert ua.isascii() and "http" not in ua
    finally:
        monkeypatch.delenv("NIANBAO_CONTACT", raising=False)
        importlib.reload(settings)


def test_trs_dongjing_asks_the_api_for_the_pages_after_the_static_ones():
    script = ('<script>require(["list2.trsapi"], function(){ listModel({quickMode: "动静结合", maxStaticIndex: 1, '
              'listArgs: {channelid: 77, classsql: "chnlid=1813", sortfield: "-docorderpri,-docreltime"}, '
              "pagebar: {prepage: 10, recordCount: '35'}}); });</script>")
    resp = html("http://a.gov.cn/zwgk/ndbg/index.htm", f"<html><body><ul></ul>{script}</body></html>")
    assert trsapi.matches(resp)
    reqs = trsapi.pages(resp)
    assert [r.url.rsplit("page=", 1)[1] for r in reqs] == ["2", "3", "4"]
    assert "classsql=chnlid%3D1813" in reqs[0].url and "channelid=77" in reqs[0].url
    reply = TextResponse(reqs[0].url, body=json.dumps({"docs": [{"doctitle": "某局2019年政府信息公开工作年度报告",
                                                                  "docpuburl": "/zwgk/ndbg/202001/t1.htm"}]},
                                                       ensure_ascii=False).encode(),
                         headers={"Content-Type": "application/json"}, request=reqs[0])
    assert [link.url for link in trsapi.links(reply)] == ["http://a.gov.cn/zwgk/ndbg/202001/t1.htm"]
    assert trsapi.pages(reply) == []


class DropCountyReports(ReportsSpider):
    """A quirky site's spider: drops links whose title names 某乡, tags the items it yields."""

    def keep_link(self, link, kind):
        return "某乡" not in link.title

    def process_item(self, item):
        item["error"] = f"{item.get('error')} [quirk]"
        return item


def test_registry_strategy_and_spider_keys():
    entry = registry.validate_entry({**SITE, "strategy": "trs", "spider": f"{__name__}:DropCountyReports",
                                     "checked_at": "2026-12-01", "check_result": "ok: 1 column, 12 reports"})
    assert registry.spider_class(entry) is DropCountyReports
    assert registry.spider_class(registry.validate_entry(dict(SITE))) is ReportsSpider
    with pytest.raises(registry.RegistryError, match="strategy"):
        registry.validate_entry({**SITE, "strategy": "nope"})
    with pytest.raises(registry.RegistryError, match="module:Class"):
        registry.validate_entry({**SITE, "spider": "not a path"})


def test_spider_hooks_filter_links_and_post_process_items():
    crawler = get_crawler(DropCountyReports)
    spider = DropCountyReports(site=dict(SITE))
    spider._set_crawler(crawler)
    page = html("http://a.gov.cn/zfxxgknb/index.html",
                '<ul><li><a href="./202401/t1.html">某乡2023年政府信息公开工作年度报告</a></li>'
                '<li><a href="./202401/t2.html">某局2023年政府信息公开工作年度报告</a></li></ul>',
                meta={"nb_root": "a.gov.cn/zfxxgknb/"})
    urls = [r.url for r in spider.parse_listing(page) if isinstance(r, Request)]
    assert urls == ["http://a.gov.cn/zfxxgknb/202401/t2.html"]
    assert spider._error("http://a.gov.cn/x", "HTTP 404")["error"] == "HTTP 404 [quirk]"


def test_cookie_jar_is_bounded_and_never_downloads_the_suffix_list(monkeypatch):
    def no_network(*a, **k):
        raise AssertionError(f"network access: {a}")

    monkeypatch.setattr(socket, "getaddrinfo", no_network)
    monkeypatch.setattr(socket.socket, "connect", no_network)
    crawler = type("C", (), {"settings": Settings({"COOKIES_ENABLED": True, "NIANBAO_COOKIES_MAX": 10,
                                                   "NIANBAO_COOKIES_MAX_BYTES": 4096})})()
    mw = BoundedCookiesMiddleware.from_crawler(crawler)
    url = "http://www.a.gov.cn/list.html"
    for page in range(3):
        req = Request(url)
        headers = [("Set-Cookie", f"c{page}_{i}=v{i}; Path=/") for i in range(20)]
        headers.append(("Set-Cookie", "suffix=1; Domain=.gov.cn; Path=/"))  # a public suffix: refused
        mw.process_response(req, Response(url, headers=headers, request=req))
        notices = req.meta.get("nb_notices", [])
        assert notices == ([("cookie jar full: the site sets more than 10 cookies or 4096 bytes of them; "
                             "further cookies are refused")] if page == 0 else [])
    nxt = Request(url)
    mw.process_request(nxt)
    cookie = nxt.headers.get("Cookie").decode()
    assert cookie.count("=") == 10 and "suffix" not in cookie
