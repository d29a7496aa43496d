"""Loads the official forms' spec (forms.yaml): tables, rows, columns, checks and printed layouts."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import yaml

SPEC_PATH = Path(__file__).with_name("forms.yaml")


@dataclass(frozen=True)
class Key:
    """A canonical row or column: display label, patterns (pattern, form it signals or None)."""
    key: str
    label: str
    match: tuple[tuple[str, str | None], ...] = ()
    canonical: bool = True


@dataclass(frozen=True)
class TableSpec:
    key: str
    label: str
    signature: str
    rows: tuple[Key, ...]
    cols: tuple[Key, ...]
    header: str | None = None
    header_order: tuple[str, ...] = ()
    groups: dict[str, tuple[str, ...]] | None = None

    def members(self, names) -> list[str]:
        """Row or column keys of `names`, a group name standing for its members."""
        groups = self.groups or {}
        return [m for name in names for m in groups.get(name, (name,))]


@dataclass(frozen=True)
class CheckSpec:
    rule: str
    table: str
    per: str                      # "col": one check per column, the entries name rows; "row": per row
    actual: tuple[str, ...]
    expected: tuple[str, ...]


@dataclass(frozen=True)
class Spec:
    sections: dict[str, str]
    tables: dict[str, TableSpec]
    checks: tuple[CheckSpec, ...]
    forms: dict[str, dict]        # form -> {"proactive": [sub-table], "split": bool}
    layouts: dict[str, dict]      # requests / review_litigation, as printed by both forms


def _key(entry: dict) -> Key:
    match = entry.get("match")
    if isinstance(match, dict):
        pairs = tuple(match.items())
    else:
        pairs = ((match, entry.get("form")),) if match else ()
    return Key(entry["key"], entry["label"], pairs, entry.get("canonical", True))


def load(path: str | Path = SPEC_PATH) -> Spec:
    """The spec at `path` (the shipped forms.yaml by default)."""
    data = yaml.load(Path(path).read_text(encoding="utf-8"), Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    tables = {}
    for name, t in data["tables"].items():
        tables[name] = TableSpec(
            name, t["label"], t["signature"], tuple(_key(r) for r in t["rows"]),
            tuple(_key(c) for c in t["cols"]), t.get("header"), tuple(t.get("header_order", ())),
            {g: tuple(m) for g, m in t.get("groups", {}).items()})
    checks = tuple(CheckSpec(c["rule"], c["table"], c["per"], tuple(c["actual"]), tuple(c["expected"]))
                   for c in data["checks"])
    return Spec(dict(data["sections"]), tables, checks, data["forms"], data["layouts"])


@dataclass(frozen=True)
class PrintedRow:
    """One row of a layout as printed: its key, its label, how many headings it sits under
    (`depth`), and the headings that start at it, as (label, rows they span)."""
    key: str
    label: str
    depth: int
    headings: tuple[tuple[str, int], ...] = ()


def printed_rows(entries: list[dict], split: bool, depth: int = 0) -> list[PrintedRow]:
    """A layout's rows in printed order (`split`: a row with `split` parts prints the parts,
    under a heading of its own label)."""
    out: list[PrintedRow] = []
    for entry in entries:
        if "heading" in entry or (split and "split" in entry):
            label = entry.get("heading") or entry["label"]
            rows = printed_rows(entry.get("rows") or entry["split"], split, depth + 1)
            first = rows[0]
            rows[0] = PrintedRow(first.key, first.label, first.depth, ((label, len(rows)),) + first.headings)
            out += rows
        else:
            out.append(PrintedRow(entry["key"], entry["label"], depth))
    return out


SPEC = load()
