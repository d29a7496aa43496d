"""TRS WCM listings paginated by createPageHTML, in both signatures (portals.md §2).

classic:  createPageHTML(<count>, <current 0-based>, "index", "html")   page k>1 = index_{k-1}.html
page_div: createPageHTML('page_div', <count>, <current 1-based>, 'list', 'shtml', <records>)
                                                                       page k>1 = list_{k}.shtml
"""
from __future__ import annotations

import re

import scrapy

from . import paging
from .links import Link, page_anchors

_CLASSIC = re.compile(r"""createPageHTML\(\s*(\d+)\s*,\s*(\d+)\s*,\s*['"]([\w.-]+)['"]\s*,\s*['"](\w+)['"]""")
_PAGE_DIV = re.compile(
    r"""createPageHTML\(\s*['"][\w-]+['"]\s*,\s*(\d+)\s*,\s*(\d+)\s*,\s*['"]([\w.-]+)['"]\s*,\s*['"](\w+)['"]""")


def matches(response) -> bool:
    return b"createPageHTML" in response.body


def links(response) -> list[Link]:
    return page_anchors(response)


def page_urls(text: str, base_url: str) -> list[str]:
    """The URLs of pages 2..n that the createPageHTML call describes."""
    directory = base_url.split("?", 1)[0].rsplit("/", 1)[0] + "/"
    m = _PAGE_DIV.search(text)
    if m:
        count, prefix, ext = int(m.group(1)), m.group(3), m.group(4)
        return [f"{directory}{prefix}_{k}.{ext}" for k in range(2, count + 1)]
    m = _CLASSIC.search(text)
    if m:
        count, prefix, ext = int(m.group(1)), m.group(3), m.group(4)
        return [f"{directory}{prefix}_{k}.{ext}" for k in range(1, count)]
    return []


def pages(response) -> list[scrapy.Request]:
    if not (_PAGE_DIV.search(response.text) or _CLASSIC.search(response.text)):
        return paging.pages(response)  # the script is there but unreadable: use the pager links
    urls = page_urls(response.text, response.url)
    return [scrapy.Request(u) for u in urls if u != response.url]
