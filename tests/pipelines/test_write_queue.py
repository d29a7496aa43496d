"""SQLite writers on one machine queue on a file lock: the next writer starts as soon as the last one
ends, a failed transaction lets the queue go, and a nested writer does not wait for itself."""
from __future__ import annotations

import fcntl
import signal
import threading
import time

import pytest
from sqlalchemy import text

from pipelines.db import open_db, writer
from pipelines.db.engine import lock_file


@pytest.fixture
def engine(tmp_path):
    e = open_db(f"sqlite:///{tmp_path / 'q.sqlite'}")
    with writer(e).begin() as conn:
        conn.execute(text("CREATE TABLE log (who TEXT, at REAL)"))
    yield e
    e.dispose()


def test_a_second_writer_waits_for_the_first_and_starts_when_it_commits(engine):
    first_in, release, order = threading.Event(), threading.Event(), []

    def first():
        with writer(engine).begin() as conn:
            conn.execute(text("INSERT INTO log VALUES ('first', 0)"))
            first_in.set()
            release.wait(10)
            order.append("first commits")

    def second():
        first_in.wait(10)
        with writer(engine).begin() as conn:
            order.append("second writes")
            conn.execute(text("INSERT INTO log VALUES ('second', 0)"))

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for t in threads:
        t.start()
    first_in.wait(10)
    time.sleep(0.3)                      # the second writer is waiting by now, not writing
    assert order == []
    release.set()
    for t in threads:
        t.join(10)
    assert order == ["first commits", "second writes"]
    with engine.connect() as conn:
        assert [r.who for r in conn.execute(text("SELECT who FROM log ORDER BY rowid"))] == ["first", "second"]


def queue_is_free(db_path) -> bool:
    with open(lock_file(str(db_path), "write"), "a") as f:
        try:
            fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        fcntl.flock(f, fcntl.LOCK_UN)
        return True


def test_a_writer_holds_the_queue_for_its_transaction_only(engine, tmp_path):
    assert queue_is_free(tmp_path / "q.sqlite")
    with writer(engine).begin() as conn:
        conn.execute(text("INSERT INTO log VALUES ('w', 0)"))
        assert not queue_is_free(tmp_path / "q.sqlite")
    assert queue_is_free(tmp_path / "q.sqlite")
    with engine.connect() as conn:                  # readers do not queue
        conn.execute(text("SELECT count(*) FROM log"))
        assert queue_is_free(tmp_path / "q.sqlite")


def test_a_failed_transaction_lets_the_next_writer_in(engine):
    with pytest.raises(RuntimeError), writer(engine).begin() as conn:
        conn.execute(text("INSERT INTO log VALUES ('rolled back', 0)"))
        raise RuntimeError("a failure mid-transaction")
    done = threading.Event()

    def other():
        with writer(engine).begin() as conn:
            conn.execute(text("INSERT INTO log VALUES ('other', 0)"))
        done.set()

    threading.Thread(target=other).start()
    assert done.wait(10)
    with engine.connect() as conn:
        assert [r.who for r in conn.execute(text("SELECT who FROM log"))] == ["other"]


def test_a_nested_writer_in_the_same_thread_does_not_wait_for_itself(engine, tmp_path):
    other = open_db(f"sqlite:///{tmp_path / 'q.sqlite'}")
    try:
        with writer(engine).begin() as conn:
            conn.execute(text("INSERT INTO log VALUES ('outer', 0)"))
            result = {}

            def nested():
                # the same thread would deadlock on its own queue; it goes to SQLite's lock instead,
                # which answers "database is locked" once the busy timeout ends (shortened here)
                try:
                    with other.connect() as c2:
                        c2.exec_driver_sql("PRAGMA busy_timeout=100")
                        c2.commit()
                    with writer(other).begin() as c2:
                        c2.execute(text("INSERT INTO log VALUES ('inner', 0)"))
                except Exception as e:  # noqa: BLE001 - the outcome is the assertion
                    result["error"] = str(e)
            def hung(signum, frame):
                raise TimeoutError("the nested writer waited for its own queue")
            previous = signal.signal(signal.SIGALRM, hung)
            signal.alarm(10)
            try:
                nested()
            finally:
                signal.alarm(0)
                signal.signal(signal.SIGALRM, previous)
            assert "locked" in result.get("error", "")
    finally:
        other.dispose()
