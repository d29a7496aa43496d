"""Open the dataset by URL: SQLite (WAL, foreign keys, busy timeout) or Postgres, migrated to head.

Writers migrate (keeping a copy of a SQLite file before its schema changes); readers open the
database read-only and never create, migrate or lock anything.
"""
from __future__ import annotations

import fcntl
import hashlib
import json
import os
import sqlite3
import tempfile
import threading
from contextlib import contextmanager
from functools import cache
from pathlib import Path
from urllib.parse import quote

from alembic import command
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, event, inspect, text
from sqlalchemy.engine import Engine, make_url

from pipelines import views

HERE = Path(__file__).resolve().parent
BUSY_TIMEOUT_MS = 30_000


def _json(obj) -> str:
    """JSON columns keep Chinese readable (Datasette and psql show the stored text as is)."""
    return json.dumps(obj, ensure_ascii=False)


class DatabaseError(RuntimeError):
    """The dataset cannot be opened or written (locked, gone, bad URL); the message is one line."""


def open_db(url: str, *, migrate: bool = True, readonly: bool = False, create: bool = True) -> Engine:
    """An engine for `url` (sqlite:///path or postgresql+psycopg://…), migrated to the newest schema.

    readonly: open an existing dataset for reading only (see open_dataset_readonly). create=False: a
    missing dataset is an error ("no dataset at …") instead of a new empty one.
    """
    try:
        u = make_url(url)
    except Exception as e:  # noqa: BLE001 - SQLAlchemy raises ArgumentError or ValueError
        raise DatabaseError(f"bad database URL {url!r}: {e}") from None
    if readonly:
        return _readonly(u)
    if u.get_backend_name() == "sqlite" and not create and (path := _file(u)) and not Path(path).is_file():
        raise DatabaseError(f"no dataset at {path}")
    if u.get_backend_name() == "sqlite":
        engine = _sqlite_engine(u)
    elif u.get_backend_name() == "postgresql":
        if u.drivername == "postgresql":
            u = u.set(drivername="postgresql+psycopg")
        # one idle connection per process (more while threads overlap, closed when returned): a crawl
        # is a coordinator, an engine process and its parse workers, each one connection
        engine = create_engine(u, pool_pre_ping=True, pool_size=1, json_serializer=_json)

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
    if migrate or not create:
        try:
            if not create and not _is_dataset(engine):
                engine.dispose()
                raise DatabaseError(f"no dataset at {_where(u)}")
            if migrate:
                with _migration_lock(engine):
                    upgrade(engine)
                    _sync_labels(engine)
        except DatabaseError:
            raise
        except Exception as e:  # noqa: BLE001 - any driver error while opening becomes one clear line
            engine.dispose()
            raise DatabaseError(f"cannot open database {u.render_as_string(hide_password=True)}: "
                                f"{one_line(e)}") from None
    return engine


def open_dataset_readonly(url: str) -> Engine:
    """An existing dataset, read-only: no migration, no lock file, nothing created; "no dataset at …"
    when there is none. A SQLite file is opened with mode=ro (immutable=1 when it or its directory is
    read-only); Postgres sessions are read-only transactions.
    A dataset of an older schema is an error that says how to upgrade it (the models may name columns
    it lacks); one of a newer, unknown schema is read as it is."""
    return open_db(url, readonly=True)


def read_only_file(path: str | os.PathLike) -> bool:
    """True when the SQLite file or its directory is read-only (no write permission, by its mode
    bits or for this user): SQLite can create no -wal/-shm file there, so readers open it immutable."""
    p = Path(path)
    return any(not os.access(q, os.W_OK) or not os.stat(q).st_mode & 0o222 for q in (p, p.parent))


def _file(u) -> str | None:
    """The SQLite file of a URL (None for Postgres, memory or a file: URI)."""
    if u.get_backend_name() != "sqlite" or not u.database or u.database == ":memory:" or u.database.startswith("file:"):
        return None
    return u.database


def _where(u) -> str:
    return _file(u) or u.render_as_string(hide_password=True)


def _is_dataset(engine: Engine) -> bool:
    with engine.connect() as conn:
        return inspect(conn).has_table("alembic_version")


