"""Three render: true sites crawled in one engine process share one Chromium, each in its own context.

The simulated JS-only portal is entered three times under three site ids, two at a time (the third
starts after a site's crawler has closed its connection to the browser); a sampler thread watches the
engine's descendants for Chromium process trees.
"""
import collections
import json
import os
import signal
import subprocess
import sys
import threading

import psutil
import pytest

from crawler.run import crawl
from nianbao.simulator import start_network

SITES = 3


def browsers() -> set[int]:
    """The pids of the Chromium process trees below this process: a chromium process whose parent is not
    one (the launcher script's subshells, the zygotes and renderers all have a chromium parent)."""
    found = set()
    for p in psutil.Process(os.getpid()).children(recursive=True):
        try:
            if p.name() == "chromium" and p.parent().name() != "chromium":
                found.add(p.pid)
        except psutil.Error:
            continue
    return found


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    d = tmp_path_factory.mktemp("shared")
    items = d / "items.jsonl"
    seen: set[int] = set()
    done = threading.Event()

    def sample():
        while not done.wait(0.1):
            seen.update(browsers())

    with start_network(seed=0, families=["jsonly"]) as net:
        (base,) = net.sites
        sites = [{**base, "id": f"{base['id']}-{i}"} for i in range(SITES)]
        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        try:
            summary = crawl(sites, db_url="sqlite://", data_dir=d, concurrency=SITES - 1, processes=1, settings={
                "ITEM_PIPELINES": {"tests.crawler.collect.CollectPipeline": 100}, "EXTENSIONS": {},
                "NIANBAO_TEST_ITEMS": str(items), "DOWNLOAD_DELAY": 0, "AUTOTHROTTLE_ENABLED": False})
        finally:
            done.set()
            sampler.join()
        rows = [json.loads(line) for line in items.read_text(encoding="utf-8").splitlines()]
        stats = {s["id"]: json.loads((d / "runs" / summary["run_id"] / f"{s['id']}.stats.json").read_text())
                 for s in sites}
        yield net, base, sites, summary, rows, stats, seen


@pytest.mark.browser
def test_one_chromium_for_all_render_sites(run):
    net, base, sites, summary, rows, stats, seen = run
    assert len(seen) == 1, seen


@pytest.mark.browser
def test_the_browser_is_gone_after_the_run(run):
    net, base, sites, summary, rows, stats, seen = run
    assert [pid for pid in seen if psutil.pid_exists(pid)] == []


@pytest.mark.browser
def test_each_site_has_its_own_context_in_the_shared_browser(run):
    net, base, sites, summary, rows, stats, seen = run
    for s in sites:
        assert stats[s["id"]].get("playwright/context_count/remote/True") == 1, s["id"]
        assert "playwright/context_count/remote/False" not in stats[s["id"]], s["id"]


@pytest.mark.browser
def test_every_site_found_every_report(run):
    net, base, sites, summary, rows, stats, seen = run
    for s in sites:
        r = summary["sites"][s["id"]]
        assert r["returncode"] == 0 and r["finish_reason"] == "finished", (s["id"], r)
        got = collections.Counter(r["url"] for r in rows if r["type"] == "DocumentItem" and r["site"] == s["id"])
        assert set(got) == net.expected[base["id"]], s["id"]
        assert [u for u, n in got.items() if n > 1] == [], s["id"]


@pytest.mark.browser
def test_the_browser_dies_with_a_killed_engine(tmp_path):
    code = ("import sys, time; from pathlib import Path; from crawler import settings; "
            "from crawler.browser import SharedBrowser; "
            "b = SharedBrowser(settings.PLAYWRIGHT_LAUNCH_OPTIONS, Path(sys.argv[1])); b.endpoint(); "
            "print(b.proc.pid, flush=True); time.sleep(600)")
    engine = subprocess.Popen([sys.executable, "-c", code, str(tmp_path / "chromium.log")], stdout=subprocess.PIPE,
                              text=True, env={**os.environ, "TMPDIR": str(tmp_path)})   # its profile too
    try:
        browser = psutil.Process(int(engine.stdout.readline()))
        assert browser.is_running() and browser.name() == "chromium"
        engine.send_signal(signal.SIGKILL)
        engine.wait()
        gone, alive = psutil.wait_procs([browser], timeout=30)
        assert alive == []
    finally:
        engine.kill()
        engine.wait()
