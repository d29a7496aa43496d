"""The official 2019 and 2021 report forms as merged-cell grids, from the forms spec (parsers/forms.yaml)."""
from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field, replace

from parsers.forms import SPEC, printed_rows

# ---------------------------------------------------------------------------------------------
# Canonical keys (../shared/design/template.md) with the labels the official forms print, as the
# forms spec (parsers/forms.yaml) gives them.
# ---------------------------------------------------------------------------------------------

def _proactive(form: str) -> list[tuple[str, list[str], list[tuple[str, str]], list[str]]]:
    """(caption, column header labels, [(row key, row label)], column keys) per sub-table."""
    return [(sub["caption"], list(sub["cols"].values()), list(sub["rows"].items()), list(sub["cols"]))
            for sub in SPEC.forms[form]["proactive"]]


PROACTIVE_2021 = _proactive("2021")
PROACTIVE_2019 = _proactive("2019")

_REQUESTS, _REVIEW = SPEC.layouts["requests"], SPEC.layouts["review_litigation"]
REQUEST_COLS = [c.key for c in SPEC.tables["requests"].cols if c.canonical]
APPLICANT_COLS = SPEC.tables["requests"].members(["applicants"])
REVIEW_ROWS = [r.key for r in SPEC.tables["review_litigation"].rows]
REVIEW_COLS = list(_REVIEW["cols"])
REVIEW_LABELS = list(_REVIEW["cols"].values())
CHECK_RULE_NOTE = _REQUESTS["caption"]


def request_rows(split_other: bool) -> list[str]:
    """Row keys of 表三 in printed order."""
    return [r.key for r in printed_rows(_REQUESTS["rows"], split_other)]


def canonical_keys(template: str, single_other: bool = False) -> list[tuple[str, str, str]]:
    """Every (table, row, col) a report of this form prints, in printed order ("free": none)."""
    if template == "free":
        return []
    keys = [("proactive", row, col)
            for _, _, rows, cols in _proactive(template) for row, _ in rows for col in cols]
    split_other = SPEC.forms[template]["split"] and not single_other
    keys += [("requests", row, col) for row in request_rows(split_other) for col in REQUEST_COLS]
    keys += [("review_litigation", row, col) for row in REVIEW_ROWS for col in REVIEW_COLS]
    return keys


# ---------------------------------------------------------------------------------------------
# Grids: a table as spans placed on a rectangular grid, the way HTML and Word merge cells.
# ---------------------------------------------------------------------------------------------

@dataclass
class Span:
    text: str
    row: int
    col: int
    rowspan: int = 1
    colspan: int = 1
    kind: str = "label"                 # caption | header | label | value
    key: tuple[str, str, str] | None = None


@dataclass
class Grid:
    name: str                           # proactive | requests | review_litigation
    width: int
    nrows: int = 0
    spans: list[Span] = field(default_factory=list)
    label: Callable[[str, str], str] | None = None   # (text, kind) -> printed text, applied to non-values

    def add_row(self, cells: list[tuple]) -> None:
        """Place one row of (text, rowspan, colspan, kind[, key]) left to right, skipping
        positions still covered by a rowspan from above (the HTML placement rule)."""
        taken = {(r, c) for s in self.spans for r in range(s.row, s.row + s.rowspan)
                 for c in range(s.col, s.col + s.colspan)}
        col = 0
        for text, rowspan, colspan, kind, *key in cells:
            while (self.nrows, col) in taken:
                col += 1
            if kind != "value" and self.label:
                text = self.label(text, kind)
            self.spans.append(Span(text, self.nrows, col, rowspan, colspan, kind,
                                   key[0] if key else None))
            col += colspan
        if col > self.width:
            raise ValueError(f"row {self.nrows} of {self.name} is {col} wide, grid is {self.width}")
        self.nrows += 1

    def row_spans(self, row: int) -> list[Span]:
        """The spans that start in this row, left to right."""
        return sorted((s for s in self.spans if s.row == row), key=lambda s: s.col)

    def covering(self, row: int) -> list[Span]:
        """The spans that cover any position of this row, left to right."""
        return sorted((s for s in self.spans if s.row <= row < s.row + s.rowspan),
                      key=lambda s: s.col)

    def split(self, at: int) -> tuple[Grid, Grid]:
        """Cut before row `at`, as a page break does: a merged cell crossing the cut continues
        as an empty merged cell in the second part."""
        top = Grid(self.name, self.width, at)
        bottom = Grid(self.name, self.width, self.nrows - at)
        for s in self.spans:
            end = s.row + s.rowspan
            if end <= at:
                top.spans.append(s)
            elif s.row >= at:
                bottom.spans.append(replace(s, row=s.row - at))
            else:
                top.spans.append(replace(s, rowspan=at - s.row))
                bottom.spans.append(Span("", 0, s.col, end - at, s.colspan, s.kind))
        return top, bottom

    def has_values(self, row: int) -> bool:
        return any(s.kind == "value" for s in self.row_spans(row))


