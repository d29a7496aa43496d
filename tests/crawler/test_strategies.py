"""Each listing strategy on a literal page shaped like portals.md §2 describes."""
import json
from urllib.parse import parse_qs, urlsplit

from crawler import strategies
from crawler.strategies import gkmlpt, hanweb, paging, trs

from .helpers import html, text

COL = "http://a.gov.cn/zwgk/zfxxgk/zfxxgknb/"


def test_trs_classic_signature_pages_are_index_k_minus_1():
    page = html(COL + "index.html", '<ul><li><a href="./202301/t20230113_3104280.html" title="某局2022年政府信息公开'
                '工作年度报告">某局2022年…</a></li></ul><script>createPageHTML(4, 0, "index", "html");</script>')
    assert strategies.sniff(page) == "trs"
    assert [r.url for r in trs.pages(page)] == [COL + "index_1.html", COL + "index_2.html", COL + "index_3.html"]
    (link,) = trs.links(page)
    assert link.url == COL + "202301/t20230113_3104280.html"
    assert link.title == "某局2022年政府信息公开工作年度报告"


def test_trs_page_div_signature_pages_are_prefix_k():
    page = html(COL + "list.shtml", "<div id='page_div'></div><script>createPageHTML('page_div', 3, 1, "
                "'list', 'shtml', 21);</script>")
    assert [r.url for r in trs.pages(page)] == [COL + "list_2.shtml", COL + "list_3.shtml"]


def test_trs_page_div_from_a_later_page_lists_the_same_pages():
    page = html(COL + "list_2.shtml", "<script>createPageHTML('page_div', 3, 2, 'list', 'shtml', 21);</script>")
    assert [r.url for r in trs.pages(page)] == [COL + "list_3.shtml"]


def test_trs_single_page_has_no_more_pages():
    page = html(COL + "index.html", '<script>createPageHTML(1, 0, "index", "html");</script>')
    assert trs.pages(page) == []


HANWEB = """<html><body><div id="341234"><script type="text/xml"><datastore>
<nextgroup>
<![CDATA[<a href="/module/web/jpage/dataproxy.jsp?page=1&webid=1&path=/&columnid=70623&unitid=341234"></a>]]>
</nextgroup>
<recordset>
<record><![CDATA[<li><a href="/art/2023/1/11/art_70623_1.html"
title="文登区司法局2022年政府信息公开工作年度报告">文登区…</a><span>2023-01-11</span></li>]]></record>
<record><![CDATA[<li><a href="/art/2022/1/10/art_70623_2.html"
title="图解:文登区2021年政府信息公开工作年度报告">图解</a></li>]]></record>
</recordset></datastore></script></div>
<script>var param_341234 = {col:1, appid:1, webid:1, path:'/', columnid:70623, sourceContentType:1,
unitid:'341234', webname:'威海市文登区人民政府', permissiontype:0};
jpage.create({dataStore:'341234', totalRecord:7, perpage:2, proxyUrl:'/module/web/jpage/dataproxy.jsp'});</script>
</body></html>"""


def test_hanweb_reads_inline_cdata_records():
    page = html("http://w.gov.cn/col/col70623/index.html", HANWEB)
    assert strategies.sniff(page) == "hanweb"
    urls = [link.url for link in hanweb.links(page)]
    assert urls[:2] == ["http://w.gov.cn/art/2023/1/11/art_70623_1.html", "http://w.gov.cn/art/2022/1/10/art_70623_2.html"]


def test_hanweb_posts_dataproxy_for_the_remaining_groups():
    page = html("http://w.gov.cn/col/col70623/index.html", HANWEB)
    reqs = hanweb.pages(page)
    assert [r.method for r in reqs] == ["POST", "POST", "POST"]
    ranges = [(q["startrecord"][0], q["endrecord"][0]) for q in (parse_qs(urlsplit(r.url).query) for r in reqs)]
    assert ranges == [("3", "4"), ("5", "6"), ("7", "8")]
    assert urlsplit(reqs[0].url).path == "/module/web/jpage/dataproxy.jsp"
    form = parse_qs(reqs[0].body.decode())
    assert form["columnid"] == ["70623"] and form["unitid"] == ["341234"]
    assert form["webname"] == ["威海市文登区人民政府"]


