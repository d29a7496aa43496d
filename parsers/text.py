"""Plain text reading, and recovery of tables that were flattened into text lines.

Flattened styles seen in real reports (../shared/seeds, portals.md §5):
  pipe    "规章 | 0 | 0 | 0 |"  with "| |||" padding
  tab     "规章\t0\t0\t0", a wrapped label continuing on a later line, a page break mid-table
  cell    one cell per line with a tab prefix, a blank line between rows, a wrapped cell
          continuing on a line without the tab (a vertical header spelled one character per line)
  flat    one cell per line with no row breaks at all (optionally a bare "|" line between cells,
          or double-space padding): rows are rebuilt as "label cells, then the numbers"
Page footers such as "- 4 -" are dropped wherever they fall.
"""
from __future__ import annotations

import re

from parsers.labels import (
    PROACTIVE_COLS,
    PROACTIVE_ROWS,
    REQUESTS_HEADER,
    REQUESTS_ROWS,
    earliest,
    first_in_order,
    norm,
    table_of,
)
from parsers.model import Block, Document, ParseError, TableBlock, TextBlock
from parsers.sections import section_of
from parsers.values import glued, is_value

FOOTER = re.compile(r"^\s*(?:[-—–－]+\s*\d{1,3}\s*[-—–－]+|第\s*\d{1,3}\s*页(?:\s*[,，/]?\s*共\s*\d{1,3}\s*页)?"
                    r"|\d{1,3}\s*/\s*\d{1,3})\s*$")
ARTIFACT = re.compile(r"\[bookmark:[^\]]*\]")
_TOKEN = re.compile(r"\+\s*\(\d+\)\s*-\s*\(\d+\)|\S+")     # "+(1) -(0)" is one token


def read_text(data: bytes) -> Document:
    """A text/plain document (UTF-8, UTF-16 with BOM, else GB18030) as one TextBlock per line."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        text = data.decode("utf-16", "replace")
    else:
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            text = data.decode("gb18030", "replace")
    if "\x00" in text:
        raise ParseError("not a text file (contains NUL characters)")
    return Document(blocks=[TextBlock(line) for line in text.splitlines()], media_type="text/plain")


def recover_tables(blocks: list[Block]) -> list[Block]:
    """The blocks with every run of flattened-table lines replaced by a TableBlock. Caption and
    header lines a reader left as text just above a table grid (an OCR'd or PDF table whose
    top rows were missed) become that grid's first rows."""
    out: list[Block] = []
    lines: list[str] = []
    for block in blocks:
        if isinstance(block, TextBlock):
            lines.extend(ARTIFACT.sub("", block.text).split("\n"))
        else:
            n = _header_lines(lines)
            out.extend(_recover_lines(lines[:len(lines) - n]))
            head = [_line_cells(line) for line in lines[len(lines) - n:]]
            lines = []
            out.append(TableBlock(head + block.rows) if head else block)
    out.extend(_recover_lines(lines))
    return out


def _header_lines(lines: list[str], most: int = 4) -> int:
    """How many of the last lines name a table or its columns, without a value among them."""
    n = 0
    while n < min(most, len(lines)):
        line = lines[-1 - n]
        text = norm(line)
        if not line.strip() or not _flat_candidate(line) or any(map(is_value, line.split())) or not (
                table_of(text) or any(pattern.search(text) for _, pattern, _ in PROACTIVE_COLS)
                or REQUESTS_HEADER.search(text)):
            break
        n += 1
    return n


# --- line kinds ----------------------------------------------------------------------------
BLANK, FOOTER_LINE, PIPE, BAR, TAB, CELL, PLAIN = "blank", "footer", "pipe", "bar", "tab", "cell", "plain"


def _kind(line: str) -> str:
    stripped = line.strip()
    if not stripped:
        return BLANK if "\t" not in line else CELL
    if FOOTER.match(line):
        return FOOTER_LINE
    if stripped == "|":
        return BAR
    if "|" in line:
        return PIPE
    if "\t" in line.lstrip("\t").rstrip("\r\n"):
        return TAB
    if line.startswith("\t"):
        return CELL
    return PLAIN


def _recover_lines(lines: list[str]) -> list[Block]:
    kinds = [_kind(line) for line in lines]
    out: list[Block] = []
    i = 0
    while i < len(lines):
        kind = kinds[i]
        if kind in (PIPE, TAB):
            j, rows = _grid_run(lines, kinds, i, kind)
        elif kind == CELL:
            j, rows = _cell_run(lines, kinds, i)
        elif kind in (PLAIN, BAR) and _flat_candidate(lines[i]):
            j, rows = _flat_run(lines, kinds, i)
        else:
            j, rows = i + 1, None
        if rows is not None and _is_table(rows):
            out.append(TableBlock(rows))
        else:
            out.extend(TextBlock(lines[k]) for k in range(i, j) if kinds[k] != FOOTER_LINE)
        i = j
    return out


def _split(line: str, kind: str) -> list[str]:
    """A line's cells, blank cells included. A tab marks every cell, the last ones too. Pipe
    rows join cells with " | " and end with "|" plus padding ("0 | 0 | |||"): a blank cell there
    is "|  |", two spaces, while the end and the padding hold at most one."""
    parts = line.rstrip("\r\n").split("|" if kind == PIPE else "\t")
    while kind == PIPE and parts and len(parts[-1]) < 2 and not parts[-1].strip():
        parts.pop()
    cells = [cell.strip() for cell in parts]
    return cells if any(cells) else []


