"""Report vs companion vs unrelated, and column discovery, on titles observed on real portals."""
import random
from unittest.mock import patch

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scrapy.http import HtmlResponse

from crawler import classify as classify_module
from crawler import discover
from crawler.classify import LISTING_MAX_CHARS, classify, is_listing_url, own_chars, own_chars_at_least
from crawler.strategies.links import Link
from nianbao.simulator.reports import _regions, generate
from nianbao.simulator.reports_render import SITE_STYLES, render_html_page

DETAIL = "http://a.gov.cn/zfxxgknb/202301/t20230113_3104280.html"


@pytest.mark.parametrize("title", [
    "长春市绿园区春城街道2022年政府信息公开工作年度报告",
    "2022年度螅镇政府信息公开工作年度报告",
    "2022年上海市政府信息公开工作年度报告",
    "昌图县文旅广局2021年政府信息公开工作 年度报告",
    "衡南县卫生健康局2020年政府信息公开年度报告",
    "建平县2019年政府信息公开工作报告",
    "道县2013年信息公开工作年度报告",
    "舒兰市2016年政务信息公开年度报告",
    "2020年报_审计局",
    "衡阳市政府信息公开2021年度报告",
    "宁强县自然资源局关于2021年度政府信息公开情况的报告",
    "驼峰路街道办事处政府信息公开工作年度报告",  # no year at all
    "某局2021年政府信息公开工作年度报告（图片版）",
])
def test_reports(title):
    assert classify(title, DETAIL) == "report"


@pytest.mark.parametrize("title", [
    "文字解读:大明湖街道2022年政府信息公开工作年度报告",
    "图解:衡阳市2021年政府信息公开工作年度报告",
    "威海市文登区2022年政府信息公开工作年度报告图解",
    "关于做好2021年政府信息公开工作年度报告编制和发布工作的通知",
    "2021年政府信息公开工作年度报告说明",
    "2022年政府信息公开工作年度报告语音",
    "关于印发《中华人民共和国政府信息公开工作年度报告格式》的通知",
    "关于政府信息公开年度报告有关项目填报问题的解释",
])
def test_companions(title):
    assert classify(title, DETAIL) == "companion"


@pytest.mark.parametrize("title", ["某区政府信息公开指南", "2022年法治政府建设年度报告", "2022年部门决算",
                                   "2022年上半年政府信息公开数据统计", "关于开展安全检查的通知", "", "首页"])
def test_unrelated(title):
    assert classify(title, DETAIL) != "report"


def test_bare_year_title_is_a_report_only_inside_a_report_column():
    assert classify("2021年度报告", DETAIL) == "unrelated"
    assert classify("2021年度报告", DETAIL, in_column=True) == "report"


def test_column_links_are_not_reports():
    assert classify("政府信息公开年报", "http://a.gov.cn/zwgk/zfxxgknb/") == "unrelated"
    assert classify("政府信息公开工作年度报告", "http://a.gov.cn/col/col123/index.html") == "unrelated"


@pytest.mark.parametrize("url,listing", [
    ("http://a.gov.cn/zwgk/zfxxgknb/", True),
    ("http://a.gov.cn/zwgk/zfxxgknb/index_1.html", True),
    ("http://a.gov.cn/hc/list_2.shtml", True),
    ("http://a.gov.cn/col/col70623/index.html", True),
    (DETAIL, False),
    ("http://a.gov.cn/art/2023/1/11/art_1229134232_4052272.html", False),
    ("http://a.gov.cn/xxgk/xxgknb/qzfgzbm/content/post_11956962.html", False),
    ("http://a.gov.cn/module/xxgk/xxgkAnnualReport.jsp?area=1137&fbtime=2022", False),
    ("http://a.gov.cn/zfxxgk/zfxxgknb/zj/2021n/1533676551588134914.html", False),
])
def test_listing_urls(url, listing):
    assert is_listing_url(url) is listing


