"""`nianbao reparse`: a parser upgrade over the stored raw files updates the dataset, with no crawl; it finds
the raw files where the dataset records them, loses no report, and says what changes (--dry-run: only says)."""
from __future__ import annotations

import copy
import json
import os
import shutil

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import parsers
from nianbao.cli import main
from nianbao.simulator.reports import generate, render_html_page, to_report
from pipelines import dataset, rawstore
from pipelines import reparse as reparse_mod
from pipelines.db import open_db
from tests.pipelines.conftest import HONGZE, dump, item, rows

# a rebuild renews these: the time of the last change and the surrogate id of each check row
MOVES = ("last_seen", "fetched_at", "updated_at", "check_results.id")


def test_reparse_applies_a_better_parser_and_keeps_report_ids(chain_factory, db_url, tmp_path, rng, monkeypatch,
                                                              capsys):
    full = {}
    chain = chain_factory(parse=False)
    for year in (2022, 2023):
        s = generate(rng, year=year, template="2021", agency="洪泽区人民政府", region=dict(HONGZE))
        body = render_html_page(s)
        rep = to_report(s)
        rep.media_type = "text/html"
        full[body] = rep
        old = copy.deepcopy(rep)
        old.cells = [c for c in rep.cells if c.table != "requests"]        # the old parser missed a table
        chain.feed(item(body, f"http://hz.test/{year}.html"), old)
    chain.feed(item(b"garbage", "http://hz.test/x.bin", media_type=None), None)   # fails with either parser
    ids_before = [r.id for r in rows(db_url, "SELECT id FROM reports ORDER BY year")]

    def upgraded(data, *, media_type=None, url=None, title=None):
        if data in full:
            return copy.deepcopy(full[data])
        raise parsers.ParseError("not a report")
    monkeypatch.setattr(parsers, "parse", upgraded)
    assert main(["reparse", "--db", db_url, "--data-dir", str(tmp_path / "data")]) == 0
    assert "reparsed 3 sources: 2 reports" in capsys.readouterr().out

    after = rows(db_url, "SELECT id, n_cells, complete FROM reports ORDER BY year")
    assert [r.id for r in after] == ids_before
    assert all(r.complete and r.n_cells == 200 for r in after)
    assert rows(db_url, "SELECT parse_error FROM sources WHERE url LIKE '%x.bin'")[0].parse_error == "not a report"
    first = dump(db_url, exclude=MOVES)
    assert main(["reparse", "--db", db_url, "--data-dir", str(tmp_path / "data")]) == 0
    assert dump(db_url, exclude=MOVES) == first
    assert main(["reparse", "--db", db_url]) == 0        # the dataset learnt where its raw files are


# ---- issue 7: the raw files are found wherever the command runs; nothing is lost; a diff first ----

AGENCIES = ("洪泽区人民政府", "淮安市洪泽区财政局", "淮安市洪泽区教育局", "淮安市洪泽区卫生健康委员会",
            "淮安市洪泽区民政局", "淮安市洪泽区司法局", "淮安市洪泽区审计局")


@pytest.fixture
def stored(chain_factory, db_url, tmp_path, rng, monkeypatch):
    """A dataset of seven reports whose raw files are in tmp_path/data (recorded in the dataset), and
    `parser`: body → Report, which parsers.parse now answers from (a test-only parser)."""
    chain = chain_factory(parse=False)
    parser = {}
    for name in AGENCIES:
        s = generate(rng, year=2023, template="2021", agency=name, region=dict(HONGZE))
        body = render_html_page(s)
        rep = to_report(s)
        rep.media_type = "text/html"
        parser[body] = rep
        chain.feed(item(body, f"http://hz.test/{len(parser)}.html"), copy.deepcopy(rep))
    chain.close()                                   # the crawl is over: no connection stays open
    engine = open_db(db_url)
    rawstore.record_raw_dir(engine, tmp_path / "data")
    engine.dispose()

    def parse(data, *, media_type=None, url=None, title=None):
        if data in parser:
            return copy.deepcopy(parser[data])
        raise parsers.ParseError("not a report")
    monkeypatch.setattr(parsers, "parse", parse)
    return parser


def _json(v):
    return json.loads(v) if isinstance(v, str) else v          # SQLite hands JSON back as text to raw SQL


def _cells(db_url) -> dict:
    return {(r.report_id, r.tbl, r.row, r.col): r.value
            for r in rows(db_url, "SELECT report_id, tbl, row, col, value FROM cells")}


def test_the_same_parser_changes_nothing_and_says_so(stored, db_url, capsys):
    before = dump(db_url, exclude=MOVES)
    assert main(["reparse", "--db", db_url]) == 0
    out = capsys.readouterr().out
    assert "reparsed 7 sources: 7 reports (before: 7)" in out
    assert "0 added, 0 removed, 0 merged, 0 split; 0 cells changed; 0 checks flipped" in out
    assert dump(db_url, exclude=MOVES) == before