def _grid_run(lines, kinds, i, kind):
    """Consecutive lines of one separator style; blank lines and footers inside are skipped."""
    rows, j = [], i
    while j < len(lines):
        if kinds[j] == kind:
            rows.append(_split(lines[j], kind))
            j += 1
        elif kinds[j] in (BLANK, FOOTER_LINE) and _next_kind(kinds, j) == kind:
            j += 1
        else:
            break
    return j, rows


def _next_kind(kinds, j):
    while j < len(kinds) and kinds[j] in (BLANK, FOOTER_LINE):
        j += 1
    return kinds[j] if j < len(kinds) else None


def _cell_run(lines, kinds, i):
    """One cell per tab-prefixed line; a blank line ends a row; an unprefixed line continues a cell."""
    rows, row, j = [], [], i
    saw_break = False
    while j < len(lines):
        kind = kinds[j]
        if kind == CELL:
            row.append(lines[j].strip())
        elif kind == PLAIN and row and kinds[j - 1] in (CELL, PLAIN):
            row[-1] = f"{row[-1]}\n{lines[j].strip()}" if row[-1] else lines[j].strip()
        elif kind in (BLANK, FOOTER_LINE) and _next_kind(kinds, j) == CELL:
            if kind == BLANK and row:
                rows.append(row)
                row, saw_break = [], True
        else:
            break
        j += 1
    if row:
        rows.append(row)
    if not saw_break:
        rows = _rows_from_lines([[cell] for r in rows for cell in r])
    return j, rows


def _flat_candidate(line: str) -> bool:
    stripped = line.strip()
    return len(stripped) <= 120 and not stripped.endswith(("。", ";", "；")) and not _is_heading(stripped)


def _is_heading(text: str) -> bool:
    """A numbered section heading ("三、收到和处理…"), which ends a run of table cells."""
    return section_of(text) is not None


def _flat_run(lines, kinds, i):
    """Short lines, one cell each (or "label  0  0" with double-space padding), no row breaks;
    a blank line between cells (HTML cells flattened into paragraphs) is no row break either."""
    line_cells, j = [], i
    while j < len(lines) and (kinds[j] in (PLAIN, BAR, FOOTER_LINE) and (
            kinds[j] != PLAIN or _flat_candidate(lines[j])) or kinds[j] == BLANK and _flat_next(lines, kinds, j)):
        if kinds[j] == PLAIN:
            line_cells.append(_line_cells(lines[j]))
        j += 1
    if sum(is_value(cell) or bool(glued(cell)) for cells in line_cells for cell in cells) < 3:
        return j, None
    return j, _rows_from_lines(line_cells)


def header_form(lines: list[str]) -> str | None:
    """The form (2019/2021) that table header cells left as text say, when they agree: a table
    cut off after its header ("信息内容 | 本年新制作数量 | …") is still recognisably that form."""
    columns: dict[str, set[str]] = {}          # form → the column keys its header cells name
    for line in lines:
        for cell in re.split(r"[|\t]|\s{2,}", line):
            text = norm(cell)
            if 0 < len(text) <= 16 and ":" not in text:
                hit = next(((key, form) for key, pattern, form in PROACTIVE_COLS if pattern.search(text)), None)
                if hit and hit[1]:
                    columns.setdefault(hit[1], set()).add(hit[0])
    forms = [form for form, keys in columns.items() if len(keys) >= 2]     # a header names columns
    return forms[0] if len(forms) == 1 else None


def _flat_next(lines, kinds, j) -> bool:
    """Whether the next line that is not blank continues a flat run."""
    k = j
    while k < len(kinds) and kinds[k] in (BLANK, FOOTER_LINE):
        k += 1
    return k < len(kinds) and (kinds[k] == BAR or kinds[k] == PLAIN and _flat_candidate(lines[k]))


def _line_cells(line: str) -> list[str]:
    """A flat line's cells: "label  0  0" (padding or single spaces collapsed from tabs) splits;
    a label-only line with spaced words ("信息内容 本年制发件数 …") splits into its words.
    A value with a space inside ("+(1) -(0)") stays one cell."""
    if is_value(line):
        return [line.strip()]
    tokens = _TOKEN.findall(line)
    parts = list(tokens)
    if len(parts) > 1 and (is_value(parts[-1]) or not any(is_value(p) for p in parts)):
        while parts and is_value(parts[-1]):
            parts.pop()
        n = len(parts)       # "4. 无" + numbers: a bare item number is no label, so "无" starts the label
        if n < len(tokens) and re.fullmatch(r"\d{1,2}[.、．]?", parts[-1] if parts else "") \
                and not re.search(r"\d", tokens[n]):
            parts.append(tokens[n])
        values = tokens[len(parts):]
        if values:
            return [" ".join(parts)] + values if parts else values
        return [" ".join(parts)] if any(map(is_value, parts)) else tokens    # "4. 无" is one label
    return [line.strip()]


def _rows_from_lines(line_cells: list[list[str]]) -> list[list[str]]:
    """Rows rebuilt from lines without row breaks: a line of values continues the row above,
    a line with a label starts a row (label-only lines stay rows, for wrapped labels)."""
    rows: list[list[str]] = []
    for cells in line_cells:
        cells = [cell for cell in cells if cell]
        if not cells:
            continue
        if rows and all(is_value(cell) for cell in cells):
            rows[-1].extend(cells)
        else:
            rows.append(cells)
    return rows


def _is_table(rows: list[list[str]]) -> bool:
    """A run is a table when it prints values and carries a report table's labels."""
    cells = [cell for row in rows for cell in row]
    if not any(is_value(cell) or glued(cell) for cell in cells):
        return False
    for row in rows:
        label = norm("".join(cell for cell in row if not is_value(cell)))
        if table_of(label) or earliest(label, PROACTIVE_ROWS) or first_in_order(label, REQUESTS_ROWS) is not None:
            return True
    return False
