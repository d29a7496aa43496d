"""One crawl at a time per dataset: an flock beside a SQLite file, a session advisory lock on Postgres
(keyed by the dataset's schema: datasets in other schemas of the same database are not blocked).

Both are released by the operating system or the server when the holder dies, so a killed run never
blocks the next one.
"""
from __future__ import annotations

import fcntl
import os
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.engine import Engine

PG_LOCK_KEY = 804212  # pg_try_advisory_lock key of a running crawl (the migration lock is 804211)
# the second key: the dataset's schema (the first one on the search_path that exists)
_SCHEMA = "COALESCE((SELECT oid::int FROM pg_namespace WHERE nspname = current_schema()), 0)"


class Busy(RuntimeError):
    """Another crawl holds the dataset; the message is one line."""


def lock_path(engine: Engine) -> Path | None:
    db = engine.url.database
    if engine.dialect.name != "sqlite" or not db or db == ":memory:" or db.startswith("file:"):
        return None
    return Path(f"{db}.crawl-lock")


@contextmanager
def dataset_lock(engine: Engine):
    """Hold the dataset's crawl lock for the block; raise Busy at once if another process holds it."""
    if engine.dialect.name == "postgresql":
        with engine.connect() as conn:
            if not conn.execute(text(f"SELECT pg_try_advisory_lock(:k, {_SCHEMA})"), {"k": PG_LOCK_KEY}).scalar():
                raise Busy("another crawl is running on this dataset (Postgres advisory lock held)")
            conn.commit()
            try:
                yield
            finally:
                conn.execute(text(f"SELECT pg_advisory_unlock(:k, {_SCHEMA})"), {"k": PG_LOCK_KEY})
                conn.commit()
        return
    path = lock_path(engine)
    if path is None:            # an in-memory database belongs to this process alone
        yield
        return
    with open(path, "a+") as f:
        try:
            fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            f.seek(0)
            holder = f.read().strip() or "?"
            raise Busy(f"another crawl is running on this dataset ({holder}; lock {path})") from None
        f.seek(0)
        f.truncate()
        f.write(f"pid {os.getpid()}")
        f.flush()
        try:
            yield
        finally:
            f.truncate(0)
