"""`nianbao status`: overdue reports around the legal deadlines (the date injected), the sites listed,
--json, and the exit code rule (1 only when a site turned failing or blocked in the last run)."""
from __future__ import annotations

import json
from datetime import date, datetime, timedelta

from sqlalchemy import insert

from nianbao.cli import main
from pipelines import status
from pipelines.db import open_db, writer
from pipelines.db.models import Agency, CrawlRun, Report, SiteRun
from pipelines.overdue import deadline, overdue

T0 = datetime(2026, 2, 1, 3, 0)


def _agency(conn, name, level, years):
    aid = conn.execute(insert(Agency).values(key=f"湖南省|衡阳市||{name}", name=name, province="湖南省",
                                             city="衡阳市", level=level, created_at=T0)
                       .returning(Agency.id)).scalar_one()
    for y in years:
        conn.execute(insert(Report).values(agency_id=aid, year=y, template="2021", content_key=f"{name}{y}",
                                           created_at=T0, updated_at=T0))


def _runs(conn, states: dict[str, list[str]], first: int = 0):
    """One crawl run per position in the lists; states[site][i] is the site's health in run first + i."""
    n = max(len(v) for v in states.values())
    for i in range(first, first + n):
        start = T0 + timedelta(days=i)
        rid = conn.execute(insert(CrawlRun).values(key=f"run{i}", started_at=start,
                                                   finished_at=start + timedelta(minutes=5),
                                                   status="ok", args={}).returning(CrawlRun.id)).scalar_one()
        for site, seq in states.items():
            state = seq[i - first]
            conn.execute(insert(SiteRun).values(run_id=rid, site=site, started_at=start, status=state,
                                                health_since=start, health_reason=None if state == "ok" else f"why {i}",
                                                pages=1, documents=1, new_reports=0, errors=0,
                                                counts={"reports_linked": 5, "new_reports": 1,
                                                        "errors_by_kind": {"http": 1}}))


def test_overdue_only_after_the_deadline(db_url):
    engine = open_db(db_url)
    with writer(engine).begin() as conn:
        _agency(conn, "衡阳市司法局", "department", [2023, 2024])          # none for 2025
        _agency(conn, "衡南县人民政府", "county", [2024])                   # none for 2025
        _agency(conn, "衡阳市教育局", "department", [2024, 2025])          # on time
    assert deadline("department", 2025) == date(2026, 1, 31) and deadline("government", 2025) == date(2026, 3, 31)
    assert overdue(engine, date(2026, 1, 31)) == []
    feb = overdue(engine, date(2026, 2, 1))
    assert [(a["agency"], a["kind"], a["deadline"], a["last_year"]) for a in feb] == [
        ("衡阳市司法局", "department", "2026-01-31", 2024)]
    april = {a["agency"] for a in overdue(engine, date(2026, 4, 1))}
    assert april == {"衡阳市司法局", "衡南县人民政府"}
    engine.dispose()


def test_a_crawled_registry_site_without_last_years_report_is_overdue(db_url):
    engine = open_db(db_url)
    with writer(engine).begin() as conn:
        _runs(conn, {"sim-a": ["ok"]})
    sites = [{"id": "sim-a", "name": "衡阳市人民政府"}, {"id": "never-crawled", "name": "湘潭市人民政府"}]
    assert [a["agency"] for a in overdue(engine, date(2026, 4, 1), sites)] == ["衡阳市人民政府"]
    assert overdue(engine, date(2026, 3, 31), sites) == []
    engine.dispose()


def test_exit_code_is_1_only_when_a_site_turned_failing_or_blocked(db_url):
    engine = open_db(db_url)
    with writer(engine).begin() as conn:
        _runs(conn, {"a": ["ok", "ok", "failing", "failing"], "b": ["ok", "degraded", "degraded", "blocked"],
                     "c": ["ok", "ok", "ok", "ok"]})
    data = status.collect(engine)
    assert data["turned_bad"] == ["b"] and status.exit_code(data) == 1      # a was already failing
    listed = {s["site"]: s for s in data["sites"]}
    assert set(listed) == {"a", "b"}                                        # c is ok and unchanged
    assert listed["b"]["previous"] == "degraded" and listed["b"]["reason"] == "why 3"
    assert {s["site"] for s in status.collect(engine, all_sites=True)["sites"]} == {"a", "b", "c"}
    with writer(engine).begin() as conn:
        _runs(conn, {"a": ["failing"], "b": ["blocked"], "c": ["ok"]}, first=4)   # one more run: nothing new
    assert status.exit_code(status.collect(engine)) == 0
    engine.dispose()


def test_status_command_json_and_exit_code(db_url, capsys):
    engine = open_db(db_url)
    with writer(engine).begin() as conn:
        _agency(conn, "衡阳市司法局", "department", [2023])
        _runs(conn, {"a": ["ok", "failing"]})
    engine.dispose()
    assert main(["status", "--db", db_url, "--json", "--today", "2026-02-02"]) == 1
    data = json.loads(capsys.readouterr().out)
    assert data["turned_bad"] == ["a"] and data["run"]["errors_by_kind"] == {"http": 1}
    assert [a["agency"] for a in data["overdue"]] == ["衡阳市司法局"]
    assert main(["status", "--db", db_url, "--today", "2026-01-30"]) == 1
    out = capsys.readouterr().out
    assert "failing (was ok) since" in out and "why 1" in out and "Overdue" not in out
