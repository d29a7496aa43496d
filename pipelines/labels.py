"""Chinese labels for the canonical table, row, column and section keys, in export order (from parsers/forms.yaml)."""
from __future__ import annotations

from parsers.forms import SPEC

TABLES: dict[str, str] = {key: t.label for key, t in SPEC.tables.items()}

SECTIONS: dict[str, str] = dict(SPEC.sections)

# (table, row) -> label
ROWS: dict[tuple[str, str], str] = {(key, r.key): r.label for key, t in SPEC.tables.items() for r in t.rows}

# (table, col) -> label; a column read but not canonical (法人小计) has none
COLS: dict[tuple[str, str], str] = {(key, c.key): c.label for key, t in SPEC.tables.items()
                                    for c in t.cols if c.canonical}
