"""Pick the right text encoding for an HTML response whose HTTP header and <meta> may disagree."""
from __future__ import annotations

import re

from scrapy.http import TextResponse

_META = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([\w-]+)""", re.I)
_GB = {"gb2312", "gbk", "gb18030", "x-gbk", "cp936", "gb_2312-80"}


def _canon(name: str) -> str:
    name = name.lower()
    return "gb18030" if name in _GB else name


def _decodes(body: bytes, enc: str) -> bool:
    try:
        body.decode(enc)
    except (UnicodeDecodeError, LookupError):
        return False
    return True


def fix_encoding(response):
    """Return the response re-labelled with an encoding its bytes actually decode with.

    Scrapy trusts the HTTP header first; old portals send GBK bytes under "charset=utf-8" or a
    GB2312 <meta> that is really GBK. The GB family is read as GB18030 (its superset).
    """
    if not isinstance(response, TextResponse):
        return response
    body = response.body
    current = _canon(response.encoding)
    if _decodes(body, current):
        return response if current == response.encoding.lower() else response.replace(encoding=current)
    m = _META.search(body[:4096])
    candidates = ([_canon(m.group(1).decode("ascii", "ignore"))] if m else []) + ["utf-8", "gb18030"]
    for enc in candidates:
        if enc != current and _decodes(body, enc):
            return response.replace(encoding=enc)
    from charset_normalizer import from_bytes

    best = from_bytes(body[:65536]).best()
    return response.replace(encoding=_canon(best.encoding)) if best else response
