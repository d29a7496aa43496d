"""Safe file names from hostile Content-Disposition headers, paths kept inside the data directory,
document media types sniffed from bytes, and firewall/JS-challenge pages served in place of a file."""
from __future__ import annotations

import re
import unicodedata
from pathlib import Path, PurePosixPath
from urllib.parse import unquote, urlsplit

from parsers.media import XLSX
from parsers.model import ParseError
from parsers.sniff import sniff

_MAX_NAME = 150
_BAD_CHARS = re.compile(r'[\x00-\x1f\x7f<>:"/\\|?*]')


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    for enc in ("utf-8", "gb18030"):
        try:
            return value.decode(enc)
        except UnicodeDecodeError:
            continue
    return value.decode("latin-1")


def _name_from_disposition(header: str) -> str:
    """The file name a Content-Disposition header offers: RFC 5987 filename* first, then filename."""
    m = re.search(r"filename\*\s*=\s*([^;]+)", header, re.I)
    if m:
        charset, _, rest = m.group(1).strip().strip('"').partition("'")
        encoded = rest.partition("'")[2]
        try:
            return unquote(encoded, encoding=charset or "utf-8", errors="replace")
        except LookupError:
            return unquote(encoded)
    m = re.search(r"filename\s*=\s*(\"([^\"]*)\"|[^;]+)", header, re.I)
    if not m:
        return ""
    name = m.group(2) if m.group(2) is not None else m.group(1).strip()
    return unquote(name) if "%" in name else name


def _clean(raw: str) -> str:
    """The last path part of `raw`, without control/reserved characters or leading dots, bounded."""
    name = re.split(r"[/\\]", unicodedata.normalize("NFC", raw))[-1]
    name = _BAD_CHARS.sub("_", name).strip().lstrip(".").strip()
    if len(name) > _MAX_NAME:
        stem, dot, ext = name.rpartition(".")
        name = (stem[: _MAX_NAME - len(ext) - 1] + "." + ext) if dot and len(ext) <= 8 else name[:_MAX_NAME]
    return name


def safe_filename(content_disposition=None, url: str = "") -> str:
    """A file name safe to use in a directory: from the Content-Disposition header, else the URL's
    last segment, else "download"; no path parts, control or reserved characters, leading dots."""
    name = _clean(_name_from_disposition(_text(content_disposition))) if content_disposition else ""
    return name or _clean(unquote(PurePosixPath(urlsplit(url).path).name)) or "download"


def safe_join(base, name: str) -> Path:
    """base/name for an untrusted name, refusing any result outside base (after resolving links)."""
    root = Path(base).resolve()
    target = (root / (_clean(name) or "download")).resolve()
    if root not in target.parents:
        raise ValueError(f"file name escapes the data directory: {name!r}")
    return target


def sniff_media(data: bytes) -> str | None:
    """The media type recognised from the bytes, or None when unknown."""
    # only ZIP and OLE2 containers need the whole file; text and PDF are told from the first bytes
    whole = data.startswith((b"PK\x03\x04", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"))
    try:
        return sniff(data if whole else data[:2048])
    except ParseError:  # the parser refuses workbooks it cannot read, but they are still documents
        if data.startswith(b"PK\x03\x04") and b"xl/workbook" in data:
            return XLSX
        return None


_CHALLENGE = re.compile(
    r"__jsl_clearance|acw_sc__v2|yunsuo_session|_waf_|waf\b|安全狗|创宇盾|云锁|安全验证|人机验证|访问验证"
    r"|访问被(拦截|阻断)|请开启JavaScript|enable JavaScript|Just a moment|challenge|请求被拒绝"
    r"|document\.cookie\s*=.{0,400}(location|reload)",
    re.I | re.S,
)


# a single-page app's shell says "please enable JavaScript" inside <noscript>: that is no challenge
_NOSCRIPT = re.compile(r"<noscript\b.*?</noscript>", re.I | re.S)


def challenge_reason(body: bytes, status: int = 200) -> str | None:
    """Why this HTML looks like a firewall or JS-challenge page, or None."""
    head = _NOSCRIPT.sub("", body[:16384].decode("utf-8", "ignore"))
    m = _CHALLENGE.search(head)
    if m:
        return f"blocked: firewall/JS-challenge page ({m.group(0)[:40]!r}, HTTP {status})"
    if status in (403, 412, 429, 521):
        return f"blocked: HTTP {status}"
    return None
