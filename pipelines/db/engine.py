"""Open the dataset by URL: SQLite (WAL, foreign keys, busy timeout) or Postgres, migrated to head."""
from __future__ import annotations

import fcntl
import json
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import Engine, make_url

HERE = Path(__file__).resolve().parent
BUSY_TIMEOUT_MS = 30_000


def _json(obj) -> str:
    """JSON columns keep Chinese readable (Datasette and psql show the stored text as is)."""
    return json.dumps(obj, ensure_ascii=False)


class DatabaseError(RuntimeError):
    """The dataset cannot be opened or written (locked, gone, bad URL); the message is one line."""


def open_db(url: str, *, migrate: bool = True) -> Engine:
    """An engine for `url` (sqlite:///path or postgresql+psycopg://…), migrated to the newest schema."""
    try:
        u = make_url(url)
    except Exception as e:  # noqa: BLE001 - SQLAlchemy raises ArgumentError or ValueError
        raise DatabaseError(f"bad database URL {url!r}: {e}") from None
    if u.get_backend_name() == "sqlite":
        engine = _sqlite_engine(u)
    elif u.get_backend_name() == "postgresql":
        if u.drivername == "postgresql":
            u = u.set(drivername="postgresql+psycopg")
        engine = create_engine(u, pool_pre_ping=True, json_serializer=_json)

        @event.listens_for(engine, "connect")
        def _timeouts(dbapi_conn, _record):
            # a lock held too long fails the write, as SQLite's busy_timeout does, instead of hanging
            dbapi_conn.execute(f"SET lock_timeout = {BUSY_TIMEOUT_MS}")
            # commits do not wait for the WAL flush (like SQLite's synchronous=NORMAL in WAL mode): a
            # server crash may lose the last moments of writes, never consistency; the next run
            # stores those documents again
            dbapi_conn.execute("SET synchronous_commit = off")
            dbapi_conn.commit()
    else:
        raise DatabaseError(f"unsupported database {u.get_backend_name()!r}: use sqlite:/// or postgresql+psycopg://")
    if migrate:
        try:
            with _migration_lock(engine):
                upgrade(engine)
        except DatabaseError:
            raise
        except Exception as e:  # noqa: BLE001 - any driver error while opening becomes one clear line
            engine.dispose()
            raise DatabaseError(f"cannot open database {u.render_as_string(hide_password=True)}: "
                                f"{one_line(e)}") from None
    return engine


def writer(engine: Engine) -> Engine:
    """The same engine, for write transactions (SQLite: BEGIN IMMEDIATE)."""
    return engine.execution_options(immediate=True)


def upgrade(engine: Engine) -> None:
    """Run the Alembic migrations to head on this engine."""
    cfg = Config(str(HERE / "alembic.ini"))
    cfg.set_main_option("script_location", str(HERE / "migrations"))
    with writer(engine).begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")


def insert_ignore(conn, table, index_elements):
    """INSERT … ON CONFLICT DO NOTHING for either backend."""
    return _insert_ignore(conn.dialect.name, table, tuple(index_elements))


def upsert(conn, table, index_elements, keep=()):
    """INSERT … ON CONFLICT DO UPDATE for either backend: a conflicting row takes the new values of
    every column but the conflict target and `keep`."""
    return _upsert(conn.dialect.name, table, tuple(index_elements), tuple(keep))


# the statements are built once: building one (excluded.* above all) costs more than running it
@lru_cache(maxsize=None)
def _insert_ignore(dialect: str, table, index_elements: tuple):
    return _dialect_insert(dialect, table).on_conflict_do_nothing(index_elements=index_elements)


@lru_cache(maxsize=None)
def _upsert(dialect: str, table, index_elements: tuple, keep: tuple):
    stmt = _dialect_insert(dialect, table)
    fixed = {*index_elements, *keep, *(c.name for c in table.primary_key)}
    return stmt.on_conflict_do_update(index_elements=index_elements,
                                      set_={c.name: stmt.excluded[c.name] for c in table.c if c.name not in fixed})


def _dialect_insert(dialect: str, table):
    from sqlalchemy.dialects import postgresql, sqlite
    return (postgresql if dialect == "postgresql" else sqlite).insert(table)


def one_line(e: BaseException) -> str:
    """The first line of a driver error, without SQLAlchemy's SQL echo and background link."""
    msg = str(getattr(e, "orig", None) or e).strip().splitlines()
    return (msg[0] if msg else type(e).__name__)[:300]


def _sqlite_engine(u) -> Engine:
    if u.database and u.database != ":memory:":
        try:
            Path(u.database).parent.mkdir(parents=True, exist_ok=True)
        except OSError as e:
            raise DatabaseError(f"cannot create the directory of {u.database}: {e.strerror}") from None
    engine = create_engine(u, connect_args={"timeout": BUSY_TIMEOUT_MS / 1000}, json_serializer=_json)

    @event.listens_for(engine, "connect")
    def _pragmas(dbapi_conn, _record):
        dbapi_conn.isolation_level = None      # let SQLAlchemy's BEGIN below own the transactions
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        cur.close()

    @event.listens_for(engine, "begin")
    def _begin(conn):
        # a writer takes the write lock up front, so two writers queue on busy_timeout instead of
        # failing when a read transaction tries to become a write transaction
        conn.exec_driver_sql("BEGIN IMMEDIATE" if conn.get_execution_options().get("immediate") else "BEGIN")

    return engine


@contextmanager
def _migration_lock(engine: Engine):
    """Serialise migrations between processes that open the same database at once."""
    if engine.dialect.name == "postgresql":
        with engine.connect() as conn:
            conn.execute(text("SELECT pg_advisory_lock(804211)"))
            try:
                yield
            finally:
                conn.execute(text("SELECT pg_advisory_unlock(804211)"))
                conn.commit()
        return
    db = engine.url.database
    if not db or db == ":memory:":
        yield
        return
    with open(f"{db}.lock", "a") as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)
