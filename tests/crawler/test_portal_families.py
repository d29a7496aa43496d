"""Portal designs crawled end to end on opt-in simulated sites: every report once, no listing stored
as a report, nothing fetched outside the site, the family's strategy used."""
import collections

import pytest

from tests.crawler.simcrawl import crawl_families, docs

# family -> (site id, the strategy its listings must be read with, or None)
FAMILIES = {"yearfolders": ("sim-yearfolders", None), "trs_dongjing": ("sim-trs-dongjing", "trsapi"),
            "truecms": ("sim-truecms", "truecms"), "jpaas": ("sim-jpaas", "jpaas"), "epoint": ("sim-epoint", "epoint"),
            "xxgk": ("sim-xxgk", "xxgk"), "gkmlpt": ("sim-xuwen", "gkmlpt")}


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    net, summary, rows, stats = crawl_families(list(FAMILIES), tmp_path_factory.mktemp("families"),
                                                 DOWNLOAD_MAXSIZE=20 * 1024 * 1024)
    try:
        yield net, summary, rows, stats
    finally:
        net.stop()


@pytest.mark.parametrize("family", sorted(FAMILIES))
def test_every_report_found_exactly_once(run, family):
    net, summary, rows, stats = run
    site, strategy = FAMILIES[family]
    assert summary["sites"][site]["finish_reason"] == "finished"
    got = collections.Counter(r["url"] for r in docs(rows, site))
    assert set(got) == net.expected[site]
    assert [u for u, n in got.items() if n > 1] == []
    if strategy:
        assert stats[site].get(f"nianbao/listing/{strategy}", 0) > 0


def test_no_listing_stored_and_nothing_outside_the_sites(run):
    net, summary, rows, stats = run
    stored = {r["url"] for r in docs(rows)} | {r["final_url"] for r in docs(rows)}
    assert stored & net.forbidden == set()
    hosts = {urlhost for s in net.sites for urlhost in s["allowed_domains"]}
    assert {host for host, *_ in net.log} <= hosts
    errors = {r["url"] for r in rows if r["type"] == "CrawlErrorItem"}
    assert errors == set(net.errors)  # only the failures the simulation plants


def test_no_callback_raised_on_any_site(run):
    net, summary, rows, stats = run  # e.g. xpath on a gkmlpt JSON page ("Selector of type 'json'")
    assert {site: st.get("spider_exceptions/count", 0) for site, st in stats.items()} == dict.fromkeys(stats, 0)


def test_year_folders_titled_like_reports_are_walked_as_listings(run):
    net, summary, rows, stats = run
    st = stats["sim-yearfolders"]
    assert st.get("nianbao/links/listing_titled_as_report", 0) >= 6  # 3 year folders + 3 department folders
