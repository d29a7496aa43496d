"""End to end: crawl the simulated portal network with the real spider and pipelines into SQLite and into
Postgres, then check the dataset against the network's ground truth (net.reports, net.errors).

Each backend gets its own network (seed 0) and its own empty database, crawled twice: the first crawl
builds the dataset, the second (identical) one must change no row. Every assertion compares with what
the simulator published; nothing expected is written here.
"""
from __future__ import annotations

import hashlib
import os
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from urllib.parse import urlsplit
from urllib.request import urlopen

import psycopg
import pytest
from sqlalchemy import inspect, select, text

from crawler.run import crawl
from nianbao.demo import LOOPBACK_SETTINGS
from nianbao.simulator import start_network
from nianbao.simulator.reports import expected_cells
from pipelines.db import open_db
from pipelines.db.models import Cell
from tests import services

PG_DB = f"nianbao_e2e_{os.getpid()}"  # per test process: concurrent runs do not share a database
# the run tables (url_states: what each URL answered last, moved by every night) and the columns the
# storage layer documents as moving on every sighting
RUN_TABLES = {"crawl_runs", "site_runs", "fetch_errors", "url_states", "alembic_version"}
MOVING = {"sources.last_seen", "sources.fetched_at"}
FTS_SHADOW_PREFIX = "reports_fts_"  # SQLite FTS5's own storage; reports_fts itself is compared
FILE_KINDS = {".pdf": "pdf", ".docx": "docx", ".doc": "doc", ".wps": "doc"}


def _pg_admin(sql: str) -> None:
    with psycopg.connect(services.pg_dsn(), autocommit=True) as c:
        c.execute(sql)


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def backend(request, tmp_path_factory):
    """(name, URL) of an empty dataset: a new SQLite file, or a freshly created Postgres database."""
    if request.param == "sqlite":
        yield "sqlite", f"sqlite:///{tmp_path_factory.mktemp('e2e-sqlite') / 'nianbao.sqlite'}"
        return
    _pg_admin(f"DROP DATABASE IF EXISTS {PG_DB} WITH (FORCE)")
    _pg_admin(f"CREATE DATABASE {PG_DB}")
    try:
        yield "postgres", services.pg_url(PG_DB)
    finally:
        _pg_admin(f"DROP DATABASE IF EXISTS {PG_DB} WITH (FORCE)")


@dataclass
class Snapshot:
    """The dataset's rows after a crawl, as plain Python values."""

    reports: dict[int, dict]
    sources: list[dict]
    cells: dict[int, dict[tuple, tuple]]
    agencies: dict[int, dict]
    aliases: dict[int, set[str]]
    fetch_errors: list[dict]
    runs: dict[str, int]              # crawl_runs.key -> id

    def sources_of(self, urls) -> list[dict]:
        return [s for s in self.sources if s["url"] in set(urls)]

    def report_ids(self, urls) -> set:
        return {s["report_id"] for s in self.sources_of(urls)}


@dataclass
class Crawled:
    backend: str
    db_url: str
    net: object
    data_dir: Path
    first: dict                       # crawl() summaries
    second: dict
    data: Snapshot                    # after the first crawl
    data2: Snapshot                   # after the second crawl
    before: dict                      # dump() after the first and after the second crawl
    after: dict


def snapshot(engine) -> Snapshot:
    with engine.connect() as conn:
        def q(sql):
            return [dict(r) for r in conn.execute(text(sql)).mappings()]
        cells: dict[int, dict] = defaultdict(dict)
        # through the model, so values come back as the storage layer's numbers (int or Decimal)
        for c in conn.execute(select(Cell.report_id, Cell.tbl, Cell.row, Cell.col, Cell.value, Cell.raw)):
            cells[c.report_id][(c.tbl, c.row, c.col)] = (c.value, c.raw)
        aliases: dict[int, set] = defaultdict(set)
        for a in q("SELECT agency_id, alias FROM agency_aliases"):
            aliases[a["agency_id"]].add(a["alias"])
        return Snapshot(
            reports={r["id"]: r for r in q("SELECT * FROM reports")},
            sources=q("SELECT * FROM sources"),
            cells=dict(cells),
            agencies={a["id"]: a for a in q("SELECT * FROM agencies")},
            aliases=dict(aliases),
            fetch_errors=q("SELECT * FROM fetch_errors"),
            runs={r["key"]: r["id"] for r in q("SELECT id, key FROM crawl_runs")},
        )


