"""The crawl engine: many sites in one process, each within its own politeness and budget; parsing beside
the downloads; one crawl per dataset; the run and each site recorded truthfully; which sites a command
line names; children that die with their parent. Against nianbao.simulator.scale's loopback portals."""
from __future__ import annotations

import json
import os
import signal
import time

import psutil
import psycopg
import pytest
from sqlalchemy import text

from crawler import settings as project_settings
from nianbao.cli import main
from nianbao.simulator.scale import start_scale_network
from pipelines.crawlrun import StartupError, choose_sites, crawl_run
from pipelines.db import open_db
from pipelines.runlock import dataset_lock
from tests import services
from tests.crawl_engine_helpers import registry_file, start_cli_crawl

FAST = {"DOWNLOAD_DELAY": 0, "AUTOTHROTTLE_ENABLED": False}


@pytest.fixture
def net():
    with start_scale_network(4, reports=4) as n:
        yield n


def rows(db_url, sql):
    engine = open_db(db_url)
    try:
        with engine.connect() as conn:
            return conn.execute(text(sql)).all()
    finally:
        engine.dispose()


def test_many_sites_progress_together_and_every_report_is_stored(net, tmp_path):
    db = f"sqlite:///{tmp_path / 'd.sqlite'}"
    sites = [{**s, "settings": {"DOWNLOAD_DELAY": 0.2, "RANDOMIZE_DOWNLOAD_DELAY": False,
                                "AUTOTHROTTLE_ENABLED": False}} for s in net.sites]
    events = []
    result = crawl_run(sites, db_url=db, data_dir=tmp_path, on_event=events.append)
    assert result["status"] == "ok" and result["ok"]
    assert rows(db, "SELECT count(*) FROM reports")[0][0] == net.reports
    assert [r[0] for r in rows(db, "SELECT status FROM crawl_runs")] == ["ok"]
    assert sorted(r[0] for r in rows(db, "SELECT status FROM site_runs")) == ["ok"] * len(sites)
    # every site started before the first one ended: they progressed side by side
    kinds = [e["event"] for e in events if e["event"] in ("site_start", "site_end")]
    assert kinds[:len(sites)] == ["site_start"] * len(sites)
    # each host was still fetched one request at a time (its own politeness)
    hosts = {s["allowed_domains"][0] for s in sites}
    assert {ip for ip, *_ in net.log} == hosts


def test_a_site_over_its_budget_is_stopped_and_recorded_while_the_others_finish(net, tmp_path):
    db = f"sqlite:///{tmp_path / 'd.sqlite'}"
    slow = net.sites[0]["id"]
    sites = [{**s, "settings": {**FAST, **({"DOWNLOAD_DELAY": 3, "RANDOMIZE_DOWNLOAD_DELAY": False,
                                             "CLOSESPIDER_TIMEOUT": 2} if s["id"] == slow else {})}}
             for s in net.sites]
    result = crawl_run(sites, db_url=db, data_dir=tmp_path)
    assert result["sites"][slow]["finish_reason"] == "closespider_timeout"
    assert not result["sites"][slow]["ok"] and result["status"] == "failed"
    assert all(r["ok"] for sid, r in result["sites"].items() if sid != slow)
    states = dict(rows(db, "SELECT site, finish_reason FROM site_runs"))
    assert states[slow] == "closespider_timeout"
    assert [r[0] for r in rows(db, "SELECT status FROM crawl_runs")] == ["failed"]


def _crawl_with_a_blocked_parse(net, tmp_path, monkeypatch, slow, other, **kwargs):
    """crawl_run of [slow, other]: the first document of `slow` blocks its parser until `other` has
    ended, and `other` fetches nothing before that parse is blocked. Returns the result, the dataset
    and the times (monotonic) the parse was blocked and released (None if it never was)."""
    monkeypatch.setenv("NIANBAO_TEST_SLOW_DIR", str(tmp_path))
    monkeypatch.setenv("NIANBAO_TEST_SLOW_HOST", slow["allowed_domains"][0])
    db = f"sqlite:///{tmp_path / 'd.sqlite'}"

    def on_event(e):
        if e["event"] == "site_end" and e["site"] == other["id"]:
            (tmp_path / "release").write_text("")

    def other_waits_for_the_block(host, path):
        if host == other["allowed_domains"][0]:
            _wait(lambda: (tmp_path / "blocked").exists(), "the slow parse")

    net.before = other_waits_for_the_block
    result = crawl_run([slow, other], db_url=db, data_dir=tmp_path, on_event=on_event,
                       settings={"NIANBAO_PARSER": "tests.crawl_engine_helpers.slow_parse"}, **kwargs)
    times = [float(f.read_text()) if f.exists() else None for f in (tmp_path / "blocked", tmp_path / "released")]
    return result, db, *times


