"""Which encoding HTML bytes are really in, whatever <meta> or the HTTP header claims (GBK under "utf-8")."""
from __future__ import annotations

import re

import charset_normalizer

_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.IGNORECASE)
_GB_FAMILY = {"gb2312", "gbk", "gb18030", "gb_2312-80", "x-gbk", "cp936", "ms936", "euc-cn", "csgb2312"}
_BOMS = ((b"\xef\xbb\xbf", "utf-8"), (b"\xff\xfe", "utf-16-le"), (b"\xfe\xff", "utf-16-be"))


def decode_html(data: bytes, declared: str | None = None) -> tuple[str, str, list[str]]:
    """Decode HTML bytes; returns (text, encoding, warnings). `declared` is the HTTP header's charset,
    heeded like a <meta> charset when the page has none.

    Order: BOM, strict UTF-8, strict GB18030 (the declared GB family, and any undeclared or
    single-byte declaration, which would decode anything into mojibake), Big5 when declared,
    then charset-normalizer; a lossy GB18030 decode is the last resort and is flagged.
    """
    for bom, enc in _BOMS:
        if data.startswith(bom):
            return data[len(bom):].decode(enc, "replace"), enc, []
    candidates = ["utf-8"]
    meta = _META_CHARSET.search(data[:4096])
    name = meta.group(1).decode("ascii", "ignore").lower() if meta else (declared or "").lower()
    if name in _GB_FAMILY:
        candidates.append("gb18030")
    elif name.startswith(("big5", "cp950")):     # double-byte like GB: must be tried before GB18030
        candidates += [name, "gb18030"]
    elif name:                                   # single-byte charsets decode anything: last
        candidates += ["gb18030", name]
    else:
        candidates.append("gb18030")
    for enc in candidates:
        try:
            return data.decode(enc), enc, []
        except (UnicodeDecodeError, LookupError):
            continue
    best = charset_normalizer.from_bytes(data[:200_000]).best()
    if best is not None and best.encoding:
        try:
            return data.decode(best.encoding), best.encoding, [f"HTML decoded as {best.encoding} (guessed)"]
        except (UnicodeDecodeError, LookupError):
            pass
    return (data.decode("gb18030", "replace"), "gb18030",
            ["HTML has undecodable bytes; decoded as GB18030 with replacements"])
