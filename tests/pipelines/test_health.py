"""A site's health from its run's stats (pipelines.runstats.site_health), the kinds of errors, and
"since": the first run in the state, kept while the state lasts."""
from __future__ import annotations

from types import SimpleNamespace

import pytest
from hypothesis import given
from hypothesis import strategies as st

from crawler.errorkinds import KINDS, error_kind
from pipelines.runstats import RunStats, site_health
from tests.pipelines.conftest import fake_crawler, rows


def stats(links=20, reason="finished", **errors) -> dict:
    s = {"finish_reason": reason, "nianbao/links/report": links}
    for kind, (n, first) in errors.items():
        s[f"nianbao/error_kind/{kind}"] = n
        s[f"nianbao/first_error/{kind}"] = first
        s["nianbao/errors"] = s.get("nianbao/errors", 0) + n
    return s


@pytest.mark.parametrize("error, status, kind", [
    ("DNSLookupError: DNS lookup failed: no results for hostname lookup: x.gov.cn.", None, "dns"),
    ("SSLError: [('SSL routines', '', 'certificate verify failed')]", None, "tls"),
    ("TimeoutError: User timeout caused connection failure: Getting http://a/ took longer than 120.0 seconds.",
     None, "timeout"),
    ("ConnectionRefusedError: Connection was refused by other side: 111: Connection refused.", None, "connection"),
    ("HTTP 404", 404, "http"),
    ("HTTP 503 after 2 retries", 503, "http"),
    ("blocked: HTTP 412", 412, "blocked"),
    ("blocked: firewall/JS-challenge page ('安全验证', HTTP 200)", 200, "blocked"),
    ("ignored: Forbidden by robots.txt", None, "blocked"),
    ("something odd", None, "other"),
])
def test_error_kinds(error, status, kind):
    assert error_kind(error, status) == kind


@given(st.text(max_size=80), st.one_of(st.none(), st.integers(100, 599)))
def test_every_error_has_one_known_kind(error, status):
    assert error_kind(error, status) in KINDS


def test_health_states_and_their_reasons():
    assert site_health(stats(), [20, 21]) == ("ok", None)
    state, why = site_health(stats(http=(2, "HTTP 404 (http://a/x.html)")), [20])
    assert state == "degraded" and why.startswith("2 failed (http 2)") and "http://a/x.html" in why
    state, why = site_health(stats(links=0, blocked=(1, "blocked: HTTP 412 (http://a/)")), [20])
    assert (state, why) == ("blocked", "blocked: HTTP 412 (http://a/)")
    state, why = site_health(stats(links=0, dns=(1, "DNSLookupError: no such host (http://a/)")), [20])
    assert state == "failing" and "DNSLookupError" in why
    state, why = site_health(stats(links=0, http=(1, "HTTP 404 (http://a/nb/)")), [20, 22, 19])
    assert state == "changed" and "recent runs: 20" in why and "HTTP 404" in why
    assert site_health(stats(links=0, http=(1, "HTTP 404 (http://a/nb/)")), [])[0] == "failing"   # no history
    state, why = site_health(stats(links=7), [20, 22, 19])
    assert state == "changed" and why == "7 report links (recent runs: 20)"
    assert site_health({**stats(links=7), "nianbao/bounds/deferred": 300}, [20]) == ("ok", None)  # budget spent
    assert site_health(stats(reason="shutdown"), [20])[0] == "failing"
    assert site_health(stats(reason="closespider_timeout"), [20])[0] == "ok"   # budget spent: continues next run
    db_down = {**stats(), "nianbao/database_error": "database is locked"}
    assert site_health(db_down, [20]) == ("failing", "database error: database is locked")


def test_known_links_of_unchanged_listings_count_as_found():
    s = {"finish_reason": "finished", "nianbao/links/known_report": 20}
    assert site_health(s, [20]) == ("ok", None)


def _run(db_url, site, s: dict):
    crawler = fake_crawler()
    ext = RunStats(crawler, db_url, None)
    spider = SimpleNamespace(name="reports", site_id=site)
    ext.spider_opened(spider)
    crawler.stats.update(s)
    ext.spider_closed(spider, s.get("finish_reason", "finished"))


def test_since_is_the_first_run_in_the_state(db_url):
    for s in (stats(), stats(links=0, blocked=(1, "blocked: HTTP 403 (http://a/)")),
              stats(links=0, blocked=(1, "blocked: HTTP 403 (http://a/)")), stats()):
        _run(db_url, "a", s)
    got = rows(db_url, "SELECT status, health_since, started_at, health_reason, counts FROM site_runs ORDER BY id")
    assert [r.status for r in got] == ["ok", "blocked", "blocked", "ok"]
    assert str(got[1].health_since) == str(got[2].health_since) == str(got[1].started_at)
    assert str(got[3].health_since) == str(got[3].started_at)
    assert got[1].health_reason == "blocked: HTTP 403 (http://a/)" and got[0].health_reason is None
