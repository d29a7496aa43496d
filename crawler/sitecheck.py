"""`nianbao sites check`: walk a portal's listing pages only (politely, bounded), report the 年报
column(s), the CMS strategy, report links per year, encoding, robots and TLS state, whether the listing
needs rendering, and a registry entry ready to paste."""
from __future__ import annotations

import collections
import json
import re
import tempfile
from pathlib import Path
from urllib.parse import urlsplit

import scrapy
import yaml

from crawler import discover, registry, strategies
from crawler.classify import is_column_title, is_listing_url, norm
from crawler.encoding import fix_encoding
from crawler.run import crawl
from crawler.spiders.reports import ReportsSpider
from parsers.meta import gazetteer

CHECK_SETTINGS = {"ITEM_PIPELINES": {}, "EXTENSIONS": {}, "CLOSESPIDER_PAGECOUNT": 300, "CLOSESPIDER_TIMEOUT": 600,
                  "RETRY_TIMES": 1}
_YEAR = re.compile(r"((?:19|20)\d{2})\s*年")
_NAME_TAIL = re.compile(r"(门户网站|政府网站|官方网站|网站|首页|主页)$")
_SPLIT = re.compile(r"\s*[_|｜\-—–·:：]\s*")


class CheckSpider(ReportsSpider):
    """The reports spider in look-only mode: listing pages are walked, report links are counted and
    not downloaded (a link shaped like a listing is fetched, in case it is a folder titled like a report)."""

    name = "sitecheck"

    def __init__(self, site=None, **kwargs):
        super(ReportsSpider, self).__init__(**kwargs)
        self.site = {"render": False, "robots_obey": True, "tls_verify": True, "settings": {}, "strategy": None,
                     "region": {}, **site}
        self.site_id = self.site["id"]
        self.allowed_domains = list(self.site["allowed_domains"])
        self.start_urls = list(self.site["start_urls"])
        self.found: dict[str, dict] = {}
        self.listings: list[dict] = []
        self.titles: list[str] = []

    def _document(self, url, callback, **meta):
        if callback == self.parse_report:
            self.found.setdefault(url, {"title": meta.get("nb_title"), "listing": meta.get("nb_listing"),
                                        "root": meta.get("nb_root")})
            if not (is_listing_url(url) or is_column_title(meta.get("nb_title"))):
                return None
            return super()._document(url, callback, **meta)
        return None  # attachments are not fetched

    def _is_listing(self, response) -> bool:
        listing = super()._is_listing(response)
        if listing:
            self.found.pop(response.url, None)
        return listing

    def parse_report(self, response):
        for out in super().parse_report(response):
            if isinstance(out, scrapy.Request):  # the listings of a folder titled like a report
                yield out

    def parse_listing(self, response):
        text = fix_encoding(response)
        html = hasattr(text, "selector") and text.selector.type == "html"
        if html and text.meta.get("nb_depth", 0) == 0:
            title = text.xpath("//title/text()").get()
            if title:
                self.titles.append(title)
        name = response.meta.get("nb_strategy") or self.site.get("strategy") or (
            strategies.sniff(text) if hasattr(text, "text") else "paging")
        self.listings.append({"url": response.url, "strategy": name, "root": response.meta.get("nb_root"),
                              "api": bool(response.meta.get("nb_strategy")),
                              "encoding": getattr(text, "encoding", None), "status": response.status,
                              "scripts": len(re.findall(rb"<script", response.body[:200000], re.I))})
        yield from super().parse_listing(response)

    def closed(self, reason):
        self.crawler.stats.set_value("nianbao/check", json.dumps(
            {"found": self.found, "listings": self.listings, "titles": self.titles}, ensure_ascii=False))


def site_for(url: str) -> dict:
    """A provisional registry entry for a URL (home page or column)."""
    host = urlsplit(url).hostname or ""
    domain = re.sub(r"^(www|m|wap)\.", "", host)
    slug = re.sub(r"[^a-z0-9]+", "-", re.sub(r"\.gov\.cn$", "", domain).lower()).strip("-") or "site"
    home = f"{urlsplit(url).scheme}://{urlsplit(url).netloc}/"
    starts = [url] if discover.is_home(url) else [url, home]  # the home page names the portal
    return {"id": slug[:60], "name": host, "start_urls": starts, "allowed_domains": [domain],
            "spider": "crawler.sitecheck:CheckSpider"}


