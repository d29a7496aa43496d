"""One template matcher over table grids: canonical (table, row, col) cells and the format of each table.

Rows are read as "label cells, then value cells". Values go to columns by header position when
the grid keeps positions, else in order. A row that prints more or fewer values than columns
yields several readings; the consistency checks choose, and cells no reading settles stay null.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from itertools import combinations
from math import comb
from typing import Any

from parsers import labels as L
from parsers.checks import CellKey, relations
from parsers.forms import SPEC
from parsers.model import Block, Cell, Number, TableBlock
from parsers.sections import heading
from parsers.values import glued, is_value, parse_value

MAX_READINGS = 200
_MULTI = re.compile(r"^\S+(?:\s+\S+)+$")
_PAIR_PLUS, _PAIR_MINUS = re.compile(r"^\+\s*\(\d+\)$"), re.compile(r"^-\s*\(\d+\)$")


@dataclass
class Printed:
    raw: str
    value: Number | None
    derived: tuple[str, ...] = ()   # not printed: the checks its value was derived from


Reading = list  # list[Printed | None], aligned with the columns; None = nothing printed there


@dataclass
class Row:
    cells: list[str]
    labels: list[tuple[int, str]]
    values: list[tuple[int, str]]
    glued: int | None = None        # the cell holding a row's numbers glued together ("7777166")


def classify(cells: list[str]) -> Row:
    """A grid row split into label and value cells; a cell printing several numbers is split,
    and a "+(1) -(0)" change split at its space (flattened text) is joined again. A row whose
    only numbers are glued to the end of its label keeps them as one glued cell."""
    out: list[str] = []
    for cell in cells:
        parts = cell.split()
        if len(parts) > 1 and _MULTI.match(cell.strip()) and all(is_value(p) for p in parts):
            out.extend(parts)
        elif out and _PAIR_MINUS.match(cell.strip()) and _PAIR_PLUS.match(out[-1]):
            out[-1] = f"{out[-1]} {cell.strip()}"
        else:
            out.append(cell.strip())
    value = [is_value(c) for c in out]
    labels = [(i, c) for i, c in enumerate(out) if c and not value[i]]
    values = [(i, c) for i, c in enumerate(out) if value[i]]
    if not values and labels and (m := glued(labels[-1][1])) and labels[-1][0] == len(out) - 1:
        out[-1:] = [m["label"], m["run"]]
        return Row(out, labels[:-1] + [(len(out) - 2, m["label"])], [(len(out) - 1, m["run"])], len(out) - 1)
    return Row(out, labels, values)


def glued_readings(run: str, ncols: int) -> list[Reading] | None:
    """Every way to cut a glued run of digits into `ncols` numbers (no leading zeros; a sign only
    starts a number); None when there are more than MAX_READINGS."""
    out: list[Reading] = []

    def cut(rest: str, parts: list[str]) -> bool:
        if len(parts) == ncols - 1:
            if re.fullmatch(r"[+-]?(?:0|[1-9]\d*)", rest):
                out.append([_printed(p) for p in parts + [rest]])
            return len(out) <= MAX_READINGS
        for end in range(1, len(rest)):
            piece = rest[:end]
            if not re.fullmatch(r"[+-]?(?:0|[1-9]\d*)", piece):
                if re.fullmatch(r"[+-]?0\d+", piece):
                    break               # a leading zero only grows
                continue
            if not cut(rest[end:], parts + [piece]):
                return False
        return True

    return out if cut(run, []) else None


def _printed(raw: str) -> Printed:
    return Printed(raw, parse_value(raw)[0])


def readings(row: Row, ncols: int, positions: list[int] | None = None) -> list[Reading]:
    """Every way to place the row's printed values in `ncols` columns ([] if too many)."""
    if row.glued is not None:          # separators lost: every column printed, the checks cut the run
        return glued_readings(row.cells[row.glued], ncols) or []
    if positions and len(row.cells) > max(positions) and all(pos in positions for pos, _ in row.values):
        return [[_printed(row.cells[pos]) for pos in positions]]
    last_label = max((pos for pos, _ in row.labels), default=-1)
    full = row.cells[last_label + 1:]
    region = list(full)
    while region and not region[-1]:
        region.pop()
    for cells in (full, region):       # blank last cells kept (a grid row), or padding dropped
        if len(cells) == ncols:
            return [[_printed(cell) for cell in cells]]
    if len(full) > ncols and not any(full[:len(full) - ncols]):    # blank label cells, then the values
        return [[_printed(cell) for cell in full[len(full) - ncols:]]]
    if "" in region and len(region) < ncols:   # blank cells are kept: only the last ones are lost
        return [[_printed(cell) for cell in region] + [None] * (ncols - len(region))]
    printed = [_printed(raw) for _, raw in row.values]
    n = len(printed)
    if n == ncols:
        return [printed]
    if comb(max(n, ncols), min(n, ncols)) > MAX_READINGS:
        return []
    if n > ncols:
        return [[printed[i] for i in keep] for keep in combinations(range(n), ncols)]
    out = []
    for filled in combinations(range(ncols), n):
        reading: Reading = [None] * ncols
        for slot, value in zip(filled, printed, strict=True):
            reading[slot] = value
        out.append(reading)
    return out


