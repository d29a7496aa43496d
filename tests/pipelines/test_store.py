"""The storage layer on SQLite and Postgres: schema, sightings, parse errors, faults and repairs."""
from __future__ import annotations

import os
import sqlite3

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from nianbao.simulator.reports import generate, render_html_page, to_report
from pipelines import rawstore
from pipelines.db import DatabaseError, open_db
from pipelines.db.models import Base
from tests.pipelines.conftest import HONGZE, item, rows


def test_migrations_build_exactly_the_models(db_url):
    engine = open_db(db_url)
    open_db(db_url).dispose()                        # opening again is a no-op
    # the models' tables only: views, label and search tables come from later migrations as SQL
    opts = {"compare_type": True,
            "include_name": lambda name, kind, parent: kind != "table" or name in Base.metadata.tables}
    with engine.connect() as conn:
        assert compare_metadata(MigrationContext.configure(conn, opts=opts), Base.metadata) == []
    engine.dispose()


def test_sqlite_is_opened_in_wal_mode_with_foreign_keys(tmp_path):
    engine = open_db(f"sqlite:///{tmp_path / 'd' / 'x.sqlite'}")
    with engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
    engine.dispose()


@pytest.mark.parametrize("url", ["mysql://x/y", "not a url", "sqlite:////proc/nope/x.sqlite"])
def test_a_bad_database_url_is_one_clear_error(url):
    with pytest.raises(DatabaseError) as e:
        open_db(url)
    assert "\n" not in str(e.value)


def test_parse_error_is_stored_against_its_source_and_the_run_goes_on(chain_factory, db_url, rng):
    chain = chain_factory(parse=True)
    chain.feed(item(b"\x00\x01 not a document \xff", "http://hz.test/broken.bin", media_type=None))
    s = generate(rng, year=2023, template="2021", agency="洪泽区人民政府", region=dict(HONGZE))
    chain.feed(item(b"<html>ok</html>", "http://hz.test/ok.html"), to_report(s))
    (bad,) = rows(db_url, "SELECT report_id, parse_error, path FROM sources WHERE url LIKE '%broken%'")
    assert bad.report_id is None and bad.parse_error and "\n" not in bad.parse_error and bad.path
    assert len(rows(db_url, "SELECT id FROM reports")) == 1
    assert chain.crawler.stats.get_value("nianbao/parse_error") == 1


def test_a_crash_between_the_file_and_the_database_is_repaired_by_the_next_run(chain_factory, db_url, tmp_path,
                                                                               rng):
    s = generate(rng, year=2023, template="2021", agency="洪泽区人民政府", region=dict(HONGZE))
    chain = chain_factory(parse=False)
    _, path = rawstore.store(tmp_path / "data", render_html_page(s), "text/html")     # then the "crash"
    stored = tmp_path / "data" / path
    before = os.stat(stored)
    assert rows(db_url, "SELECT id FROM sources") == []
    chain.feed(item(render_html_page(s), "http://hz.test/nb.html"), to_report(s))
    assert os.stat(stored).st_mtime_ns == before.st_mtime_ns and os.stat(stored).st_ino == before.st_ino
    assert len(rows(db_url, "SELECT id FROM reports")) == 1
    assert len(rows(db_url, "SELECT * FROM cells")) == len(to_report(s).cells)


def test_a_failure_mid_report_leaves_no_half_written_report(chain_factory, db_url, rng, monkeypatch):
    from sqlalchemy.exc import OperationalError

    from pipelines import dataset
    s = generate(rng, year=2023, template="2021", agency="洪泽区人民政府", region=dict(HONGZE))
    chain = chain_factory(parse=False)

    def fail_after_the_report_row(conn, report_id, report):
        raise OperationalError("INSERT INTO cells", {}, Exception("server closed the connection unexpectedly"))
    monkeypatch.setattr(dataset, "write_cells", fail_after_the_report_row)
    assert chain.feed(item(b"<html>a</html>", "http://hz.test/a.html"), to_report(s)) is None
    assert chain.closed == ["database_error"]
    assert "server closed the connection" in chain.crawler.stats.get_value("nianbao/database_error")
    for table in ("agencies", "reports", "sources", "cells"):
        assert rows(db_url, f"SELECT * FROM {table}") == []
    # the store's agency cache did not keep the agency of the rolled-back transaction
    monkeypatch.undo()
    chain.closed.clear()
    chain.crawler.stats.clear()
    assert chain.feed(item(b"<html>b</html>", "http://hz.test/b.html"), to_report(s)) is not None
    assert chain.closed == []
    (report,) = rows(db_url, "SELECT r.agency_id, a.id FROM reports r LEFT JOIN agencies a ON a.id = r.agency_id")
    assert report.agency_id == report.id is not None


