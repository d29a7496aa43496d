"""TrueCMS (Jiangsu, e.g. Nantong): the column page names `columnId:'…'` and
`proxyUrl:'…/messageController/getMessage.do'`; records come from a GET with startrecord, endrecord,
perpage, columnId and callback, answered as JSONP whose `result` holds HTML or XML records
(portals.md §2). The window size must be the page's own; some servers want a Referer."""
from __future__ import annotations

import re
from urllib.parse import urlencode

import scrapy
from parsel import Selector

from .links import Link, anchors, page_anchors
from .records import find_number, json_body

DEFAULT_PER = 20
MAX_WINDOWS = 200
_PROXY = re.compile(r"""proxyUrl['"]?\s*[:=]\s*['"]([^'"]*getMessage\.do)['"]""")
_ANY_PROXY = re.compile(r"""['"]([^'"\s]*messageController/getMessage\.do)""")
_COLUMN = re.compile(r"""columnId['"]?\s*[:=]\s*['"]?(\w+)""")
_PER = re.compile(r"""(?:perpage|pageSize|perPage)['"]?\s*[:=]\s*['"]?(\d+)""")
_CDATA = re.compile(r"<!\[CDATA\[|\]\]>")


def matches(response) -> bool:
    return b"getMessage.do" in response.body or "nb_truecms" in response.meta


def links(response) -> list[Link]:
    data = json_body(response)
    if data is None:
        return page_anchors(response)
    result = data.get("result") if isinstance(data, dict) else None
    if not isinstance(result, str):
        return []
    return anchors(Selector(text=_CDATA.sub("", result)), response.url, response.urljoin)


def _window(cfg: dict, start: int, referer: str) -> scrapy.Request:
    query = {"startrecord": start, "endrecord": start + cfg["per"] - 1, "perpage": cfg["per"],
             "columnId": cfg["column"], "callback": "jQuery_nianbao"}
    return scrapy.Request(f"{cfg['proxy']}?{urlencode(query)}", headers={"Referer": referer},
                          meta={"nb_strategy": "truecms", "nb_truecms": {**cfg, "start": start}})


def pages(response) -> list[scrapy.Request]:
    cfg = response.meta.get("nb_truecms")
    if cfg is None:  # the column page: its first window
        text = response.text
        proxy, column = _PROXY.search(text) or _ANY_PROXY.search(text), _COLUMN.search(text)
        if not (proxy and column):
            return []
        per = _PER.search(text)
        cfg = {"proxy": response.urljoin(proxy.group(1)), "column": column.group(1),
               "per": int(per.group(1)) if per else DEFAULT_PER, "referer": response.url}
        return [_window(cfg, 1, response.url)]
    if not links(response):
        return []
    total = find_number(json_body(response), "total", "totalRecord", "totalrecord", "count")
    if total is None:  # unknown: the windows one by one, until one comes back empty
        nxt = cfg["start"] + cfg["per"]
        return [_window(cfg, nxt, cfg["referer"])] if nxt <= cfg["per"] * MAX_WINDOWS else []
    if cfg["start"] != 1:
        return []
    return [_window(cfg, s, cfg["referer"]) for s in range(1 + cfg["per"], total + 1, cfg["per"])][:MAX_WINDOWS]