def _group_labels(rows: list) -> list[str]:
    """The labels of 表三's merged row groups ("（三）不予公开"), from the forms spec."""
    out = []
    for r in rows:
        if "heading" in r or "split" in r:
            out.append(r.get("heading") or r["label"])
        out += _group_labels(r.get("rows", []))
    return out


_GROUPS = re.compile("|".join(re.escape(L.norm(g)) for g in _group_labels(SPEC.layouts["requests"]["rows"])
                              if g[:1] in "（("))


def attach_labels(items: list[tuple[Row, str]], find) -> list[tuple[Row, int | None, str]]:
    """Each data row with the label key it matches; label-only rows join the row they continue.

    `items` holds every row with its label text; `find(text, start)` gives a pattern index or None.
    A label may wrap onto rows after its numbers ("5.属于三类内部事务" / "信息") or before them;
    label-only rows go to the row before unless only the next row's label needs them. When two
    label columns wrap at once ("(四)无" / "法提供" beside "1.本机关不" / "掌握…"), the pieces
    join column by column.
    """
    pre = ""
    data: list[list[Any]] = []      # [row, own label, label-only text after it, those rows]
    for row, text in items:
        if row.values:
            data.append([row, text, "", []])
        elif data:
            data[-1][2] += text
            data[-1][3].append(row)
        else:
            pre += text
    out, carry, start = [], pre, 0
    for i, (row, own, after, spill) in enumerate(data):
        found, label = find(carry + own, start), carry + own
        longer = None
        texts = []
        if after:
            tails = "".join(L.norm(r.labels[-1][1]) for r in spill if r.labels)   # beside a merged label
            texts = [label + after, carry + _by_column([row] + spill),
                     carry + _by_column([row] + spill, words=True), label + tails]
        if carry and len(row.labels) > 1:       # a merged group label printed inside a wrapped one
            texts += [carry + L.norm(row.labels[-1][1]) + after]
        if _GROUPS.search(label + after):       # ... or glued into it ("逾期不补(六)其他处理正、")
            texts += [_GROUPS.sub("", label + after)]
        for text in dict.fromkeys(texts):
            k = find(text, start)
            if k is not None and (longer is None or k < longer[0]):
                longer = (k, text)
        nxt = data[i + 1] if i + 1 < len(data) else None
        if longer is not None and (found is None or longer[0] < found):   # "2.其他" + "法律行政法规禁止公开"
            found, label = longer
            rest = ""
            if label == carry + own + after:    # as much of `after` as names the row; the rest may go on
                cut = next(c for c in range(len(after) + 1) if find(carry + own + after[:c], start) == found)
                label, rest = carry + own + after[:cut], after[cut:]
            carry = rest if _needed(find, rest, found + 1, nxt) else ""
        elif found is None:
            carry = ""
        else:
            carry = after if _needed(find, after, found + 1, nxt) else ""
        if found is not None:
            start = found + 1
        out.append((row, found, label))
    return out


def _needed(find, text: str, at: int, nxt: list | None) -> bool:
    """Whether the next data row ([row, own label, label text after it, …]) names its pattern,
    or an earlier one, only with `text` before its label."""
    if not text or nxt is None:
        return False
    row, own, after = nxt[:3]
    alone, last = find(own, at), L.norm(row.labels[-1][1]) if row.labels else own
    return any(k is not None and (alone is None or k < alone)
               for k in (find(text + own, at), find(text + own + after, at), find(text + last + after, at)))


