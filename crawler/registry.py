"""The site registry: data/sites/*.yaml plus user files, validated on load with file:entry: errors."""
from __future__ import annotations

import importlib
import re
from datetime import date
from pathlib import Path
from typing import NoReturn
from urllib.parse import urlsplit

import yaml

from crawler import strategies
from parsers.meta import gazetteer

SITES_DIR = Path(__file__).resolve().parent.parent / "data" / "sites"
_ID = re.compile(r"^[a-z0-9][a-z0-9-]{1,80}$")
_CODE = re.compile(r"^\d{6}$")
_DOMAIN = re.compile(r"^[A-Za-z0-9.-]+$")
_KEYS = {"id", "name", "region", "start_urls", "allowed_domains", "render", "enabled", "settings",
         "robots_obey", "tls_verify", "notes", "strategy", "spider", "checked_at", "check_result"}
_SPIDER = re.compile(r"^[A-Za-z_][\w.]*:[A-Za-z_]\w*$")
DEFAULT_SPIDER = "crawler.spiders.reports:ReportsSpider"


def division(code: str) -> tuple[str | None, str | None, str | None] | None:
    """(province, city, county) of a 6-digit code in the gazetteer (parsers.meta), or None; a
    municipality's district has no city."""
    names = gazetteer().names
    if code not in names:
        return None
    province = names.get(code[:2] + "0000")
    if code.endswith("0000"):
        return province, None, None
    if code.endswith("00"):
        return province, names[code], None
    return province, names.get(code[:4] + "00"), names[code]


def code_problem(region: dict) -> str | None:
    """Why region.code does not belong to the region's names in the gazetteer, or None."""
    known = division(region["code"])
    if known is None:
        return f"region.code {region['code']} is not in the gazetteer"
    province, city, county = known
    names = (region.get("province"), region.get("city"), region.get("county"))
    deepest = next(n for n in (county, city, province) if n)
    wanted = next(n for n in names[::-1] if n)
    if province != names[0] or deepest != wanted or (county and city and names[1] and city != names[1]):
        return f"region.code {region['code']} is {''.join(n for n in known if n)}, not {''.join(n for n in names if n)}"
    return None


class RegistryError(ValueError):
    """A registry file or entry that cannot be used; the message starts with file:entry:."""


def host_allowed(host: str, domains: list[str]) -> bool:
    """The host is one of the domains or below one of them."""
    return any(host == d or host.endswith("." + d) for d in domains)


def url_allowed(url: str, domains: list[str]) -> bool:
    """An http(s) URL on one of the site's domains (the one test for "inside the site")."""
    parts = urlsplit(url)
    return parts.scheme in ("http", "https") and host_allowed(parts.hostname or "", domains)


def validate_entry(entry, where: str = "<entry>") -> dict:
    """Check one entry and return it with defaults filled in; raise RegistryError otherwise."""
    def fail(msg: str) -> NoReturn:
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
    if (not isinstance(domains, list) or not domains
            or not all(isinstance(d, str) and _DOMAIN.match(d) for d in domains)):
        fail("allowed_domains must be a non-empty list of host names (no scheme, no port)")
    for url in urls:
        parts = urlsplit(url) if isinstance(url, str) else None
        if not parts or parts.scheme not in ("http", "https") or not parts.hostname:
            fail(f"start URL {url!r} is not an http(s) URL")
        if not host_allowed(parts.hostname, domains):
            fail(f"start URL {url!r} is outside allowed_domains {domains}")
    for key, default in (("render", False), ("enabled", True), ("robots_obey", True), ("tls_verify", True)):
        if not isinstance(entry.get(key, default), bool):
            fail(f"{key} must be true or false")
    if not isinstance(entry.get("settings", {}), dict):
        fail("settings must be a mapping of Scrapy settings")
    if entry.get("strategy") is not None and entry["strategy"] not in strategies.STRATEGIES:
        fail(f"strategy {entry['strategy']!r} is not one of {sorted(strategies.STRATEGIES)}")
    if entry.get("spider") is not None and not (isinstance(entry["spider"], str) and _SPIDER.match(entry["spider"])):
        fail(f"spider {entry['spider']!r} must be module:Class (a subclass of {DEFAULT_SPIDER})")
    checked = entry.get("checked_at")
    if checked is not None and not isinstance(checked, (str, date)):
        fail("checked_at must be a date (YYYY-MM-DD) or a timestamp")
    if entry.get("check_result") is not None and not isinstance(entry["check_result"], str):
        fail("check_result must be a short text (what `nianbao sites check` found)")
    return {"render": False, "enabled": True, "robots_obey": True, "tls_verify": True, "settings": {},
            "strategy": None, "spider": None, "check_result": None,
            **entry, "checked_at": str(checked) if checked is not None else None,
            "region": {"city": None, "county": None, **region}}


def spider_class(site: dict):
    """The spider class for a site: its `spider: module:Class`, else the generic reports spider."""
    module, _, name = (site.get("spider") or DEFAULT_SPIDER).partition(":")
    return getattr(importlib.import_module(module), name)


# libyaml's safe loader where PyYAML has it (ten times the pure-Python one's speed on the shipped registry)
_YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def load_file(path) -> list[dict]:
    """All entries of one YAML file, validated."""
    path = Path(path)
    try:
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=_YAML_LOADER)
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
    seen: dict[str, Path] = {}
    sites: list[dict] = []
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
