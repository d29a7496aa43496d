"""DOCX reader: python-docx paragraphs and tables in body order, merged cells expanded; zip bombs refused."""
from __future__ import annotations

import io
import zipfile

import docx
from docx.oxml.ns import qn

from parsers.limits import MAX_RATIO, MAX_TABLE_CELLS, MAX_UNCOMPRESSED, MAX_ZIP_ENTRIES, check_size
from parsers.model import Document, ParseError, TableBlock, TextBlock

_P, _TBL, _SDT, _TR, _TC = qn("w:p"), qn("w:tbl"), qn("w:sdt"), qn("w:tr"), qn("w:tc")
_T, _TAB, _TABS, _BR, _CR = qn("w:t"), qn("w:tab"), qn("w:tabs"), qn("w:br"), qn("w:cr")
_BR_TYPE = qn("w:type")
_CONTENT = {qn("w:sdtContent"), qn("w:customXml"), qn("w:ins"), qn("w:smartTag")}


def check_zip(data: bytes) -> None:
    """Refuse a zip whose declared uncompressed size or compression ratio is out of bounds."""
    try:
        infos = zipfile.ZipFile(io.BytesIO(data)).infolist()
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise ParseError(f"corrupt DOCX (bad zip): {exc}") from None
    if len(infos) > MAX_ZIP_ENTRIES:
        raise ParseError(f"DOCX has {len(infos)} zip entries (limit {MAX_ZIP_ENTRIES})")
    total = sum(i.file_size for i in infos)
    if total > MAX_UNCOMPRESSED:
        raise ParseError(f"DOCX unpacks to {total} bytes (limit {MAX_UNCOMPRESSED}): refused as a zip bomb")
    if total > MAX_RATIO * max(len(data), 1) and total > 1024 * 1024:
        raise ParseError(f"DOCX compression ratio {total // max(len(data), 1)}:1 over {MAX_RATIO}:1: "
                         "refused as a zip bomb")


def read_docx(data: bytes) -> Document:
    """Read a DOCX into text blocks (one per paragraph line) and table grids, in body order."""
    check_size(data)
    check_zip(data)
    try:
        d = docx.Document(io.BytesIO(data))
    except (KeyError, ValueError, zipfile.BadZipFile, OSError, SyntaxError) as exc:
        raise ParseError(f"unreadable DOCX: {str(exc).splitlines()[0] if str(exc) else type(exc).__name__}") from None
    except Exception as exc:  # noqa: BLE001 — lxml/python-docx raise many types on broken XML
        first_line = str(exc).splitlines()[0] if str(exc) else ""
        raise ParseError(f"unreadable DOCX: {type(exc).__name__}: {first_line}") from None
    blocks: list = []
    _body(d.element.body, blocks)
    title = (d.core_properties.title or "").strip() or None
    warnings = [] if blocks else ["no text found in the DOCX"]
    return Document(blocks=blocks, media_type="application/vnd.openxmlformats-officedocument.wordprocessingml.document",
                    title=title, warnings=warnings)


def _body(element, blocks: list) -> None:
    for child in element.iterchildren():
        if child.tag == _P:
            for line in _paragraph_text(child).split("\n"):
                if line.strip():
                    blocks.append(TextBlock(line.strip()))
        elif child.tag == _TBL:
            rows = table_grid(child)
            if rows:
                blocks.append(TableBlock(rows))
        elif child.tag == _SDT or child.tag in _CONTENT:
            _body(child, blocks)


def _paragraph_text(p) -> str:
    """A paragraph's text: <w:t> runs, tabs, line breaks (deleted text is <w:delText>, left out)."""
    parts = []
    for el in p.iter(_T, _TAB, _BR, _CR):
        if el.tag == _T:
            parts.append(el.text or "")
        elif el.tag == _TAB:
            if el.getparent().tag != _TABS:         # <w:tabs><w:tab/> are tab stops, not characters
                parts.append("\t")
        elif el.get(_BR_TYPE) in (None, "textWrapping"):
            parts.append("\n")
    return "".join(parts)


def table_grid(tbl) -> list[list[str]]:
    """The rectangular grid of a <w:tbl>: gridSpan and vMerge expanded, text in the top-left cell.

    Only the cell where a merge starts holds text, so each row is placed by its cells' start columns.
    Sliver grid columns (under 30 twips, left by converters when borders almost line up) are folded
    into the next column.
    """
    logical = _logical_columns(tbl)
    rows: list[dict[int, str]] = []
    width = 0
    for tr in tbl.iterchildren(_TR):
        trpr = tr.trPr
        pos = trpr.grid_before if trpr is not None else 0
        row: dict[int, str] = {}
        for tc in tr.iterchildren(_TC):
            col = logical(pos)
            if tc.vMerge != "continue":
                text = _cell_text(tc)
                row[col] = f"{row[col]}\n{text}" if row.get(col) and text else (row.get(col) or text)
            pos += max(1, tc.grid_span)
            width = max(width, logical(pos - 1) + 1)
        rows.append(row)
        if len(rows) * max(width, 1) > MAX_TABLE_CELLS:
            raise ParseError(f"DOCX table too large (limit {MAX_TABLE_CELLS} cells)")
    grid = [[row.get(c, "") for c in range(width)] for row in rows]
    return [r for r in grid if any(r)]


def _logical_columns(tbl):
    """Map a grid column index to a column of the output grid, folding sliver columns away."""
    widths = [int(w) if (w := col.get(qn("w:w"))) and w.isdigit() else None
              for grid in tbl.iterchildren(qn("w:tblGrid")) for col in grid.iterchildren(qn("w:gridCol"))]
    mapping, out = [], 0
    for k, w in enumerate(widths):
        mapping.append(out)
        if not (w is not None and w < 30 and k < len(widths) - 1):
            out += 1
    last = len(widths)

    def logical(i: int) -> int:
        return mapping[i] if i < last else out + (i - last)
    return logical


def _cell_text(tc) -> str:
    """A cell's text: its paragraphs one per line; a nested table's rows as lines."""
    lines = []
    for child in tc.iterchildren():
        if child.tag == _P:
            lines.extend(_paragraph_text(child).split("\n"))
        elif child.tag == _TBL:
            lines.extend(" ".join(v for v in r if v) for r in table_grid(child))
        elif child.tag == _SDT:
            lines.append(_cell_text_any(child))
    return "\n".join(s.strip() for s in lines if s.strip())


def _cell_text_any(element) -> str:
    return "\n".join(_paragraph_text(p) for p in element.iter(_P))