def _by_column(rows: list[Row], words: bool = False) -> str:
    """The label text of a row and of the label-only rows continuing it, read column by column
    (by cell, or by space-separated word where flattening turned the cell boundaries to spaces)."""
    columns: dict[int, str] = {}
    for row in rows:
        pieces = (list(enumerate(piece for _, text in row.labels for piece in text.split())) if words
                  else row.labels)
        for pos, text in pieces:
            columns[pos] = columns.get(pos, "") + text
    return L.norm("".join(columns[pos] for pos in sorted(columns)))


@dataclass
class Table:
    """What the matcher read of one report table, before the readings are settled."""
    name: str
    candidates: dict[str, tuple[list[str], list[Reading]]] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)

    def put(self, key: str, cols: list[str], reads: list[Reading], label: str) -> None:
        if key in self.candidates:
            self.warnings.append(f"{self.name}.{key}: printed twice; the second row ({label[:30]}) is ignored")
            return
        if not reads:
            self.warnings.append(f"{self.name}.{key}: too many ways to read the row; cells null")
            reads = [[None] * len(cols)]
        self.candidates[key] = (cols, reads)

    def read(self, rows: list[Row]) -> None:
        """Read the table's rows (label cells, then value cells) into candidates."""
        raise NotImplementedError


class Proactive(Table):
    def __init__(self):
        super().__init__("proactive")
        self.formats: list[str] = []

    def read(self, rows: list[Row]) -> None:
        cols: list[tuple[str, int]] = []
        items, cols_at, prev_header_only = [], {}, False
        rows = _join_wrapped_headers(rows)
        for i, row in enumerate(rows):
            header = []
            for pos, label in row.labels:
                hit = _column(L.norm(label))
                if hit:
                    header.append((hit[0], pos, hit[1]))
            if header:                         # header words one per row (flat text) accumulate
                cols = (cols if prev_header_only else []) + [(key, pos) for key, pos, _ in header]
                fmts = {fmt for _, _, fmt in header if fmt}
                if len(fmts) == 1:
                    self.formats.append(fmts.pop())
            # a stray wrapped piece ("数量" after "上一年项目") does not end the header words
            prev_header_only = (bool(header) or prev_header_only and _fragment(row)) and not row.values
            in_header = {pos for _, pos, _ in header}
            label = L.norm("".join(t for pos, t in row.labels if pos not in in_header))
            if not row.values and not header and _blank_grid_row(row, [p for _, p in cols]) \
                    and L.earliest(_wrapped(label, rows[i + 1:]), L.PROACTIVE_ROWS):
                row = Row(row.cells, row.labels, [(pos, "") for _, pos in cols])
            items.append((row, label))
            cols_at[id(row)] = cols
        keys = [key for key, _ in L.PROACTIVE_ROWS]
        def find(text: str, start: int) -> int | None:
            return keys.index(k) if (k := L.earliest(text, L.PROACTIVE_ROWS)) else None

        for row, found, label in attach_labels(items, find):
            cols = cols_at[id(row)]
            if found is None or not cols:
                continue
            self.put(keys[found], [c for c, _ in cols], readings(row, len(cols), [p for _, p in cols]), label)

    def template(self) -> str | None:
        if not self.candidates or not self.formats:
            return None
        if len(set(self.formats)) > 1:
            self.warnings.append(f"proactive: hybrid table ({' / '.join(self.formats)} headers); "
                                 f"format taken from the first sub-table")
        return self.formats[0]


def _column(text: str) -> tuple[str, str | None] | None:
    """(column key, format it signals) of a proactive header label, else None."""
    return next(((key, fmt) for key, pattern, fmt in L.PROACTIVE_COLS if pattern.search(text)), None)


def _fragment(row: Row) -> bool:
    """A one-label row without values that names no column, row or table: a piece of a wrapped label."""
    if row.values or len(row.labels) != 1:
        return False
    text = L.norm(row.labels[0][1])
    return not (_column(text) or L.earliest(text, L.PROACTIVE_ROWS) or L.table_of(text))