def dump(engine) -> dict[str, list[str]]:
    """Every dataset table's rows (sorted), without the run tables and the moving columns."""
    out = {}
    tables = [t for t in inspect(engine).get_table_names()
              if t not in RUN_TABLES and not t.startswith(FTS_SHADOW_PREFIX)]
    with engine.connect() as conn:
        for table in tables:
            rows = conn.execute(text(f"SELECT * FROM {table}")).mappings().all()
            out[table] = sorted(repr(sorted((k, v) for k, v in r.items() if f"{table}.{k}" not in MOVING))
                                for r in rows)
    return out


@pytest.fixture(scope="module")
def crawled(backend, tmp_path_factory):
    name, db_url = backend
    data_dir = tmp_path_factory.mktemp(f"e2e-data-{name}")
    with start_network(seed=0) as net:
        open_db(db_url).dispose()        # create and migrate once, before the site processes start
        first = crawl(net.sites, db_url=db_url, data_dir=data_dir, concurrency=2, settings=LOOPBACK_SETTINGS)
        engine = open_db(db_url)
        try:
            data, before = snapshot(engine), dump(engine)
            second = crawl(net.sites, db_url=db_url, data_dir=data_dir, concurrency=2,
                           settings=LOOPBACK_SETTINGS)
            data2, after = snapshot(engine), dump(engine)
        finally:
            engine.dispose()
        yield Crawled(name, db_url, net, data_dir, first, second, data, data2, before, after)


# ---- ground truth helpers ------------------------------------------------------------------------

def kind_of(net, url: str) -> str:
    """"html", or the file kind of an attachment URL (after the simulator's redirect, if any)."""
    suffix = PurePosixPath(urlsplit(net.redirects.get(url, url)).path).suffix.lower()
    return FILE_KINDS.get(suffix, "html")


def samples(net) -> dict[int, tuple[object, list[tuple[str, str]]]]:
    """id(sample) -> (sample, [(site, url)]): a sample published on two portals appears once."""
    out: dict[int, tuple] = {}
    for site, sample, urls in net.reports:
        out.setdefault(id(sample), (sample, []))[1].extend((site, u) for u in urls)
    return out


def corrections(net) -> list[tuple[object, object]]:
    """(original, corrected) pairs: a "corrected" sample and the earlier one of its site, agency and year."""
    pairs = []
    for site, fixed, _ in net.reports:
        if "corrected" not in fixed.perturb:
            continue
        originals = [s for site2, s, _ in net.reports if site2 == site and s is not fixed
                     and s.agency == fixed.agency and s.year == fixed.year and "corrected" not in s.perturb]
        assert len(originals) == 1, (fixed.title, originals)
        pairs.append((originals[0], fixed))
    return pairs


def one_report(data: Snapshot, urls) -> int:
    """The single report all of these URLs' sources belong to (asserted)."""
    found = data.sources_of(urls)
    assert {s["url"] for s in found} == set(urls), f"not stored: {sorted(set(urls) - {s['url'] for s in found})}"
    ids = data.report_ids(urls)
    assert len(ids) == 1 and None not in ids, f"{urls} → reports {ids}"
    return ids.pop()


def cell_diff(sample, got: dict[tuple, tuple]) -> list[str]:
    """Differences between the sample's expected cells and the stored ones (value, and raw as printed)."""
    expected = {(c.table, c.row, c.col): (c.value, c.raw) for c in expected_cells(sample)}
    diffs = []
    for key, (value, raw) in expected.items():
        if key not in got:
            diffs.append(f"{'/'.join(key)}: missing (expected {value!r} {raw!r})")
        elif got[key][0] != value or got[key][1] != raw:
            diffs.append(f"{'/'.join(key)}: stored {got[key][0]!r} {got[key][1]!r}, expected {value!r} {raw!r}")
    diffs += [f"{'/'.join(k)}: unexpected cell {v!r}" for k, v in got.items() if k not in expected]
    return diffs


# ---- the tests ----------------------------------------------------------------------------------

def test_both_crawls_complete(crawled):
    for label, summary in (("first", crawled.first), ("second", crawled.second)):
        assert set(summary["sites"]) == {s["id"] for s in crawled.net.sites}
        bad = {sid: {k: v for k, v in r.items() if k != "log"} for sid, r in summary["sites"].items() if not r["ok"]}
        assert not bad, f"{crawled.backend}, {label} crawl: sites not ok: {bad}"


