"""Generic listings: plain <a> records with 下一页 / page-number / ?page= links, base64 pagers, iframe shells."""
from __future__ import annotations

import base64
import binascii
import re
from urllib.parse import unquote, urlsplit

import scrapy
from parsel import Selector

from crawler.classify import norm
from parsers.media import LINK_EXTS

from .links import Link, anchors, page_anchors

_NEXT = re.compile(r"^(下一?页|后一?页|下页|尾页|末页|next|>|›|»)$", re.I)
_LAST = re.compile(r"^(尾页|末页|最后一页|last|»)$", re.I)
# the page number in a page URL: ?page=7 or index_7.html / list_7.shtml
_NUMBERED = re.compile(r"(?P<pre>[?&](?:page|pageNum|pageNo|curpage|currentPage|pageIndex|p)=|_)"
                       r"(?P<n>\d+)(?P<post>(?:\.\w+)?(?:[&#].*)?)$", re.I)
_PAGE_PARAM = re.compile(r"[?&](page|pageNum|pageNo|curpage|currentPage|pageIndex|p)=\d+", re.I)
_B64_PAGER = re.compile(r"""atob\(\s*['"]([A-Za-z0-9+/=]{16,})['"]""")
_DOC_EXT = re.compile(rf"\.({'|'.join((*LINK_EXTS, 'zip', 'rar'))})(\?|$)", re.I)   # a file, never a page


def matches(response) -> bool:
    return True


def links(response) -> list[Link]:
    return page_anchors(response)


def _column_dir(url: str) -> str:
    parts = urlsplit(url)
    return parts.netloc + parts.path.rsplit("/", 1)[0] + "/"


def _same_column(url: str, base: str) -> bool:
    return _column_dir(url).startswith(_column_dir(base))


def _decoded_pager_links(response) -> list[Link]:
    """Yunnan-style pagers: the pager HTML sits base64-encoded (and URL-quoted) in a script."""
    out = []
    for blob in _B64_PAGER.findall(response.text):
        try:
            html = unquote(base64.b64decode(blob).decode("utf-8", "ignore"))
        except (binascii.Error, ValueError):
            continue
        out.extend(anchors(Selector(text=html), response.url, response.urljoin))
    return out


def _up_to_last(url: str, current: str) -> list[str]:
    """Every page URL from 2 to the one a 尾页 link names, so the pages need not be walked one by one."""
    m = _NUMBERED.search(url)
    if not m or int(m.group("n")) > 500:
        return []
    return [url[:m.start("n")] + str(k) + url[m.end("n"):] for k in range(2, int(m.group("n")))
            if url[:m.start("n")] + str(k) + url[m.end("n"):] != current]


def page_links(response) -> list[str]:
    """URLs of the listing's other pages: next/last links (all pages up to the last one when its URL
    is numbered), numbered links and ?page= links that stay inside the current column's directory."""
    urls = []
    for link in page_anchors(response) + _decoded_pager_links(response):
        text = norm(link.text)
        if not _same_column(link.url, response.url) or _DOC_EXT.search(link.url):
            continue
        if (_NEXT.match(text) or (text.isdigit() and len(text) <= 4)
                or (_PAGE_PARAM.search(link.url) and text.isdigit())):
            urls.append(link.url)
        if _LAST.match(text):
            urls.extend(_up_to_last(link.url, response.url))
    return list(dict.fromkeys(urls))


def iframe_shell(response) -> list[str]:
    """Same-site iframes that hold the real list (shell column pages)."""
    if response.selector.type != "html":  # a JSON or XML API reply (gkmlpt, dataproxy.jsp) has no iframes
        return []
    host = urlsplit(response.url).hostname
    out = []
    for src in response.xpath("//iframe/@src").getall():
        url = response.urljoin(src.strip())
        if urlsplit(url).hostname == host and not _DOC_EXT.search(url) and url != response.url:
            out.append(url)
    return out


def pages(response) -> list[scrapy.Request]:
    return [scrapy.Request(u) for u in page_links(response)]
