"""Tell annual-report links from companion items, columns and unrelated documents by title and URL."""
from __future__ import annotations

import re
from urllib.parse import urlsplit

from lxml import etree

from parsers.chars import CJK

# Titles of the report itself (portals.md §4); the year is optional.
_REPORT = re.compile(
    r"(政府|政务)?信息公开(工作)?(\d{4}年度?)?(年度)?(工作)?报告"
    r"|关于\d{4}年度?政府信息公开(工作)?情况的报告"
    r"|信息公开年报"
    r"|\d{4}年(度)?年报"
    r"|年报[_\-—]"
)
# Companion items and neighbouring documents that mention the report but are not it.
_COMPANION = re.compile(
    r"解读|图解|图示|一图读懂|H5|动漫|视频|语音|通知|说明|编制|发布工作|格式|解释|指南|制度|目录"
    r"|法治政府|决算|预算|上半年|下半年|季度|数据统计|统计表$|工作要点|意见|方案|考核|培训"
)
# Column names of a 年报 column and its group sub-columns (portals.md §3).
_COLUMN = re.compile(
    r"^(（[^）]*）|\([^)]*\))?(\S{0,16}?)(政府|政务)?信息公开(工作)?(年度报告|年报)(专栏|汇总)?$"
    r"|^(历年)?年报$|^年度报告$|^信息公开年度报告$"
)
_YEAR_COLUMN = re.compile(r"^(19|20)\d{2}\s*(年度?|N|n)?(年报|年度报告)?$")
_SPACE = re.compile(r"\s+")

# URL shapes of listings (columns and their pages), as opposed to detail pages.
_LISTING_FILE = re.compile(r"^(index|default|list|xlist|[a-z_]*list|fg)(_\d+)?\.(s?html?|jsp|aspx?|php)$", re.I)
_DETAIL_HINT = re.compile(
    r"xxgkAnnualReport\.jsp|AnnualReport/show|Xxgknb/show|annual_report/|/art/\d{4}/|post_\d+|content_\d+"
    r"|/t\d{6,8}_\d+|/t\d+\.s?html?|/i\d+\.html|doc_[0-9a-f]{24}|[0-9a-f]{24,32}\.s?html?|/\d{6,}\.s?html?"
    r"|ShowInfo\.php|\.jhtml|show[-/]\d+|NewsContentUrl|PublicDetail|/detail/", re.I)


def norm(text: str | None) -> str:
    """Collapse whitespace (titles are often split over lines or padded)."""
    return _SPACE.sub("", text or "")


def is_listing_url(url: str) -> bool:
    """True for URLs shaped like a column or one of its pages."""
    path = urlsplit(url).path
    if _DETAIL_HINT.search(url):
        return False
    last = path.rsplit("/", 1)[-1]
    return (path.endswith("/") or bool(_LISTING_FILE.match(last)) or "." not in last
            or bool(re.search(r"/col/col\d+", path)))


def classify(title: str | None, url: str, *, in_column: bool = False) -> str:
    """"report", "companion" or "unrelated" for a link with this title/text and URL.

    in_column: the link sits on a 年报 column page, where a bare "2021年度报告" is a report too.
    """
    t = norm(title)
    if not t:
        return "unrelated"
    hit = _REPORT.search(t) or (in_column and re.search(r"(年度|年)报告|年报", t))
    if not hit:
        return "unrelated"
    if _COMPANION.search(t):
        return "companion"
    if is_listing_url(url) and not re.search(r"\d{4}", t) and _COLUMN.match(t):
        return "unrelated"  # a column link, not a report (see is_report_column)
    return "report"


def is_report_column(text: str | None, url: str) -> bool:
    """A link to a 年报 column (or a group/year sub-column named like one)."""
    t = norm(text)
    return bool(t) and is_listing_url(url) and bool(_COLUMN.match(t)) and len(t) <= 30


def is_year_column(text: str | None, url: str) -> bool:
    """A link to a per-year sub-column such as "2021年" or "2021N"."""
    return is_listing_url(url) and bool(_YEAR_COLUMN.match(norm(text)))


def is_disclosure_hub(text: str | None, url: str) -> bool:
    """A link from a home page towards the 政府信息公开 section, one hop before the 年报 column."""
    t = norm(text)
    return bool(re.fullmatch(r"(政府|政务)?信息公开(专栏|目录|平台)?|政务公开", t))


