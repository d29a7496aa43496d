"""`nianbao query cells|views|search`: every filter given is applied or refused; formats, limits, key errors."""
from __future__ import annotations

import csv
import io
import json

import click
import pytest
from sqlalchemy import text

from nianbao.cli import main
from nianbao.commands import cli
from pipelines import labels, views
from tests.pipelines.query_dataset import (  # noqa: F401
    AGENCIES,
    SAMPLES,
    current_samples,
    dataset,
    matches,
)

FILTERS = {"province": "河南", "city": "郑州", "county": "二七区", "agency": "司法局", "year": "2021-2022"}


def agency_of(sample) -> dict | None:
    return next((a for a in AGENCIES if a["id"] == sample.agency_id), None)


def keep(sample, **given) -> bool:
    """What a filter means, computed from the samples: regions by prefix, agency by substring, years inclusive."""
    a = agency_of(sample)
    for key in ("province", "city", "county"):
        if key in given and not (a and a[key] and a[key].startswith(given[key])):
            return False
    if "agency" in given and not (a and given["agency"] in a["name"]):
        return False
    if "year" in given:
        first, _, last = given["year"].partition("-")
        if sample.report.year is None or not int(first) <= sample.report.year <= int(last or first):
            return False
    return True


def run(capsys, *argv) -> tuple[int, str, str]:
    code = main(list(argv))
    cap = capsys.readouterr()
    return code, cap.out, cap.err


def rows_of(out: str) -> list[dict]:
    return [json.loads(line) for line in out.splitlines()]


@pytest.mark.parametrize("name", list(FILTERS))
def test_cells_apply_each_filter(dataset, capsys, name):
    url, _ = dataset
    code, out, _ = run(capsys, "query", "cells", "--db", url, f"--{name}", FILTERS[name], "--format", "jsonl",
                       "--limit", "0")
    assert code == 0
    got = {r["report_id"] for r in rows_of(out)}
    want = {s.id for s in current_samples() if s.report.cells and keep(s, **{name: FILTERS[name]})}
    assert got == want and want


@pytest.mark.parametrize("name", list(FILTERS))
def test_search_applies_each_filter(dataset, capsys, name):
    url, _ = dataset
    code, out, _ = run(capsys, "query", "search", "公开", "--db", url, f"--{name}", FILTERS[name],
                       "--format", "jsonl", "--limit", "0")
    assert code == 0
    want = {s.id for s in current_samples() if s.id in matches("公开") and keep(s, **{name: FILTERS[name]})}
    assert {r["report_id"] for r in rows_of(out)} == want and want


def test_the_issue_example_no_longer_ignores_region_and_year(dataset, capsys):
    url, _ = dataset
    code, out, _ = run(capsys, "query", "--search", "司法局", "--province", "江苏省", "--year", "2020", "--db", url)
    assert code == 0 and out.splitlines()[-1] == "(0 rows)"
    code, out, _ = run(capsys, "query", "--search", "司法局", "--province", "河南", "--year", "2021", "--db", url,
                       "--format", "jsonl")
    assert [r["report_id"] for r in rows_of(out)] == [4]


@pytest.mark.parametrize("view", list(views.VIEWS))
def test_views_apply_the_filters_they_have_and_refuse_the_others(dataset, capsys, view):
    url, engine = dataset
    with engine.connect() as conn:
        columns = set(conn.execute(text(f"SELECT * FROM {view} WHERE 1 = 0")).keys())
    for name, value in FILTERS.items():
        code, out, err = run(capsys, "query", "views", view, "--db", url, f"--{name}", value, "--format", "jsonl",
                             "--limit", "0")
        if name not in columns:
            assert code == 2 and f"no {name} column" in err and len(err.splitlines()) == 1
            continue
        assert code == 0, err
        for row in rows_of(out):
            if name in ("province", "city", "county"):
                assert row[name].startswith(value)
            elif name == "agency":
                assert value in row["agency"]
            else:
                assert 2021 <= row["year"] <= 2022


def test_cells_refuse_options_they_do_not_have_and_views_refuse_cell_keys(dataset, capsys):
    url, _ = dataset
    code, _, err = run(capsys, "query", "--view", "v_grant_share", "--table", "requests", "--db", url)
    assert code == 2 and "--table" in err and len(err.splitlines()) == 1
    code, _, err = run(capsys, "query", "--search", "司法", "--template", "2021", "--db", url)
    assert code == 2 and "--template" in err


