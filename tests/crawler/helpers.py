"""Small helpers for crawler tests: responses built from literal bytes."""
from scrapy.http import HtmlResponse, Request, TextResponse


def html(url: str, body: str | bytes, *, encoding="utf-8", headers=None, meta=None) -> HtmlResponse:
    data = body.encode(encoding) if isinstance(body, str) else body
    return HtmlResponse(url, body=data, headers=headers or {"Content-Type": f"text/html; charset={encoding}"},
                        request=Request(url, meta=meta or {}))


def text(url: str, body: str, content_type: str, meta=None) -> TextResponse:
    return TextResponse(url, body=body.encode("utf-8"), headers={"Content-Type": content_type},
                        request=Request(url, meta=meta or {}))
