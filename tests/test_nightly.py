"""Incremental nights against simulated portals, through `nianbao crawl`'s recorded runs (crawl_run):
an unchanged network costs almost nothing, a new report and a changed page are picked up, a failed
fetch is retried, --full re-fetches everything, a broken column shows as changed or blocked with
since when, `nianbao status` exits 1 only when a site turned failing or blocked."""
from __future__ import annotations

import collections

import pytest
from sqlalchemy import text

from nianbao.simulator import start_network
from nianbao.simulator.nightly import ChangingColumn
from pipelines import status
from pipelines.crawlrun import crawl_run
from pipelines.db import open_db

FAST = {"DOWNLOAD_DELAY": 0, "AUTOTHROTTLE_ENABLED": False, "CONCURRENT_REQUESTS_PER_DOMAIN": 8,
        "RETRY_ENABLED": False}


def night(sites, db_url, data_dir, log, **settings):
    """One recorded run; returns (its result, the requests it made: [(path, status)])."""
    n0 = len(log)
    result = crawl_run(sites, db_url=db_url, data_dir=data_dir, settings={**FAST, **settings})
    return result, [(path, st) for _, _, path, st in log[n0:] if path != "/robots.txt"]


def full(requests) -> list[str]:
    return [path for path, st in requests if st == 200]


def site_rows(db_url, site):
    engine = open_db(db_url)
    try:
        with engine.connect() as conn:
            return conn.execute(text("SELECT status, health_since, health_reason, started_at FROM site_runs "
                                     "WHERE site = :s ORDER BY id"), {"s": site}).all()
    finally:
        engine.dispose()


def collect(db_url) -> dict:
    engine = open_db(db_url)
    try:
        return status.collect(engine)
    finally:
        engine.dispose()


def sql(db_url, query, **params):
    engine = open_db(db_url)
    try:
        with engine.connect() as conn:
            return conn.execute(text(query), params).all()
    finally:
        engine.dispose()


def test_a_second_run_over_an_unchanged_network_makes_a_tenth_of_the_full_downloads(tmp_path):
    families = ["county", "trs", "trs_pagediv", "hanweb", "gkmlpt"]   # the JS-only site needs Chromium: below
    db = f"sqlite:///{tmp_path}/nb.sqlite"
    with start_network(seed=0, families=families, validators=True) as net:
        first, r1 = night(net.sites, db, tmp_path, net.log, ITEM_PIPELINES={})
        second, r2 = night(net.sites, db, tmp_path, net.log, ITEM_PIPELINES={})
    print(f"full downloads: run 1 {len(full(r1))}, run 2 {len(full(r2))}; 304s in run 2: "
          f"{sum(st == 304 for _, st in r2)}")
    assert len(full(r1)) > 50
    assert len(full(r2)) <= 0.1 * len(full(r1))
    for sid, r in second["sites"].items():   # the same sites, and their report links, still known
        assert r["reports_linked"] == first["sites"][sid]["reports_linked"], sid


@pytest.mark.parametrize("validators", [True, False])
def test_a_new_report_and_a_changed_page_are_picked_up_on_the_next_run(tmp_path, validators):
    db = f"sqlite:///{tmp_path}/nb.sqlite"
    # without validators a stored page is asked again only when due: here every night
    recheck = {} if validators else {"NIANBAO_RECHECK_DAYS": 0}
    with ChangingColumn(25, validators=validators) as col:
        night([col.site], db, tmp_path, col.log, **recheck)
        added, changed = col.add_report(), col.change_page(3)
        result, requests = night([col.site], db, tmp_path, col.log, **recheck)
        base = col.base
    got = {base + p for p in full(requests)}
    assert added in got and changed in got
    r = result["sites"][col.site["id"]]
    assert r["new_reports"] == 1 and r["changed"] == 1
    assert len(sql(db, "SELECT DISTINCT sha256 FROM sources WHERE url = :u", u=changed)) == 2
    assert sql(db, "SELECT id FROM sources WHERE url = :u", u=added)