def _wrapped(label: str, following: list[Row], most: int = 3) -> str:
    """A row label joined with the pieces of it wrapped onto the label-only rows below
    ("行政事业性收" / "费"), as far as it takes to name a row."""
    for row in following[:most]:
        if L.earliest(label, L.PROACTIVE_ROWS) or not _fragment(row):
            break
        label += L.norm(row.labels[0][1])
    return label


def _blank_grid_row(row: Row, positions: list[int]) -> bool:
    """A grid row whose cells under the column headers are all blank ("行政处罚 |  |"): a data
    row printing nothing, not a label continuing another row."""
    return bool(positions) and len(row.cells) > max(positions) and not any(row.cells[p] for p in positions)


def _join_wrapped_headers(rows: list[Row], most: int = 4) -> list[Row]:
    """One cell per line prints a wrapped header as several rows ("上一年项" / "目数量"): a run of
    fragments joins into one row as soon as the joined text names a column."""
    out, i = [], 0
    while i < len(rows):
        joined = None
        if _fragment(rows[i]):
            text = ""
            for j in range(i, min(i + most, len(rows))):
                if not _fragment(rows[j]):
                    break
                text += rows[j].labels[0][1]
                if j > i and _column(L.norm(text)):
                    joined = (Row([text], [(0, text)], []), j + 1)
                    break
        if joined:
            out.append(joined[0])
            i = joined[1]
        else:
            out.append(rows[i])
            i += 1
    return out


class Requests(Table):
    def __init__(self):
        super().__init__("requests")
        self.positions: dict[str, int] = {}

    def columns(self) -> tuple[list[str], list[int] | None]:
        cols = list(L.REQUESTS_COLS)
        if L.SUBTOTAL in self.positions:
            cols.insert(len(L.REQUESTS_APPLICANTS), L.SUBTOTAL)
        if all(c in self.positions for c in cols):
            canonical = [self.positions[c] for c in L.REQUESTS_COLS]
            if canonical == sorted(set(canonical)) and len(set(self.positions[c] for c in cols)) == len(cols):
                cols.sort(key=self.positions.__getitem__)
                return cols, [self.positions[c] for c in cols]
        return cols, None

    def read(self, rows: list[Row]) -> None:
        items, in_header = [], True            # header: up to and including the first data row
        for row in rows:
            text = ""
            for pos, label in row.labels:
                key = L.exact(L.norm(label), L.REQUESTS_COL_LABELS)
                if key and in_header and key not in self.positions:
                    self.positions[key] = pos
                if not (in_header and (key or L.REQUESTS_HEADER.search(L.norm(label)))):
                    text += L.norm(label)
            items.append((row, text))
            in_header = in_header and not row.values
        if not _standard(rows, bool(self.positions), max((len(r.values) for r in rows), default=0) >= 3):
            self.warnings.append("requests: a table without applicant columns, a number or two a row "
                                 "(not the standard 表三), ignored")
            return
        cols, positions = self.columns()
        def find(text: str, start: int) -> int | None:
            return L.first_in_order(text, L.REQUESTS_ROWS, start)

        for row, found, label in attach_labels(items, find):
            if found is None:
                self.warnings.append(f"requests: a row with values has no known label ({label[:30]})")
                continue
            self.put(L.REQUESTS_ROWS[found][0], cols, readings(row, len(cols), positions), label)

    def template(self) -> str | None:
        signalled = {L.REQUESTS_ROW_FORMS.get(key) for key in self.candidates}   # 2021 wins
        return next((form for form in ("2021", "2019") if form in signalled), None)


