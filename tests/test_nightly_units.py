"""The incremental-night middlewares (pipelines.validators) on literal requests and responses:
conditional headers, documents not due, the same bytes as unchanged, the known links of an unchanged
listing, failures kept, bounds; and the spider never reads the dataset itself."""
from __future__ import annotations

import ast
from datetime import timedelta
from pathlib import Path

import pytest
from scrapy.http import HtmlResponse, Request
from scrapy.utils.test import get_crawler

from crawler.middlewares import NotFetched
from crawler.spiders.reports import ReportsSpider
from pipelines.db import utcnow
from pipelines.validators import SKIP_HEADER, UrlStates

SITE = {"id": "t-site", "name": "衡阳市人民政府",
        "region": {"province": "湖南省", "city": "衡阳市", "county": None, "code": "430400"},
        "start_urls": ["http://a.gov.cn/nb/"], "allowed_domains": ["a.gov.cn"]}
LISTING = "http://a.gov.cn/nb/"
PAGE = "http://a.gov.cn/nb/t1.html"
BODY = ("<html><body><ul><li><a href='/nb/t1.html'>衡阳市司法局2024年政府信息公开工作年度报告</a></li></ul>"
        "</body></html>")


def states(**settings) -> tuple[UrlStates, ReportsSpider]:
    crawler = get_crawler(ReportsSpider, {"NIANBAO_DB": "sqlite://", **settings})
    spider = ReportsSpider(site=dict(SITE))
    spider._set_crawler(crawler)
    crawler.spider = spider
    st = UrlStates(crawler)
    st.site = "t-site"
    return st, spider


def fetch(st, spider, request, body: bytes = b"", status=200, headers=None):
    """The request through the downloader middleware, answered with `body` unless it answers itself."""
    early = st.before_fetch(request)
    if early is not None:
        return st.after_fetch(request, early)
    return st.after_fetch(request, HtmlResponse(request.url, status=status, body=body, headers=headers or {},
                                                request=request, encoding="utf-8"))


def test_stored_validators_make_conditional_requests():
    st, spider = states()
    req = spider._document(PAGE, spider.parse_report)
    fetch(st, spider, req, b"<html>a</html>",
          headers={"ETag": '"abc"', "Last-Modified": "Mon, 01 Jan 2024 00:00:00 GMT"})
    again = spider._document(PAGE, spider.parse_report)
    st.before_fetch(again)
    assert again.headers[b"If-None-Match"] == b'"abc"' and again.headers[b"If-Modified-Since"]
    assert 304 in again.meta["handle_httpstatus_list"]
    other = spider._document(PAGE + "?x", spider.parse_report)
    st.before_fetch(other)
    assert b"If-None-Match" not in other.headers
    full, _ = states(NIANBAO_FULL=True)
    full.known = st.known
    plain = spider._document(PAGE, spider.parse_report)
    full.before_fetch(plain)
    assert b"If-None-Match" not in plain.headers


def test_a_document_without_validators_is_asked_again_only_when_due():
    st, spider = states(NIANBAO_RECHECK_DAYS=30)
    fetch(st, spider, spider._document(PAGE, spider.parse_report), b"<html>a</html>")
    answer = st.before_fetch(spider._document(PAGE, spider.parse_report))
    assert answer.status == 304 and answer.headers.get(SKIP_HEADER)           # answered without the network
    (key,) = st.known
    st.known[key]["checked_at"] = utcnow() - timedelta(days=31)
    assert st.before_fetch(spider._document(PAGE, spider.parse_report)) is None
    assert st.stats.get_value("nianbao/fetch/not_due") == 1


def test_the_same_bytes_reach_the_spider_as_a_304_and_other_bytes_count_as_changed():
    st, spider = states(NIANBAO_RECHECK_DAYS=0)
    assert fetch(st, spider, spider._document(PAGE, spider.parse_report), b"<html>a</html>").status == 200
    assert fetch(st, spider, spider._document(PAGE, spider.parse_report), b"<html>a</html>").status == 304
    assert fetch(st, spider, spider._document(PAGE, spider.parse_report), b"<html>b</html>").status == 200
    assert st.stats.get_value("nianbao/documents/unchanged") == 1
    assert st.stats.get_value("nianbao/documents/changed") == 1
    assert st.stats.get_value("nianbao/fetch/full") == 3