def portal_name(titles: list[str]) -> str | None:
    """The portal's own name from its page titles: the part naming a government or an agency."""
    for title in titles:
        for part in _SPLIT.split(norm(title)):
            part = _NAME_TAIL.sub("", part)
            if re.search(r"(政府|局|委员会|委|办公室|办事处|厅|中心)$", part):
                return part
    return None


def region_for(name: str | None) -> tuple[dict | None, str | None]:
    """(region, note) from the gazetteer: the deepest place whose name the portal's name contains."""
    if not name:
        return None, "no portal name: fill region by hand"
    best = []
    for code in gazetteer().names:
        province, city, county = registry.division(code) or (None, None, None)
        deepest = county or city or province
        if deepest is None:
            continue
        short = re.sub(r"(省|市|自治区|壮族自治区|回族自治区|维吾尔自治区|特别行政区)$", "", deepest)
        if deepest in name or (len(short) >= 2 and name.startswith(short)):
            best.append((len(deepest) if deepest in name else len(short), code, province, city, county))
    if not best:
        return None, f"no gazetteer place in {name!r}: fill region by hand"
    top = max(b[0] for b in best)
    tops = [b for b in best if b[0] == top]
    tops.sort(key=lambda b: (b[4] is None, b[3] is None))  # the deepest level first
    _, code, province, city, county = tops[0]
    note = None if len(tops) == 1 else f"ambiguous: also {', '.join(t[1] for t in tops[1:4])}"
    return {"province": province, "city": city, "county": county, "code": code}, note


def summarise(url: str, stats: dict, errors: list[dict]) -> dict:
    """The check result for one URL from the check spider's stats and the error events."""
    data = json.loads(stats.get("nianbao/check") or "{}")
    found, listings = data.get("found", {}), data.get("listings", [])
    by_listing = collections.Counter(f["listing"] for f in found.values())
    roots = {lst["root"] for lst in listings if by_listing.get(lst["url"])}
    columns: list[dict[str, str]] = []  # per root holding reports: its first page that is not an API reply
    for lst in listings:
        if lst["root"] in roots and not lst["api"] and lst["root"] not in [c["root"] for c in columns]:
            columns.append({"url": lst["url"], "root": lst["root"]})
    with_reports = [lst for lst in listings if lst["root"] in roots]
    strategy_counts = collections.Counter(lst["strategy"] for lst in with_reports)
    strategy = next((s for s, _ in strategy_counts.most_common() if s != "paging"), None) or (
        "paging" if strategy_counts else None)
    years: collections.Counter[str] = collections.Counter()
    for f in found.values():
        m = _YEAR.search(norm(f["title"]))
        years[m.group(1) if m else "?"] += 1
    parts = urlsplit(url)
    tls_errors = [e for e in errors if re.search(r"SSL|TLS|certificate", e.get("error") or "", re.I)]
    robots = stats.get("robotstxt/forbidden", 0)
    name = portal_name(data.get("titles", []))
    region, note = region_for(name)
    entry = site_for(url)
    entry.pop("spider")
    entry["name"] = name or entry["name"]
    if region:
        entry["region"] = region
    starts = [c["url"] for c in columns[:3]]
    entry["start_urls"] = list(dict.fromkeys(starts + [url]))
    needs_render = not found and any(lst["scripts"] for lst in listings)
    if needs_render:
        entry["render"] = True
    result = "ok" if found else "no report links found"
    entry["check_result"] = f"{result}: {len(columns)} column(s), {len(found)} report link(s), strategy {strategy}"
    return {
        "url": url, "columns": columns, "strategy": strategy, "reports": len(found),
        "years": dict(sorted(years.items())), "listings": len(listings),
        "encodings": sorted({lst["encoding"] for lst in listings if lst["encoding"]}),
        "robots": f"{robots} request(s) refused by robots.txt" if robots else "allowed",
        "tls": (("error: " + tls_errors[0]["error"] if tls_errors else "ok") if parts.scheme == "https"
                else "plain http"),
        "needs_render": needs_render, "errors": errors[:10], "region_note": note, "entry": entry,
        "ok": bool(found),
    }


