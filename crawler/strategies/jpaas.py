"""Hanweb JPaaS (newer Hanweb): the column shell carries webId, pageId, tplSetId and tagId; the records
come from GET /api-gateway/jpaas-publish-server/front/page/build/unit?…&paramJson={"pageNo":k,…}
as JSON whose data.html holds the list. Paging works only through paramJson (portals.md §2)."""
from __future__ import annotations

import json
import re
from urllib.parse import urlencode

import scrapy
from parsel import Selector

from .links import Link, anchors, page_anchors
from .records import json_body

API = "/api-gateway/jpaas-publish-server/front/page/build/unit"
PAGE_SIZE = 15
MAX_PAGES = 300
_KEYS = ("webId", "pageId", "tplSetId", "tagId")
_VALUE = r"""\b{key}['"]?\s*[:=]\s*['"]?([\w-]+)"""


def matches(response) -> bool:
    return b"jpaas-publish-server" in response.body or "nb_jpaas" in response.meta


def _html(response) -> str | None:
    data = json_body(response)
    if not isinstance(data, dict):
        return None
    inner = data.get("data")
    value = inner.get("html") if isinstance(inner, dict) else inner if isinstance(inner, str) else None
    return value if isinstance(value, str) else ""


def links(response) -> list[Link]:
    html = _html(response)
    if html is None:
        return page_anchors(response)
    return anchors(Selector(text=html or "<html></html>"), response.url, response.urljoin)


def _page(cfg: dict, k: int, first: str | None) -> scrapy.Request:
    query = {**cfg["ids"], "parseType": "bulidstatic", "pageType": "column",
             "paramJson": json.dumps({"pageNo": k, "pageSize": str(PAGE_SIZE)}, separators=(",", ":"))}
    return scrapy.Request(f"{cfg['api']}?{urlencode(query)}",
                          meta={"nb_strategy": "jpaas", "nb_jpaas": {**cfg, "page": k, "first": first}})


def pages(response) -> list[scrapy.Request]:
    cfg = response.meta.get("nb_jpaas")
    if cfg is None:  # the shell: ask for page 1
        ids = {}
        for key in _KEYS:
            m = re.search(_VALUE.format(key=key), response.text)
            if not m:
                return []
            ids[key] = m.group(1)
        return [_page({"api": response.urljoin(API), "ids": ids}, 1, None)]
    found = links(response)
    # one page after another until a page is empty or repeats the previous one (servers that answer
    # any pageNo beyond the last with the last page)
    if not found or found[0].url == cfg["first"] or cfg["page"] >= MAX_PAGES:
        return []
    return [_page(cfg, cfg["page"] + 1, found[0].url)]
