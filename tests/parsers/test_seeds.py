"""The five real seed reports parse to exactly the values in ../shared/design/seeds_expected.json."""
import json
from pathlib import Path

import pytest

import parsers
from parsers.values import parse_value

SHARED = Path(__file__).resolve().parents[3] / "shared"
EXPECTED = json.loads((SHARED / "design" / "seeds_expected.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module", params=EXPECTED, ids=[e["file"][:3] for e in EXPECTED])
def case(request):
    expected = request.param
    return expected, parsers.parse((SHARED / "seeds" / expected["file"]).read_bytes())


def test_every_cell(case):
    expected, report = case
    got = {(c.table, c.row, c.col): c.value for c in report.cells}
    want = {(c["table"], c["row"], c["col"]): c["value"] for c in expected["cells"]}
    assert got == want


def test_metadata(case):
    expected, report = case
    assert report.template == expected["template"]
    assert report.year == expected["year"]
    assert report.agency == expected["agency"]
    assert report.region == expected["region"]
    if "published" in expected:
        assert report.published == expected["published"]


def test_raw_kept_and_checks_recorded(case):
    expected, report = case
    for cell in report.cells:
        if cell.raw:                       # an unprinted cell implied by the checks has raw ""
            assert parse_value(cell.raw) == (cell.value, True)
    if expected["cells"]:
        rules = {c.rule for c in report.checks}
        assert {"requests_balance", "requests_total", "requests_row_sum", "review_litigation_sum"} <= rules
        assert all(c.ok is not False for c in report.checks)
    else:
        assert report.cells == [] and any("no standard report tables" in w for w in report.warnings)


def test_json_round_trip(case):
    _, report = case
    data = json.loads(json.dumps(report.to_dict(), ensure_ascii=False))
    again = parsers.Report.from_dict(data)
    assert [(c.table, c.row, c.col, c.value) for c in again.cells] == \
           [(c.table, c.row, c.col, c.value) for c in report.cells]


def test_sections(case):
    expected, report = case
    assert set(report.sections) == {"overview", "problems", "other"}
    assert all(len(text) > 5 for text in report.sections.values())


def test_seed_000_unprinted_cell_is_derived_and_named():
    """Seed 000 prints six numbers in its seven-column 结转下年度 row: the missing value follows from
    the balance check; the cells it may be keep raw "" and the warning names them and the check."""
    seed = next(e for e in EXPECTED if e["file"].startswith("000"))
    report = parsers.parse((SHARED / "seeds" / seed["file"]).read_bytes())
    derived = [c for c in report.cells if c.raw == "" and c.value is not None]
    assert derived and {(c.table, c.row) for c in derived} == {("requests", "carried_forward")}
    [warning] = [w for w in report.warnings if "derived" in w]
    assert "requests_balance" in warning
    assert all(f"{c.table}.{c.row}.{c.col}={c.value}" in warning for c in derived)
