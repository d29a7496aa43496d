"""Epoint WebBuilder (新点, "EWB"): the column page carries EWB-FRONT or a govInfoPub URL with deptcode
and categorynum; siteGuid and projectName sit in `var siteInfo = {…}` of /js/webBuilderCommon.js;
records come from a JSON POST to <projectName>/rest/lightfrontaction/getgovinfolist
{deptcode, categorynum, siteGuid, pageIndex, pageSize}, answered as custom.data[] (portals.md §2)."""
from __future__ import annotations

import re

import scrapy
from scrapy.http import JsonRequest

from .links import Link, page_anchors
from .records import find_records, json_body, record_links

PAGE_SIZE = 20
MAX_PAGES = 300
COMMON_JS = "/js/webBuilderCommon.js"
_FIELD = r"""\b{key}['"]?\s*[:=]\s*['"]?([\w./-]+)"""
_COMMON = re.compile(r"""src=['"]([^'"]*webBuilderCommon\.js)""")
_SITE_INFO = re.compile(r"siteInfo\s*=\s*\{(.*?)\}", re.S)


def matches(response) -> bool:
    body = response.body
    # a govInfoPub link alone (a home page linking the catalogue) is not the catalogue itself
    return (b"EWB-FRONT" in body or b"getgovinfolist" in body or "govInfoPub" in response.url
            or "nb_epoint" in response.meta)


def _field(text: str, key: str) -> str | None:
    m = re.search(_FIELD.format(key=key), text, re.I)
    return m.group(1) if m else None


def links(response) -> list[Link]:
    data = json_body(response)
    if data is not None:
        return record_links(find_records(data.get("custom", data) if isinstance(data, dict) else data),
                            response.urljoin)
    if "nb_epoint" in response.meta:  # the site's common script
        return []
    return page_anchors(response)


def _post(cfg: dict, index: int) -> JsonRequest:
    data = {"deptcode": cfg["deptcode"], "categorynum": cfg["categorynum"], "siteGuid": cfg["siteGuid"],
            "pageIndex": index, "pageSize": PAGE_SIZE}
    return JsonRequest(cfg["api"], data=data, meta={"nb_strategy": "epoint", "nb_epoint": {**cfg, "index": index}})


def pages(response) -> list[scrapy.Request]:
    cfg = response.meta.get("nb_epoint")
    if cfg is None:  # the column page: read deptcode/categorynum, then fetch the common script
        text = response.text
        dept, cat = _field(text, "deptcode"), _field(text, "categorynum")
        if not (dept and cat):
            return []
        common = _COMMON.search(text)
        return [scrapy.Request(response.urljoin(common.group(1) if common else COMMON_JS),
                               meta={"nb_strategy": "epoint", "nb_epoint": {"deptcode": dept, "categorynum": cat}})]
    if "api" not in cfg:  # the common script: siteInfo gives the project and the site
        info = _SITE_INFO.search(response.text)
        guid = _field(info.group(1), "siteGuid") if info else None
        if not info or not guid:
            return []
        project = (_field(info.group(1), "projectName") or "").strip("/")
        api = response.urljoin(f"/{project}/rest/lightfrontaction/getgovinfolist" if project
                               else "/rest/lightfrontaction/getgovinfolist")
        return [_post({**cfg, "siteGuid": guid, "api": api}, 0)]
    if len(links(response)) < PAGE_SIZE or cfg["index"] + 1 >= MAX_PAGES:
        return []
    return [_post(cfg, cfg["index"] + 1)]
