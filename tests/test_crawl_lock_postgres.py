"""One crawl at a time per Postgres dataset (pipelines.runlock): a second `nianbao crawl` is refused with
one line and changes nothing; a killed holder's lock does not block the next run; another dataset (a
schema of the same database) is not blocked. Against a throw-away database of the test server."""
from __future__ import annotations

import time
import uuid

import psycopg
import pytest
from sqlalchemy import MetaData, text

from nianbao.cli import main
from nianbao.simulator.scale import start_scale_network
from pipelines.crawlrun import crawl_run
from pipelines.db import open_db
from pipelines.runlock import Busy, dataset_lock
from tests import services
from tests.crawl_engine_helpers import registry_file, start_cli_crawl

pytestmark = pytest.mark.postgres
FAST = {"DOWNLOAD_DELAY": 0, "AUTOTHROTTLE_ENABLED": False}


@pytest.fixture
def net():
    with start_scale_network(4, reports=4) as n:
        yield n


@pytest.fixture
def db():
    """The URL of a new, empty database on the test server, dropped afterwards."""
    name = f"nianbao_lock_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(services.pg_dsn(), autocommit=True) as c:
        c.execute(f'CREATE DATABASE "{name}"')
    try:
        yield services.pg_url(name)
    finally:
        with psycopg.connect(services.pg_dsn(), autocommit=True) as c:
            c.execute(f'DROP DATABASE "{name}" WITH (FORCE)')


def snapshot(engine) -> dict[str, list]:
    """Every row of every table of the dataset."""
    meta = MetaData()
    meta.reflect(engine)
    with engine.connect() as conn:
        return {t.name: sorted(map(repr, conn.execute(t.select()).all())) for t in meta.sorted_tables}


def statuses(engine) -> list[str]:
    with engine.connect() as conn:
        return [r[0] for r in conn.execute(text("SELECT status FROM crawl_runs ORDER BY id"))]


def _wait(cond, what: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not cond():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


def test_a_second_crawl_on_the_same_postgres_dataset_is_refused_and_changes_nothing(net, db, tmp_path, capsys):
    engine = open_db(db)
    reg = registry_file(tmp_path / "sites.yaml", net.sites, FAST)
    try:
        crawl_run(net.sites, db_url=db, data_dir=tmp_path, settings=FAST)      # a dataset with content
        net.log.clear()
        before = snapshot(engine)
        assert before["reports"] and statuses(engine) == ["ok"]
        with dataset_lock(engine):
            assert main(["crawl", "--sites", str(reg), "--db", db, "--data-dir", str(tmp_path)]) == 2
            err = capsys.readouterr().err
            assert err.count("\n") == 1 and "another crawl is running" in err
            assert snapshot(engine) == before
            assert net.log == []
    finally:
        engine.dispose()


def test_an_overlapping_crawl_is_refused_and_a_killed_holder_does_not_block_the_next(net, db, tmp_path, capsys):
    reg = registry_file(tmp_path / "sites.yaml", net.sites, {"DOWNLOAD_DELAY": 1, "AUTOTHROTTLE_ENABLED": False})
    engine = open_db(db)
    proc = start_cli_crawl(reg, db, tmp_path)
    try:
        _wait(lambda: net.log, "the first crawl to start fetching")
        assert main(["crawl", "--sites", str(reg), "--db", db, "--data-dir", str(tmp_path)]) == 2
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and "another crawl is running" in err
        assert statuses(engine) == ["running"]                # the refused crawl recorded no run
        assert proc.poll() is None                            # and the first one was still crawling
        proc.kill()                                           # SIGKILL: the holder cannot unlock
        proc.wait()
        result = crawl_run(net.sites, db_url=db, data_dir=tmp_path, settings=FAST)
        assert result["status"] == "ok"
        assert statuses(engine) == ["interrupted", "ok"]      # the killed run is closed, not "running"
    finally:
        proc.kill()
        proc.wait()
        engine.dispose()


def test_another_dataset_in_the_same_database_is_not_blocked(db):
    with psycopg.connect(services.pg_dsn(db.rsplit("/", 1)[1]), autocommit=True) as c:
        c.execute("CREATE SCHEMA a; CREATE SCHEMA b")
    a, a_again, b = (open_db(f"{db}?options=-csearch_path%3D{s}") for s in ("a", "a", "b"))
    try:
        with dataset_lock(a):
            with pytest.raises(Busy):
                with dataset_lock(a_again):
                    pass
            with dataset_lock(b):
                pass
    finally:
        for e in (a, a_again, b):
            e.dispose()