def test_every_published_document_is_a_source_and_nothing_else(crawled):
    net, data = crawled.net, crawled.data
    published = {u for _, _, urls in net.reports for u in urls}
    stored = {s["url"] for s in data.sources}
    assert sorted(published - stored) == [], "published report documents missing from sources"
    assert sorted(stored - published) == [], "sources that are not report documents"
    assert [s["url"] for s in data.sources if s["report_id"] is None] == []
    assert [(s["url"], s["parse_error"]) for s in data.sources if s["parse_error"]] == []
    # each source traces back to its raw file, stored under its sha256
    for s in data.sources:
        assert s["path"], s["url"]
        assert hashlib.sha256((crawled.data_dir / s["path"]).read_bytes()).hexdigest() == s["sha256"], s["url"]


def test_one_report_per_sample_and_one_current_per_agency_and_year(crawled):
    net, data = crawled.net, crawled.data
    truth = samples(net)
    assert len(data.reports) == len(truth)
    current = [(r["agency_id"], r["year"]) for r in data.reports.values() if r["is_current"]]
    assert len(current) == len(set(current)) == len({(s.agency, s.region.get("code"), s.year)
                                                      for s, _ in truth.values()})
    assert all(agency is not None and year is not None for agency, year in current)


def test_html_and_pdf_of_one_report_are_one_report_with_both_sources(crawled):
    net, data = crawled.net, crawled.data
    pairs = [(s, urls) for _, s, urls in net.reports
             if {"html", "pdf"} <= {kind_of(net, u) for u in urls}]
    assert pairs, "the network publishes no report as both an HTML page and a PDF"
    for sample, urls in pairs:
        rid = one_report(data, urls)
        sources = [s for s in data.sources if s["report_id"] == rid]
        assert len(sources) >= 2
        media = {s["media_type"] for s in sources}
        assert {"text/html", "application/pdf"} <= media, (sample.title, media)
        r = data.reports[rid]
        assert r["is_current"] and r["year"] == sample.year
        same = [x for x in data.reports.values() if (x["agency_id"], x["year"]) == (r["agency_id"], r["year"])]
        assert len(same) == 1, (sample.title, [x["id"] for x in same])


def test_every_multi_document_publication_is_one_report(crawled):
    """DOCX, DOC, .wps holding DOC bytes, the Hanweb xxgk copy: each publication's documents are one report."""
    net, data = crawled.net, crawled.data
    multi = [(s, urls) for _, s, urls in net.reports if len(urls) > 1]
    assert len({k for _, urls in multi for u in urls for k in [kind_of(net, u)]}) >= 4
    for sample, urls in multi:
        rid = one_report(data, urls)
        assert data.reports[rid]["year"] == sample.year


def test_cross_portal_duplicate_is_one_report_with_sources_from_both_sites(crawled):
    net, data = crawled.net, crawled.data
    shared = [(s, places) for s, places in samples(net).values() if len({site for site, _ in places}) > 1]
    assert shared, "the network publishes no report on two portals"
    for sample, places in shared:
        rid = one_report(data, [u for _, u in places])
        sites = {s["site"] for s in data.sources if s["report_id"] == rid}
        assert sites == {site for site, _ in places}, (sample.title, sites)
        r = data.reports[rid]
        assert r["is_current"]
        assert len([x for x in data.reports.values()
                    if (x["agency_id"], x["year"]) == (r["agency_id"], r["year"])]) == 1


def test_correction_supersedes_the_original_which_is_kept(crawled):
    net, data = crawled.net, crawled.data
    pairs = corrections(net)
    assert pairs, "the network publishes no corrected report"
    urls = {id(s): u for _, s, u in net.reports}
    for original, fixed in pairs:
        old_id, new_id = one_report(data, urls[id(original)]), one_report(data, urls[id(fixed)])
        old, new = data.reports[old_id], data.reports[new_id]
        assert old_id != new_id
        assert new["is_current"] and not old["is_current"]
        assert new["supersedes_id"] == old_id and old["superseded_by_id"] == new_id
        assert new["superseded_by_id"] is None
        assert (old["agency_id"], old["year"]) == (new["agency_id"], new["year"])
        assert new["current_reason"] and "supersede" in new["current_reason"]
        # the original keeps its own numbers, the current report carries the corrected ones
        assert cell_diff(original, data.cells.get(old_id, {})) == []
        assert cell_diff(fixed, data.cells.get(new_id, {})) == []