def check(urls: list[str], *, settings: dict | None = None, data_dir=None,
          sites: list[dict] | None = None) -> list[dict]:
    """Check each URL (or each registry entry in `sites`) in one crawl; a result dict per URL."""
    entries = [{**site_for(s["start_urls"][0]), **{k: s[k] for k in ("id", "start_urls", "allowed_domains")},
                "robots_obey": s.get("robots_obey", True), "tls_verify": s.get("tls_verify", True),
                "render": s.get("render", False), "strategy": s.get("strategy"), "settings": s.get("settings", {})}
               for s in sites] if sites else [site_for(u) for u in urls]
    seen: collections.Counter[str] = collections.Counter()
    for e in entries:  # two URLs of one host: distinct ids for the run
        seen[e["id"]] += 1
        if seen[e["id"]] > 1:
            e["id"] = f"{e['id']}-{seen[e['id']]}"
    errors: dict[str, list] = collections.defaultdict(list)

    def on_event(event):
        if event.get("event") == "error":
            errors[event["site"]].append({"url": event.get("url"), "error": event.get("error")})

    with tempfile.TemporaryDirectory(prefix="nianbao-check-") as tmp:
        d = Path(data_dir or tmp)
        summary = crawl(entries, db_url="sqlite://", data_dir=d, concurrency=8,
                        settings={**CHECK_SETTINGS, **(settings or {})}, on_event=on_event)
        out = []
        for e in entries:
            path = d / "runs" / summary["run_id"] / f"{e['id']}.stats.json"
            stats = json.loads(path.read_text()) if path.exists() else {}
            result = summarise(e["start_urls"][0], stats, errors[e["id"]])
            if sites:
                result["entry"]["id"] = e["id"]
            out.append(result)
        return out


def entry_yaml(entry: dict) -> str:
    """The registry entry as YAML, ready to paste into data/sites/<province>.yaml."""
    return yaml.safe_dump([entry], allow_unicode=True, sort_keys=False, default_flow_style=None, width=120)


def report_text(result: dict) -> str:
    """The human-readable report of one check."""
    lines = [f"{result['url']}",
             f"  年报 column(s): {', '.join(c['url'] for c in result['columns']) or 'none found'}",
             f"  strategy: {result['strategy'] or '-'}    listings read: {result['listings']}",
             f"  report links: {result['reports']}  per year: "
             + (", ".join(f"{y}:{n}" for y, n in result["years"].items()) or "-"),
             (f"  encoding: {', '.join(result['encodings']) or '-'}    robots: {result['robots']}"
              f"    TLS: {result['tls']}"),
             f"  needs rendering: {'yes (no report link without JavaScript)' if result['needs_render'] else 'no'}"]
    if result["region_note"]:
        lines.append(f"  note: {result['region_note']}")
    for e in result["errors"][:5]:
        lines.append(f"  error: {e['url']}: {e['error']}")
    lines.append("  registry entry:")
    lines.extend("    " + line for line in entry_yaml(result["entry"]).splitlines())
    return "\n".join(lines)


def record(results: list[dict], *, when: str, files=None) -> list[str]:
    """Write checked_at/check_result into the registry files for each result's entry id; the ids written."""
    written = []
    for path in files or sorted(registry.SITES_DIR.glob("*.yaml")):
        path = Path(path)
        text = new = path.read_text(encoding="utf-8")
        for r in results:
            updated = _set_fields(new, r["entry"]["id"],
                                  {"checked_at": when, "check_result": r["entry"]["check_result"]})
            if updated != new:
                written.append(r["entry"]["id"])
            new = updated
        if new != text:
            path.write_text(new, encoding="utf-8")
    return written


def _set_fields(text: str, site_id: str, fields: dict) -> str:
    """Set top-level keys of one entry (the "- …" block whose id is site_id) in registry YAML text,
    keeping everything else (comments, order, quoting) as it is."""
    blocks = re.split(r"(?m)^(?=- )", text)
    own = re.compile(rf"""^(?:- |  )id: ['"]?{re.escape(site_id)}['"]?[ \t]*$""", re.M)
    for i, block in enumerate(blocks):
        if not block.startswith("- ") or not own.search(block):
            continue
        for key, value in fields.items():
            line = f"  {key}: {json.dumps(value, ensure_ascii=False)}\n"
            block, n = re.subn(rf"(?m)^  {key}:.*\n?", line, block)
            if not n:
                body = block.rstrip("\n")
                block = body + "\n" + line + block[len(body) + 1:]
        blocks[i] = block
    return "".join(blocks)
