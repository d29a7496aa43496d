"""Hanweb (大汉) jpage columns: the first records sit as CDATA in <script type="text/xml">, later
groups come only from a POST to dataproxy.jsp (portals.md §2)."""
from __future__ import annotations

import re
from urllib.parse import parse_qsl, urlsplit

import scrapy
from parsel import Selector

from .links import Link, anchors, page_anchors

_RECORD = re.compile(r"<record>\s*<!\[CDATA\[(.*?)\]\]>\s*</record>", re.S)
_NEXTGROUP = re.compile(r"<nextgroup>\s*<!\[CDATA\[(.*?)\]\]>", re.S)
_PROXY = re.compile(r"""['"]([^'"\s]*?/dataproxy\.jsp)[^'"\s]*['"]""")
_PARAM = re.compile(r"var\s+param_\w+\s*=\s*\{(.*?)\}", re.S)
_PAIR = re.compile(r"""(\w+)\s*:\s*(?:'([^']*)'|"([^"]*)"|([^,}\s]+))""")
_TOTAL = re.compile(r"""totalRecord\s*[:=]\s*['"]?(\d+)|<totalrecord>\s*(\d+)\s*</totalrecord>""", re.I)
_PERPAGE = re.compile(r"""perpage\s*[:=]\s*['"]?(\d+)""", re.I)
DEFAULT_PROXY = "/module/web/jpage/dataproxy.jsp"


def matches(response) -> bool:
    body = response.body
    return b"dataproxy.jsp" in body or b"<datastore>" in body


def _records(text: str) -> list[str]:
    return _RECORD.findall(text)


def links(response) -> list[Link]:
    out = []
    for html in _records(response.text):
        out.extend(anchors(Selector(text=html), response.url, response.urljoin))
    if not response.meta.get("nb_hanweb"):  # the column page itself: its other anchors too
        out.extend(page_anchors(response))
    return out


def _config(response) -> dict:
    """Where and what to POST: the proxy URL, the form fields, the group size and the total."""
    text = response.text
    form = {}
    m = _PARAM.search(text)
    if m:
        for key, *vals in _PAIR.findall(m.group(1)):
            form[key] = next((v for v in vals if v), "")
    proxy = None
    ng = _NEXTGROUP.search(text)
    if ng:
        href = Selector(text=ng.group(1)).xpath("//a/@href").get()
        if href:
            proxy = response.urljoin(href.split("?", 1)[0])
            if not form:
                form = dict(parse_qsl(urlsplit(href).query, keep_blank_values=True))
    if proxy is None:
        pm = _PROXY.search(text)
        proxy = response.urljoin(pm.group(1) if pm else DEFAULT_PROXY)
    for k in ("startrecord", "endrecord", "perpage"):
        form.pop(k, None)
    t = _TOTAL.search(text)
    total = int(t.group(1) or t.group(2)) if t else None
    p = _PERPAGE.search(text)
    perpage = int(p.group(1)) if p else 15
    inline = len(_records(text))
    return {"proxy": proxy, "form": form, "perpage": perpage, "step": inline or perpage * 3,
            "total": total, "next": inline + 1}


def group_requests(cfg: dict, start: int, total: int | None) -> list[scrapy.Request]:
    """POSTs for the record groups from `start` on: all of them when the total is known, else one."""
    out: list[scrapy.Request] = []
    step, s = cfg["step"], start
    while total is None or s <= total:
        e = s + step - 1
        url = f"{cfg['proxy']}?startrecord={s}&endrecord={e}&perpage={cfg['perpage']}"
        out.append(scrapy.FormRequest(url, formdata=cfg["form"],
                                      meta={"nb_hanweb": {**cfg, "next": e + 1}, "nb_strategy": "hanweb"}))
        if total is None:
            break
        s = e + 1
    return out


def pages(response) -> list[scrapy.Request]:
    cfg = response.meta.get("nb_hanweb")
    if cfg is None:  # the column page: schedule every group after the inline one
        cfg = _config(response)
        return group_requests(cfg, cfg["next"], cfg["total"])
    if cfg["total"] is None and _records(response.text):  # a proxy reply; the total may be here
        t = _TOTAL.search(response.text)
        total = int(t.group(1) or t.group(2)) if t else None
        return group_requests({**cfg, "total": total}, cfg["next"], total)
    return []