def test_hanweb_dataproxy_reply_records_and_unknown_total():
    page = html("http://w.gov.cn/col/col70623/index.html", HANWEB.replace("totalRecord:7, ", ""))
    (first,) = hanweb.pages(page)  # total unknown: one group at a time
    reply = text(first.url, "<datastore><totalrecord>7</totalrecord><recordset><record><![CDATA[<li><a href="
                 "'/art/2021/1/5/art_70623_3.html' title='x2020年政府信息公开工作年度报告'>x</a></li>]]></record>"
                 "</recordset></datastore>", "text/xml; charset=utf-8", meta=first.meta)
    assert strategies.sniff(reply) == "hanweb"
    assert [link.url for link in hanweb.links(reply)] == ["http://w.gov.cn/art/2021/1/5/art_70623_3.html"]
    more = hanweb.pages(reply)
    assert [parse_qs(urlsplit(r.url).query)["startrecord"][0] for r in more] == ["5", "7"]


def test_gkmlpt_shell_then_json_pages():
    shell = html("http://g.gov.cn/gkmlpt/index", "<script src='/gkmlpt/static/app.js'></script>"
                 "<script>window._CONFIG = {SID: '755029', catId: 2190};</script>")
    assert strategies.sniff(shell) == "gkmlpt"
    (api,) = gkmlpt.pages(shell)
    q = parse_qs(urlsplit(api.url).query)
    assert urlsplit(api.url).path == "/gkmlpt/api/all/2190" and q["sid"] == ["755029"] and q["page"] == ["1"]
    data = {"total": 25, "articles": [{"title": f"某局{2020 + i}年政府信息公开工作年度报告",
                                       "url": f"http://g.gov.cn/gkmlpt/content/1/2/post_{i}.html"} for i in range(10)]}
    reply = text(api.url, json.dumps(data, ensure_ascii=False), "application/json")
    assert strategies.sniff(reply) == "gkmlpt"
    assert len(gkmlpt.links(reply)) == 10
    assert [parse_qs(urlsplit(r.url).query)["page"][0] for r in gkmlpt.pages(reply)] == ["2", "3"]
    later = text(api.url.replace("page=1", "page=2"), json.dumps(data), "application/json")
    assert gkmlpt.pages(later) == []


def test_gkmlpt_api_url_written_in_the_shell_is_used():
    shell = html("http://g.gov.cn/xxgk/gkmlpt/index", "<script>fetch('/xxgk/gkmlpt/api/all/5?sid=9')</script>")
    (api,) = gkmlpt.pages(shell)
    assert api.url == "http://g.gov.cn/xxgk/gkmlpt/api/all/5?sid=9&page=1"


def test_paging_next_and_numbers_stay_in_the_column():
    page = html(COL + "index.html", '<a href="index_1.html">下一页</a><a href="index_2.html">3</a>'
                '<a href="http://a.gov.cn/other/index_1.html">下一页</a><a href="/zwgk/x.pdf">2</a>')
    assert strategies.sniff(page) == "paging"
    assert paging.page_links(page) == [COL + "index_1.html", COL + "index_2.html"]


def test_paging_decodes_a_base64_pager():
    import base64
    from urllib.parse import quote
    blob = base64.b64encode(quote('<a href="list_2.html">下一页</a>').encode()).decode()
    page = html(COL + "list.html",
                f"<div id='pages'></div><script>p.innerHTML=decodeURIComponent(window.atob('{blob}'))</script>")
    assert paging.page_links(page) == [COL + "list_2.html"]


def test_iframe_shell_is_followed_only_on_the_same_host():
    page = html(COL, '<iframe src="/list/frame.html"></iframe><iframe src="http://x.com/a.html"></iframe>'
                '<iframe src="/files/a.pdf"></iframe>')
    assert paging.iframe_shell(page) == ["http://a.gov.cn/list/frame.html"]


def test_paging_last_page_link_expands_to_every_page():
    page = html(COL + "index.html", '<a href="index.html?page=2">下一页</a> <a href="index.html?page=5">尾页</a>')
    assert paging.page_links(page) == [COL + f"index.html?page={k}" for k in (2, 5, 3, 4)]
    trs_like = html(COL + "index.html", '<a href="index_1.html">下一页</a><a href="index_4.html">尾页</a>')
    assert set(paging.page_links(trs_like)) == {COL + f"index_{k}.html" for k in (1, 2, 3, 4)}
