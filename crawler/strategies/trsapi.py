"""TRS "动静结合" listings: the first page(s) are static HTML, the rest come from the TRS search API
that the page's script calls through `require(["list2.trsapi", …])` and `listModel({…})`:
    listModel({quickMode: "动静结合", maxStaticIndex: 1,
               listArgs: {channelid: …, classsql: "chnlid=1813", sortfield: "-docorderpri,-docreltime"},
               pagebar: {prepage: 10, recordCount: '20', …}})
We ask the API for the pages after the static ones, with the arguments the script passes."""
from __future__ import annotations

import math
import re
from urllib.parse import urlencode

import scrapy

from .links import Link, page_anchors
from .records import find_records, json_body, record_links

DEFAULT_API = "/fjdzapp/search"  # the search service the TRS list2 module calls on Fujian portals
MAX_PAGES = 500
_CALL = re.compile(r"listModel\s*\(\s*\{(.*)\}\s*\)", re.S)
_BLOCK = r"""\b{name}\s*:\s*\{{([^{{}}]*)\}}"""
_PAIR = re.compile(r"""(\w+)\s*:\s*(?:'([^']*)'|"([^"]*)"|(-?\d+))""")
_API = re.compile(r"""\b(?:url|apiUrl|searchUrl|api)\s*:\s*['"]([^'"]+)['"]""")


def matches(response) -> bool:
    body = response.body
    return (b"listModel" in body and (b"trsapi" in body or "动静结合".encode() in body)) or \
        bool(response.meta.get("nb_trsapi"))


def _pairs(text: str) -> dict:
    return {k: next((v for v in vals if v), "") for k, *vals in _PAIR.findall(text)}


def config(text: str) -> dict | None:
    """The listModel arguments: top level, listArgs and pagebar, flattened per block."""
    m = _CALL.search(text)
    if not m:
        return None
    call = m.group(1)
    blocks = {}
    for name in ("listArgs", "pagebar"):
        b = re.search(_BLOCK.format(name=name), call)
        blocks[name] = _pairs(b.group(1)) if b else {}
    top = _pairs(re.sub(r"\{[^{}]*\}", "", call))
    api = _API.search(call)
    return {"args": blocks["listArgs"], "pagebar": blocks["pagebar"], "top": top,
            "api": api.group(1) if api else DEFAULT_API}


def links(response) -> list[Link]:
    data = json_body(response)
    if data is not None:
        return record_links(find_records(data), response.urljoin)
    return page_anchors(response)


def pages(response) -> list[scrapy.Request]:
    if json_body(response) is not None:
        return []  # every API page is asked for from the static page
    cfg = config(response.text)
    if cfg is None:
        return []
    bar, top = cfg["pagebar"], cfg["top"]
    try:
        per = int(bar.get("prepage") or 10)
        total = int(bar.get("recordCount") or 0)
        static = int(top.get("maxStaticIndex") or 1)
    except ValueError:
        return []
    count = min(MAX_PAGES, math.ceil(total / per)) if per > 0 else 0
    out = []
    for page in range(static + 1, count + 1):
        query = {**cfg["args"], "prepage": per, "page": page}
        out.append(scrapy.Request(response.urljoin(cfg["api"]) + "?" + urlencode(query),
                                  meta={"nb_strategy": "trsapi", "nb_trsapi": True}))
    return out
