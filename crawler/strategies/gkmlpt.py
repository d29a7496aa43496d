"""Guangdong gkmlpt catalogues: a SPA shell whose records come from a JSON API
`/gkmlpt/api/all/<cat>?page=<n>&sid=<sid>` (portals.md §2, §8)."""
from __future__ import annotations

import json
import math
import re
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import scrapy

from crawler.classify import norm

from .links import Link

_REPORT_CATEGORY = re.compile(r"年报|年度报告")

_API = re.compile(r"""['"]((?:https?://[^'"\s]+)?/[^'"\s]*?gkmlpt/api/[^'"\s]+)['"]""")
_SID = re.compile(r"""\bsid['"]?\s*[:=]\s*['"]?(\w+)""", re.I)
_TREE_NODE = re.compile(r"""['"]?id['"]?\s*:\s*(\d+)\s*,\s*['"]?name['"]?\s*:\s*['"]([^'"]+)['"]""")
_CAT = re.compile(r"""\b(?:cat|catid|cat_id|category|column|columnid)['"]?\s*[:=]\s*['"]?(\d+)""", re.I)


def _json(response):
    body = response.body.lstrip()
    if body[:1] not in (b"{", b"["):
        return None
    try:
        return json.loads(body.decode(response.encoding if hasattr(response, "encoding") else "utf-8"))
    except (ValueError, UnicodeDecodeError):
        return None


def matches(response) -> bool:
    return b"gkmlpt" in response.body or "/gkmlpt/api/" in response.url


def _articles(data) -> list[dict]:
    if isinstance(data, dict):
        for key in ("articles", "data", "list", "records", "items"):
            value = data.get(key)
            if isinstance(value, list):
                return value
            if isinstance(value, dict):
                return _articles(value)
    return data if isinstance(data, list) else []


def links(response) -> list[Link]:
    data = _json(response)
    out = []
    for art in _articles(data):
        if isinstance(art, dict) and art.get("url"):
            title = " ".join(str(art.get("title", "")).split())
            out.append(Link(response.urljoin(art["url"]), title, title))
    return out


def _with_page(url: str, page: int) -> str:
    parts = urlsplit(url)
    query = dict(parse_qsl(parts.query, keep_blank_values=True))
    query["page"] = str(page)
    return urlunsplit(parts._replace(query=urlencode(query)))


def pages(response) -> list[scrapy.Request]:
    data = _json(response)
    if data is None:  # the shell: find the API call, or build it from sid and category
        text = response.text
        apis = [response.urljoin(u) for u in _API.findall(text)]
        sid = _SID.search(text)
        if not apis and sid:
            # the category tree names each catalogue: take the 年报 ones, else an explicit category id
            cats = [c for c, name in _TREE_NODE.findall(text) if _REPORT_CATEGORY.search(norm(name))]
            if not cats and (cat := _CAT.search(text)):
                cats = [cat.group(1)]
            root = response.url.split("/gkmlpt/", 1)[0] if "/gkmlpt/" in response.url else response.urljoin("/")
            apis = [f"{root.rstrip('/')}/gkmlpt/api/all/{cat}?sid={sid.group(1)}" for cat in cats]
        return [scrapy.Request(_with_page(u, 1) if "page=" not in u else u, meta={"nb_strategy": "gkmlpt"})
                for u in dict.fromkeys(apis)]
    page = int(dict(parse_qsl(urlsplit(response.url).query)).get("page", "1") or 1)
    total = data.get("total") if isinstance(data, dict) else None
    size = len(_articles(data))
    if page != 1 or not size or not isinstance(total, int):
        return []
    count = math.ceil(total / size)
    return [scrapy.Request(_with_page(response.url, k), meta={"nb_strategy": "gkmlpt"}) for k in range(2, count + 1)]
