"""Link records found on listing pages, and the anchor extraction every strategy shares."""
from __future__ import annotations

import re
from typing import NamedTuple

from parsel import Selector

_JS_URL = re.compile(r"""(?:window\.open|location(?:\.href)?\s*=|openUrl|openWin)\s*\(?\s*['"]([^'"]+)['"]""")
_SKIP = re.compile(r"^\s*(javascript:|mailto:|tel:|#|$)", re.I)


class Link(NamedTuple):
    url: str
    title: str   # the title attribute when present (listings truncate the visible text), else the text
    text: str    # the visible anchor text


def _clean(s: str | None) -> str:
    return " ".join((s or "").split())


def anchors(selector: Selector, base_url: str, urljoin) -> list[Link]:
    """Every <a> with a usable href (or a window.open/location onclick) in the selector."""
    out = []
    for a in selector.xpath("//a"):
        href = a.attrib.get("href", "")
        if _SKIP.match(href):
            m = _JS_URL.search(a.attrib.get("onclick", "") or href)
            if not m:
                continue
            href = m.group(1)
        text = _clean(" ".join(a.xpath(".//text()").getall()))
        title = _clean(a.attrib.get("title")) or text
        out.append(Link(urljoin(href.strip()), title, text))
    return out


def page_anchors(response) -> list[Link]:
    return anchors(response.selector, response.url, response.urljoin)