def _readonly(u) -> Engine:
    backend = u.get_backend_name()
    if backend == "sqlite":
        path = _file(u)
        if path is None:
            raise DatabaseError(f"no dataset at {u.database or ':memory:'} (an in-memory database is always empty)")
        if not Path(path).is_file():
            raise DatabaseError(f"no dataset at {path}")
        # mode=ro reads beside a running crawl through SQLite's WAL index (SQLite may create its -wal
        # and -shm files for that; the database's bytes never change). Where neither the file nor its
        # directory can be written, there is no writer and no WAL index: immutable=1 reads the file alone.
        flags = "mode=ro" + ("&immutable=1" if read_only_file(path) else "")
        uri = f"file:{quote(os.path.abspath(path))}?{flags}"
        # the file's URL (a file's pool; messages and raw_dir() name it), connected through the read-only URI
        engine = create_engine(u, creator=lambda: sqlite3.connect(
            uri, uri=True, timeout=BUSY_TIMEOUT_MS / 1000, check_same_thread=False), json_serializer=_json)

        @event.listens_for(engine, "connect")
        def _pragmas(dbapi_conn, _record):
            dbapi_conn.isolation_level = None
            dbapi_conn.execute("PRAGMA query_only=ON")
            dbapi_conn.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")

        @event.listens_for(engine, "begin")
        def _begin(conn):
            conn.exec_driver_sql("BEGIN")
    elif backend == "postgresql":
        if u.drivername == "postgresql":
            u = u.set(drivername="postgresql+psycopg")
        engine = create_engine(u, pool_pre_ping=True, json_serializer=_json,
                               connect_args={"options": " ".join(filter(None, [
                                   u.query.get("options"), "-c default_transaction_read_only=on"]))})
    else:
        raise DatabaseError(f"unsupported database {backend!r}: use sqlite:/// or postgresql+psycopg://")
    try:
        with engine.connect() as conn:
            ok = inspect(conn).has_table("alembic_version")
            current = MigrationContext.configure(conn).get_current_revision() if ok else None
    except Exception as e:  # noqa: BLE001 - any driver error while opening becomes one clear line
        engine.dispose()
        raise DatabaseError(f"cannot open database {_where(u)}: {one_line(e)}") from None
    if not ok:
        engine.dispose()
        raise DatabaseError(f"no dataset at {_where(u)} (not a nianbao database)")
    scripts = ScriptDirectory.from_config(alembic_config())
    head = scripts.get_current_head()
    if current != head and current in {r.revision for r in scripts.walk_revisions()}:
        # an older schema: the models may name columns it lacks, so it is upgraded, by a writer, not read
        engine.dispose()
        raise DatabaseError(f"the dataset at {_where(u)} has schema {current}, this nianbao reads {head}: "
                            "a write command (nianbao crawl, nianbao reparse) upgrades it and keeps a copy")
    return engine


def writer(engine: Engine) -> Engine:
    """The same engine, for write transactions (SQLite: BEGIN IMMEDIATE)."""
    return engine.execution_options(immediate=True)


def _sync_labels(engine: Engine) -> None:
    """The label tables follow the forms spec, not the migration that made them: rewritten when
    stale (a read only, otherwise: no write lock for a writer that merely opens the dataset)."""
    with engine.connect() as conn:
        stale = views.stale_labels(conn)
    if stale:
        with writer(engine).begin() as conn:
            views.sync_labels(conn)


def alembic_config() -> Config:
    cfg = Config(str(HERE / "alembic.ini"))
    cfg.set_main_option("script_location", str(HERE / "migrations"))
    return cfg


def upgrade(engine: Engine) -> None:
    """Run the Alembic migrations to head on this engine, in one transaction (a failure changes
    nothing). A SQLite file whose schema is about to change is first copied beside itself."""
    cfg = alembic_config()
    head = ScriptDirectory.from_config(cfg).get_current_head()
    with engine.connect() as conn:
        current = MigrationContext.configure(conn).get_current_revision()
        if current == head:
            return
        raw = conn.connection.dbapi_connection
        if current is not None and isinstance(raw, sqlite3.Connection) and (path := _file(engine.url)):
            backup_sqlite(raw, f"{path}.bak-{current}-{head}")
        conn.rollback()
    with writer(engine).begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")


