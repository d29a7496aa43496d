"""parse(): bytes → Document (per format) → one pipeline over the intermediate form → checked Report."""
from __future__ import annotations

import importlib

from parsers import labels as L
from parsers import meta
from parsers.agency import find_agency
from parsers.checks import body_checks, run_checks
from parsers.media import READERS
from parsers.model import Document, ParseError, Report, TextBlock
from parsers.sections import extract_sections
from parsers.sniff import sniff
from parsers.template import match
from parsers.text import header_form, read_text, recover_tables


def parse(data: bytes, *, media_type: str | None = None, url: str | None = None,
          title: str | None = None) -> Report:
    """A Report from a document's bytes; raises ParseError (one line) when it cannot be read.

    The format comes from the bytes (magic numbers); `media_type` is used only when sniffing
    cannot tell. `url` and `title` (the listing's link text) help the metadata.
    """
    return build_report(read_document(data, media_type=media_type, url=url), url=url, title=title)


def read_document(data: bytes, *, media_type: str | None = None, url: str | None = None) -> Document:
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
    except Exception as exc:  # noqa: BLE001 — a reader library failing on hostile input is one line for the user
        first_line = str(exc).splitlines()[0] if str(exc) else ""
        raise ParseError(f"cannot read {kind}: {type(exc).__name__}: {first_line}") from None


def build_report(doc: Document, *, url: str | None = None, title: str | None = None) -> Report:
    """The one pipeline every format shares: tables, template, values, checks, metadata, sections."""
    raw_lines = [line for b in doc.blocks if isinstance(b, TextBlock) for line in b.text.split("\n")]
    published = meta.find_published(doc.published, raw_lines, url)
    blocks = recover_tables(_without_chrome(doc.blocks))
    lines = [line for b in blocks if isinstance(b, TextBlock) for line in b.text.split("\n")]
    text = "\n".join(lines)

    matched = match(blocks)
    report = Report(cells=matched.cells, tables=dict(matched.tables), media_type=doc.media_type,
                    published=published, warnings=list(doc.warnings))
    report.template = matched.tables.get("proactive") or matched.tables.get("requests") or "free"
    if not matched.tables and (form := header_form(lines)):
        report.template = form
        report.warnings.append(f"format {form} taken from table headers printed without rows")
    if report.cells and "review_litigation" in {c.table for c in report.cells}:
        report.tables["review_litigation"] = report.template
    report.warnings += matched.warnings

    given = [meta.clean_title(t) for t in (title, doc.title) if t and t.strip()]
    report.title = (given + [meta.find_title(lines)] + [None])[0]
    simple_lines, simple_raw = meta.simplified(lines), meta.simplified(raw_lines)
    titles = [meta.simplified([t])[0] for t in given] + [meta.find_title(simple_lines)]
    report.year = meta.find_year(titles, "\n".join(simple_lines), published)
    report.agency, note = meta.corrected_division(find_agency(titles, simple_lines, simple_raw, url))
    if note:
        report.warnings.append(note)
    report.region = meta.region_of(report.agency)
    if report.region["province"] is None:
        report.region = next((r for r in map(meta.region_of, titles) if r["province"]), report.region)

    report.sections = extract_sections(blocks)
    report.checks = run_checks(report) + body_checks(text, report)
    unread = _unread_rows(report)
    for check in report.checks:
        if check.ok is False and unread.get(_CHECK_TABLE.get(check.rule, "")) and check.col:
            check.ok = None      # a sum over rows we could not read says nothing about the source
            report.warnings.append(
                f"check {check.rule} at {check.col} not evaluated: rows not read "
                f"({', '.join(unread[_CHECK_TABLE[check.rule]])}); a parse warning, not a source anomaly")
    report.warnings += [_failed(c) for c in report.checks if c.ok is False]
    if not report.cells:
        report.warnings.append("no standard report tables found" if report.sections
                               else "no recognisable report content")
    return report


def _without_chrome(blocks: list) -> list:
    """The blocks with portal chrome stripped from each run of text blocks (read as one, so that
    a title wrapped from a breadcrumb onto the next line is joined again)."""
    out, run = [], []
    for block in [*blocks, None]:
        if isinstance(block, TextBlock):
            run += block.text.split("\n")
            continue
        if run:
            out.append(TextBlock("\n".join(meta.strip_chrome(run))))
            run = []
        if block is not None:
            out.append(block)
    return out


_CHECK_TABLE = {check.rule: check.table for check in L.SPEC.checks}


def _unread_rows(report: Report) -> dict[str, list[str]]:
    """Per table with cells, the rows of its form it lacks: a row whose label we could not read
    (its cells stay null) or one the source left out; either way its sums cannot be judged."""
    out = {}
    for table in L.SPEC.tables.values():
        present = {c.row for c in report.cells if c.table == table.key}
        if not present or table.key not in _CHECK_TABLE.values():
            continue
        form = report.tables.get(table.key)
        marked = {r.key for r in table.rows if r.key in L.REQUESTS_ROW_FORMS}    # rows that tell the form
        missing = [r.key for r in table.rows if r.key not in present
                   and (r.key not in marked or L.REQUESTS_ROW_FORMS[r.key] == form)]
        if marked and form is None:
            missing.append("/".join(sorted(marked)))
        if missing:
            out[table.key] = missing
    return out


def _failed(check) -> str:
    where = ".".join(filter(None, (check.row, check.col)))
    return (f"check {check.rule} failed at {where}: expected {check.expected}, printed {check.actual} "
            f"(source anomaly, kept as printed)")