class Review(Table):
    def __init__(self):
        super().__init__("review_litigation")
        self.data: list[Row] = []
        self.joint = False          # the 15 numbers were read as one row with several readings

    def read(self, rows: list[Row]) -> None:
        self.data = [row for row in rows if row.values]
        header = any(L.REVIEW_HEADER.search(L.norm(label)) for row in rows for _, label in row.labels)
        if not _standard(rows, header, sum(len(r.values) for r in self.data) >= len(L.REVIEW_COLS)):
            self.warnings.append("review_litigation: a table without result columns and few numbers "
                                 "(not the standard 表四), ignored")
            self.data = []
            return
        ncols = len(L.REVIEW_COLS)
        keys = [L.exact(L.norm("".join(t for _, t in row.labels)), L.REVIEW_ROWS) for row in self.data]
        named = [key for key in keys if key]
        if len(self.data) == 3 and len(named) == 3 and len(set(named)) == 3:
            for key, row in zip(named, self.data, strict=True):
                self.put(key, list(L.REVIEW_COLS), readings(row, ncols), key)
            return
        if not self.data:
            return
        if len(self.data) == 1:
            row = self.data[0]
        else:
            cells = [raw for r in self.data for _, raw in r.values]
            row = Row(cells, [], list(enumerate(cells)))
        slots = [(key, col) for key, _ in L.REVIEW_ROWS for col in L.REVIEW_COLS]
        reads = readings(row, len(slots))
        if not reads:
            self.warnings.append("review_litigation: too many ways to read the row; cells null")
            return
        for r, (key, _) in enumerate(L.REVIEW_ROWS):
            self.candidates[key] = (list(L.REVIEW_COLS),
                                    [reading[r * ncols:(r + 1) * ncols] for reading in reads])
        self.joint = len(reads) > 1


def _standard(rows: list[Row], header: bool, enough_numbers: bool) -> bool:
    """Whether rows that print numbers form the standard table: its column header is there, or
    it prints numbers enough for one (a pre-2019 statistics list prints one number a row)."""
    return header or enough_numbers or not any(row.values for row in rows)


@dataclass
class Matched:
    cells: list[Cell]
    tables: dict[str, str]
    warnings: list[str]


def match(blocks: list[Block]) -> Matched:
    """Read every TableBlock into canonical cells, one table state per report table."""
    proactive, requests = Proactive(), Requests()
    tables: dict[str, Table] = {"proactive": proactive, "requests": requests, "review_litigation": Review()}
    rows: dict[str, list[Row]] = {name: [] for name in tables}
    current = None
    for block in blocks:
        if not isinstance(block, TableBlock):     # a section heading says which table follows
            is_heading, key = heading(block.text)
            if is_heading and key:
                current = key if key in tables else None
            continue
        for grid_row in block.rows:
            row = classify(grid_row)
            text = L.norm("".join(label for _, label in row.labels))
            switch = L.table_of(text)
            if switch is None and current is None and row.values:
                if L.first_in_order(text, L.REQUESTS_ROWS) is not None:
                    switch = "requests"
                elif L.earliest(text, L.PROACTIVE_ROWS):
                    switch = "proactive"
            current = switch or current
            if current:
                rows[current].append(row)
    for name, table in tables.items():
        table.read(rows[name])
    formats = {"proactive": proactive.template(), "requests": requests.template()}
    warnings: list[str] = []
    cells: list[Cell] = []
    values = _settle(tables, warnings)
    order = {"proactive": [k for k, _ in L.PROACTIVE_ROWS], "requests": [k for k, _ in L.REQUESTS_ROWS],
             "review_litigation": [k for k, _ in L.REVIEW_ROWS]}
    for name, table in tables.items():
        warnings.extend(table.warnings)
        for key in order[name]:
            if key not in table.candidates:
                continue
            for col in table.candidates[key][0]:
                if col == L.SUBTOTAL:
                    continue
                printed = values.get((name, key, col))
                cells.append(Cell(name, key, col, printed.value if printed else None,
                                  printed.raw if printed else ""))
    return Matched(cells, {k: v for k, v in formats.items() if v}, warnings)


def _settle(tables: dict[str, Table], warnings: list[str]) -> dict[CellKey, Printed]:
    """Fixed rows first, then each ambiguous row: keep the readings the checks allow."""
    rows = {name: set(t.candidates) for name, t in tables.items()}
    rels = relations(rows)
    values: dict[CellKey, Printed | None] = {}
    ambiguous = []
    for name, table in tables.items():
        for row, (cols, reads) in table.candidates.items():
            if len(reads) == 1 and all(p is not None for p in reads[0]):
                values.update({(name, row, col): p for col, p in zip(cols, reads[0], strict=True)})
            else:
                ambiguous.append((name, row))
    review = tables["review_litigation"]
    if isinstance(review, Review) and review.joint:
        _settle_joint(review, rels, values, warnings)
        ambiguous = [(n, r) for n, r in ambiguous if n != "review_litigation"]
    for name, row in ambiguous:
        cols, reads = tables[name].candidates[row]
        keys = [(name, row, col) for col in cols]
        outcomes = _surviving(rels, values, keys, reads)
        values.update(_merge(name, row, cols, keys, reads, outcomes, warnings))
    return {k: v for k, v in values.items() if v is not None}


