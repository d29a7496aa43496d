"""Schema upgrades are safe: a copy of a SQLite dataset is kept before its schema changes, and a failed
migration leaves the dataset as it was. Readers of an older schema say how to upgrade it, and change nothing."""
from __future__ import annotations

import hashlib
import sqlite3
from contextlib import closing

import pytest
from alembic import command
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, inspect, text

from nianbao.cli import main
from pipelines.db import DatabaseError, open_db
from pipelines.db import engine as db_engine

PREVIOUS = "0060"       # the head before this schema's dataset_meta and reparse_runs


def _at(url: str, revision: str) -> None:
    """A dataset migrated only up to `revision`, with a crawl run in it."""
    engine = create_engine(url)
    cfg = db_engine.alembic_config()
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, revision)
        conn.execute(text("INSERT INTO crawl_runs (started_at, status, args) VALUES ('2026-01-01', 'ok', '{}')"))
    engine.dispose()


def _revision(path) -> str:
    with closing(sqlite3.connect(path)) as c:
        return c.execute("SELECT version_num FROM alembic_version").fetchone()[0]


def _digest(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def head() -> str:
    return ScriptDirectory.from_config(db_engine.alembic_config()).get_current_head()


def test_upgrading_keeps_a_copy_named_with_the_versions(tmp_path):
    db = tmp_path / "x.sqlite"
    _at(f"sqlite:///{db}", PREVIOUS)
    engine = open_db(f"sqlite:///{db}")
    assert "reparse_runs" in inspect(engine).get_table_names()
    engine.dispose()
    copy = tmp_path / f"x.sqlite.bak-{PREVIOUS}-{head()}"
    assert copy.is_file() and _revision(copy) == PREVIOUS and _revision(db) == head()
    with closing(sqlite3.connect(copy)) as c:
        assert c.execute("SELECT count(*) FROM crawl_runs").fetchone()[0] == 1
        assert not c.execute("SELECT name FROM sqlite_master WHERE name = 'reparse_runs'").fetchall()
    # at head: no further copy
    open_db(f"sqlite:///{db}").dispose()
    assert sorted(p.name for p in tmp_path.iterdir() if ".bak-" in p.name) == [copy.name]


def test_a_new_dataset_needs_no_copy(tmp_path):
    open_db(f"sqlite:///{tmp_path / 'new.sqlite'}").dispose()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["new.sqlite"]


def test_a_failed_migration_leaves_the_dataset_as_it_was(tmp_path, monkeypatch):
    db = tmp_path / "x.sqlite"
    _at(f"sqlite:///{db}", PREVIOUS)
    real = command.upgrade

    def upgrade_then_fail(cfg, revision):
        real(cfg, revision)                          # every migration ran, in the open transaction …
        raise RuntimeError("disk full")              # … and then the process failed
    monkeypatch.setattr(db_engine.command, "upgrade", upgrade_then_fail)
    with pytest.raises(DatabaseError, match="disk full"):
        open_db(f"sqlite:///{db}")
    assert _revision(db) == PREVIOUS
    with closing(sqlite3.connect(db)) as c:
        assert not c.execute("SELECT name FROM sqlite_master WHERE name = 'reparse_runs'").fetchall()
    assert _revision(tmp_path / f"x.sqlite.bak-{PREVIOUS}-{head()}") == PREVIOUS
    monkeypatch.undo()
    open_db(f"sqlite:///{db}").dispose()             # the next attempt succeeds
    assert _revision(db) == head()


def test_readers_of_an_older_schema_say_how_to_upgrade_and_change_nothing(tmp_path, capsys):
    db = tmp_path / "old.sqlite"
    _at(f"sqlite:///{db}", PREVIOUS)
    before = _digest(db)
    for argv in (["status"], ["query"], ["export"], ["reparse", "--dry-run"]):
        assert main(argv + ["--db", f"sqlite:///{db}"]) == 2
        err = capsys.readouterr().err.strip()
        assert err.splitlines() == [err] and f"has schema {PREVIOUS}, this nianbao reads {head()}" in err
    assert _digest(db) == before and _revision(db) == PREVIOUS
    assert sorted(p.name for p in tmp_path.iterdir()) == ["old.sqlite"]