def test_a_locked_sqlite_database_ends_the_run_with_a_clear_error(tmp_path, rng, monkeypatch):
    from pipelines.db import engine as engine_module
    monkeypatch.setattr(engine_module, "BUSY_TIMEOUT_MS", 200)
    url = f"sqlite:///{tmp_path / 'locked.sqlite'}"
    from tests.pipelines.conftest import Chain
    chain = Chain(url, tmp_path / "data", parse=False)
    holder = sqlite3.connect(tmp_path / "locked.sqlite", isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        s = generate(rng, year=2023, template="2021", agency="洪泽区人民政府", region=dict(HONGZE))
        assert chain.feed(item(b"<html>a</html>", "http://hz.test/a.html"), to_report(s)) is None
        assert chain.closed == ["database_error"]
        assert chain.crawler.stats.get_value("nianbao/database_error") == "database is locked"
    finally:
        holder.execute("ROLLBACK")
        holder.close()
        chain.close()
    assert rows(url, "SELECT id FROM sources") == []


def test_not_modified_moves_last_seen_and_validators_come_back(chain_factory, db_url, rng):
    from pipelines.validators import load_validators
    s = generate(rng, year=2023, template="2021", agency="洪泽区人民政府", region=dict(HONGZE))
    chain = chain_factory(parse=False)
    chain.feed(item(b"<html>a</html>", "http://hz.test/a.html", headers={"etag": '"abc"',
                                                                       "last-modified": "Mon, 03 Feb 2025"}),
               to_report(s))
    assert load_validators(db_url, "hongze") == {"http://hz.test/a.html": {"etag": '"abc"',
                                                                         "last_modified": "Mon, 03 Feb 2025"}}
    assert load_validators(db_url, "other-site") == {}
    (before,) = rows(db_url, "SELECT last_seen FROM sources")
    rows(db_url, "UPDATE sources SET last_seen = '2020-01-01 00:00:00'")
    not_modified = item(b"", "http://hz.test/a.html")
    not_modified["status"], not_modified["body"] = 304, None
    chain.feed(not_modified)
    (after,) = rows(db_url, "SELECT last_seen FROM sources")
    assert str(after.last_seen) >= str(before.last_seen)
    assert len(rows(db_url, "SELECT id FROM sources")) == 1


def test_a_parse_worker_that_dies_costs_its_document_a_recorded_parse_error(db_url, tmp_path, rng):
    import asyncio

    from pipelines.store import StorePipeline
    from tests.pipelines.conftest import fake_crawler
    s = generate(rng, year=2023, template="2021", agency="洪泽区人民政府", region=dict(HONGZE))
    crawler = fake_crawler()
    store = StorePipeline(crawler, db_url, str(tmp_path / "data"), workers=1, tasks=50,
                          parser="tests.crawl_engine_helpers.dying_parse")
    store.open_spider()

    async def feed():
        await store.process_item(item(b"<html>die-here</html>", "http://hz.test/dies.html"))
        await store.process_item(item(render_html_page(s), "http://hz.test/ok.html"))
    try:
        asyncio.run(feed())
    finally:
        store.close_spider()
    (dead,) = rows(db_url, "SELECT parse_error, path FROM sources WHERE url LIKE '%dies%'")
    assert "parser process died" in dead.parse_error and dead.path
    (ok,) = rows(db_url, "SELECT report_id FROM sources WHERE url LIKE '%ok.html'")
    assert ok.report_id is not None                        # a fresh worker parsed the next one
    assert crawler.stats.get_value("nianbao/parse_error") == 1
