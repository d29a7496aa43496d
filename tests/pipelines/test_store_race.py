"""Crawl processes writing to one dataset at once (one per site): the same agency, the same (agency, year)."""
from __future__ import annotations

import hashlib
import multiprocessing
import threading
import time
import uuid

from sqlalchemy import text

from nianbao.simulator.reports import generate, to_report
from pipelines import agencies, dataset
from pipelines.db import open_db
from tests.pipelines.conftest import HONGZE, HUAIAN, Chain, item, rows

WAIT_S = 60          # a bound on waiting for the other writer, not a timing assertion


def _report(rng, year=2023):
    r = to_report(generate(rng, year=year, template="2021", agency="洪泽区人民政府", region=dict(HONGZE)))
    r.media_type = "text/html"
    return r


def _doc(report, url, site="hongze", region=HONGZE):
    body = f"<html>{url}</html>".encode()
    it = item(body, url, site=site, region=region)
    it.update(sha256=hashlib.sha256(body).hexdigest(), report=report, parse_error=None)
    return it


def _with_application_name(url: str, name: str) -> str:
    return url + ("&" if "?" in url else "?") + f"application_name={name}"


def _race_on_postgres(db_url, pause_after: str, first, second):
    """`first` stores its document and pauses, holding its transaction open, right after
    `pause_after` (agencies.find_or_create or dataset.place); then `second` stores its own, and once
    Postgres shows it waiting on a lock, the first commits. Returns the second's outcome or error."""
    module, name = pause_after.rsplit(".", 1)
    target = {"agencies": agencies, "dataset": dataset}[module]
    real = getattr(target, name)
    holding, release = threading.Event(), threading.Event()

    def paused(*args, **kwargs):
        out = real(*args, **kwargs)
        if threading.current_thread().name == "first":
            holding.set()
            release.wait(WAIT_S)
        return out

    engine_a = open_db(db_url)
    b_name = f"race_{uuid.uuid4().hex[:12]}"
    engine_b = open_db(_with_application_name(db_url, b_name))
    results = {}

    def run(engine, doc, who):
        try:
            results[who] = dataset.store_document(engine, doc, "test", {})
        except Exception as e:  # noqa: BLE001 - the test reports whatever the writer raised
            results[who] = e

    setattr(target, name, paused)
    try:
        a = threading.Thread(target=run, args=(engine_a, first, "first"), name="first")
        a.start()
        assert holding.wait(WAIT_S), "the first writer never reached the pause"
        b = threading.Thread(target=run, args=(engine_b, second, "second"), name="second")
        b.start()
        deadline = time.monotonic() + WAIT_S
        with engine_a.connect() as watch:
            while b.is_alive() and time.monotonic() < deadline:
                waiting = watch.execute(text("SELECT count(*) FROM pg_stat_activity WHERE application_name = :n "
                                             "AND wait_event_type = 'Lock'"), {"n": b_name}).scalar()
                watch.rollback()
                if waiting:
                    break
                time.sleep(0.05)
        release.set()
        a.join(WAIT_S)
        b.join(WAIT_S)
    finally:
        setattr(target, name, real)
        release.set()
        engine_a.dispose()
        engine_b.dispose()
    assert results.get("first") == "new_report", results
    return results.get("second")


def test_two_processes_creating_one_agency_on_postgres(pg_url, rng):
    """The county portal and the city portal both find the agency's first report at once."""
    report = _report(rng)
    on_city = _report(rng, year=2022)
    second = _race_on_postgres(pg_url, "agencies.find_or_create",
                               _doc(report, "http://hz.test/nb.html"),
                               _doc(on_city, "http://ha.test/xq/nb2022.html", site="huaian", region=HUAIAN))
    assert second == "new_report", second
    assert len(rows(pg_url, "SELECT id FROM agencies")) == 1
    assert sorted(r.year for r in rows(pg_url, "SELECT year FROM reports WHERE is_current")) == [2022, 2023]


def test_two_processes_placing_one_report_on_postgres(pg_url, rng):
    """The same report, found on two portals at once, is one current report with both sources."""
    engine = open_db(pg_url)                 # the agency exists: only the placement races
    dataset.store_document(engine, _doc(_report(rng, year=2020), "http://hz.test/nb2020.html"), "test")
    engine.dispose()
    report = _report(rng)
    second = _race_on_postgres(pg_url, "dataset.place",
                               _doc(report, "http://hz.test/nb.html"),
                               _doc(report, "http://ha.test/xq/nb.html", site="huaian", region=HUAIAN))
    assert second == "source", second
    (r,) = rows(pg_url, "SELECT id, is_current FROM reports WHERE year = 2023")
    assert r.is_current
    assert len(rows(pg_url, "SELECT id FROM sources WHERE report_id = :r", r=r.id)) == 2


def _crawl_process(db_url, data_dir, site, region, docs, barrier, out):
    """One site's crawl process: the item pipelines, fed its documents (the parser's result given)."""
    chain = Chain(db_url, data_dir, parse=False)
    try:
        barrier.wait(WAIT_S)
        for url, report in docs:
            chain.feed(_doc(report, url, site=site, region=region), report)
        out.put((site, chain.closed, chain.crawler.stats.get_value("nianbao/database_error")))
    finally:
        chain.close()


def test_crawl_processes_writing_the_same_agency_and_years_at_once(db_url, tmp_path, rng):
    """Three site processes publish the same agency's reports for the same years (as on county and city
    portals, in two formats each): every write succeeds, one agency, one current report per year."""
    years = (2021, 2022, 2023)
    reports = {y: _report(rng, year=y) for y in years}
    open_db(db_url).dispose()                              # migrated once, as `nianbao crawl` does
    ctx = multiprocessing.get_context("fork")
    barrier, out = ctx.Barrier(3), ctx.Queue()
    procs = []
    for site, region in (("hongze", HONGZE), ("huaian", HUAIAN), ("jiangsu", HONGZE)):
        docs = [(f"http://{site}.test/{y}.{ext}", reports[y]) for y in years for ext in ("html", "pdf")]
        procs.append(ctx.Process(target=_crawl_process, args=(db_url, tmp_path / "data", site, region, docs,
                                                               barrier, out)))
    for p in procs:
        p.start()
    results = [out.get(timeout=WAIT_S * 3) for _ in procs]
    for p in procs:
        p.join(WAIT_S)
    assert sorted(results) == [(site, [], None) for site in ("hongze", "huaian", "jiangsu")]
    assert [p.exitcode for p in procs] == [0, 0, 0]
    assert len(rows(db_url, "SELECT id FROM agencies")) == 1
    current = rows(db_url, "SELECT id, year FROM reports WHERE is_current ORDER BY year")
    assert [r.year for r in current] == list(years)
    assert len(rows(db_url, "SELECT id FROM reports")) == len(years)
    for r in current:
        assert len(rows(db_url, "SELECT id FROM sources WHERE report_id = :r", r=r.id)) == 6
        assert len(rows(db_url, "SELECT * FROM cells WHERE report_id = :r", r=r.id)) == len(reports[r.year].cells)
