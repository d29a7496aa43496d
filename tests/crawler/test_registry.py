"""The site registry: shipped entries load and are consistent; bad entries fail with file:entry: messages."""
from unittest.mock import patch

import pytest

from crawler.registry import SITES_DIR, RegistryError, load_file, load_sites

GOOD = """- id: t-site
  name: 测试市人民政府
  region: {province: 湖南省, city: 衡阳市, county: null, code: "430400"}
  start_urls: ["http://www.hy.gov.cn/zwgk/zfxxgknb/"]
  allowed_domains: [hy.gov.cn]
"""


def write(tmp_path, text):
    p = tmp_path / "s.yaml"
    p.write_text(text, encoding="utf-8")
    return p


def test_a_good_entry_gets_defaults(tmp_path):
    (site,) = load_file(write(tmp_path, GOOD))
    assert site["render"] is False and site["enabled"] is True and site["robots_obey"] is True
    assert site["tls_verify"] is True and site["settings"] == {}


@pytest.mark.parametrize("change,message", [
    (("code: \"430400\"", "code: 430400"), "6-digit"),
    (("code: \"430400\"", "code: \"43040\""), "6-digit"),
    (("id: t-site", "id: T Site"), "slug"),
    (("allowed_domains: [hy.gov.cn]", "allowed_domains: [other.gov.cn]"), "outside allowed_domains"),
    (("start_urls: [\"http://www.hy.gov.cn/zwgk/zfxxgknb/\"]", "start_urls: [\"ftp://x\"]"), "http(s)"),
    (("  allowed_domains", "  colour: red\n  allowed_domains"), "unknown key"),
    (("region: {province: 湖南省, ", "region: {"), "province"),
])
def test_bad_entries_name_file_and_entry(tmp_path, change, message):
    path = write(tmp_path, GOOD.replace(*change))
    with pytest.raises(RegistryError) as e:
        load_file(path)
    assert str(e.value).startswith(f"{path}:") and message in str(e.value)


def test_not_yaml_and_not_a_list(tmp_path):
    with pytest.raises(RegistryError, match="not valid YAML"):
        load_file(write(tmp_path, "- id: [unclosed"))
    with pytest.raises(RegistryError, match="list of site entries"):
        load_file(write(tmp_path, "id: x"))


def test_duplicate_ids_across_files(tmp_path):
    a = write(tmp_path, GOOD)
    b = tmp_path / "b.yaml"
    b.write_text(GOOD, encoding="utf-8")
    with pytest.raises(RegistryError, match="duplicate id"):
        load_sites([a, b], shipped=False)


def test_shipped_registry_loads_with_unique_ids_and_gov_hosts():
    sites = load_sites()
    assert len(sites) >= 40
    assert len({s["id"] for s in sites}) == len(sites)
    for s in sites:
        for d in s["allowed_domains"]:
            assert d.endswith(".gov.cn") or d.replace(".", "").isdigit(), (s["id"], d)


def test_codes_are_checked_against_the_gazetteer(tmp_path):
    for wrong in ('code: "430401"', 'code: "430600"', 'code: "371003"'):
        with pytest.raises(RegistryError, match="region.code"):
            load_file(write(tmp_path, GOOD.replace('code: "430400"', wrong)))
    district = GOOD.replace("county: null, code: \"430400\"", "county: 衡南县, code: \"430422\"")
    assert load_file(write(tmp_path, district))[0]["region"]["county"] == "衡南县"


def test_shipped_codes_agree_with_cpca_where_it_knows_the_place():
    """A second gazetteer (cpca, older data) gives the same codes wherever it resolves the full name."""
    import cpca

    sites = load_sites()
    names = [(s["region"]["province"] or "") + (s["region"]["city"] or "") + (s["region"]["county"] or "")
             for s in sites]
    df = cpca.transform(names)
    checked = 0
    for s, (_, row) in zip(sites, df.iterrows(), strict=True):
        deepest = s["region"]["county"] or s["region"]["city"]
        if deepest and deepest not in (row["区"], row["市"]):
            continue  # renamed or new since cpca's data (e.g. 梁平县 became 梁平区)
        assert row["adcode"] == s["region"]["code"], s["id"]
        checked += 1
    assert checked >= len(sites) - 5


def test_user_file_adds_to_the_shipped_registry(tmp_path):
    ids = {s["id"] for s in load_sites([write(tmp_path, GOOD)])}
    assert "t-site" in ids and len(ids) > 1
    assert SITES_DIR.is_dir()


def test_the_shipped_files_read_the_same_with_the_pure_python_loader():
    """load_file reads with libyaml where PyYAML has it: it gives what the pure-Python loader gives."""
    import yaml

    from crawler import registry

    paths = sorted(SITES_DIR.glob("*.yaml"))
    assert registry._YAML_LOADER is yaml.CSafeLoader
    fast = [load_file(p) for p in paths]
    with patch.object(registry, "_YAML_LOADER", yaml.SafeLoader):
        assert [load_file(p) for p in paths] == fast
