"""`nianbao sites …`: the site registry."""
from __future__ import annotations

import json
import sys
from datetime import date

import click
from sqlalchemy.exc import DBAPIError

from crawler import sitecheck
from crawler.registry import SITES_DIR, RegistryError, load_sites
from nianbao.commands.options import db_option, format_option
from nianbao.commands.output import emit
from pipelines.db import DatabaseError, open_dataset_readonly
from pipelines.status import last_site_states

COLUMNS = ["id", "name", "enabled", "province", "city", "county", "render", "start_url", "checked_at",
           "last_crawl"]


@click.group("sites")
def command():
    """The registry of portals to crawl (data/sites/*.yaml plus --sites files)."""


@command.command("list")
@click.option("--sites", "sites", multiple=True, metavar="FILE", help="An extra registry file; repeatable.")
@click.option("--enabled", is_flag=True, help="Only the sites that `nianbao crawl` crawls by default.")
@db_option
@format_option()
def list_(sites, enabled, db, format_) -> int:
    """List the site ids with their names, regions, last check and last crawl state."""
    try:
        entries = load_sites(list(sites))
    except RegistryError as e:
        print(f"nianbao sites list: {e}", file=sys.stderr)
        return 2
    states = _crawl_states(db)
    rows = [{"id": s["id"], "name": s.get("name"), "enabled": s["enabled"], **{k: s["region"].get(k) for k in
            ("province", "city", "county")}, "render": s["render"], "start_url": (s.get("start_urls") or [None])[0],
             "checked_at": s.get("checked_at") or "never",
             "last_crawl": " ".join(v for v in states.get(s["id"], ("never",)) if v)}
            for s in entries if s["enabled"] or not enabled]
    emit(COLUMNS, rows, format_)
    return 0


def _crawl_states(db: str) -> dict:
    """Each site's latest crawl state from the dataset; none when there is no dataset yet."""
    try:
        engine = open_dataset_readonly(db)
    except (DatabaseError, DBAPIError):
        return {}
    try:
        return last_site_states(engine)
    except DBAPIError:
        return {}
    finally:
        engine.dispose()


@command.command("check")
@click.argument("urls", nargs=-1, metavar="[URL]...")
@click.option("--registry", "from_registry", is_flag=True,
              help="Check every enabled registry entry (only the --sites files' entries when given) and write "
                   "checked_at/check_result into its file.")
@click.option("--sites", "sites", multiple=True, metavar="FILE", help="An extra registry file; repeatable.")
@click.option("--delay", type=click.FloatRange(min=0), default=None, metavar="SECONDS",
              help="Seconds between requests to one host (default: the crawler's polite delay).")
@format_option(choices=("table", "json"))
def check(urls, from_registry, sites, delay, format_) -> int:
    """Walk a portal's listings only (a home page or a column URL): the 年报 column, CMS strategy, report
    links per year, encoding, robots, TLS, rendering, and a registry entry ready to paste."""
    if bool(urls) == from_registry:
        print("nianbao sites check: give URL(s) or --registry", file=sys.stderr)
        return 2
    settings = {} if delay is None else {"DOWNLOAD_DELAY": delay, "AUTOTHROTTLE_START_DELAY": delay}
    entries = None
    if from_registry:
        try:
            # as for `crawl`: with --sites files, only their entries (not also the shipped real portals)
            entries = [s for s in load_sites(list(sites), shipped=not sites) if s["enabled"]]
        except RegistryError as e:
            print(f"nianbao sites check: {e}", file=sys.stderr)
            return 2
    results = sitecheck.check(list(urls), settings=settings, sites=entries)
    if format_ == "json":
        print(json.dumps(results, ensure_ascii=False, indent=1, default=str))
    else:
        print("\n\n".join(sitecheck.report_text(r) for r in results))
    if from_registry:
        files = list(sites) or sorted(SITES_DIR.glob("*.yaml"))
        written = sitecheck.record(results, when=date.today().isoformat(), files=files)
        print(f"recorded the check of {len(written)} entr{'y' if len(written) == 1 else 'ies'}", file=sys.stderr)
    return 0 if all(r["ok"] for r in results) else 1
