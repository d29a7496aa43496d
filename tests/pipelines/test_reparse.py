"""`nianbao reparse`: a parser upgrade over the stored raw files updates the dataset, with no crawl."""
from __future__ import annotations

import copy

import parsers
from nianbao.cli import main
from nianbao.simulator.reports import generate, render_html_page, to_report
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