def test_without_validators_a_stored_document_waits_until_it_is_due(tmp_path):
    db = f"sqlite:///{tmp_path}/nb.sqlite"
    with ChangingColumn(25, per_page=10) as col:
        _, r1 = night([col.site], db, tmp_path, col.log)
        result, r2 = night([col.site], db, tmp_path, col.log)
        listings = {p for p, _ in r2}
    assert len(full(r1)) == 25 + 3
    assert listings == {"/nb/index.html", "/nb/index_1.html", "/nb/index_2.html"}   # no report page asked
    r = result["sites"][col.site["id"]]
    assert r["reports_linked"] == 25 and r["downloads"] == 3


def test_a_failed_fetch_is_kept_with_its_reason_and_retried_on_the_next_run(tmp_path):
    db = f"sqlite:///{tmp_path}/nb.sqlite"
    with ChangingColumn(12, validators=True) as col:
        bad = col.base + col.pages[5][0]
        col.broken.add(bad)
        night([col.site], db, tmp_path, col.log)
        (state,) = sql(db, "SELECT error, failed_at, failures FROM url_states WHERE url = :u", u=bad)
        assert state.error == "HTTP 500" and state.failed_at and state.failures == 1
        col.broken.clear()
        _, requests = night([col.site], db, tmp_path, col.log)      # the listing answers 304
    assert full(requests) == [col.pages[5][0]]
    (state,) = sql(db, "SELECT error, failures FROM url_states WHERE url = :u", u=bad)
    assert state.error is None and state.failures == 0


def test_full_fetches_everything_again(tmp_path):
    db = f"sqlite:///{tmp_path}/nb.sqlite"
    with ChangingColumn(12, validators=True) as col:
        _, r1 = night([col.site], db, tmp_path, col.log)
        _, r2 = night([col.site], db, tmp_path, col.log, NIANBAO_FULL=True)
    assert sorted(full(r2)) == sorted(full(r1))


def test_a_column_that_answers_404_is_changed_and_a_challenge_is_blocked_each_with_since(tmp_path):
    db = f"sqlite:///{tmp_path}/nb.sqlite"
    sid = "sim-nightly"
    codes = []
    with ChangingColumn(12, validators=True) as col:
        for breaks in (None, None, "404", "404", "challenge", "challenge"):
            col.breaks = breaks
            night([col.site], db, tmp_path, col.log)
            codes.append(status.exit_code(collect(db)))
    rows = site_rows(db, sid)
    assert [r.status for r in rows] == ["ok", "ok", "changed", "changed", "blocked", "blocked"]
    assert rows[2].health_since == rows[3].health_since == rows[2].started_at    # since the first 404 run
    assert "HTTP 404" in rows[2].health_reason
    assert rows[4].health_since == rows[5].health_since == rows[4].started_at
    assert "challenge" in rows[4].health_reason
    assert codes == [0, 0, 0, 0, 1, 0]            # 1 only on the run the site turned blocked
    data = collect(db)
    (line,) = [s for s in data["sites"] if s["site"] == sid]
    assert line["state"] == "blocked" and "challenge" in line["reason"]
    assert str(line["since"])[:19] == str(rows[4].started_at)[:19]


def test_a_site_bigger_than_its_budget_completes_over_several_runs(tmp_path):
    db = f"sqlite:///{tmp_path}/nb.sqlite"
    budget = 1000
    fetched: collections.Counter = collections.Counter()
    nights = 0
    with ChangingColumn(10_000, per_page=500) as col:
        expected = {p for p, _ in col.pages}
        while set(fetched) < expected and nights < 15:
            _, requests = night([col.site], db, tmp_path, col.log, ITEM_PIPELINES={},
                                     NIANBAO_MAX_REQUESTS=budget, CONCURRENT_REQUESTS=32,
                                     CONCURRENT_REQUESTS_PER_DOMAIN=32, LOG_LEVEL="WARNING")
            nights += 1
            assert len(requests) <= budget
            fetched.update(p for p in full(requests) if p in expected)
            print(f"night {nights}: {len(requests)} requests, {len(set(fetched))} of {len(expected)} reports")
    assert set(fetched) == expected
    assert 10 <= nights <= 12
    assert max(fetched.values()) == 1                 # no report page was downloaded twice
