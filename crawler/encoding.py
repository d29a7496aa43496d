"""Relabel an HTML response with the encoding its bytes are really in (parsers.encoding decides)."""
from __future__ import annotations

from scrapy.http import TextResponse
from w3lib.encoding import http_content_type_encoding

from parsers.encoding import decode_html


def fix_encoding(response):
    """Return the response re-labelled with the encoding its bytes actually decode with.

    Scrapy trusts the HTTP header first; old portals send GBK bytes under "charset=utf-8" or a
    GB2312 <meta> that is really GBK. The GB family is read as GB18030 (its superset); the header's
    charset counts only where the page declares none.
    """
    if not isinstance(response, TextResponse):
        return response
    header = response.headers.get("Content-Type")
    declared = http_content_type_encoding(header.decode("latin-1")) if header else None
    _, encoding, _ = decode_html(response.body, declared)
    return response if encoding == response.encoding.lower() else response.replace(encoding=encoding)
