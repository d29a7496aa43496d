"""The consistency checks (勾稽关系) of template.md: each a sum relation between cells, recorded as a Check.

A relation says sum(actual cells) == sum(expected cells). The same relations evaluate a parsed
report, tell competing readings of an ambiguous row apart, and fill a cell a row did not print
when every reading agrees on it. A failed check is flagged, never fixed.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from parsers.labels import REQUESTS_APPLICANTS, REQUESTS_COLS, REQUESTS_RESULT_ROWS, REVIEW_COLS, norm
from parsers.model import Check, Number, Report

CellKey = tuple[str, str, str]          # (table, row, col)


@dataclass(frozen=True)
class Relation:
    rule: str
    actual: tuple[CellKey, ...]
    expected: tuple[CellKey, ...]
    row: str | None = None
    col: str | None = None

    @property
    def cells(self) -> tuple[CellKey, ...]:
        return self.actual + self.expected

    def evaluate(self, values: dict[CellKey, Number | None]) -> Check:
        inputs = {f"{row}.{col}": values.get((table, row, col)) for table, row, col in self.cells}
        actual = _sum(values, self.actual)
        expected = _sum(values, self.expected)
        ok = None if actual is None or expected is None else actual == expected
        return Check(rule=self.rule, ok=ok, expected=expected, actual=actual, row=self.row,
                     col=self.col, inputs=inputs)

    def solve(self, values: dict[CellKey, Number | None], cell: CellKey) -> Number | None:
        """The value `cell` must hold for the relation to pass, when every other cell is known."""
        others_actual = _sum(values, tuple(c for c in self.actual if c != cell))
        others_expected = _sum(values, tuple(c for c in self.expected if c != cell))
        if others_actual is None or others_expected is None:
            return None
        return others_expected - others_actual if cell in self.actual else others_actual - others_expected


def _sum(values, cells) -> Number | None:
    total = 0
    for cell in cells:
        value = values.get(cell)
        if value is None:
            return None
        total += value
    return total


def relations(rows: dict[str, set[str]]) -> list[Relation]:
    """Every check of template.md that applies to the rows present, per table."""
    out: list[Relation] = []
    req = rows.get("requests", set())
    balance = ("new_received", "carried_over", "total_handled", "carried_forward")
    results = [row for row in REQUESTS_RESULT_ROWS if row in req]
    for col in REQUESTS_COLS:
        if set(balance) <= req:
            out.append(Relation("requests_balance", (("requests", "total_handled", col), ("requests", "carried_forward", col)),
                                (("requests", "new_received", col), ("requests", "carried_over", col)), col=col))
        if "total_handled" in req and results:
            out.append(Relation("requests_total", (("requests", "total_handled", col),),
                                tuple(("requests", row, col) for row in results), col=col))
    for row in sorted(req):
        out.append(Relation("requests_row_sum", (("requests", row, "total"),),
                            tuple(("requests", row, col) for col in REQUESTS_APPLICANTS), row=row))
    for row in sorted(rows.get("review_litigation", set())):
        out.append(Relation("review_litigation_sum", (("review_litigation", row, "total"),),
                            tuple(("review_litigation", row, col) for col in REVIEW_COLS[:-1]), row=row))
    return out


def run_checks(report: Report) -> list[Check]:
    """Every table check on a report's cells, in a stable order."""
    values = {(c.table, c.row, c.col): c.value for c in report.cells}
    rows: dict[str, set[str]] = {}
    for table, row, _ in values:
        rows.setdefault(table, set()).add(row)
    return [relation.evaluate(values) for relation in relations(rows)]


_RECEIVED = re.compile(r"(?:共|累计|全年)?(?:新收到?|收到|受理)[^。;；]{0,16}?申请[^。;；\d]{0,8}?(\d+)件")


def body_checks(text: str, report: Report) -> list[Check]:
    """Soft check: "共收到政府信息公开申请N件" in the text against new_received.total."""
    m = _RECEIVED.search(norm(text))
    cell = report.cell("requests", "new_received", "total")
    if not m or cell is None:
        return []
    stated = int(m[1])
    ok = None if cell.value is None else cell.value == stated
    return [Check(rule="body_new_received", ok=ok, expected=stated, actual=cell.value,
                  row="new_received", col="total", inputs={"text": stated, "new_received.total": cell.value})]

