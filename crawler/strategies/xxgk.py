"""The Hanweb xxgk catalogue: a tree (tree.jsp?area=<code>) beside a result table filled by a POST to
/module/xxgk/search.jsp with the catalogue's form fields and currpage=<k>; the reply says "共N页" and may
hold the whole area's entries, so only hrefs of this column (art_<colid>_) are kept (portals.md §2)."""
from __future__ import annotations

import re

import scrapy

from .links import Link, page_anchors

SEARCH = "/module/xxgk/search.jsp"
MAX_PAGES = 300
_FIELD = r"""\b{key}['"]?\s*[:=]\s*['"]?([\w-]*)"""
_TOTAL = re.compile(r"共\s*(\d+)\s*页")


def matches(response) -> bool:
    body = response.body
    return b"module/xxgk/search.jsp" in body or b"tree.jsp?area=" in body or "nb_xxgk" in response.meta


def _field(text: str, key: str) -> str | None:
    m = re.search(_FIELD.format(key=key), text)
    return m.group(1) if m else None


def links(response) -> list[Link]:
    found = page_anchors(response)
    cfg = response.meta.get("nb_xxgk")
    if cfg and cfg.get("colid"):
        own = [link for link in found if f"art_{cfg['colid']}_" in link.url]
        return own or found
    return found


def _search(cfg: dict, page: int) -> scrapy.FormRequest:
    form = {"infotypeId": cfg["infotypeId"], "jdid": cfg["jdid"], "area": cfg["area"], "divid": cfg["divid"],
            "vc_title": "", "vc_number": "", "vc_filenumber": "", "vc_all": "", "texttype": "",
            "fbtime": "-1", "sortfield": ",createdatetime:0,orderid:0", "currpage": str(page)}
    return scrapy.FormRequest(cfg["search"], formdata=form,
                              meta={"nb_strategy": "xxgk", "nb_xxgk": {**cfg, "page": page}})


def pages(response) -> list[scrapy.Request]:
    cfg = response.meta.get("nb_xxgk")
    if cfg is None:  # the catalogue page: its area and column, then page 1 of the search
        text = response.text
        area = _field(text, "area")
        if not area:
            return []
        divid = _field(text, "divid") or ""
        cfg = {"search": response.urljoin(SEARCH), "area": area, "divid": divid,
               "infotypeId": _field(text, "infotypeId") or "", "jdid": _field(text, "jdid") or "",
               "colid": divid[3:] if divid.startswith("div") else None}
        return [_search(cfg, 1)]
    total = _TOTAL.search(response.text)
    if cfg["page"] != 1 or not total:
        return []
    return [_search(cfg, k) for k in range(2, min(int(total.group(1)), MAX_PAGES) + 1)]
