"""Read-only commands never create or modify a dataset: status, query, export, serve and reparse --dry-run."""
from __future__ import annotations

import asyncio
import hashlib
import os
import random
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import text

import nianbao.commands.serve as serve_command
from nianbao.cli import main
from nianbao.simulator.reports import generate, render_html_page, to_report
from pipelines import rawstore, serve
from pipelines.db import DatabaseError, open_dataset_readonly, open_db
from tests.pipelines.conftest import HONGZE, Chain, item

READERS = [["status"], ["query", "--limit", "5"], ["export", "--format", "jsonl"], ["serve", "--port", "0"],
           ["reparse", "--dry-run"]]


@pytest.fixture
def no_server(monkeypatch):
    """`nianbao serve` answers one request in-process instead of listening (uvicorn.run replaced)."""
    answered = []

    def run(app, **_):
        async def one():
            resp = await built[-1].client.get("/nianbao/reports.json")
            answered.append(resp.status_code)
        asyncio.run(one())
    built = []
    real = serve.datasette
    monkeypatch.setattr(serve, "datasette", lambda path: built.append(real(path)) or built[-1])
    monkeypatch.setattr(serve_command.uvicorn, "run", run)
    return answered


def _tree(root) -> dict:
    """Every file under root with the hash of its bytes."""
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.mark.parametrize("argv", READERS, ids=lambda a: a[0] + ("-dry-run" if "--dry-run" in a else ""))
def test_a_missing_database_is_one_line_exit_2_and_nothing_is_created(argv, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    db = tmp_path / "no" / "such" / "dir" / "x.sqlite"
    assert main(argv + ["--db", f"sqlite:///{db}"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.splitlines() == [err] and f"no dataset at {db}" in err
    assert list(tmp_path.iterdir()) == []


def test_a_file_that_is_not_a_dataset_is_left_alone(tmp_path, capsys):
    junk = tmp_path / "notes.sqlite"
    junk.write_bytes(b"not a database, just notes\n" * 50)
    for argv in READERS[:3] + [["reparse"]]:
        assert main(argv + ["--db", f"sqlite:///{junk}"]) == 2
        assert len(capsys.readouterr().err.strip().splitlines()) == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.sqlite"]          # no .lock, no -wal
    assert junk.read_bytes() == b"not a database, just notes\n" * 50


@pytest.fixture
def dataset(tmp_path):
    """A SQLite dataset with one report and one parse error, closed (no writer has it open)."""
    url = f"sqlite:///{tmp_path / 'nianbao.sqlite'}"
    chain = Chain(url, tmp_path / "data", parse=False)
    s = generate(random.Random(7), year=2023, template="2021", agency="洪泽区人民政府", region=dict(HONGZE))
    chain.feed(item(render_html_page(s), "http://hz.test/2023.html"), to_report(s))
    chain.feed(item(b"garbage", "http://hz.test/x.bin", media_type=None))
    chain.close()
    engine = open_db(url)
    rawstore.record_raw_dir(engine, tmp_path / "data")
    engine.dispose()
    return tmp_path / "nianbao.sqlite"


@pytest.mark.parametrize("read_only", [False, True], ids=["writable", "read-only-file-and-dir"])
def test_readers_leave_the_dataset_and_its_directory_unchanged(dataset, read_only, no_server, capsys):
    root = dataset.parent
    before = _tree(root)
    if read_only:
        dataset.chmod(0o444)
        root.chmod(0o555)
    try:
        for argv in READERS:
            assert main(argv + ["--db", f"sqlite:///{dataset}"]) == 0, argv
        out = capsys.readouterr().out
    finally:
        root.chmod(0o755)
        dataset.chmod(0o644)
    after = _tree(root)
    # a reader of a writable file reads through SQLite's WAL index (so that it may read beside a running
    # crawl): SQLite's own empty -wal and -shm may appear; nothing else does, and no byte of the dataset changes
    extra = {"nianbao.sqlite-wal", "nianbao.sqlite-shm"} if not read_only else set()
    assert {k: v for k, v in after.items() if k not in extra} == before
    assert not (root / "nianbao.sqlite-wal").exists() or (root / "nianbao.sqlite-wal").stat().st_size == 0
    assert "洪泽区人民政府" in out and "dry run: nothing was changed" in out
    assert no_server == [200]


def test_a_read_only_engine_refuses_writes(db_url):
    open_db(db_url).dispose()
    engine = open_dataset_readonly(db_url)
    try:
        with pytest.raises(Exception, match="(?i)read.?only|readonly"):
            with engine.begin() as conn:
                conn.execute(text("DELETE FROM sources"))
        with engine.connect() as conn:
            assert conn.execute(text("SELECT count(*) FROM alembic_version")).scalar() == 1
    finally:
        engine.dispose()


def test_an_empty_postgres_schema_is_no_dataset(pg_url):
    with pytest.raises(DatabaseError, match="no dataset at"):
        open_dataset_readonly(pg_url)
    with pytest.raises(DatabaseError, match="no dataset at"):
        open_db(pg_url, create=False)


def test_while_a_writer_has_it_open_a_reader_sees_its_commits(tmp_path):
    url = f"sqlite:///{tmp_path / 'live.sqlite'}"
    writer = open_db(url)
    with writer.begin() as conn:                 # the writer's connection stays open: its -wal file is there
        conn.execute(text("INSERT INTO crawl_runs (started_at, status, args) VALUES ('2026-01-01', 'ok', '{}')"))
    assert os.path.exists(f"{tmp_path / 'live.sqlite'}-wal")
    reader = open_dataset_readonly(url)
    with reader.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM crawl_runs")).scalar() == 1
    with writer.begin() as conn:
        conn.execute(text("INSERT INTO crawl_runs (started_at, status, args) VALUES ('2026-01-02', 'ok', '{}')"))
    with reader.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM crawl_runs")).scalar() == 2
    reader.dispose()
    writer.dispose()


def test_readers_work_where_the_permissions_really_forbid_writing(dataset):
    """The readers in a process that the file and directory permissions bind (root without
    CAP_DAC_OVERRIDE), where SQLite could create no -wal/-shm file: a plain mode=ro open fails there."""
    root = dataset.parent
    before = _tree(root)
    script = ("import sqlite3, sys\n"
              "from nianbao.cli import main\n"
              "try:\n"
              f"    sqlite3.connect('file:{dataset}?mode=ro', uri=True).execute('SELECT count(*) FROM sources')\n"
              "    print('plain mode=ro reads')\n"
              "except sqlite3.Error as e:\n"
              "    print('plain mode=ro fails:', e)\n"
              f"codes = [main(a + ['--db', 'sqlite:///{dataset}']) for a in {READERS[:3] + READERS[4:]!r}]\n"
              "print('exit codes', codes)\n")
    bound = ["setpriv", "--bounding-set=-dac_override,-dac_read_search,-fowner",
             "--inh-caps=-dac_override,-dac_read_search,-fowner"] if os.geteuid() == 0 else []
    dataset.chmod(0o444)
    root.chmod(0o555)
    try:
        proc = subprocess.run([*bound, sys.executable, "-c", script], capture_output=True, text=True, timeout=300,
                              cwd=Path(__file__).resolve().parents[2])
    finally:
        root.chmod(0o755)
        dataset.chmod(0o644)
    assert "plain mode=ro fails" in proc.stdout, proc.stdout + proc.stderr     # the permissions do bind
    assert "exit codes [0, 0, 0, 0]" in proc.stdout, proc.stdout + proc.stderr
    assert _tree(root) == before