def test_a_document_slow_to_parse_does_not_stop_other_sites_fetching(net, tmp_path, monkeypatch):
    """The first report of site 0 blocks its parser until site 1 has ended; site 1 (at its own pace)
    must go on fetching and end while that parse is blocked, and both must store every report."""
    slow = {**net.sites[0], "settings": FAST}
    other = {**net.sites[1], "settings": {"DOWNLOAD_DELAY": 0.3, "RANDOMIZE_DOWNLOAD_DELAY": False,
                                          "AUTOTHROTTLE_ENABLED": False}}
    result, db, blocked_at, released_at = _crawl_with_a_blocked_parse(net, tmp_path, monkeypatch, slow, other)
    assert blocked_at is not None and released_at is not None
    host = other["allowed_domains"][0]
    during = [t for ip, _, _, t in net.log if ip == host and blocked_at <= t <= released_at]
    after = [t for ip, _, _, t in net.log if ip == host and t > released_at]
    assert len(during) == net.requests_per_site() and after == []   # all of site 1, during the block
    assert result["ok"], result["sites"]
    assert rows(db, "SELECT count(*) FROM reports")[0][0] == net.reports // len(net.sites) * 2


def test_a_site_whose_documents_only_wait_for_the_parser_frees_its_place(net, tmp_path, monkeypatch):
    """One site at a time (--concurrency 1): site 0 has fetched everything, and its first document's
    parse is blocked until site 1 has ended. Site 1 must start, fetch and end during the block: a
    site that only waits to store its documents does not count against --concurrency."""
    first, second = ({**s, "settings": FAST} for s in net.sites[:2])
    result, db, blocked_at, released_at = _crawl_with_a_blocked_parse(net, tmp_path, monkeypatch, first, second,
                                                                      concurrency=1)
    assert released_at is not None, "site 1 never ended while site 0's parse was blocked"
    host = second["allowed_domains"][0]
    assert [t for ip, *_, t in net.log if ip == host and not blocked_at <= t <= released_at] == []
    assert result["ok"], result["sites"]
    assert rows(db, "SELECT count(*) FROM reports")[0][0] == net.reports // len(net.sites) * 2


def test_a_second_crawl_on_the_same_dataset_is_refused_and_changes_nothing(net, tmp_path, capsys):
    path = tmp_path / "d.sqlite"
    db = f"sqlite:///{path}"
    engine = open_db(db)
    reg = registry_file(tmp_path / "sites.yaml", net.sites, FAST)
    try:
        with dataset_lock(engine):
            before = path.read_bytes()
            with pytest.raises(StartupError, match="another crawl is running"):
                crawl_run(net.sites, db_url=db, data_dir=tmp_path)
            assert main(["crawl", "--sites", str(reg), "--db", db, "--data-dir", str(tmp_path)]) == 2
            err = capsys.readouterr().err
            assert err.count("\n") == 1 and "another crawl is running" in err
            assert path.read_bytes() == before
            assert net.log == []
    finally:
        engine.dispose()


def test_a_lock_left_by_a_killed_crawl_does_not_block_the_next(net, tmp_path):
    db = f"sqlite:///{tmp_path / 'd.sqlite'}"
    reg = registry_file(tmp_path / "sites.yaml", net.sites, {"DOWNLOAD_DELAY": 1, "AUTOTHROTTLE_ENABLED": False})
    proc = start_cli_crawl(reg, db, tmp_path)
    _wait(lambda: net.log, "the first crawl to start fetching")
    proc.kill()
    proc.wait()
    result = crawl_run(net.sites, db_url=db, data_dir=tmp_path, settings=FAST)
    assert result["status"] == "ok"
    runs = rows(db, "SELECT status FROM crawl_runs ORDER BY id")
    assert [r[0] for r in runs] == ["interrupted", "ok"]      # the killed run is closed, not "running"
    assert rows(db, "SELECT count(*) FROM site_runs WHERE status = 'running'")[0][0] == 0


def test_killing_the_parent_alone_leaves_no_process_behind(net, tmp_path):
    db = f"sqlite:///{tmp_path / 'd.sqlite'}"
    reg = registry_file(tmp_path / "sites.yaml", net.sites, {"DOWNLOAD_DELAY": 1, "AUTOTHROTTLE_ENABLED": False})
    proc = start_cli_crawl(reg, db, tmp_path)
    parent = psutil.Process(proc.pid)
    _wait(lambda: net.log and len(parent.children(recursive=True)) >= 2, "the engine and its parse workers")
    children = parent.children(recursive=True)
    proc.kill()
    proc.wait()
    _, alive = psutil.wait_procs(children, timeout=10)
    assert alive == []
    count = len(net.log)
    time.sleep(1.5)                                           # no crawler left to fetch anything
    assert len(net.log) == count