@pytest.mark.parametrize("args, kind, valid", [
    (["--table", "request"], "table", list(labels.TABLES)),
    (["--table", "requests", "--row", "granted_total"], "row", [r for t, r in labels.ROWS if t == "requests"]),
    (["--col", "sum"], "col", sorted({c for _, c in labels.COLS})),
])
def test_unknown_key_exits_2_listing_the_valid_keys(dataset, capsys, args, kind, valid):
    url, _ = dataset
    code, out, err = run(capsys, "query", "cells", "--db", url, *args)
    assert code == 2 and out == ""
    line, = err.splitlines()
    assert f"unknown {kind}" in line and all(k in line.split("valid: ")[1].split(", ") for k in valid)


def test_region_by_prefix_equals_region_by_full_name(dataset, capsys):
    url, _ = dataset
    outs = [run(capsys, "query", "cells", "--db", url, "--province", p, "--format", "jsonl", "--limit", "0")[1]
            for p in ("河南", "河南省")]
    assert outs[0] == outs[1] and outs[0]
    assert run(capsys, "query", "cells", "--db", url, "--province", "南", "--format", "jsonl")[1] == ""


def test_csv_has_a_bom_and_limit_0_prints_every_row(dataset, capsys):
    url, _ = dataset
    code, out, _ = run(capsys, "query", "cells", "--db", url, "--format", "csv", "--limit", "0")
    assert code == 0 and out.startswith("\ufeff")
    rows = list(csv.DictReader(io.StringIO(out[1:])))
    assert len(rows) == sum(len(s.report.cells) for s in current_samples())
    tsv = run(capsys, "query", "cells", "--db", url, "--format", "tsv", "--limit", "0")[1]
    assert not tsv.startswith("\ufeff") and len(tsv.splitlines()) == len(rows) + 1
    assert len(json.loads(run(capsys, "query", "cells", "--db", url, "--format", "json", "--limit", "0")[1])) \
        == len(rows)


def test_a_cut_is_said_on_the_last_line_of_the_table(dataset, capsys):
    url, _ = dataset
    code, out, err = run(capsys, "query", "cells", "--db", url, "--limit", "5")
    lines = out.splitlines()
    assert code == 0 and len(lines) == 2 + 5 + 1 and "more exist" in lines[-1] and "--limit 0" in lines[-1]
    code, out, _ = run(capsys, "query", "cells", "--db", url, "--agency", "洛阳", "--limit", "0")
    n = sum(len(s.report.cells) for s in current_samples() if s.agency_id == 3)
    assert out.splitlines()[-1] == f"({n} rows)"
    code, out, err = run(capsys, "query", "cells", "--db", url, "--limit", "5", "--format", "jsonl")
    assert len(out.splitlines()) == 5 and "more rows not shown" in err


def test_views_without_a_name_lists_them(capsys):
    code, out, _ = run(capsys, "query", "views", "--format", "jsonl")
    assert code == 0 and [r["view"] for r in rows_of(out)] == list(views.VIEWS)


def walk(command: click.Command, path=("nianbao",)):
    yield path, command
    if isinstance(command, click.Group):
        ctx = click.Context(command)
        for name in command.list_commands(ctx):
            yield from walk(command.get_command(ctx, name), path + (name,))


def test_every_command_and_option_has_help():
    for path, command in walk(cli):
        assert command.help, " ".join(path)
        for p in command.params:
            if isinstance(p, click.Option) and not p.hidden:
                assert p.help, f"{' '.join(path)} {p.opts}"


def test_version_sites_list_and_usage_errors(capsys):
    code, out, _ = run(capsys, "--version")
    assert code == 0 and out.startswith("nianbao, version ")
    code, out, _ = run(capsys, "sites", "list", "--format", "jsonl")
    rows = rows_of(out)
    assert code == 0 and rows and len({r["id"] for r in rows}) == len(rows)
    code, _, err = run(capsys, "query", "cells", "--no-such-option")
    assert code == 2 and len(err.splitlines()) == 1 and err.startswith("nianbao query cells: ")
    code, _, err = run(capsys, "no-such-command")
    assert code == 2 and len(err.splitlines()) == 1
