"""Distributed crawling (issue 8, item 5): `nianbao crawl --redis` seeds a run, `nianbao worker`s crawl it.

Against the simulated portals, the real local Redis (databases 8-12, flushed before use) and a
PostgreSQL database of each test's own: three workers store the same dataset as one process, each
report once, every request acknowledged as it is done; a worker SIGKILLed mid-run plus a replacement
still does, the replacement going on with the sites' time budgets; a site's budget spent by earlier
holders counts; a killed coordinator's keys lapse or go when the next coordinator starts; a Redis
server killed and started again mid-run leaves a consistent dataset that the next run completes.
"""
from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

import psycopg
import pytest
import redis

from crawler.distributed import CURRENT, key
from crawler.run import crawl
from nianbao.demo import LOOPBACK_SETTINGS
from nianbao.simulator import start_network
from pipelines import distributed
from tests import services
from tests.pipelines.test_order import canonical

pytestmark = pytest.mark.postgres
ROOT = Path(__file__).resolve().parent.parent
FAMILIES = ["county", "trs", "hanweb"]          # no JavaScript-only portal: Chromium is not what is measured
LEASE_MS = "4000"                                # a killed worker's sites are taken over after 4 s


@pytest.fixture(scope="module")
def net():
    with start_network(0, families=FAMILIES) as n:
        yield n


def _database():
    name = f"nianbao_dist_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(services.pg_dsn(), autocommit=True) as c:
        c.execute(f"CREATE DATABASE {name}")
    return name, services.pg_url(name)


def _drop(name: str) -> None:
    with psycopg.connect(services.pg_dsn(), autocommit=True) as c:
        c.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


@pytest.fixture
def pg():
    made = []

    def make() -> str:
        name, url = _database()
        made.append(name)
        return url
    yield make
    for name in made:
        _drop(name)


@pytest.fixture
def workers():
    """The worker processes a test starts; any still running at its end is killed."""
    procs: list[subprocess.Popen] = []
    yield procs
    for p in procs:
        if p.poll() is None:
            p.kill()
            p.wait()


def _redis(db: int, server: str | None = None) -> str:
    url = f"{server or services.redis_server()}/{db}"
    redis.Redis.from_url(url).flushdb()
    return url


@pytest.fixture(scope="module")
def one_process(net, tmp_path_factory):
    """The dataset one `crawl` process stores (the engine, no Redis), as canonical rows."""
    name, url = _database()
    try:
        crawl(net.sites, db_url=url, data_dir=tmp_path_factory.mktemp("one"), settings=LOOPBACK_SETTINGS)
        yield canonical(url)
    finally:
        _drop(name)


def _worker(redis_url: str, db_url: str, data_dir, log: Path) -> subprocess.Popen:
    env = {**os.environ, "NIANBAO_REDIS_LEASE_MS": LEASE_MS}
    code = "import sys; from nianbao.cli import main; sys.exit(main(sys.argv[1:]))"
    return subprocess.Popen([sys.executable, "-c", code,
                             "worker", "--redis", redis_url, "--db", db_url, "--data-dir", str(data_dir)],
                            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=open(log, "wb"))


class Coordinator(threading.Thread):
    """`nianbao crawl --redis` (pipelines.distributed.crawl_run) in a thread; `result` when it returns."""

    def __init__(self, net, redis_url, db_url, data_dir, budget=None):
        super().__init__(daemon=True)
        self.args = dict(redis_url=redis_url, db_url=db_url, data_dir=data_dir, settings=LOOPBACK_SETTINGS, poll=0.5,
                         budget=budget)
        self.sites, self.result, self.error = net.sites, None, None

    def run(self):
        try:
            self.result = distributed.crawl_run(self.sites, **self.args)
        except Exception as e:  # noqa: BLE001 - reported by the test
            self.error = e


def _stored(db_url: str) -> int:
    name = db_url.rsplit("/", 1)[1]
    with psycopg.connect(services.pg_dsn(name)) as c:
        try:
            return c.execute("SELECT count(*) FROM sources").fetchone()[0]
        except psycopg.errors.UndefinedTable:          # not migrated yet
            return 0


def _wait_for(cond, timeout: float, what: str):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if cond():
            return
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


