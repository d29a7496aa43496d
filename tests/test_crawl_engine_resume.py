"""Resume: `nianbao crawl` SIGKILLed early, midway and late, then started again with the same command,
ends with the same export as an uninterrupted crawl (every version, no duplicate, no lost report),
and the killed run is recorded as interrupted. Against the simulated portal network (nianbao.simulator)."""
from __future__ import annotations

import json
import sqlite3
import time
from urllib.parse import urlsplit

import pytest

from nianbao.demo import LOOPBACK_SETTINGS
from nianbao.simulator import FAMILIES, start_network
from pipelines import export
from pipelines.crawlrun import crawl_run
from pipelines.db import open_db
from tests.crawl_engine_helpers import registry_file, start_cli_crawl

VOLATILE = {"id", "agency_id", "supersedes", "superseded_by"}


@pytest.fixture(scope="module")
def net():
    with start_network(seed=0, families=[f for f in FAMILIES if f != "jsonly"]) as n:
        yield n


@pytest.fixture(scope="module")
def reference(net, tmp_path_factory):
    """The export of one uninterrupted crawl, and how many sources it stored."""
    d = tmp_path_factory.mktemp("reference")
    db = f"sqlite:///{d / 'd.sqlite'}"
    result = crawl_run(sites(net), db_url=db, data_dir=d)
    assert result["status"] in ("ok", "failed") and not result["interrupted"]
    return canonical(db), count_sources(d / "d.sqlite")


def sites(net):
    return [{**s, "settings": LOOPBACK_SETTINGS} for s in net.sites]


def canonical(db_url) -> list[str]:
    """Every report version as exported, without row ids and fetch times, in a stable order."""
    engine = open_db(db_url)
    try:
        by_id = {r["id"]: r for r in export.reports(engine, all_versions=True)}
    finally:
        engine.dispose()
    out = []
    for r in by_id.values():
        key = {k: v for k, v in r.items() if k not in VOLATILE}
        key["supersedes"] = by_id[r["supersedes"]]["title"] if r["supersedes"] else None
        key["sources"] = sorted((s["url"], s["sha256"], s["media_type"], s["site"]) for s in r["sources"])
        out.append(json.dumps(key, ensure_ascii=False, sort_keys=True, default=str))
    return sorted(out)


def count_sources(path) -> int:
    try:
        with sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=1) as conn:
            return conn.execute("SELECT count(*) FROM sources").fetchone()[0]
    except sqlite3.Error:
        return 0


def stored_documents(path) -> set[tuple[str, str]]:
    """(host, path and query) of every document whose bytes and raw file the dataset holds."""
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as conn:
        urls = [r[0] for r in conn.execute("SELECT url FROM sources WHERE path IS NOT NULL")]
    return {(u.hostname, u.path + (f"?{u.query}" if u.query else "")) for u in map(urlsplit, urls)}


@pytest.mark.parametrize("fraction", [0.15, 0.5, 0.85], ids=["early", "middle", "late"])
def test_a_crawl_killed_and_started_again_ends_with_the_same_dataset(net, reference, tmp_path, fraction):
    expected, total = reference
    path = tmp_path / "d.sqlite"
    db = f"sqlite:///{path}"
    reg = registry_file(tmp_path / "sites.yaml", net.sites, LOOPBACK_SETTINGS)
    proc = start_cli_crawl(reg, db, tmp_path)
    deadline = time.monotonic() + 300
    while count_sources(path) < fraction * total and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    assert proc.poll() is None, "the crawl ended before the kill point"
    proc.kill()
    proc.wait()
    assert 0 < count_sources(path) < total
    stored = stored_documents(path)
    n0 = len(net.log)

    again = start_cli_crawl(reg, db, tmp_path)
    again.communicate(timeout=600)
    assert again.returncode in (0, 1)
    assert canonical(db) == expected
    # nothing stored before the kill was downloaded again (listings are asked every night)
    downloaded = {(ip, target) for ip, _, target, status in net.log[n0:] if status == 200}
    assert stored and not stored & downloaded, sorted(stored & downloaded)[:5]
    with sqlite3.connect(path) as conn:
        runs = [r[0] for r in conn.execute("SELECT status FROM crawl_runs ORDER BY id")]
    assert runs[0] == "interrupted" and len(runs) == 2 and runs[1] != "running"
