"""Deduplication and versioning on SQLite and Postgres, with the parser's result given per document."""
from __future__ import annotations

import copy
import dataclasses

from nianbao.simulator.reports import generate, render_html_page, to_report
from tests.pipelines.conftest import HONGZE, HUAIAN, dump, item, rows


def sample_report(rng, agency="洪泽区人民政府", region=HONGZE, year=2023):
    s = generate(rng, year=year, template="2021", agency=agency, region=dict(region))
    return s, to_report(s)


def reading(report, media_type, **changes):
    r = copy.deepcopy(report)
    r.media_type = media_type
    return dataclasses.replace(r, **changes)


def change_a_value(report):
    r = copy.deepcopy(report)
    cell = next(c for c in r.cells if c.table == "requests" and c.row == "granted" and c.col == "natural_person")
    cell.value, cell.raw = cell.value + 7, str(cell.value + 7)
    return r


def test_html_and_pdf_of_one_report_are_one_report_with_two_sources(chain_factory, db_url, rng):
    s, rep = sample_report(rng)
    chain = chain_factory()
    chain.feed(item(render_html_page(s), "http://hz.test/nb/2023.html"), reading(rep, "text/html"))
    chain.feed(item(b"%PDF-1.7 stand-in " + s.title.encode(), "http://hz.test/nb/2023.pdf",
                    media_type="application/pdf", kind="attachment"), reading(rep, "application/pdf"))
    reports = rows(db_url, "SELECT id, is_current FROM reports")
    assert len(reports) == 1 and reports[0].is_current
    assert len(rows(db_url, "SELECT id FROM sources WHERE report_id = :r", r=reports[0].id)) == 2
    assert len(rows(db_url, "SELECT * FROM cells")) == len(rep.cells)


def test_attachment_only_page_never_beats_the_pdf_with_tables(chain_factory, db_url, rng):
    s, rep = sample_report(rng)
    page = reading(rep, "text/html", cells=[], checks=[], sections={})
    chain = chain_factory()
    chain.feed(item(b"<html>attachment only</html>", "http://hz.test/nb/2023.html"), page)
    chain.feed(item(b"%PDF-1.7 " + s.title.encode(), "http://hz.test/nb/2023.pdf", media_type="application/pdf",
                    kind="attachment"), reading(rep, "application/pdf"))
    chain.feed(item(b"<html>attachment only, again</html>", "http://hz.test/nb/2023b.html"), page)
    (r,) = rows(db_url, "SELECT r.id, r.n_cells, r.current_reason, s.media_type FROM reports r "
                        "JOIN sources s ON s.id = r.primary_source_id")
    assert r.n_cells == len(rep.cells) and r.media_type == "application/pdf"
    assert "over text/html: no tables" in r.current_reason
    assert len(rows(db_url, "SELECT id FROM sources WHERE report_id = :r", r=r.id)) == 3


def test_complete_reading_wins_over_partial_and_scanned(chain_factory, db_url, rng):
    s, rep = sample_report(rng)
    partial = reading(rep, "text/html", cells=[c for c in rep.cells if c.table != "requests"])
    scanned = reading(rep, "image/png", warnings=["OCR: low confidence"])
    chain = chain_factory()
    chain.feed(item(b"<html>partial</html>", "http://hz.test/a.html"), partial)
    chain.feed(item(b"scan bytes", "http://hz.test/a.png", media_type="image/png"), scanned)
    chain.feed(item(b"%PDF-1.7 full", "http://hz.test/a.pdf", media_type="application/pdf"),
               reading(rep, "application/pdf"))
    (r,) = rows(db_url, "SELECT r.complete, r.current_reason, s.media_type FROM reports r "
                        "JOIN sources s ON s.id = r.primary_source_id")
    assert r.complete and r.media_type == "application/pdf"
    assert "complete, all checks pass over image/png (scanned)" in r.current_reason


