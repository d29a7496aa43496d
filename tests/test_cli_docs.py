"""The README's command table, docs/commands.md and docs/data-dictionary.md are generated and current."""
from __future__ import annotations

import difflib

from nianbao import docgen
from pipelines import export, labels, views


def test_generated_documents_are_current():
    """Stale? Run `python -m nianbao.docgen` (after changing a command's help, a view or a label)."""
    for path, want in docgen.documents().items():
        have = path.read_text(encoding="utf-8") if path.exists() else ""
        diff = "".join(list(difflib.unified_diff(have.splitlines(True), want.splitlines(True), str(path),
                                                 "generated"))[:40])
        assert have == want, diff


def test_the_dictionary_names_every_key_view_and_export_column():
    md = docgen.dictionary_md()
    for keys in (labels.TABLES, labels.SECTIONS, views.VIEWS):
        assert all(f"`{k}`" in md for k in keys)
    assert all(f"| `{r}` | {label} |" in md for (_, r), label in labels.ROWS.items())
    assert all(f"| `{c}` | {label} |" in md for (_, c), label in labels.COLS.items())
    assert all(f"| `{c}` |" in md for c in export.CELL_COLUMNS)


def test_the_readme_table_lists_every_command():
    table = docgen.command_table()
    for path, _ in docgen.leaves(docgen.cli):
        assert f"| `{' '.join(path)} " in table
