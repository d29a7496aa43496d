"""Crawl the whole simulated portal network (nianbao.simulator) with the real spider, one process per site.

Asserts: every expected URL downloaded exactly once, nothing forbidden, no request to the off-site
mirror, every simulated failure recorded as an error item, each CMS strategy used on its own site,
the JS-only listing rendered with the system Chromium, and no browser for the other sites.
"""
import collections
import json

import pytest

from crawler.run import crawl
from nianbao.simulator import start_network

# site id -> the strategy its listings must be read with
STRATEGY = {"sim-hengyang": "trs", "sim-huichang": "trs", "sim-wendeng": "hanweb", "sim-xuwen": "gkmlpt",
            "sim-hengnan": "paging", "sim-hanyang": "paging"}


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    d = tmp_path_factory.mktemp("crawl")
    items = d / "items.jsonl"
    net = start_network(seed=0)
    try:
        summary = crawl(net.sites, db_url="sqlite://", data_dir=d, concurrency=3, settings={
            "ITEM_PIPELINES": {"tests.crawler.collect.CollectPipeline": 100}, "EXTENSIONS": {},
            "NIANBAO_TEST_ITEMS": str(items), "DOWNLOAD_DELAY": 0, "AUTOTHROTTLE_ENABLED": False,
            "CONCURRENT_REQUESTS_PER_DOMAIN": 4, "DOWNLOAD_MAXSIZE": 20 * 1024 * 1024})
        rows = [json.loads(line) for line in items.read_text(encoding="utf-8").splitlines()]
        stats = {sid: json.loads((d / "runs" / summary["run_id"] / f"{sid}.stats.json").read_text())
                 for sid in summary["sites"]}
        yield net, summary, rows, stats
    finally:
        net.stop()


def docs(rows, site=None):
    return [r for r in rows if r["type"] == "DocumentItem" and (site is None or r["site"] == site)]


def test_every_site_completed(run):
    net, summary, rows, stats = run
    assert set(summary["sites"]) == {s["id"] for s in net.sites}
    for sid, r in summary["sites"].items():
        assert r["returncode"] == 0 and r["finish_reason"] == "finished", (sid, r)


@pytest.mark.parametrize("site", sorted(STRATEGY))
def test_site_found_every_report_exactly_once(run, site):
    net, summary, rows, stats = run
    got = collections.Counter(r["url"] for r in docs(rows, site))
    assert set(got) == net.expected[site]
    assert [u for u, n in got.items() if n > 1] == []
    assert stats[site].get(f"nianbao/listing/{STRATEGY[site]}", 0) > 0


def test_nothing_forbidden_and_no_offsite_request(run):
    net, summary, rows, stats = run
    fetched = {r["url"] for r in docs(rows)} | {r["final_url"] for r in docs(rows)}
    assert fetched & net.forbidden == set()
    requested = {f"http://{host}:{net.port}{path}" for host, method, path, status in net.log}
    assert requested & net.forbidden == set()
    assert [e for e in net.log if e[0] in net.offsite_hosts] == []


def test_every_failure_is_recorded_as_an_error_item(run):
    net, summary, rows, stats = run
    errors = {r["url"]: r["error"] for r in rows if r["type"] == "CrawlErrorItem"}
    for url, kind in net.errors.items():
        assert url in errors, (kind, url)
    words = {"404": "HTTP 404", "redirect-loop": "redirect", "too-large": "max size", "challenge": "blocked"}
    for url, kind in net.errors.items():
        assert words[kind] in errors[url], (kind, errors[url])


def test_items_carry_metadata(run):
    net, summary, rows, stats = run
    pages = [r for r in docs(rows) if r["kind"] == "page"]
    attachments = [r for r in docs(rows) if r["kind"] == "attachment"]
    assert pages and attachments
    for r in pages:
        assert r["listing_title"] and r["listing_url"] and r["media_type"] == "text/html" and r["size"] > 0
    for r in attachments:
        assert r["media_type"] != "text/html" and r["filename"] and "/" not in r["filename"]
    assert {r["filename"] for r in attachments} >= {"x.pdf", "年报.pdf"}  # hostile and RFC 5987 names


@pytest.mark.browser
def test_render_site_used_chromium_and_others_did_not(run):
    net, summary, rows, stats = run
    render = {s["id"] for s in net.sites if s["render"]}
    assert render
    for sid, st in stats.items():
        used = any(k.startswith("playwright/") for k in st)
        assert used == (sid in render), sid
