"""Media type of a document from its magic numbers and structure, never from a file name."""
from __future__ import annotations

import io
import re
import zipfile

import olefile

from parsers.limits import check_size
from parsers.media import DOC, DOCX, HTML, JPEG, KINDS, PDF, PNG, TEXT, TIFF, WPS, XLS
from parsers.model import ParseError

__all__ = ["DOC", "DOCX", "HTML", "JPEG", "PDF", "PNG", "TEXT", "TIFF", "WPS", "XLS", "sniff"]

_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_HTML_START = re.compile(
    r"<\s*(!doctype\s+html|html|head|body|meta|title|table|div|p|span|br|h[1-6]|!--|script|style|link|center|font)[\s>/]",
    re.I)
_CONTROLS = re.compile(r"[\x00-\x08\x0b\x0e-\x19\x1b-\x1f]")     # C0 controls other than \t\n\f\r and \x1a (EOF)


def sniff(data: bytes) -> str:
    """Return the media type of `data`; raise ParseError for empty or unidentifiable input."""
    check_size(data)
    head = data[:1024]
    if b"%PDF-" in head:
        return PDF
    if data.startswith(b"PK\x03\x04"):
        return _zip_type(data)
    if data.startswith(_OLE_MAGIC):
        return _ole_type(data)
    for kind in KINDS:
        if kind.magic and data.startswith(kind.magic):
            return kind.media_type
    text = _as_text(data[:65536])
    if text is None:
        raise ParseError(f"unrecognised binary file (starts with {data[:8].hex()})")
    if _HTML_START.search(text.lstrip("\ufeff \t\r\n")[:4096]):
        return HTML
    return TEXT


def _zip_type(data: bytes) -> str:
    try:
        names = set(zipfile.ZipFile(io.BytesIO(data)).namelist())
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise ParseError(f"corrupt zip archive: {exc}") from None
    if "word/document.xml" in names:
        return DOCX
    if "xl/workbook.xml" in names:
        raise ParseError("unsupported format: Excel workbook (xlsx)")
    raise ParseError("unsupported zip archive (not a Word document)")


def _ole_type(data: bytes) -> str:
    try:
        ole = olefile.OleFileIO(io.BytesIO(data))
        streams = {"/".join(path).lower() for path in ole.listdir(streams=True, storages=True)}
    except (OSError, ValueError, IndexError, KeyError) as exc:
        raise ParseError(f"corrupt OLE2 (Office 97-2003) file: {exc}") from None
    if "worddocument" in streams:
        return DOC       # Word 97-2003, and WPS Office (Kingsoft) files, which use the same binary format
    if {"contents", "matost"} & streams:
        return WPS       # Microsoft Works / older Kingsoft word processor files
    if {"workbook", "book"} & streams:
        return XLS
    raise ParseError("unsupported OLE2 (Office 97-2003) file: no Word document stream")


def _as_text(sample: bytes) -> str | None:
    """Decoded sample when it looks like text (no NULs, decodable as UTF-8/UTF-16 BOM/GB18030)."""
    if sample.startswith((b"\xff\xfe", b"\xfe\xff")):
        return sample.decode("utf-16", "replace")
    if b"\x00" in sample:
        return None
    for enc in ("utf-8", "gb18030"):
        try:
            text = sample.decode(enc)
        except UnicodeDecodeError as exc:
            if exc.start < len(sample) - 4:     # a multibyte char cut at the end of the sample is fine
                continue
            text = sample[:exc.start].decode(enc)
        controls = len(_CONTROLS.findall(text))
        return text if controls <= len(text) // 100 else None
    return None