def test_sigterm_ends_the_run_cleanly_and_records_it_interrupted(net, tmp_path):
    db = f"sqlite:///{tmp_path / 'd.sqlite'}"
    reg = registry_file(tmp_path / "sites.yaml", net.sites, {"DOWNLOAD_DELAY": 1, "AUTOTHROTTLE_ENABLED": False})
    proc = start_cli_crawl(reg, db, tmp_path)
    _wait(lambda: net.log, "the crawl to start fetching")
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130
    assert "Traceback" not in err.decode()
    events = [json.loads(line) for line in err.decode().splitlines()]     # JSON lines only, off a terminal
    assert events[0]["event"] == "run_start" and events[-1]["event"] == "run_end"
    assert events[-1]["status"] == "interrupted"
    assert [r[0] for r in rows(db, "SELECT status FROM crawl_runs")] == ["interrupted"]
    states = {r[0] for r in rows(db, "SELECT status FROM site_runs")}
    assert "running" not in states and "interrupted" in states


def test_start_up_faults_are_one_line_and_exit_2(net, tmp_path, capsys):
    reg = registry_file(tmp_path / "sites.yaml", net.sites, FAST)
    for db in ("postgresql+psycopg://nobody@127.0.0.1:1/none", "nosuch://x"):
        assert main(["crawl", "--sites", str(reg), "--db", db, "--data-dir", str(tmp_path)]) == 2
        err = capsys.readouterr().err
        assert err.startswith("nianbao crawl:") and err.count("\n") == 1
    blocker = tmp_path / "file"
    blocker.write_text("")
    assert main(["crawl", "--sites", str(reg), "--db", f"sqlite:///{tmp_path / 'd.sqlite'}",
                 "--data-dir", str(blocker / "sub")]) == 2
    assert capsys.readouterr().err.count("\n") == 1
    assert net.log == []


def test_a_sites_file_alone_names_only_its_own_sites(net, tmp_path):
    reg = registry_file(tmp_path / "sites.yaml", net.sites, FAST)
    assert [s["id"] for s in choose_sites([], [str(reg)])] == [s["id"] for s in net.sites]
    assert [s["id"] for s in choose_sites([net.sites[1]["id"]], [str(reg)])] == [net.sites[1]["id"]]
    shipped = choose_sites([], [])
    assert shipped and not {s["id"] for s in shipped} & {s["id"] for s in net.sites}


def test_no_remote_control_endpoint_and_bounded_connections():
    from crawler import settings
    assert settings.REMOTE_CONTROL_ENABLED is False and settings.TELNETCONSOLE_ENABLED is False


def _wait(predicate, what, timeout=60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def test_a_site_whose_process_died_is_recorded_by_the_coordinator(net, tmp_path):
    """The engine is SIGKILLed as the first site starts: no site can record its own end, so the
    coordinator records each as failed, with the reason, and the run is not "ok"."""
    db = f"sqlite:///{tmp_path / 'd.sqlite'}"
    sites = [{**s, "settings": {"DOWNLOAD_DELAY": 1, "AUTOTHROTTLE_ENABLED": False}} for s in net.sites]

    def kill_engine(e):
        if e["event"] == "site_start":
            for p in psutil.Process().children(recursive=True):
                if "crawler.engine" in " ".join(p.cmdline()):
                    p.send_signal(signal.SIGKILL)

    result = crawl_run(sites, db_url=db, data_dir=tmp_path, on_event=kill_engine)
    assert result["status"] == "failed" and not result["ok"]
    recorded = {site: (status, reason) for site, status, reason in
                rows(db, "SELECT site, status, finish_reason FROM site_runs")}
    assert set(recorded) == {s["id"] for s in sites}
    for status, reason in recorded.values():
        assert status == "failed" and "exited with -9" in reason
    assert [r[0] for r in rows(db, "SELECT status FROM crawl_runs")] == ["failed"]


@pytest.mark.postgres
def test_a_crawl_holds_few_database_connections(net, tmp_path):
    """Every site's pipelines share one engine per process, and each process keeps one connection: a
    crawl of all the sites holds a handful of Postgres connections, not a few per site (counted at
    each site's end)."""
    name = f"nianbao_engine_{os.getpid()}"
    admin = services.pg_dsn()
    with psycopg.connect(admin, autocommit=True) as c:
        c.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        c.execute(f"CREATE DATABASE {name}")
    seen = []

    def count(e):
        if e["event"] == "site_end":
            with psycopg.connect(admin) as c:
                seen.append(c.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = %s",
                                      (name,)).fetchone()[0])
    try:
        sites = [{**s, "settings": FAST} for s in net.sites]
        result = crawl_run(sites, db_url=services.pg_url(name), data_dir=tmp_path,
                           on_event=count)
        assert result["ok"], result["sites"]
        # the coordinator (its engine and the crawl lock), the engine process, and one per parse worker
        bound = 2 + 1 + project_settings.NIANBAO_PARSE_WORKERS
        assert seen and max(seen) <= bound < 2 * len(sites)
    finally:
        with psycopg.connect(admin, autocommit=True) as c:
            c.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