def test_reparse_from_another_working_directory_and_after_moving_the_dataset(stored, db_url, tmp_path,
                                                                              monkeypatch, capsys):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    assert main(["reparse", "--db", db_url]) == 0
    assert "reparsed 7 sources: 7 reports" in capsys.readouterr().out
    if not db_url.startswith("sqlite"):
        return
    # the raw files are recorded relative to the database file that lies beside them: the two move together
    moved = tmp_path / "moved"
    moved.mkdir()
    shutil.move(tmp_path / "nianbao.sqlite", moved / "nianbao.sqlite")
    shutil.move(tmp_path / "data", moved / "data")
    url = f"sqlite:///{moved / 'nianbao.sqlite'}"
    assert main(["reparse", "--db", url]) == 0
    assert "reparsed 7 sources: 7 reports (before: 7), 0 parse errors, 0 unreadable" in capsys.readouterr().out


def test_raw_files_moved_away_stop_the_command_before_any_change(stored, db_url, tmp_path, capsys):
    before = dump(db_url, exclude=())
    shutil.move(tmp_path / "data", tmp_path / "gone")
    assert main(["reparse", "--db", db_url]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and str(tmp_path / "data") in err and "nothing changed" in err
    # the directory is there but the files are not (e.g. another store): more than a few unreadable
    (tmp_path / "data").mkdir()
    assert main(["reparse", "--db", db_url]) == 2
    err = capsys.readouterr().err
    assert "7 raw files cannot be read under" in err and str(tmp_path / "data") in err
    assert dump(db_url, exclude=()) == before
    assert rows(db_url, "SELECT count(*) AS n FROM reparse_runs")[0].n == 0


def test_an_unreadable_raw_file_keeps_its_report_and_is_named(stored, db_url, tmp_path, capsys):
    victim = rows(db_url, "SELECT s.path, s.report_id, s.url FROM sources s ORDER BY s.id")[2]
    cells_before = {k: v for k, v in _cells(db_url).items() if k[0] == victim.report_id}
    (tmp_path / "data" / victim.path).unlink()
    # and the other reports come back without a value (a parser that lost a table)
    for rep in stored.values():
        rep.cells = [c for c in rep.cells if c.table != "requests"]
    assert main(["reparse", "--db", db_url]) == 0
    out = capsys.readouterr().out
    assert "reparsed 6 sources: 7 reports (before: 7), 0 parse errors, 1 unreadable raw files" in out
    assert f"unreadable, left as it was: {tmp_path / 'data' / victim.path} ({victim.url})" in out
    after = _cells(db_url)
    assert {k: v for k, v in after.items() if k[0] == victim.report_id} == cells_before
    assert not any(k[1] == "requests" for k in after if k[0] != victim.report_id)
    assert rows(db_url, "SELECT report_id FROM sources WHERE url = :u", u=victim.url)[0].report_id == victim.report_id


def _upgrade_parser(stored, rng):
    """A new parser: different values in three cells of two reports each, and one check result flipped.
    Returns the expected cell changes {(url, tbl/row/col): (old, new)} and check flips."""
    cells, checks = {}, {}
    for i, (body, rep) in enumerate(list(stored.items())[:2]):
        url = f"http://hz.test/{i + 1}.html"
        new = copy.deepcopy(rep)
        numeric = [c for c in new.cells if isinstance(c.value, int)]
        for c in rng.sample(numeric, 3):
            cells[(url, "/".join(p for p in (c.table, c.row, c.col) if p))] = (c.value, c.value + 1)
            c.value += 1
        k = next(k for k in new.checks if k.ok is not None)
        k.ok = not k.ok
        checks[(url, "/".join(p for p in (k.rule, k.row, k.col) if p))] = (not k.ok, k.ok)
        stored[body] = new
    return cells, checks


def _seen(db_url, out) -> tuple[dict, dict]:
    """The diff's cell changes and check flips, keyed by the source URL of their report."""
    url = {r.report_id: r.url for r in rows(db_url, "SELECT url, report_id FROM sources")}
    return ({(url[e["report"]], e["cell"]): (e["old"], e["new"]) for e in out["cells"]},
            {(url[e["report"]], e["check"]): (e["old"], e["new"]) for e in out["checks"]})


def test_dry_run_lists_exactly_the_changed_cells_and_the_run_applies_exactly_them(stored, db_url, tmp_path, rng,
                                                                                   monkeypatch, capsys):
    old_version = dataset.parser_version()
    cells, checks = _upgrade_parser(stored, rng)
    monkeypatch.setattr(parsers, "__version__", "9.9-test", raising=False)
    before = dump(db_url, exclude=())
    sqlite_file = tmp_path / "nianbao.sqlite"
    raw_before = sqlite_file.read_bytes() if db_url.startswith("sqlite") else None
    listing = sorted(os.listdir(tmp_path))
    cells_before = _cells(db_url)

    assert main(["reparse", "--dry-run", "--db", db_url]) == 0
    printed = capsys.readouterr().out
    assert "6 cells changed; 2 checks flipped" in printed and "dry run: nothing was changed" in printed
    assert f"parser: {old_version} (7 sources) → 9.9-test" in printed
    assert dump(db_url, exclude=()) == before
    assert sorted(os.listdir(tmp_path)) == listing
    if raw_before is not None:
        assert sqlite_file.read_bytes() == raw_before

    engine = open_db(db_url)
    dry = reparse_mod.reparse(engine, dry_run=True)
    assert _seen(db_url, dry) == (cells, checks)
    assert not (dry["added"] or dry["removed"] or dry["merged"] or dry["split"])
    for e in dry["cells"]:
        assert f"cell {e['cell']} of report {e['report']} {e['label']}: {e['old']} → {e['new']}" in printed
    applied = reparse_mod.reparse(engine)
    engine.dispose()
    assert {k: v for k, v in applied.items() if k != "dry_run"} == {k: v for k, v in dry.items() if k != "dry_run"}

    cells_after = _cells(db_url)
    changed = {k: (cells_before.get(k), cells_after.get(k)) for k in cells_before.keys() | cells_after.keys()
               if cells_before.get(k) != cells_after.get(k)}
    assert {(k[0], "/".join(p for p in k[1:] if p)): v for k, v in changed.items()} == \
        {(e["report"], e["cell"]): (e["old"], e["new"]) for e in dry["cells"]}
    run = rows(db_url, "SELECT * FROM reparse_runs")
    assert len(run) == 1 and run[0].cells_changed == 6 and run[0].checks_flipped == 2
    assert run[0].parser_after == "9.9-test" and run[0].sources == 7 and _json(run[0].parser_before) == {old_version: 7}


def test_a_report_whose_sources_part_ways_is_reported_split(stored, chain_factory, db_url, rng):
    body, rep = next(iter(stored.items()))
    twin = body + b"<!-- another copy -->"
    chain_factory(parse=False).feed(item(twin, "http://hz.test/copy.html"), copy.deepcopy(rep))
    stored[twin] = copy.deepcopy(rep)
    assert len({r.report_id for r in rows(db_url, "SELECT report_id FROM sources")}) == 7
    moved = copy.deepcopy(rep)
    moved.year = 2022                                  # the new parser reads another year off the copy
    stored[twin] = moved
    engine = open_db(db_url)
    out = reparse_mod.reparse(engine, dry_run=True)
    engine.dispose()
    assert len(out["split"]) == 1 and len(out["added"]) == 1 and not out["removed"] and not out["merged"]
    assert out["split"][0]["into"] == sorted([out["split"][0]["from"], out["added"][0]["report"]])


KEYS = st.tuples(st.sampled_from(["requests", "proactive"]), st.sampled_from(["a", "b", "c"]),
                 st.sampled_from(["", "x", "y"]))
SNAP = st.fixed_dictionaries({
    "reports": st.dictionaries(st.integers(1, 6), st.just("some agency 2023"), max_size=6),
    "members": st.dictionaries(st.integers(1, 10), st.integers(1, 6), max_size=10),
    "cells": st.dictionaries(st.integers(1, 6), st.dictionaries(KEYS, st.integers(0, 3) | st.none(), max_size=5)),
    "checks": st.dictionaries(st.integers(1, 6), st.dictionaries(KEYS, st.booleans() | st.none(), max_size=3)),
})


def _joined(values: dict) -> dict:
    return {"/".join(x for x in k if x): v for k, v in values.items()}


@settings(max_examples=200, deadline=None)
@given(SNAP, SNAP)
def test_the_diff_lists_exactly_what_differs_between_two_snapshots(before, after):
    for snap in (before, after):                          # members point at reports that exist
        snap["members"] = {s: r for s, r in snap["members"].items() if r in snap["reports"]}
    out = reparse_mod.diff(before, after)
    assert {e["report"] for e in out["added"]} == set(after["reports"]) - set(before["reports"])
    assert {e["report"] for e in out["removed"]} == set(before["reports"]) - set(after["reports"])
    both = set(before["reports"]) & set(after["reports"])
    for what, name in (("cells", "cell"), ("checks", "check")):
        assert {e["report"] for e in out[what]} <= both
        for rid in both:
            old, new = _joined(before[what].get(rid, {})), _joined(after[what].get(rid, {}))
            listed = {e[name]: (e["old"], e["new"]) for e in out[what] if e["report"] == rid}
            assert listed == {k: (old.get(k), new.get(k)) for k in old.keys() | new.keys()
                              if old.get(k) != new.get(k) or (k in old) != (k in new)}
    moved = {(before["members"][s], after["members"][s]) for s in before["members"] if s in after["members"]}
    assert {(o, e["into"]) for e in out["merged"] for o in e["from"]} == \
        {(o, n) for o, n in moved if sum(1 for o2, n2 in moved if n2 == n) > 1}
    assert {(e["from"], n) for e in out["split"] for n in e["into"]} == \
        {(o, n) for o, n in moved if sum(1 for o2, n2 in moved if o2 == o) > 1}
