"""The forms spec (parsers/forms.yaml): a label variant is one data edit, and the matcher's
vocabulary recognises every label the official forms print."""
import random

import pytest

from parsers import forms, parse
from parsers import labels as L
from tests.parsers.test_template import document, expected_cells, grids, make_report, pipe_style


@pytest.fixture
def spec_with(tmp_path):
    """A temporary spec: the shipped forms.yaml with one text edit, used by the matcher until the
    test ends."""
    def edit(old: str, new: str) -> forms.Spec:
        text = forms.SPEC_PATH.read_text(encoding="utf-8")
        assert text.count(old) == 1
        path = tmp_path / "forms.yaml"
        path.write_text(text.replace(old, new), encoding="utf-8")
        spec = forms.load(path)
        L.use(spec)
        return spec
    yield edit
    L.use(forms.SPEC)


def _report_printing(rep, old: str, new: str):
    text = document([pipe_style(g) for g in grids(rep, "2021")])
    assert text.count(old) == 1
    return parse(text.replace(old, new).encode("utf-8"))


def test_a_new_row_variant_is_one_data_edit(spec_with):
    rep = make_report(random.Random(12), "2021")
    want = expected_cells(rep)
    before = _report_printing(rep, "7.属于行政执法案卷", "7.属于行政执法卷宗")
    assert before.cell("requests", "denied_enforcement_file", "total") is None

    spec_with("match: '执法案卷'}", "match: '执法案卷|执法卷宗'}")
    after = _report_printing(rep, "7.属于行政执法案卷", "7.属于行政执法卷宗")
    assert {(c.table, c.row, c.col): c.value for c in after.cells} == want
    assert all(c.ok for c in after.checks if c.rule != "body_new_received")


def test_a_new_column_variant_signals_its_form(spec_with):
    rep = make_report(random.Random(7), "2021")
    before = _report_printing(rep, "本年制发件数", "本年印发件数")
    assert before.cell("proactive", "regulations", "issued") is None

    spec_with("'本年制发|本年发件|制发件数': '2021'", "'本年制发|本年发件|制发件数|印发件数': '2021'")
    after = _report_printing(rep, "本年制发件数", "本年印发件数")
    assert after.cell("proactive", "regulations", "issued").value == rep["proactive"]["regulations"]["issued"]
    assert after.tables["proactive"] == "2021"


def test_a_new_canonical_row_is_one_data_edit(spec_with):
    rep = make_report(random.Random(9), "2021")
    pro, req, rev = grids(rep, "2021")
    at = next(i for i, row in enumerate(pro) if row[0] == "行政强制") + 1
    pro.insert(at, ["行政裁决", "3", "", ""])              # a row the 2021 form does not print
    text = document([pipe_style(g) for g in (pro, req, rev)]).encode("utf-8")
    assert {c.row for c in parse(text).cells if c.table == "proactive"} == set(rep["proactive"])

    spec_with("      - {key: coercion, label: 行政强制, match: '行政强制'}\n",
              "      - {key: coercion, label: 行政强制, match: '行政强制'}\n"
              "      - {key: ruling, label: 行政裁决, match: '行政裁决'}\n")
    report = parse(text)
    assert report.cell("proactive", "ruling", "decisions").value == 3
    assert {(c.table, c.row, c.col): c.value for c in report.cells if c.row != "ruling"} == expected_cells(rep)


def test_a_new_check_is_one_data_edit(spec_with):
    """A sum relation added to the spec is evaluated on every report with its rows."""
    rep = make_report(random.Random(5), "2021")
    spec_with("checks:\n", "checks:\n  - {rule: denied_equals_unable, table: requests, per: col,\n"
                           "     actual: [denied_state_secret], expected: [unable_not_held]}\n")
    report = parse(document([pipe_style(g) for g in grids(rep, "2021")]).encode("utf-8"))
    new = [c for c in report.checks if c.rule == "denied_equals_unable"]
    assert [c.col for c in new] == L.REQUESTS_COLS
    for check in new:
        req = rep["requests"]
        assert check.ok == (req["denied_state_secret"][check.col] == req["unable_not_held"][check.col])


@pytest.mark.parametrize("form", ["2021", "2019"])
def test_vocabulary_recognises_every_printed_label(form):
    """Each label a form prints names its own key under the matcher's tables."""
    for sub in forms.SPEC.forms[form]["proactive"]:
        for key, label in sub["rows"].items():
            assert L.earliest(L.norm(label), L.PROACTIVE_ROWS) == key
        for key, label in sub["cols"].items():
            hit = next((k, f) for k, p, f in L.PROACTIVE_COLS if p.search(L.norm(label)))
            assert hit[0] == key and hit[1] in (None, form)
    keys = [k for k, _ in L.REQUESTS_ROWS]
    for row in forms.printed_rows(forms.SPEC.layouts["requests"]["rows"], forms.SPEC.forms[form]["split"]):
        label = "".join(text for text, _ in row.headings) + row.label
        start = keys.index(row.key)
        assert L.first_in_order(L.norm(label), L.REQUESTS_ROWS, start) == start
        assert L.REQUESTS_ROW_FORMS.get(row.key) in (None, form)
    for row in forms.printed_rows(forms.SPEC.layouts["review_litigation"]["rows"], False):
        assert L.exact(L.norm(row.label), L.REVIEW_ROWS) == row.key


def test_display_labels_cover_every_canonical_key():
    for table in forms.SPEC.tables.values():
        assert all(r.label for r in table.rows) and all(c.label for c in table.cols)
        for check in forms.SPEC.checks:
            if check.table == table.key:
                names = {r.key for r in table.rows} | {c.key for c in table.cols}
                assert set(table.members(check.actual + check.expected)) <= names