def test_cross_portal_duplicate_is_merged_and_aliases_join_one_agency(chain_factory, db_url, rng):
    s, rep = sample_report(rng)
    chain = chain_factory()
    chain.feed(item(b"<html>county portal</html>", "http://hz.test/nb.html"), reading(rep, "text/html"))
    on_city = reading(rep, "text/html", agency="淮安市洪泽区人民政府", region={"province": None, "city": None,
                                                                      "county": None})
    chain.feed(item(b"<html>city portal</html>", "http://ha.test/xq/nb.html", site="huaian", region=HUAIAN),
               on_city)
    # another year of the same agency, printed short
    s2, rep2 = sample_report(rng, agency="洪泽区政府", year=2022)
    chain.feed(item(b"<html>2022</html>", "http://hz.test/nb2022.html"), reading(rep2, "text/html"))

    agencies = rows(db_url, "SELECT id, name, province, city, county, code FROM agencies")
    assert [(a.name, a.province, a.city, a.county, a.code) for a in agencies] == [
        ("洪泽区人民政府", "江苏省", "淮安市", "洪泽区", "320813")]
    aliases = {a for (a,) in rows(db_url, "SELECT alias FROM agency_aliases")}
    assert aliases == {"洪泽区人民政府", "淮安市洪泽区人民政府", "洪泽区政府"}
    reports = rows(db_url, "SELECT id, year FROM reports ORDER BY year")
    assert [r.year for r in reports] == [2022, 2023]
    assert {r.site for r in rows(db_url, "SELECT site FROM sources WHERE report_id = :r", r=reports[1].id)} == {
        "hongze", "huaian"}


def test_correction_supersedes_the_original_which_is_kept(chain_factory, db_url, rng):
    s, rep = sample_report(rng)
    corrected = change_a_value(rep)
    corrected.title = rep.title + "（更正）"
    chain = chain_factory()
    chain.feed(item(b"<html>original</html>", "http://hz.test/nb.html"), reading(rep, "text/html"))
    chain.feed(item(b"<html>corrected</html>", "http://hz.test/nb-gz.html"), reading(corrected, "text/html"))
    versions = rows(db_url, "SELECT id, is_current, supersedes_id, superseded_by_id, is_correction, "
                            "current_reason FROM reports ORDER BY id")
    original, correction = versions
    assert not original.is_current and original.superseded_by_id == correction.id
    assert correction.is_current and correction.supersedes_id == original.id and correction.is_correction
    assert "correction" in correction.current_reason
    value = rows(db_url, "SELECT value FROM cells WHERE report_id = :r AND tbl = 'requests' AND row = 'granted' "
                         "AND col = 'natural_person'", r=correction.id)[0].value
    assert value == next(c.value for c in corrected.cells if c.row == "granted" and c.col == "natural_person")


def test_original_found_after_its_correction_is_linked_below_it(chain_factory, db_url, rng):
    s, rep = sample_report(rng)
    corrected = change_a_value(rep)
    chain = chain_factory()
    chain.feed(item(b"<html>corrected</html>", "http://hz.test/gz.html", listing_title="洪泽区2023年报（修订版）"),
               reading(corrected, "text/html"))
    chain.feed(item(b"<html>original</html>", "http://hz.test/nb.html"), reading(rep, "text/html"))
    current = rows(db_url, "SELECT id, supersedes_id FROM reports WHERE is_current")
    assert len(current) == 1 and current[0].supersedes_id is not None
    assert rows(db_url, "SELECT is_correction FROM reports WHERE id = :r", r=current[0].id)[0].is_correction


def test_later_publication_with_other_values_is_a_new_version(chain_factory, db_url, rng):
    s, rep = sample_report(rng)
    later = change_a_value(rep)
    later.published = "2024-06-30"
    chain = chain_factory()
    chain.feed(item(b"<html>later</html>", "http://hz.test/b.html"), reading(later, "text/html"))
    chain.feed(item(b"<html>first</html>", "http://hz.test/a.html"), reading(rep, "text/html"))
    (cur,) = rows(db_url, "SELECT published, current_reason FROM reports WHERE is_current")
    assert str(cur.published) == "2024-06-30" and "published 2024-06-30" in cur.current_reason
    assert len(rows(db_url, "SELECT id FROM reports")) == 2


