"""Records in the JSON (or JSONP) replies of listing APIs: find the list, read a title and a URL."""
from __future__ import annotations

import json
import re

from .links import Link

_JSONP = re.compile(rb"^\s*[\w$.]+\s*\((.*)\)\s*;?\s*$", re.S)
TITLE_KEYS = ("title", "doctitle", "DOCTITLE", "name", "infotitle", "vc_title")
URL_KEYS = ("url", "infourl", "docpuburl", "DOCPUBURL", "chnldocurl", "link", "href", "post_url")
LIST_KEYS = ("docs", "data", "list", "records", "rows", "items", "articles", "datas", "result")


def json_body(response):
    """The parsed JSON of a reply (a JSONP callback is unwrapped), or None for any other body."""
    body = response.body
    m = _JSONP.match(body)
    if m and body.lstrip()[:1] not in (b"{", b"["):
        body = m.group(1)
    if body.lstrip()[:1] not in (b"{", b"["):
        return None
    try:
        return json.loads(body.decode(getattr(response, "encoding", None) or "utf-8"))
    except (ValueError, UnicodeDecodeError, LookupError):
        return None


def find_records(data, depth: int = 0) -> list[dict]:
    """The first list of objects under a usual key, searched a few levels deep."""
    if isinstance(data, list):
        return [r for r in data if isinstance(r, dict)]
    if not isinstance(data, dict) or depth > 3:
        return []
    for key in LIST_KEYS:
        value = data.get(key)
        if isinstance(value, list) and any(isinstance(v, dict) for v in value):
            return [r for r in value if isinstance(r, dict)]
    for value in data.values():
        if isinstance(value, dict):
            found = find_records(value, depth + 1)
            if found:
                return found
    return []


def record_links(records: list[dict], urljoin) -> list[Link]:
    out = []
    for rec in records:
        url = next((rec[k] for k in URL_KEYS if isinstance(rec.get(k), str) and rec[k].strip()), None)
        if url:
            title = " ".join(str(next((rec[k] for k in TITLE_KEYS if rec.get(k)), "")).split())
            out.append(Link(urljoin(url.strip()), title, title))
    return out


def find_number(data, *keys: str):
    """The first integer value under one of `keys`, searched a few levels deep."""
    stack = [data]
    while stack:
        d = stack.pop(0)
        if isinstance(d, dict):
            for k in keys:
                v = d.get(k)
                if isinstance(v, int) or (isinstance(v, str) and v.isdigit()):
                    return int(v)
            stack.extend(v for v in d.values() if isinstance(v, dict))
    return None