def _assert_same(rows: dict, expected: dict) -> None:
    for table in expected:
        extra, missing = set(rows[table]) - set(expected[table]), set(expected[table]) - set(rows[table])
        assert not extra and not missing, (table, sorted(extra)[:3], sorted(missing)[:3])
    assert rows == expected


def _assert_each_report_once(rows: dict) -> None:
    reports = rows["reports"]
    assert len(reports) == len(set(reports))
    sources = rows["sources"]
    assert len(sources) == len(set(sources))


def test_three_workers_store_the_same_dataset_as_one_process(net, one_process, pg, tmp_path, workers):
    db_url, redis_url = pg(), _redis(11)
    coordinator = Coordinator(net, redis_url, db_url, tmp_path / "data")
    coordinator.start()
    workers += [_worker(redis_url, db_url, tmp_path / "data", tmp_path / f"w{i}.log") for i in range(3)]
    coordinator.join(timeout=600)
    codes = [w.wait(timeout=60) for w in workers]
    assert coordinator.error is None and coordinator.result is not None
    assert codes == [0, 0, 0]
    assert coordinator.result["status"] in ("ok", "failed")
    assert set(coordinator.result["sites"]) == {s["id"] for s in net.sites}
    assert all(r["finish_reason"] == "finished" for r in coordinator.result["sites"].values())
    rows = canonical(db_url)
    _assert_each_report_once(rows)
    _assert_same(rows, one_process)
    with psycopg.connect(services.pg_dsn(db_url.rsplit("/", 1)[1])) as c:   # one merged record per site
        runs = c.execute("SELECT site, count(*) FROM site_runs GROUP BY site").fetchall()
    assert sorted(runs) == sorted((s["id"], 1) for s in net.sites)
    assert not redis.Redis.from_url(redis_url).keys("nianbao:*:site:*")  # the run's keys are gone
    # every request was acknowledged while its site ran (weakref.finalize), none left for the site's close
    assert not any(r.get("unacknowledged") for r in coordinator.result["sites"].values())