def _surviving(rels, values, keys, reads) -> list[list]:
    """The readings that keep every check consistent, as the values each gives to `keys`."""
    outcomes = []
    for reading in reads:
        trial = dict(values)
        trial.update(zip(keys, reading, strict=True))
        if _consistent(rels, trial, keys):
            outcomes.append([trial.get(k) for k in keys])
    return outcomes


def _settle_joint(table: Review, rels, values, warnings) -> None:
    """The 15 review/litigation numbers read as one row: readings span all three rows."""
    keys = [("review_litigation", row, col) for row, _ in L.REVIEW_ROWS for col in L.REVIEW_COLS]
    n = len(table.candidates["review"][1])
    reads = [sum((table.candidates[row][1][i] for row, _ in L.REVIEW_ROWS), []) for i in range(n)]
    outcomes = _surviving(rels, values, keys, reads)
    cols = [f"{row}.{col}" for row, _ in L.REVIEW_ROWS for col in L.REVIEW_COLS]
    values.update(_merge("review_litigation", "row", cols, keys, reads, outcomes, warnings))


def _consistent(rels, trial: dict, keys: list[CellKey]) -> bool:
    """Fill unprinted cells the checks determine; then no check touching `keys` may fail."""
    numbers = {k: (p.value if p else None) for k, p in trial.items()}
    touching = [r for r in rels if any(k in r.cells for k in keys)]
    for key in keys:
        if trial.get(key) is not None:
            continue
        solved = {r: v for r in touching if key in r.cells and (v := r.solve(numbers, key)) is not None}
        values = set(solved.values())
        if len(values) > 1 or any(v < 0 for v in values):
            return False
        if values:
            value = values.pop()
            trial[key] = Printed("", value, derived=tuple(sorted({r.rule for r in solved})))
            numbers[key] = value
    return all(r.evaluate(numbers).ok is not False for r in touching)


def _merge(name, row, cols, keys, reads, outcomes, warnings) -> dict[CellKey, Printed | None]:
    """Cells on which every consistent reading agrees; the others null, with a warning.

    A cell left unprinted, its value derived from the checks, keeps raw "" and is named in the
    warning with the checks it follows from. When every place for the gap gives the same values,
    the gap is taken to be at the end of the row (where flattened rows lose cells) for raw.
    """
    printed = len({id(p) for r in reads for p in r if p is not None})
    what = f"{name}.{row}: {len(reads)} readings of {printed} printed values in {len(cols)} columns"
    if not outcomes:
        warnings.append(f"{what}; none passes the checks, cells null")
        return {k: None for k in keys}
    chosen = max(outcomes, key=lambda o: [i for i, p in enumerate(o) if p is not None and p.derived])
    out: dict[CellKey, Printed | None] = {}
    unsettled: list[str] = []
    derived: list[str] = []
    rules: set[str] = set()
    for i, key in enumerate(keys):
        options = [o[i] for o in outcomes]
        if any(p is None for p in options) or len({p.value for p in options}) > 1:
            out[key] = None
            unsettled.append(str(cols[i]))
            continue
        out[key] = chosen[i]
        if chosen[i].derived:
            derived.append(f"{'.'.join(key)}={chosen[i].value}")
            rules.update(chosen[i].derived)
    if len(reads) > 1 or derived:
        note = f"{what}; {len(outcomes)} consistent with the checks"
        if unsettled:
            note += f"; uncertain, null: {', '.join(unsettled)}"
        if derived:
            checks = " and ".join(sorted(rules))
            note += (f"; not printed, derived from the {checks} check{'s' if len(rules) > 1 else ''} "
                     f"(raw left empty): {', '.join(derived)}")
            if len({tuple(p is not None and bool(p.derived) for p in o) for o in outcomes}) > 1:
                note += " (the gap's place is unknown; every place gives the same values; taken as the last)"
        warnings.append(note)
    return out