def test_misread_without_a_mark_stays_one_report_and_the_passing_reading_wins(chain_factory, db_url, rng):
    s, rep = sample_report(rng)
    misread = change_a_value(rep)
    for c in misread.checks:
        if c.rule == "requests_row_sum" and c.row == "granted":
            c.ok = False
    chain = chain_factory()
    chain.feed(item(b"scan", "http://hz.test/a.png", media_type="image/png"), reading(misread, "image/png"))
    chain.feed(item(b"%PDF-1.7", "http://hz.test/a.pdf", media_type="application/pdf"),
               reading(rep, "application/pdf"))
    (r,) = rows(db_url, "SELECT n_checks_failed FROM reports")
    assert r.n_checks_failed == 0


def test_same_bytes_at_another_url_join_without_parsing(chain_factory, db_url, rng):
    s, rep = sample_report(rng)
    body = render_html_page(s)
    chain = chain_factory()
    chain.feed(item(body, "http://hz.test/nb.html"), reading(rep, "text/html"))
    assert chain.feed(item(body, "http://ha.test/mirror/nb.html", site="huaian", region=HUAIAN)) is None  # dropped
    srcs = rows(db_url, "SELECT report_id, sha256 FROM sources")
    assert len(srcs) == 2 and len({s.report_id for s in srcs}) == 1 and srcs[0].report_id is not None


def test_a_second_identical_run_changes_zero_rows(chain_factory, db_url, rng):
    docs = []
    for year in (2022, 2023):
        s, rep = sample_report(rng, year=year)
        docs.append((item(render_html_page(s), f"http://hz.test/{year}.html"), reading(rep, "text/html")))
        docs.append((item(b"%PDF " + s.title.encode(), f"http://hz.test/{year}.pdf",
                          media_type="application/pdf"), reading(rep, "application/pdf")))
    corrected = change_a_value(docs[-1][1])
    corrected.title = "更正 " + (corrected.title or "")
    docs.append((item(b"<html>gz</html>", "http://hz.test/gz.html"), corrected))
    docs.append((item(b"<html>unreadable</html>", "http://hz.test/bad.html"), None))

    def run():
        chain = chain_factory(parse=False)
        for it, rep in docs:
            it = item(it["body"], it["url"], media_type=it["media_type"])
            if rep is None:
                it["parse_error"] = "no report tables or text found"
            chain.feed(it, rep)
        chain.close()

    run()
    first = dump(db_url)
    assert len(first["reports"]) == 3
    run()
    assert dump(db_url) == first


def test_bytes_already_stored_are_not_parsed_again_but_reparse_parses_every_source(chain_factory, db_url, tmp_path,
                                                                                  rng, monkeypatch):
    import parsers
    from pipelines.db import open_db
    from pipelines.reparse import reparse
    parsed = []
    real_parse = parsers.parse

    def counting_parse(body, **kwargs):
        parsed.append(kwargs.get("url"))
        return real_parse(body, **kwargs)
    monkeypatch.setattr(parsers, "parse", counting_parse)
    s, _ = sample_report(rng)
    body = render_html_page(s)
    docs = [("http://hz.test/nb.html", "hongze", HONGZE), ("http://ha.test/xq/nb.html", "huaian", HUAIAN)]
    for crawl in range(2):                    # a crawl, then a later crawl of the same sites
        chain = chain_factory()
        for url, site, region in docs:
            chain.feed(item(body, url, site=site, region=region))
        chain.close()
        assert parsed == ["http://hz.test/nb.html"], f"crawl {crawl + 1}"
    srcs = rows(db_url, "SELECT report_id, path FROM sources")
    assert len(srcs) == 2 and srcs[0].report_id is not None and len({s.report_id for s in srcs}) == 1
    engine = open_db(db_url)
    reparse(engine, tmp_path / "data")
    engine.dispose()
    assert sorted(parsed[1:]) == sorted(url for url, _, _ in docs)
