"""`sites check` on simulated portals: the right column, strategy and counts, and a registry entry that,
saved and crawled, finds every report of the site; writing check results into registry YAML."""
import collections
import json
import re

import pytest
import yaml

from crawler import registry, sitecheck
from crawler.sitecheck import _set_fields, check, entry_yaml, region_for, report_text
from nianbao.cli import main
from nianbao.simulator import start_network
from nianbao.simulator.network import OPT_IN
from tests.crawler.simcrawl import crawl_sites, docs

# family -> (strategy, path of the 年报 column page)
FAMILIES = {"yearfolders": ("paging", "/zfxxgk/zfxxgknb/index.html"),
            "trs_dongjing": ("trsapi", "/zwgk/zfxxgkzl/gkndbg/"),
            "truecms": ("truecms", "/rgsrmzf/gknb/index.html"),
            "jpaas": ("jpaas", "/col/col1229134232/index.html"),
            "epoint": ("epoint", "/govInfoPub/xxgkzn.html?deptcode=11411000MB1957230X&categorynum=003001005"),
            "xxgk": ("xxgk", "/col/col168496/index.html")}
FAST = {"DOWNLOAD_DELAY": 0, "AUTOTHROTTLE_ENABLED": False}


@pytest.fixture(scope="module")
def checked(tmp_path_factory):
    net = start_network(seed=0, families=list(FAMILIES))
    try:
        home = {s["id"]: s["start_urls"][0] for s in net.sites}
        results = check(list(home.values()), settings=FAST)
        yield net, dict(zip(home, results, strict=True)), tmp_path_factory.mktemp("sitecheck")
    finally:
        net.stop()


@pytest.mark.parametrize("family", sorted(FAMILIES))
def test_check_reports_column_strategy_and_counts(checked, family):
    net, results, d = checked
    sid = OPT_IN[family].SITE_ID
    r = results[sid]
    strategy, column = FAMILIES[family]
    assert r["strategy"] == strategy
    assert [c["url"] for c in r["columns"]] == [net.url(sid, column)]
    assert r["reports"] == len(net.expected[sid])
    titles = [s.title for site, s, paths in net.reports if site == sid]
    per_year = collections.Counter(re.search(r"(\d{4})年", t).group(1) for t in titles)
    assert r["years"] == dict(per_year)
    assert r["encodings"] == ["utf-8"] and r["tls"] == "plain http" and r["robots"] == "allowed"
    assert not r["needs_render"]
    text = report_text(r)
    assert net.url(sid, column) in text and strategy in text


def test_pasted_entries_validate_and_crawl_every_report(checked):
    net, results, d = checked
    entries = yaml.safe_load("".join(entry_yaml(r["entry"]) for r in results.values()))
    sites = []
    for entry, sid in zip(entries, results, strict=True):
        site = registry.validate_entry(entry, f"<{sid}>")
        sim = next(s for s in net.sites if s["id"] == sid)
        assert site["region"] == {**{"city": None, "county": None}, **sim["region"]}
        sites.append(site)
    summary, rows, stats = crawl_sites(sites, d)
    for site, sid in zip(sites, results, strict=True):
        assert {r["url"] for r in docs(rows, site["id"])} == net.expected[sid], sid
    assert {r["url"] for r in docs(rows)} & net.forbidden == set()


def test_no_column_no_entry_claims():
    region, note = region_for(None)
    assert region is None and "by hand" in note
    region, note = region_for("北京市人民政府")
    assert region == {"province": "北京市", "city": None, "county": None, "code": "110000"} and note is None


