"""tests/services.py: with nothing at the configured address, throw-away PostgreSQL and Redis servers
start there, serve, and are gone with their directories when the test process exits."""
import json
import os
import socket
import subprocess
import sys
from pathlib import Path

from tests import services

ROOT = Path(__file__).resolve().parents[1]
CHILD = """
import json, psycopg, redis
from tests import services
with psycopg.connect(services.pg_dsn(), autocommit=True) as c:
    c.execute("CREATE DATABASE scratch")
    pg_dir = c.execute("SHOW data_directory").fetchone()[0]
r = redis.Redis.from_url(services.redis_server() + "/3")
r.set("k", "v")
print(json.dumps({"pg": services.pg_server(), "pg_dir": pg_dir, "redis": services.redis_server(),
                  "redis_dir": r.config_get("dir")["dir"], "value": r.get("k").decode()}))
"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _listening(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) == 0


def test_throw_away_servers_on_an_unused_port():
    pg_port, redis_port = _free_port(), _free_port()
    env = {**os.environ, services.PG_ENV: f"postgresql+psycopg://postgres@127.0.0.1:{pg_port}",
           services.REDIS_ENV: f"redis://127.0.0.1:{redis_port}"}
    done = subprocess.run([sys.executable, "-c", CHILD], cwd=ROOT, env=env, capture_output=True, text=True,
                          check=False, timeout=180)
    assert done.returncode == 0, done.stderr[-2000:]
    got = json.loads(done.stdout)
    assert got["pg"].endswith(f":{pg_port}") and got["redis"].endswith(f":{redis_port}") and got["value"] == "v"
    assert not _listening(pg_port) and not _listening(redis_port)
    assert not Path(got["pg_dir"]).exists() and not Path(got["redis_dir"]).exists()
