"""parse(): bytes → Document (per format) → one pipeline over the intermediate form → checked Report."""
from __future__ import annotations

import importlib

from parsers import meta
from parsers.checks import body_checks, run_checks
from parsers.model import Document, ParseError, Report, TextBlock
from parsers.sections import extract_sections
from parsers.template import match
from parsers.text import read_text, recover_tables

# media type → (module, reader); modules are imported on first use.
READERS = {
    "text/html": ("parsers.html", "read_html"),
    "application/pdf": ("parsers.pdf", "read_pdf"),
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": ("parsers.docx", "read_docx"),
    "application/msword": ("parsers.doc", "read_doc"),
    "application/vnd.ms-works": ("parsers.doc", "read_doc"),
    "image/png": ("parsers.ocr", "read_image"),
    "image/jpeg": ("parsers.ocr", "read_image"),
    "image/tiff": ("parsers.ocr", "read_image"),
}


def parse(data: bytes, *, media_type: str | None = None, url: str | None = None,
          title: str | None = None) -> Report:
    """A Report from a document's bytes; raises ParseError (one line) when it cannot be read.

    The format comes from the bytes (magic numbers); `media_type` is used only when sniffing
    cannot tell. `url` and `title` (the listing's link text) help the metadata.
    """
    return build_report(read_document(data, media_type=media_type, url=url), url=url, title=title)


def read_document(data: bytes, *, media_type: str | None = None, url: str | None = None) -> Document:
    from parsers.sniff import sniff

    try:
        kind = sniff(data)
    except ParseError:
        if not data or media_type not in READERS:
            raise
        kind = media_type
    if kind == "text/plain":
        return read_text(data)
    if kind not in READERS:
        raise ParseError(f"unsupported document type: {kind}")
    module, name = READERS[kind]
    reader = getattr(importlib.import_module(module), name)
    try:
        return reader(data, url=url) if kind == "text/html" else reader(data)
    except ParseError:
        raise
    except Exception as exc:   # a reader library failing on hostile input is still one line for the user
        raise ParseError(f"cannot read {kind}: {type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}") from None


def build_report(doc: Document, *, url: str | None = None, title: str | None = None) -> Report:
    """The one pipeline every format shares: tables, template, values, checks, metadata, sections."""
    raw_lines = [line for b in doc.blocks if isinstance(b, TextBlock) for line in b.text.split("\n")]
    published = meta.find_published(doc.published, raw_lines, url)
    blocks = recover_tables([TextBlock("\n".join(meta.strip_chrome(b.text.split("\n"))))
                             if isinstance(b, TextBlock) else b for b in doc.blocks])
    lines = [line for b in blocks if isinstance(b, TextBlock) for line in b.text.split("\n")]
    text = "\n".join(lines)

    matched = match(blocks)
    report = Report(cells=matched.cells, tables=dict(matched.tables), media_type=doc.media_type,
                    published=published, warnings=list(doc.warnings))
    report.template = matched.tables.get("proactive") or matched.tables.get("requests") or "free"
    if report.cells and "review_litigation" in {c.table for c in report.cells}:
        report.tables["review_litigation"] = report.template
    report.warnings += matched.warnings

    text_title = meta.find_title(lines)
    given = [meta.clean_title(t) for t in (title, doc.title) if t and t.strip()]
    report.title = (given + [text_title] + [None])[0]
    titles = given + [text_title]
    report.year = meta.find_year(titles, text)
    report.agency = next(filter(None, map(meta.agency_from_title, titles)), None) or meta.agency_from_text(text)
    report.region = meta.region_of(report.agency)
    if report.region["province"] is None:
        report.region = next((r for r in map(meta.region_of, titles) if r["province"]), report.region)

    report.sections = extract_sections(blocks)
    report.checks = run_checks(report) + body_checks(text, report)
    report.warnings += [_failed(c) for c in report.checks if c.ok is False]
    if not report.cells:
        report.warnings.append("no standard report tables found" if report.sections
                               else "no recognisable report content")
    return report


def _failed(check) -> str:
    where = ".".join(filter(None, (check.row, check.col)))
    return (f"check {check.rule} failed at {where}: expected {check.expected}, printed {check.actual} "
            f"(source anomaly, kept as printed)")