# A report page carries its own text (hundreds of characters at the least); a sub-column titled like a
# report ("2023年政府信息公开工作年度报告" → 2023/index.html) carries links to reports and little else.
LISTING_MAX_CHARS = 300


# a page's own text = all of its body's text minus its links, scripts and styles (lxml directly: parsel
# would build a Selector per text node, ten times slower on a report page)
_BODY_TEXT = etree.XPath("string(//body)")
_NOT_OWN_TEXT = etree.XPath("//body//a//text() | //body//script//text() | //body//style//text()")
# what a page's own text cannot hold, read off its markup without parsing it, each removed in turn
# from the page: comments, then scripts and styles (each to its end tag, or to the end when unclosed),
# then what lies outside <body>…</body>, then links, then every other tag. Each pass removes at least
# what an HTML parser would take as such, so what is left never has more characters than the parsed
# page's own text.
_HIDDEN = re.compile(r"<!--.*?(?:-->|\Z)|<(script|style)\b.*?(?:</\1\s*>|\Z)", re.I | re.S)
# "<!--" then "<script" inside a script: HTML reads on past its "</script>" (double-escaped script data)
_ESCAPED = re.compile(r"<!--.*?<script", re.I | re.S)
_BODY_START, _BODY_END = re.compile(r"<body\b", re.I), re.compile(r"</(?:body|html)\b", re.I)
_LINK = re.compile(r"<a\b.*?(?:</a\s*>|\Z)", re.I | re.S)
_TAG = re.compile(r"<[^<>]*>")
_FIRST_READ = 16384   # characters of a page's beginning read first by own_chars_at_least(…, enough)


def cjk_count(text: str) -> int:
    """How many CJK ideographs the text holds (a pass of parsers.chars.CJK; no list of matches is built)."""
    return len(text) - len(CJK.sub("", text))


def own_chars(root) -> int:
    """CJK characters of a parsed page's body outside its links, scripts and styles."""
    return cjk_count(_BODY_TEXT(root)) - cjk_count("".join(_NOT_OWN_TEXT(root)))


def own_chars_at_least(html: str, enough: int | None = None) -> int:
    """A lower bound on own_chars of the page, from its markup without parsing it (0 without a
    <body> tag): a report page shows its own text this cheaply, without building its tree.
    Character references are not decoded. With `enough`, reads growing beginnings of the page (each
    cut after a tag's end) and stops at one that shows that many: a report's text shows early."""
    size = _FIRST_READ
    while enough is not None and size < len(html):
        if (n := _own_chars_unparsed(html[:html.rfind(">", 0, size) + 1])) >= enough:
            return n
        size *= 4
    return _own_chars_unparsed(html)


def _own_chars_unparsed(html: str) -> int:
    html = _without_hidden(html)
    if not (start := _BODY_START.search(html)):
        return 0
    end = _BODY_END.search(html, start.end())
    return cjk_count(_TAG.sub("", _LINK.sub("", html[start.start():end.start() if end else len(html)])))


def _without_hidden(html: str) -> str:
    """The page without its comments, scripts and styles; cut at a script whose end is unsure."""
    out, pos = [], 0
    for m in _HIDDEN.finditer(html):
        out.append(html[pos:m.start()])
        if m.group(1) and _ESCAPED.search(m.group()):
            return "".join(out)
        pos = m.end()
    out.append(html[pos:])
    return "".join(out)


def is_listing_page(report_links: int, body_chars: int, *, paged: bool = False, column_title: bool = False) -> bool:
    """Decided from the page: no report text of its own, and several report links, or a CMS listing
    fingerprint with a report link or under a column's name (its records load from an API).

    report_links: distinct links on the page classified as reports (not counting the page itself);
    body_chars: CJK characters of the page outside links, scripts and styles; paged: a listing
    strategy other than the generic one recognised the page (createPageHTML, dataproxy.jsp…);
    column_title: the link that led here is named like a 年报 column, with no year.
    """
    return body_chars < LISTING_MAX_CHARS and (
        report_links >= 2 or (paged and (report_links >= 1 or column_title)))


def is_column_title(text: str | None) -> bool:
    """A name such as 政府信息公开年报 (a column), not a report title (those carry a year)."""
    t = norm(text)
    return bool(t) and not re.search(r"\d{4}", t) and bool(_COLUMN.match(t))