def test_a_worker_killed_mid_run_and_a_replacement_store_the_same_dataset(net, one_process, pg, tmp_path, workers):
    """The only worker is SIGKILLed with a third of the documents stored; its replacement takes its
    sites over once their leases lapse, queues their in-flight requests again, and finishes the run."""
    db_url, redis_url = pg(), _redis(12)
    total = len(one_process["sources"])
    coordinator = Coordinator(net, redis_url, db_url, tmp_path / "data")
    coordinator.start()
    workers.append(_worker(redis_url, db_url, tmp_path / "data", tmp_path / "w0.log"))
    _wait_for(lambda: _stored(db_url) >= total // 3, 300, "a third of the documents")
    workers[0].send_signal(signal.SIGKILL)
    workers[0].wait()
    assert _stored(db_url) < total
    server = redis.Redis.from_url(redis_url)
    run = server.get(CURRENT).decode()
    spent = {k.decode(): float(v) for k, v in server.hgetall(key(run, "spent")).items()}
    workers.append(_worker(redis_url, db_url, tmp_path / "data", tmp_path / "replacement.log"))
    coordinator.join(timeout=600)
    assert coordinator.error is None and coordinator.result is not None
    assert workers[1].wait(timeout=60) == 0
    replaced = (tmp_path / "replacement.log").read_text()
    taken_over = re.findall(r"nianbao: (\S+): \d+ requests in flight at a stopped worker queued again", replaced)
    assert taken_over
    for sid in taken_over:      # the time budget went on, not restarted (time is counted every TICK s,
        if spent.get(sid, 0) >= 1:      # so a site opened just before the kill may have none counted yet)
            assert f"nianbao: {sid}: {spent[sid]:.0f} s of its" in replaced
    rows = canonical(db_url)
    _assert_each_report_once(rows)
    _assert_same(rows, one_process)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _redis_server(port: int, root: str) -> subprocess.Popen:
    proc = subprocess.Popen([shutil.which("redis-server"), "--bind", "127.0.0.1", "--port", str(port), "--dir", root,
                             "--save", "", "--appendonly", "no"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _wait_for(lambda: _ping(port), 10, "redis-server")
    return proc


def _ping(port: int) -> bool:
    try:
        return redis.Redis(port=port, socket_connect_timeout=0.5).ping()
    except redis.ConnectionError:
        return False


def test_a_redis_restart_mid_run_leaves_a_consistent_dataset_the_next_run_completes(net, one_process, pg, tmp_path,
                                                                                    workers):
    """A Redis of our own without persistence, killed and started again: the run's state is gone, the
    run ends "interrupted", every stored report is whole, and the next run stores the same dataset."""
    db_url, root, port = pg(), tempfile.mkdtemp(prefix="nianbao-redis-"), _free_port()
    server = _redis_server(port, root)
    try:
        redis_url = f"redis://127.0.0.1:{port}/0"
        total = len(one_process["sources"])
        coordinator = Coordinator(net, redis_url, db_url, tmp_path / "data")
        coordinator.start()
        workers += [_worker(redis_url, db_url, tmp_path / "data", tmp_path / f"w{i}.log") for i in range(2)]
        _wait_for(lambda: _stored(db_url) >= total // 3, 300, "a third of the documents")
        server.kill()
        server.wait()
        server = _redis_server(port, root)
        coordinator.join(timeout=120)
        assert coordinator.error is None and coordinator.result["status"] == "interrupted"
        for w in workers:
            assert w.wait(timeout=120) in (0, 1)
        del workers[:]
        name = db_url.rsplit("/", 1)[1]
        with psycopg.connect(services.pg_dsn(name)) as c:
            assert c.execute("SELECT count(*) FROM reports r WHERE NOT EXISTS "
                             "(SELECT 1 FROM sources s WHERE s.report_id = r.id)").fetchone()[0] == 0
            assert c.execute("SELECT count(*) FROM reports r WHERE n_cells > 0 AND n_cells <> "
                             "(SELECT count(*) FROM cells c WHERE c.report_id = r.id)").fetchone()[0] == 0
        again = Coordinator(net, redis_url, db_url, tmp_path / "data")
        again.start()
        workers += [_worker(redis_url, db_url, tmp_path / "data", tmp_path / f"again{i}.log") for i in range(2)]
        again.join(timeout=600)
        assert again.error is None and again.result is not None
        assert [w.wait(timeout=60) for w in workers] == [0, 0]
        rows = canonical(db_url)
        _assert_each_report_once(rows)
        _assert_same(rows, one_process)
    finally:
        server.kill()
        server.wait()
        shutil.rmtree(root, ignore_errors=True)


def test_unreachable_redis_or_dataset_is_one_line_and_exit_2(net, tmp_path, capsys):
    import yaml

    from nianbao.cli import main
    sites = tmp_path / "sites.yaml"
    sites.write_text(yaml.safe_dump(net.sites, allow_unicode=True), encoding="utf-8")
    closed = f"redis://127.0.0.1:{_free_port()}/0"
    assert main(["worker", "--redis", closed, "--db", f"sqlite:///{tmp_path / 'x.sqlite'}"]) == 2
    assert main(["crawl", "--sites", str(sites), "--redis", closed, "--db", f"sqlite:///{tmp_path / 'x.sqlite'}"]) == 2
    no_pg = f"postgresql+psycopg://postgres@127.0.0.1:{_free_port()}/nianbao"
    assert main(["worker", "--redis", _redis(10), "--db", no_pg]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 3 and err[0].startswith("nianbao worker: cannot reach Redis")
    assert err[1].startswith("nianbao crawl: cannot reach Redis") and err[2].startswith("nianbao worker: ")


def test_a_site_taken_over_gets_what_is_left_of_its_budget_and_one_spent_is_over_budget(net, pg, tmp_path, workers):
    """The time budget is the site's in the run: seconds spent by earlier holders (set here as a killed
    worker would have left them) count; a site with none left ends "closespider_timeout" at once."""
    db_url, redis_url = pg(), _redis(9)
    spent, partly, fresh = (s["id"] for s in net.sites)
    coordinator = Coordinator(net, redis_url, db_url, tmp_path / "data", budget=600)
    coordinator.start()
    server = redis.Redis.from_url(redis_url)
    _wait_for(lambda: server.get("nianbao:current"), 60, "the run seeded")
    run = server.get("nianbao:current").decode()
    server.hset(f"nianbao:{run}:spent", mapping={spent: 600, partly: 100})
    workers.append(_worker(redis_url, db_url, tmp_path / "data", tmp_path / "w0.log"))
    coordinator.join(timeout=600)
    assert coordinator.error is None and coordinator.result is not None
    assert workers[0].wait(timeout=60) == 0
    sites = coordinator.result["sites"]
    assert sites[spent]["finish_reason"] == "closespider_timeout"
    assert sites[partly]["finish_reason"] == sites[fresh]["finish_reason"] == "finished"
    log = (tmp_path / "w0.log").read_text()
    assert f"{partly}: 100 s of its 600 s budget spent before; 500 s left" in log
    assert f"{spent}: 600 s of its 600 s budget spent before; 0 s left" in log
    with psycopg.connect(services.pg_dsn(db_url.rsplit("/", 1)[1])) as c:
        reasons = dict(c.execute("SELECT site, finish_reason FROM site_runs").fetchall())
    assert reasons[spent] == "closespider_timeout" and reasons[fresh] == "finished"


def _coordinator(redis_url: str, db_url: str, sites_file: Path, log: Path, **env: str) -> subprocess.Popen:
    """`nianbao crawl --redis` as a process of its own (to be killed)."""
    code = "import sys; from nianbao.cli import main; sys.exit(main(sys.argv[1:]))"
    return subprocess.Popen([sys.executable, "-c", code, "crawl", "--sites", str(sites_file), "--redis", redis_url,
                             "--db", db_url, "--data-dir", str(log.parent / "data")],
                            cwd=ROOT, env={**os.environ, **env}, stdout=subprocess.DEVNULL, stderr=open(log, "wb"))


def _killed_coordinator(redis_url, db_url, sites_file, log, **env) -> str:
    """A coordinator SIGKILLed once it has seeded its run; the run's id."""
    server = redis.Redis.from_url(redis_url)
    proc = _coordinator(redis_url, db_url, sites_file, log, **env)
    try:
        _wait_for(lambda: server.get("nianbao:current"), 120, "the run seeded")
    finally:
        proc.kill()
        proc.wait()
    return server.get("nianbao:current").decode()


def test_a_killed_coordinators_keys_lapse_or_go_when_the_next_one_starts(net, one_process, pg, tmp_path, workers):
    """Every key of a run has a TTL; a killed coordinator's run vanishes from Redis by itself, or, once
    its heartbeat has lapsed, when the next coordinator starts; that next run stores the whole dataset."""
    import yaml

    db_url, redis_url = pg(), _redis(8)
    server = redis.Redis.from_url(redis_url)
    sites_file = tmp_path / "sites.yaml"
    sites_file.write_text(yaml.safe_dump(net.sites, allow_unicode=True), encoding="utf-8")

    _killed_coordinator(redis_url, db_url, sites_file, tmp_path / "c1.log",
                        NIANBAO_REDIS_RUN_TTL="3", NIANBAO_REDIS_ALIVE_S="2")
    names = server.keys("nianbao:*")
    assert names and all(server.ttl(n) != -1 for n in names), [n for n in names if server.ttl(n) == -1]
    _wait_for(lambda: not server.keys("nianbao:*"), 60, "the dead run's keys to lapse")

    dead = _killed_coordinator(redis_url, db_url, sites_file, tmp_path / "c2.log", NIANBAO_REDIS_ALIVE_S="2")
    assert server.ttl(f"nianbao:{dead}:meta") > 60                    # far from lapsing by itself
    _wait_for(lambda: not server.exists(f"nianbao:{dead}:alive"), 30, "the dead run's heartbeat to lapse")
    coordinator = Coordinator(net, redis_url, db_url, tmp_path / "data")
    coordinator.start()
    _wait_for(lambda: (server.get("nianbao:current") or dead.encode()).decode() != dead, 60, "the next run seeded")
    assert not server.keys(f"nianbao:{dead}:*")
    workers.append(_worker(redis_url, db_url, tmp_path / "data", tmp_path / "w0.log"))
    coordinator.join(timeout=600)
    assert coordinator.error is None and coordinator.result is not None
    assert workers[0].wait(timeout=60) == 0
    assert all(r["finish_reason"] == "finished" for r in coordinator.result["sites"].values())
    rows = canonical(db_url)
    _assert_each_report_once(rows)
    _assert_same(rows, one_process)
    assert not server.keys("nianbao:*:*")
