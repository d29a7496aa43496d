"""The document media types, one row each: stored extension, magic, reader, and link extensions.

Sniffing (parsers.sniff), the readers (parsers.core), the spider's attachment links and document
check (crawler) and the raw store's file names (pipelines.rawstore) all read this one table.
"""
from __future__ import annotations

from dataclasses import dataclass

HTML = "text/html"
PDF = "application/pdf"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
DOC = "application/msword"
WPS = "application/vnd.ms-works"
XLS = "application/vnd.ms-excel"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PNG = "image/png"
JPEG = "image/jpeg"
TIFF = "image/tiff"
GIF = "image/gif"
TEXT = "text/plain"
ZIP = "application/zip"
OFD = "application/ofd"
RTF = "application/rtf"


@dataclass(frozen=True)
class Kind:
    media_type: str
    ext: str                                # the extension a stored file of this type gets
    reader: tuple[str, str] | None = None   # (module, function) that reads it into a Document
    document: bool = False                  # a document file a crawl keeps (an attachment, not a page)
    link_exts: tuple[str, ...] = ()         # extensions of the links that point to such files
    magic: tuple[bytes, ...] = ()           # leading bytes that tell it (the others: parsers.sniff)
    aliases: tuple[str, ...] = ()           # other names servers send for it


KINDS = (
    Kind(HTML, "html", ("parsers.html", "read_html"), aliases=("application/xhtml+xml",)),
    Kind(PDF, "pdf", ("parsers.pdf", "read_pdf"), True, ("pdf",)),
    Kind(DOCX, "docx", ("parsers.docx", "read_docx"), True, ("docx",)),
    Kind(DOC, "doc", ("parsers.doc", "read_doc"), True, ("doc",)),
    Kind(WPS, "wps", ("parsers.doc", "read_doc"), True, ("wps",),
         aliases=("application/wps-office.wps", "application/kswps")),
    Kind(XLS, "xls", None, True, ("xls", "et")),
    Kind(XLSX, "xlsx", None, True, ("xlsx",)),
    Kind(OFD, "ofd", None, False, ("ofd",)),
    Kind(RTF, "rtf", None, False, ("rtf",)),
    Kind(PNG, "png", ("parsers.ocr", "read_image"), magic=(b"\x89PNG\r\n\x1a\n",)),
    Kind(JPEG, "jpg", ("parsers.ocr", "read_image"), magic=(b"\xff\xd8\xff",)),
    Kind(TIFF, "tif", ("parsers.ocr", "read_image"), magic=(b"II*\x00", b"MM\x00*")),
    Kind(GIF, "gif"),
    Kind(ZIP, "zip"),
    Kind(TEXT, "txt"),
)

# media type → (module, reader function); the modules are imported on first use
READERS = {k.media_type: k.reader for k in KINDS if k.reader}
# the sniffed types a crawl stores as documents when a link leads to one
DOCUMENT_TYPES = frozenset(t for k in KINDS if k.document for t in (k.media_type, *k.aliases))
# media type (or an alias) → the extension of its stored file
EXTENSIONS = {t: k.ext for k in KINDS for t in (k.media_type, *k.aliases)}
# extensions of links to document files, longest first (docx before doc in a regex alternation)
LINK_EXTS = tuple(sorted((e for k in KINDS for e in k.link_exts), key=len, reverse=True))