def proactive_grid(template: str, raw: dict, label) -> Grid:
    g = Grid("proactive", 4, label=label)
    for caption, heads, rows, cols in _proactive(template):
        g.add_row([(caption, 1, 4, "caption")])
        last = 3 - len(heads)               # the last column absorbs the unused width
        g.add_row([("信息内容", 1, 1, "header")]
                  + [(h, 1, 1 + (last if i == len(heads) - 1 else 0), "header")
                     for i, h in enumerate(heads)])
        for row, row_label in rows:
            g.add_row([(row_label, 1, 1, "label")]
                      + [(raw[("proactive", row, c)], 1, 1 + (last if i == len(cols) - 1 else 0),
                          "value", ("proactive", row, c)) for i, c in enumerate(cols)])
    return g


def requests_grid(raw: dict, label, split_other: bool, subtotal: bool) -> Grid:
    """表三 as the spec's layout prints it: three label columns (a heading spans the rows under
    it), three header rows (a heading spans the columns under it), then the columns."""
    [top] = _REQUESTS["cols"]              # 申请人情况 over every column
    cols = [c for c in top["cols"] if subtotal or not c.get("optional")]
    inner = [[c for c in col.get("cols", []) if subtotal or not c.get("optional")] for col in cols]
    width = sum(len(group) or 1 for group in inner)
    g = Grid("requests", 3 + width, label=label)
    g.add_row([(CHECK_RULE_NOTE, 3, 3, "header"), (top["heading"], 1, width, "header")])
    g.add_row([(col["heading"], 1, len(group), "header") if group else (col["label"], 2, 1, "header")
               for col, group in zip(cols, inner, strict=True)])
    g.add_row([(c["label"], 1, 1, "header") for group in inner for c in group])

    def values(row: str) -> list[tuple]:
        cells: list[tuple] = [(raw[("requests", row, c)], 1, 1, "value", ("requests", row, c))
                              for c in APPLICANT_COLS]
        if subtotal:
            cells.append((_subtotal(raw, row), 1, 1, "value"))
        return cells + [(raw[("requests", row, "total")], 1, 1, "value", ("requests", row, "total"))]

    for printed in printed_rows(_REQUESTS["rows"], split_other):
        g.add_row([(text, span, 1, "label") for text, span in printed.headings]
                  + [(printed.label, 1, 3 - printed.depth, "label")] + values(printed.key))
    return g


def _subtotal(raw: dict, row: str) -> str:
    total = 0
    for c in APPLICANT_COLS[1:]:
        m = re.fullmatch(r"\d+", raw[("requests", row, c)])
        total += int(m.group()) if m else 0
    return str(total)


def review_grid(raw: dict, label) -> Grid:
    """表四 as one data row: a row group per top-level row of the layout (a heading spans the
    groups of the rows under it), each group the five result columns."""
    n = len(REVIEW_COLS)
    rows = printed_rows(_REVIEW["rows"], False)
    g = Grid("review_litigation", n * len(rows), label=label)
    top, second, third = [], [], []
    for r in rows:
        if r.depth == 0:
            top.append((r.label, 1, n, "header"))
            second += [(t, 2, 1, "header") for t in REVIEW_LABELS]
        else:
            top += [(text, 1, n * span, "header") for text, span in r.headings]
            second.append((r.label, 1, n, "header"))
            third += [(t, 1, 1, "header") for t in REVIEW_LABELS]
    for cells in (top, second, third):
        g.add_row(cells)
    g.add_row([(raw[("review_litigation", r, c)], 1, 1, "value", ("review_litigation", r, c))
               for r in REVIEW_ROWS for c in REVIEW_COLS])
    return g


def appendix_grid(counts: dict[str, int], label) -> Grid:
    """The optional pre-2019 附表 "政府信息公开情况统计表" (指标名称/计量单位/统计数), holding the
    narrative's numbers. It is no standard table: a parser reads no canonical cell from it."""
    g = Grid("appendix", 3, label=label)
    g.add_row([("政府信息公开情况统计表", 1, 3, "caption")])
    g.add_row([(t, 1, 1, "header") for t in ("指标名称", "计量单位", "统计数")])
    rows = [("一、主动公开情况", None, None), ("主动公开政府信息数", "条", counts["proactive"]),
            ("二、依申请公开情况", None, None), ("收到申请数", "件", counts["new"]),
            ("其中：同意公开答复数", "件", counts["granted"]),
            ("同意部分公开答复数", "件", counts["partly"]),
            ("不同意公开答复数", "件", counts["refused"]),
            ("三、因政府信息公开申请行政复议数", "件", 0), ("四、因政府信息公开提起行政诉讼数", "件", 0),
            ("五、依申请公开信息收取的费用", "万元", 0)]
    for name, unit, value in rows:
        if unit is None:
            g.add_row([(name, 1, 3, "label")])
        else:
            g.add_row([(name, 1, 1, "label"), (unit, 1, 1, "label"), (str(value), 1, 1, "value")])
    return g