def test_check_results_are_written_into_the_entry_only():
    text = ("- id: a-site\n  name: 甲\n  allowed_domains: [a.gov.cn]\n\n"
            "- id: b-site\n  name: 乙\n  checked_at: \"2020-01-01\"\n")
    new = _set_fields(text, "b-site", {"checked_at": "2026-12-02", "check_result": "ok: 1 column(s)"})
    data = yaml.safe_load(new)
    assert data[0] == {"id": "a-site", "name": "甲", "allowed_domains": ["a.gov.cn"]}
    assert data[1] == {"id": "b-site", "name": "乙", "checked_at": "2026-12-02", "check_result": "ok: 1 column(s)"}
    assert _set_fields(text, "c-site", {"checked_at": "x"}) == text


def test_cli_check_url_and_registry(tmp_path, monkeypatch, capsys):
    empty = tmp_path / "shipped"
    empty.mkdir()
    monkeypatch.setattr(registry, "SITES_DIR", empty)  # the shipped registry lists real portals: not here
    with start_network(seed=0, families=["trs_dongjing"]) as net:
        site = net.sites[0]
        assert main(["sites", "check", site["start_urls"][0], "--delay", "0"]) == 0
        out = capsys.readouterr().out
        assert "strategy: trsapi" in out and "report links: 23" in out and "code: '350700'" in out
        reg = tmp_path / "mine.yaml"
        reg.write_text(yaml.safe_dump([{k: site[k] for k in ("id", "name", "region", "start_urls",
                                                               "allowed_domains")}], allow_unicode=True),
                       encoding="utf-8")
        assert main(["sites", "check", "--registry", "--sites", str(reg), "--delay", "0", "--format", "json"]) == 0
        (entry,) = yaml.safe_load(reg.read_text(encoding="utf-8"))
        assert entry["checked_at"] and entry["check_result"].startswith("ok: 1 column(s), 23 report link(s)")
        capsys.readouterr()
        assert main(["sites", "list", "--sites", str(reg), "--db", f"sqlite:///{tmp_path}/none.sqlite",
                     "--format", "json"]) == 0
        (row,) = json.loads(capsys.readouterr().out)
        assert row["id"] == site["id"] and row["checked_at"] == entry["checked_at"] and row["last_crawl"] == "never"


def test_check_from_a_column_url_names_the_portal_from_its_home_page(checked):
    net, results, d = checked
    wanted = {sid: net.url(sid, FAMILIES[fam][1]) for fam, sid in
              (("trs_dongjing", "sim-trs-dongjing"), ("yearfolders", "sim-yearfolders"))}
    for sid, r in zip(wanted, check(list(wanted.values()), settings=FAST), strict=True):
        sim = next(s for s in net.sites if s["id"] == sid)
        assert [c["url"] for c in r["columns"]] == [wanted[sid]]
        assert r["reports"] == len(net.expected[sid])
        assert r["entry"]["name"] == sim["name"] and r["entry"]["region"]["code"] == sim["region"]["code"]


def test_registry_check_with_sites_files_checks_only_their_entries(tmp_path, monkeypatch):
    """`sites check --registry --sites FILE` never reaches for the shipped registry's real portals."""
    shipped = tmp_path / "shipped"
    shipped.mkdir()
    entry = {"name": "衡阳市人民政府", "region": {"province": "湖南省", "city": "衡阳市", "county": None,
                                                 "code": "430400"}, "allowed_domains": ["127.0.0.1"]}
    (shipped / "real.yaml").write_text(yaml.safe_dump([{**entry, "id": "real-portal",
                                                         "start_urls": ["http://127.0.0.1:9/a/"]}],
                                                       allow_unicode=True), encoding="utf-8")
    mine = tmp_path / "mine.yaml"
    mine.write_text(yaml.safe_dump([{**entry, "id": "my-site", "start_urls": ["http://127.0.0.1:9/b/"]}],
                                   allow_unicode=True), encoding="utf-8")
    monkeypatch.setattr(registry, "SITES_DIR", shipped)
    seen = []
    monkeypatch.setattr(sitecheck, "check", lambda urls, settings, sites: seen.extend(sites) or [])
    assert main(["sites", "check", "--registry", "--sites", str(mine)]) == 0
    assert [s["id"] for s in seen] == ["my-site"]
