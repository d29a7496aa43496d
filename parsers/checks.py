"""The consistency checks (勾稽关系) of the forms spec: each a sum relation between cells, recorded as a Check.

A relation says sum(actual cells) == sum(expected cells). The same relations evaluate a parsed
report, tell competing readings of an ambiguous row apart, and fill a cell a row did not print
when every reading agrees on it. A failed check is flagged, never fixed.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from parsers import forms
from parsers import labels as L
from parsers.forms import TableSpec
from parsers.labels import norm
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


_MEMO: dict[tuple, tuple[forms.Spec, list[Relation]]] = {}     # reports mostly print the same rows


def relations(rows: dict[str, set[str]]) -> list[Relation]:
    """Every check of the forms spec that applies to the rows present, per table: for each
    table, its per-column checks column by column, then its per-row checks row by row."""
    key = tuple(frozenset(rows.get(table, ())) for table in L.SPEC.tables)
    spec, out = _MEMO.get(key, (None, []))
    if spec is not L.SPEC:
        out = _relations(L.SPEC, rows)
        if len(_MEMO) > 512:
            _MEMO.clear()
        _MEMO[key] = (L.SPEC, out)
    return list(out)


def _relations(spec: forms.Spec, rows: dict[str, set[str]]) -> list[Relation]:
    out: list[Relation] = []
    for table in spec.tables.values():
        present = rows.get(table.key, set())
        checks = [c for c in spec.checks if c.table == table.key]
        for col in (c.key for c in table.cols if c.canonical):
            for check in (c for c in checks if c.per == "col"):
                actual, expected = _present(table, check.actual, present), _present(table, check.expected, present)
                if actual and expected:
                    out.append(Relation(check.rule, tuple((table.key, row, col) for row in actual),
                                        tuple((table.key, row, col) for row in expected), col=col))
        for check in (c for c in checks if c.per == "row"):
            for row in sorted(present):
                out.append(Relation(check.rule, tuple((table.key, row, col) for col in table.members(check.actual)),
                                    tuple((table.key, row, col) for col in table.members(check.expected)), row=row))
    return out


def _present(table: TableSpec, names: tuple[str, ...], present: set[str]) -> list[str] | None:
    """The rows `names` stand for: a group's rows present, every other row named (None if one is
    absent, or if nothing is left)."""
    groups = table.groups or {}
    out = []
    for name in names:
        if name in groups:
            out += [row for row in groups[name] if row in present]
        elif name in present:
            out.append(name)
        else:
            return None
    return out or None


def run_checks(report: Report) -> list[Check]:
    """Every table check on a report's cells, in a stable order."""
    values = {(c.table, c.row, c.col): c.value for c in report.cells}
    rows: dict[str, set[str]] = {}
    for table, row, _ in values:
        rows.setdefault(table, set()).add(row)
    return [relation.evaluate(values) for relation in relations(rows)]


_RECEIVED = re.compile(r"(?:共|累计|全年)?(?:新收到?|收到|受理)[^。;；]{0,16}?申请[^。;；\d]{0,8}?(\d+)件(?!次)")
# Before the number, words that make it another quantity than this year's new requests: a
# comparison or carry-over (较上年, 同比, 结转), several years, proactive and requested counted
# together, or one channel of many (网上申请, 信函申请, 其中).
_OTHER_QUANTITY = re.compile(r"上年|去年|前年|同比|较|比上|结转|累计|历年|以来|近[一二三四五\d]+年|连续|主动"
                             r"|网上|网络|在线|信函|当面|现场|传真|电子邮件|邮寄|其中|分别|人次")
_SENTENCE_END = re.compile(r"[。；;！？!?\n]")


def stated_new_requests(text: str, year: int | None) -> list[int]:
    """Numbers the text states, unambiguously, as this year's newly received requests."""
    out = []
    for m in _RECEIVED.finditer(text):
        begin = max((e.end() for e in _SENTENCE_END.finditer(text, 0, m.start())), default=0)
        before = text[begin:m.start(1)]
        years = {int(y) for y in re.findall(r"((?:19|20)\d\d)\s*年", before)}
        if _OTHER_QUANTITY.search(before) or (year is not None and years - {year}):
            continue
        out.append(int(m[1]))
    return out


def body_checks(text: str, report: Report) -> list[Check]:
    """Soft check: "共收到政府信息公开申请N件" in the text against new_received.total, only where a
    sentence states that very quantity; a total with the carried-over requests also agrees. Fails
    on the first such statement that disagrees."""
    cell = report.cell("requests", "new_received", "total")
    stated = stated_new_requests(norm(text), report.year)
    if not stated or cell is None:
        return []
    carried = report.cell("requests", "carried_over", "total")
    agree = {cell.value} | ({cell.value + carried.value} if cell.value is not None and carried is not None
                            and carried.value is not None else set())
    number = next((n for n in stated if n not in agree), stated[0])     # any disagreement shows
    ok = None if cell.value is None else number in agree
    return [Check(rule="body_new_received", ok=ok, expected=number, actual=cell.value,
                  row="new_received", col="total", inputs={"text": number, "new_received.total": cell.value})]

