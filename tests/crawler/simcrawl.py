"""Crawl opt-in simulated families with the real spider and collect items, stats and the server log."""
import json

from crawler.run import crawl
from nianbao.simulator import start_network

FAST = {"ITEM_PIPELINES": {"tests.crawler.collect.CollectPipeline": 100}, "EXTENSIONS": {},
        "DOWNLOAD_DELAY": 0, "AUTOTHROTTLE_ENABLED": False, "CONCURRENT_REQUESTS_PER_DOMAIN": 4}


def crawl_sites(sites, d, **settings) -> tuple[dict, list[dict], dict]:
    """(summary, item rows, {site id: closing stats}) of a crawl of the registry entries `sites`."""
    items = d / "items.jsonl"
    summary = crawl(sites, db_url="sqlite://", data_dir=d, concurrency=4,
                    settings={**FAST, "NIANBAO_TEST_ITEMS": str(items), **settings})
    rows = [json.loads(line) for line in items.read_text(encoding="utf-8").splitlines()] if items.exists() else []
    stats = {sid: json.loads((d / "runs" / summary["run_id"] / f"{sid}.stats.json").read_text())
             for sid in summary["sites"]}
    return summary, rows, stats


def crawl_families(families, d, **settings):
    """Start the simulated network with these families, crawl it; (net, summary, rows, stats). Caller stops net."""
    net = start_network(seed=0, families=families)
    try:
        return (net, *crawl_sites(net.sites, d, **settings))
    except BaseException:
        net.stop()
        raise


def docs(rows, site=None):
    return [r for r in rows if r["type"] == "DocumentItem" and (site is None or r["site"] == site)]