def test_an_unchanged_listing_is_not_parsed_and_its_known_links_are_asked_again():
    st, spider = states(NIANBAO_RECHECK_DAYS=0)
    req = spider._listing(LISTING, root=LISTING)
    resp = fetch(st, spider, req, BODY.encode())
    out = list(st.after_parse(resp, spider.parse_listing(resp)))
    (doc,) = [r for r in out if isinstance(r, Request)]
    assert doc.url == PAGE
    req2 = spider._listing(LISTING, root=LISTING)
    resp2 = fetch(st, spider, req2, BODY.encode())
    assert resp2.status == 304
    assert list(spider.parse_listing(resp2)) == []                        # not parsed
    (again,) = list(st.after_parse(resp2, spider.parse_listing(resp2)))
    assert again.url == PAGE and again.callback == spider.parse_report and again.meta["nb_listing"] == LISTING
    assert st.stats.get_value("nianbao/links/known_report") == 1


def test_a_failure_is_kept_with_its_reason_until_a_success():
    st, spider = states()
    req = spider._document(PAGE, spider.parse_report)
    fetch(st, spider, req, b"gone", status=404)
    (state,) = st.known.values()
    assert state["error"] == "HTTP 404" and state["failed_at"] and state["failures"] == 1
    assert st.before_fetch(spider._document(PAGE, spider.parse_report)) is None   # retried, not "not due"
    fetch(st, spider, spider._document(PAGE, spider.parse_report), b"<html>a</html>")
    (state,) = st.known.values()
    assert state["error"] is None and state["failures"] == 0


def test_a_failed_listing_keeps_its_known_links_and_a_refused_page_is_not_remembered():
    st, spider = states()
    resp = fetch(st, spider, spider._listing(LISTING, root=LISTING), BODY.encode(), headers={"ETag": '"v1"'})
    list(st.after_parse(resp, spider.parse_listing(resp)))
    gone = fetch(st, spider, spider._listing(LISTING, root=LISTING), b"<html>404</html>", status=404)
    list(st.after_parse(gone, iter([spider._error(LISTING, "HTTP 404", 404)])))
    (state,) = [s for s in st.known.values() if s["role"] == "listing"]
    assert state["failures"] == 1 and len(state["links"]) == 1 and state["etag"] == '"v1"'
    challenge = b"<html><script>document.cookie='__jsl_clearance=1';location.reload()</script></html>"
    resp = fetch(st, spider, spider._listing(LISTING, root=LISTING), challenge)
    list(st.after_parse(resp, spider.parse_listing(resp)))
    (state,) = [s for s in st.known.values() if s["role"] == "listing"]
    assert state["error"].startswith("blocked") and state["sha256"] is None and state["etag"] is None


def test_bounds_leave_requests_for_a_later_run():
    st, spider = states(NIANBAO_MAX_REQUESTS=2, NIANBAO_MAX_DEPTH=1)
    with pytest.raises(NotFetched):
        st.before_fetch(spider._listing(LISTING + "a/", root=LISTING, depth=2))
    st.before_fetch(spider._document(PAGE, spider.parse_report))
    st.before_fetch(spider._document(PAGE + "?2", spider.parse_report))
    with pytest.raises(NotFetched, match="budget"):
        st.before_fetch(spider._document(PAGE + "?3", spider.parse_report))
    assert st.stats.get_value("nianbao/bounds/deferred") == 1
    pages, spider = states(NIANBAO_MAX_LISTINGS=1)          # endless pagination ends at the bound
    pages.before_fetch(spider._listing(LISTING, root=LISTING))
    with pytest.raises(NotFetched, match="MAX_LISTINGS"):
        pages.before_fetch(spider._listing(LISTING + "index_1.html", root=LISTING))


def test_the_spider_reads_no_dataset():
    """crawler/ never imports pipelines/: the stored validators reach the crawl through a middleware."""
    for path in Path(__file__).resolve().parents[1].joinpath("crawler").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else (
                [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
            assert not any(n.split(".")[0] == "pipelines" for n in names), path