def test_agencies_are_matched_by_normalised_name_and_region(crawled):
    """Each agency of the ground truth (its name within its own region) is exactly one agencies row,
    whichever portal, format or region hint it came from, and every printed name is kept as an alias."""
    net, data = crawled.net, crawled.data
    agency_of: dict[tuple, set] = defaultdict(set)
    printed: dict[tuple, set] = defaultdict(set)
    for sample, places in samples(net).values():
        ident = (sample.agency, sample.region.get("code"))
        rid = one_report(data, [u for _, u in places])
        agency_of[ident].add(data.reports[rid]["agency_id"])
        printed[ident] |= {sample.agency} | net.aliases.get(sample.agency, set())
    split = {k: v for k, v in agency_of.items() if len(v) != 1}
    assert split == {}, "one agency stored as several rows"
    ids = [next(iter(v)) for v in agency_of.values()]
    assert len(ids) == len(set(ids)), "different agencies merged into one row"
    assert set(data.agencies) == set(ids)
    for ident, (agency_id,) in agency_of.items():
        assert printed[ident] <= data.aliases.get(agency_id, set()), (ident, data.aliases.get(agency_id))
        a = data.agencies[agency_id]
        region = next(s.region for s, _ in samples(net).values() if (s.agency, s.region.get("code")) == ident)
        assert (a["province"], a["city"]) == (region["province"], region["city"]), (ident, a)
    # the checks above cover a county government whose report is also on the city portal (whose
    # region hint has no county), printed there under another name: its reports share one row
    assert net.aliases and all(len(names) > 0 for names in net.aliases.values())
    for s, places in samples(net).values():
        if len({site for site, _ in places}) > 1:
            assert sum(x.agency == s.agency for x, _ in samples(net).values()) > 1


def test_every_recoverable_report_has_exactly_the_published_numbers(crawled):
    """The numbers are right across the whole stack: listing → fetch → sniff → parse → dedupe → store."""
    net, data = crawled.net, crawled.data
    superseded = {id(old) for old, _ in corrections(net)}
    problems = []
    checked = 0
    for sample, places in samples(net).values():
        urls = [u for _, u in places]
        ids = data.report_ids(urls)
        where = f"{'+'.join(sorted({site for site, _ in places}))} {sample.agency} {sample.year}"
        if len(ids) != 1 or None in ids:
            problems.append(f"{where}: sources → reports {ids or 'none (not stored)'}")
            continue
        rid = ids.pop()
        report = data.reports[rid]
        if report["is_current"] == (id(sample) in superseded):
            problems.append(f"{where}: is_current={report['is_current']}")
        if "table_image" in sample.perturb:      # the tables are images: nothing may be invented
            if data.cells.get(rid):
                problems.append(f"{where}: {len(data.cells[rid])} cells read from a page whose tables are images")
            continue
        checked += 1
        diff = cell_diff(sample, data.cells.get(rid, {}))
        if diff:
            primary = next((s for s in data.sources if s["id"] == report["primary_source_id"]), {})
            problems.append(f"{where} (primary source {primary.get('media_type')} {primary.get('url')}, "
                            f"template {sample.template}, perturb {sorted(sample.perturb)}): "
                            f"{len(diff)} cells differ: {diff[:8]}")
    assert checked >= 50
    assert not problems, f"{len(problems)} of {checked} reports wrong on {crawled.backend}:\n" + "\n".join(problems)


def test_second_identical_crawl_changes_no_row(crawled):
    assert set(crawled.before) == set(crawled.after)
    assert crawled.before["reports"] and crawled.before["cells"]
    for table in crawled.before:
        removed = sorted(set(crawled.before[table]) - set(crawled.after[table]))
        added = sorted(set(crawled.after[table]) - set(crawled.before[table]))
        assert (removed[:3], added[:3], len(crawled.before[table])) == ([], [], len(crawled.after[table])), table


def test_every_simulated_error_is_recorded_and_no_challenge_page_is_a_report(crawled):
    net, data = crawled.net, crawled.data2
    assert net.errors, "the network simulates no errors"
    for summary in (crawled.first, crawled.second):
        run_id = data.runs[summary["run_id"]]
        recorded = {e["url"]: e for e in data.fetch_errors if e["run_id"] == run_id}
        for url, kind in net.errors.items():
            assert url in recorded, f"{kind} not recorded in fetch_errors of run {summary['run_id']}: {url}"
            assert recorded[url]["error"], url
    stored = {s["url"] for s in data.sources} | {s["final_url"] for s in data.sources}
    error_urls = set(net.errors) | {net.redirects[u] for u in net.errors if u in net.redirects}
    assert sorted(stored & error_urls) == []
    # nor under any other URL: the challenge page's bytes are in no source
    challenge = {hashlib.sha256(urlopen(u, timeout=60).read()).hexdigest()
                 for u, kind in net.errors.items() if kind == "challenge"}
    assert challenge
    assert [s["url"] for s in data.sources if s["sha256"] in challenge] == []
    assert [r["title"] for r in data.reports.values() if "安全验证" in (r["title"] or "")] == []