def backup_sqlite(source: sqlite3.Connection, dest: str) -> None:
    """A consistent copy of an open SQLite database (SQLite's online backup API), written atomically."""
    tmp = f"{dest}.tmp{os.getpid()}"
    try:
        target = sqlite3.connect(tmp)
        try:
            source.backup(target)
        finally:
            target.close()
        os.replace(tmp, dest)
    except (OSError, sqlite3.Error) as e:
        raise DatabaseError(f"cannot keep a copy before upgrading the schema ({dest}): {one_line(e)}") from None
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def insert_ignore(conn, table, index_elements, returning=()):
    """INSERT … ON CONFLICT DO NOTHING for either backend, RETURNING the `returning` columns if any."""
    return _insert_ignore(conn.dialect.name, table, tuple(index_elements), tuple(returning))


def upsert(conn, table, index_elements, keep=(), returning=()):
    """INSERT … ON CONFLICT DO UPDATE for either backend: a conflicting row takes the new values of
    every column but the conflict target and `keep`. RETURNING the `returning` columns if any."""
    return _upsert(conn.dialect.name, table, tuple(index_elements), tuple(keep), tuple(returning))


# the statements are built once: building one (excluded.* above all) costs more than running it, and
# a statement object run again skips SQLAlchemy's cache-key walk
@cache
def _insert_ignore(dialect: str, table, index_elements: tuple, returning: tuple):
    stmt = _dialect_insert(dialect, table).on_conflict_do_nothing(index_elements=index_elements)
    return stmt.returning(*(table.c[c] for c in returning)) if returning else stmt


@cache
def _upsert(dialect: str, table, index_elements: tuple, keep: tuple, returning: tuple):
    stmt = _dialect_insert(dialect, table)
    fixed = {*index_elements, *keep, *(c.name for c in table.primary_key)}
    stmt = stmt.on_conflict_do_update(index_elements=index_elements,
                                      set_={c.name: stmt.excluded[c.name] for c in table.c if c.name not in fixed})
    return stmt.returning(*(table.c[c] for c in returning)) if returning else stmt


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
        # a writer takes the write lock up front, so two writers queue instead of failing when a read
        # transaction tries to become a write transaction
        immediate = conn.get_execution_options().get("immediate")
        if immediate and u.database and u.database != ":memory:":
            _queue(conn, u.database)
        try:
            conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")
        except BaseException:
            _unqueue(conn)
            raise

    @event.listens_for(engine, "commit")
    @event.listens_for(engine, "rollback")
    def _end(conn):
        _unqueue(conn)

    return engine


_queued = threading.local()     # the databases whose write queue this thread holds


def _queue(conn, db: str) -> None:
    """Wait for this machine's other writers of the SQLite file at `db` on a file lock, which wakes the
    next writer as soon as it is released (SQLite's own busy handler polls, sleeping up to 100 ms
    between tries: with several parse workers writing, most of their time went to those sleeps).
    A thread that already holds the queue (a nested writer) goes straight to SQLite's lock."""
    held = getattr(_queued, "dbs", None)
    if held is None:
        held = _queued.dbs = set()
    if db in held:
        return
    f = conn.info.get("write_queue")
    if f is None:
        f = conn.info["write_queue"] = open(lock_file(db, "write"), "a")
    fcntl.flock(f, fcntl.LOCK_EX)
    held.add(db)
    conn.info["write_queued"] = db


def _unqueue(conn) -> None:
    db = conn.info.pop("write_queued", None)
    if db is not None:
        fcntl.flock(conn.info["write_queue"], fcntl.LOCK_UN)
        _queued.dbs.discard(db)


def lock_file(db: str, kind: str = "lock") -> Path:
    """This machine's lock file of one kind for the SQLite database at `db` (named by its real path's hash)."""
    folder = Path(tempfile.gettempdir()) / "nianbao-locks"
    folder.mkdir(mode=0o1777, exist_ok=True)
    return folder / (hashlib.sha256(os.path.realpath(db).encode()).hexdigest()[:24] + f".{kind}")


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
    db = _file(engine.url)
    if not db:
        yield
        return
    # not the database file itself: closing any descriptor of a file that SQLite has open in this
    # process drops SQLite's POSIX locks on it (another process may then checkpoint and reset the
    # WAL under a live connection: "database disk image is malformed"). Nor a file beside it: the
    # dataset's folder gets no stray files. A lock file per database in the machine's temp folder.
    with open(lock_file(db), "a") as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)