def test_discover_from_home_finds_the_report_column_and_hub():
    assert discover.follow(Link("http://a.gov.cn/zwgk/nb/", "政府信息公开年报", "政府信息公开年报"), root=None) == \
        ("column", "a.gov.cn/zwgk/nb/")
    assert discover.follow(Link("http://a.gov.cn/zwgk/", "政府信息公开", "政府信息公开"), root=None)[0] == "hub"
    assert discover.follow(Link("http://a.gov.cn/news/", "新闻中心", "新闻中心"), root=None) is None


def test_discover_sub_columns_below_the_column():
    root = "a.gov.cn/zfxxgk/zfxxgknb/"
    for url, text in [("http://a.gov.cn/zfxxgk/zfxxgknb/2021N/", "2021年"),
                      ("http://a.gov.cn/zfxxgk/zfxxgknb/xzfbm/xwsjkj/", "县卫生健康局"),
                      ("http://a.gov.cn/zfxxgk/zfxxgknb/gb2024/xz2024/index.html", "乡镇(街道)")]:
        assert discover.follow(Link(url, text, text), root=root) == ("sub", root)
    assert discover.follow(Link("http://a.gov.cn/news/index.html", "新闻", "新闻"), root=root) is None
    assert discover.follow(Link("http://a.gov.cn/zfxxgk/zfxxgknb/index_1.html", "2", "2"), root=root) is None


def test_home_detection():
    assert discover.is_home("http://a.gov.cn/") and discover.is_home("http://a.gov.cn/index.html")
    assert not discover.is_home("http://a.gov.cn/zwgk/zfxxgknb/index.html")


# own_chars_at_least: the unparsed reading of a page's own text never exceeds the parsed one

_TOKENS = ["年报数据", " 正文内容 ", "<p>", "</p>", "<div title='<a>'>", "</div>", "<a href='x'>链接文字</a>",
           "<a>未闭合链接", "</a>", "<A HREF=y>大写链接</A>", "<script>var s='脚本</a>';</script>",
           "<script>未闭合脚本", "<script><!--\nvar a='旧式';\n//--></script>", "<script><!-- <script>嵌套",
           "<style>p{content:'样式'}</style>", "<!-- 注释 -->", "<!-- 未闭合注释",
           "&#20013;&#25991;", "<abbr>缩写</abbr>", "<img alt='图片说明'>",
           "<br>", "<table><tr><td>表格</td></tr></table>", "<title>标题</title>", "<![CDATA[数据]]>",
           "</body>", "</html>", "<head>", "<noscript>无脚本</noscript>", "<textarea>文本框</textarea>", "<"]


@settings(max_examples=500, deadline=None)
@given(tokens=st.lists(st.sampled_from(_TOKENS), max_size=25),
       head=st.sampled_from(["", "<head><title>页面标题</title></head>"]),
       first=st.floats(0, 1), enough=st.integers(1, 12))
def test_own_chars_read_without_parsing_are_a_lower_bound(tokens, head, first, enough):
    page = f"<html>{head}<body>{''.join(tokens)}</body></html>"
    root = HtmlResponse("http://a.test/", body=page.encode(), encoding="utf-8").selector.root
    assert own_chars_at_least(page) <= own_chars(root)
    # read from beginnings of the page, the first of them cut anywhere
    with patch.object(classify_module, "_FIRST_READ", 1 + int(first * len(page))):
        assert own_chars_at_least(page, enough) <= own_chars(root)


def test_a_report_page_shows_its_own_text_without_parsing():
    rng = random.Random(3)
    for style in SITE_STYLES:
        region = rng.choice(_regions())
        page = render_html_page(generate(rng, year=2023, agency=region["county"] + "教育局", region=region),
                                site_style=style).decode()
        bound = own_chars_at_least(page)
        assert own_chars_at_least(page, 2 * LISTING_MAX_CHARS) >= 2 * LISTING_MAX_CHARS
        assert 2 * LISTING_MAX_CHARS <= bound <= own_chars(HtmlResponse("http://a.test/", body=page.encode(),
                                                                         encoding="utf-8").selector.root)
