"""The PostgreSQL and Redis servers the tests use: the running ones, else throw-away ones in a temporary directory.

NIANBAO_TEST_PG (a server URL, postgresql+psycopg://postgres@127.0.0.1:5432 by default) and
NIANBAO_TEST_REDIS (redis://127.0.0.1:6379) say where. When no server there lets us in, the first
test that needs one starts it on that loopback port (or, if the port is taken, on a free one), as
pytest-postgresql and pytest-redis do: a cluster made by the Debian packages' initdb (trust auth,
user postgres) and run by pg_ctl, or a redis-server without persistence; both are stopped and
removed when the test process exits.
"""
from __future__ import annotations

import atexit
import functools
import glob
import os
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import psycopg
import redis
from sqlalchemy.engine import make_url

PG_ENV, REDIS_ENV = "NIANBAO_TEST_PG", "NIANBAO_TEST_REDIS"
DEFAULT_PG, DEFAULT_REDIS = "postgresql+psycopg://postgres@127.0.0.1:5432", "redis://127.0.0.1:6379"
LOOPBACK = ("127.0.0.1", "localhost", "::1")


@functools.cache
def pg_server() -> str:
    """The URL of the PostgreSQL server (no database), started if nothing answers there."""
    url = os.environ.get(PG_ENV, DEFAULT_PG).rstrip("/")
    if not _pg_ready(url):
        url = _start_postgres(url)
    return url


def pg_url(dbname: str) -> str:
    """The SQLAlchemy URL of a database on the test server."""
    return f"{pg_server()}/{dbname}"


def pg_dsn(dbname: str = "postgres") -> str:
    """The libpq connection string of a database on the test server (for psycopg)."""
    u = make_url(pg_server())
    return f"host={u.host} port={u.port or 5432} user={u.username or 'postgres'} dbname={dbname}"


@functools.cache
def redis_server() -> str:
    """The URL of the Redis server (no database number), started if nothing answers there."""
    url = os.environ.get(REDIS_ENV, DEFAULT_REDIS).rstrip("/")
    if not _redis_ready(url):
        url = _start_redis(url)
    return url


def _pg_ready(url: str) -> bool:
    u = make_url(url)
    try:
        psycopg.connect(host=u.host, port=u.port or 5432, user=u.username or "postgres", dbname="postgres",
                        connect_timeout=3).close()
        return True
    except psycopg.OperationalError:
        return False


def _redis_ready(url: str) -> bool:
    try:
        return bool(redis.Redis.from_url(url, socket_connect_timeout=2).ping())
    except (redis.ConnectionError, redis.AuthenticationError, redis.ResponseError):
        return False


def _local(url: str, what: str) -> tuple[str, int, str]:
    """(host, port, URL) to start a server on: the URL's port if free, else a free one."""
    u = make_url(url)
    if u.host not in LOOPBACK or u.port is None:
        raise RuntimeError(f"no {what} lets us in at {url}, and it is no loopback address with a port to start one on")
    port = u.port
    with socket.socket() as s:
        if s.connect_ex((u.host, port)) == 0:          # taken (a server we may not use): any free port
            s2 = socket.socket()
            s2.bind((u.host, 0))
            port = s2.getsockname()[1]
            s2.close()
    return u.host, port, u.set(port=port).render_as_string(hide_password=False)


def _pg_bin(name: str) -> str:
    """The newest installed PostgreSQL's program (Debian keeps them out of PATH)."""
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"), key=lambda p: int(Path(p).parts[4]))
    path = found[-1] if found else shutil.which(name)
    if not path:
        raise RuntimeError(f"no PostgreSQL answers and {name} is not installed (scripts/setup.sh installs "
                           f"the postgresql package)")
    return path


def _as_postgres(cmd: list[str]) -> list[str]:
    """initdb and postgres refuse to run as root: run them as the packages' postgres user."""
    return ["runuser", "-u", "postgres", "--", *cmd] if os.geteuid() == 0 else cmd


def _start_postgres(url: str) -> str:
    host, port, url = _local(url, "PostgreSQL")
    root = Path(tempfile.mkdtemp(prefix="nianbao-pg-"))
    data = root / "data"
    if os.geteuid() == 0:
        shutil.chown(root, "postgres", "postgres")
    subprocess.run(_as_postgres([_pg_bin("initdb"), "-D", str(data), "-U", "postgres", "--auth=trust",
                                 "-E", "UTF8", "--locale=C.UTF-8"]), check=True, capture_output=True)
    atexit.register(_stop_postgres, root)
    options = f"-p {port} -c listen_addresses={host} -k {root} -F"     # -F: no fsync, a throw-away cluster
    started = subprocess.run(_as_postgres([_pg_bin("pg_ctl"), "-D", str(data), "-o", options, "-l", str(root / "log"),
                                           "-w", "-t", "60", "start"]), check=False, capture_output=True, text=True)
    if started.returncode:
        log = (root / "log").read_text(errors="replace") if (root / "log").exists() else started.stderr
        raise RuntimeError(f"a throw-away PostgreSQL on {host}:{port} did not start: {log[-800:]}")
    return url


def _stop_postgres(root: Path) -> None:
    if (root / "data" / "postmaster.pid").exists():
        subprocess.run(_as_postgres([_pg_bin("pg_ctl"), "-D", str(root / "data"), "-m", "immediate", "stop"]),
                       check=False, capture_output=True)
    shutil.rmtree(root, ignore_errors=True)


def _start_redis(url: str) -> str:
    host, port, url = _local(url, "Redis")
    server = shutil.which("redis-server")
    if not server:
        raise RuntimeError("no Redis answers and redis-server is not installed (scripts/setup.sh installs it)")
    root = tempfile.mkdtemp(prefix="nianbao-redis-")
    proc = subprocess.Popen([server, "--bind", host, "--port", str(port), "--dir", root, "--save", "",
                             "--appendonly", "no"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    atexit.register(_stop_redis, proc, root)
    for _ in range(100):
        if _redis_ready(url):
            return url
        if proc.poll() is not None:
            raise RuntimeError(f"redis-server exited ({proc.returncode}) before answering at {url}")
        time.sleep(0.05)
    raise RuntimeError(f"redis-server did not answer at {url} in 5 s")


def _stop_redis(proc: subprocess.Popen, root: str) -> None:
    proc.terminate()
    proc.wait(timeout=10)
    shutil.rmtree(root, ignore_errors=True)
