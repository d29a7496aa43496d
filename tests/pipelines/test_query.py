"""`nianbao query`: filters over current reports' cells, views and search, printed as a table or CSV."""
from __future__ import annotations

import csv
import io
from decimal import Decimal

import pytest

from nianbao.cli import main
from pipelines import query
from pipelines.query import QueryError, width
from tests.pipelines.query_dataset import AGENCIES, cell_value, current_samples, dataset  # noqa: F401


def expected(pred) -> list[tuple]:
    """(report id, table, row, col, value) of the current samples' cells that satisfy pred(sample, agency, cell)."""
    out = []
    for s in current_samples():
        a = next((x for x in AGENCIES if x["id"] == s.agency_id), None)
        for c in s.report.cells:
            if pred(s, a, c):
                out.append((s.id, c.table, c.row, c.col, c.value))
    return sorted(out)


def read_csv(out: str) -> list[dict]:
    assert out.startswith("\ufeff")                              # the BOM, for Excel
    return list(csv.DictReader(io.StringIO(out[1:])))


def got(rows) -> list[tuple]:
    return sorted((r["report_id"], r["table"], r["row"], r["col"], r["value"]) for r in rows)


def test_filters_by_region_year_and_cell(dataset):
    _, engine = dataset
    rows = query.cells(engine, province="河南省", year="2023", table="requests", row="new_received", col="total")
    assert got(rows) == expected(lambda s, a, c: a and a["province"] == "河南省" and s.report.year == 2023
                                 and (c.table, c.row, c.col) == ("requests", "new_received", "total"))
    assert {r["report_id"] for r in rows} == {3, 5, 6}               # 2 is superseded by 3
    assert {r["row_label"] for r in rows} == {"本年新收政府信息公开申请数量"}


def test_agency_substring_year_range_template(dataset):
    _, engine = dataset
    rows = query.cells(engine, agency="司法局", year="2019-2022")
    assert got(rows) == expected(lambda s, a, c: a and "司法局" in a["name"] and 2019 <= s.report.year <= 2022)
    assert {r["agency"] for r in rows} == {"郑州市二七区司法局"} and {r["year"] for r in rows} == {2021}
    rows = query.cells(engine, template="2019", city="洛阳市")
    assert got(rows) == expected(lambda s, a, c: s.report.template == "2019")
    rows = query.cells(engine, county="二七区", table="review_litigation", col="corrected", limit=2)
    assert len(rows) == 2 and [r["agency"] for r in rows] == sorted(r["agency"] for r in rows)
    assert query.cells(engine, agency="%") == []                     # a literal %, not a wildcard


@pytest.mark.parametrize("spec", ["20x", "2023-2019", "2019-", "19-23"])
def test_bad_year_is_an_error(spec):
    with pytest.raises(QueryError):
        query.year_range(spec)


def test_cli_table_is_aligned(dataset, capsys):
    url, _ = dataset
    assert main(["query", "--db", url, "--province", "河南省", "--row", "granted", "--col", "total"]) == 0
    out = capsys.readouterr().out.splitlines()
    header, rule, body, footer = out[0], out[1], out[2:-1], out[-1]
    assert header.split() == query.TABLE_COLUMNS
    assert footer == f"({len(body)} rows)" and len(body) == 5
    # value is the last column and right-aligned: every line ends at the same display column
    assert {width(line) for line in [header, rule] + body} == {width(rule)}
    for s in current_samples():
        if s.agency_id and s.report.cell("requests", "granted", "total"):
            assert any(s.report.agency in line and line.endswith(" " + str(cell_value(s, "requests", "granted",
                                                                                      "total"))) for line in body)


def test_cli_csv_and_limit(dataset, capsys):
    url, engine = dataset
    assert main(["query", "--db", url, "--agency", "二七区", "--csv", "--limit", "0"]) == 0
    rows = read_csv(capsys.readouterr().out)
    assert got([dict(r, report_id=int(r["report_id"]), value=Decimal(r["value"]) if r["value"] else None)
                for r in rows]) == expected(lambda s, a, c: a and "二七区" in a["name"])
    assert main(["query", "--db", url, "--limit", "3", "--csv"]) == 0
    cap = capsys.readouterr()
    assert len(read_csv(cap.out)) == 3 and "more rows not shown" in cap.err


def test_cli_view_and_search(dataset, capsys):
    url, _ = dataset
    assert main(["query", "--db", url, "--view", "v_grant_share", "--agency", "司法局", "--csv"]) == 0
    rows = read_csv(capsys.readouterr().out)
    assert sorted(int(r["report_id"]) for r in rows) == [4, 5]
    assert main(["query", "--db", url, "--view", "v_missing_reports", "--year", "2022", "--csv"]) == 0
    rows = read_csv(capsys.readouterr().out)
    assert [(r["agency"], r["reason"]) for r in rows] == [("郑州市二七区司法局", "gap")]
    assert main(["query", "--db", url, "--search", "司法局", "--csv"]) == 0
    rows = read_csv(capsys.readouterr().out)
    assert sorted(int(r["report_id"]) for r in rows) == [4, 5] and all("【司法局】" in r["snippet"] for r in rows)


def test_cli_errors_are_one_line(dataset, tmp_path, capsys):
    url, _ = dataset
    assert main(["query", "--db", url, "--year", "last year"]) == 2
    assert main(["query", "--db", url, "--view", "v_nope"]) == 2
    assert main(["query", "--db", f"sqlite:///{tmp_path / 'none.sqlite'}"]) == 2
    assert main(["query", "--db", "nosuchdb://x"]) == 2
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 4 and all(line.startswith("nianbao query ") for line in err)
    assert not (tmp_path / "none.sqlite").exists()
