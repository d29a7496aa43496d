"""`nianbao status`: the morning screen. The last run (when, how long, exit code, new / changed /
unchanged documents, errors by kind), the sites whose health is not ok or changed since their previous
run (each with since when and why), and the overdue reports. Exit code 1 when a site turned failing or
blocked in the last run, so that cron mail can be conditional; 2 when the dataset cannot be read."""
from __future__ import annotations

from collections import Counter
from datetime import date

from sqlalchemy import func, select

from crawler.registry import RegistryError, load_sites
from pipelines import overdue, rawstore
from pipelines.db import open_dataset_readonly
from pipelines.db.models import CrawlRun, SiteRun

BAD = ("failing", "blocked")                 # turning into one of these makes the exit code 1
EXIT_CODES = {"ok": 0, "failed": 1, "interrupted": 130}   # as `nianbao crawl` exits (nianbao.commands.crawl)
_SUMMED = ("new_reports", "changed", "unchanged", "not_due", "downloads", "deferred", "reports_linked")


def collect(engine, *, today: date | None = None, sites=(), all_sites: bool = False) -> dict:
    """The status as data: {"run", "sites", "overdue", "turned_bad"} (see the module)."""
    today = today or date.today()
    with engine.connect() as conn:
        last = conn.execute(select(CrawlRun).order_by(CrawlRun.id.desc()).limit(1)).first()
        latest = select(SiteRun.site, func.max(SiteRun.id).label("id")).group_by(SiteRun.site).subquery()
        rows = conn.execute(select(SiteRun).join(latest, latest.c.id == SiteRun.id).order_by(SiteRun.site)).all()
        previous = {}
        for r in rows:
            previous[r.site] = conn.execute(select(SiteRun.status).where(
                SiteRun.site == r.site, SiteRun.id < r.id).order_by(SiteRun.id.desc()).limit(1)).scalar()
        in_run = conn.execute(select(SiteRun).where(SiteRun.run_id == last.id)).all() if last else []
    run = None
    if last is not None:
        totals: Counter[str] = Counter()
        kinds: Counter[str] = Counter()
        for r in in_run:
            totals.update({k: (r.counts or {}).get(k, 0) for k in _SUMMED})
            kinds.update((r.counts or {}).get("errors_by_kind") or {})
        run = {"id": last.id, "key": last.key, "started_at": last.started_at, "finished_at": last.finished_at,
               "seconds": (last.finished_at - last.started_at).total_seconds() if last.finished_at else None,
               "status": last.status, "exit_code": EXIT_CODES.get(last.status), "sites": len(in_run),
               **{k: totals[k] for k in _SUMMED}, "errors_by_kind": dict(kinds)}
    site_list = []
    for r in rows:
        turned = previous[r.site] != r.status
        if all_sites or r.status != "ok" or turned:
            site_list.append({"site": r.site, "state": r.status, "since": r.health_since, "previous": previous[r.site],
                              "reason": r.health_reason or (None if r.status == "ok" else r.finish_reason),
                              "run_id": r.run_id, "reports_linked": (r.counts or {}).get("reports_linked"),
                              "new_reports": r.new_reports, "errors": r.errors})
    turned_bad = [r.site for r in in_run if r.status in BAD and previous.get(r.site) != r.status]
    return {"run": run, "sites": site_list, "overdue": overdue.overdue(engine, today, sites),
            "turned_bad": sorted(set(turned_bad)), "today": today}


def exit_code(data: dict) -> int:
    """1 when a site turned failing or blocked in the last run, else 0."""
    return 1 if data["turned_bad"] else 0


def render(data: dict) -> str:
    run = data["run"]
    if run is None:
        lines = ["No crawl runs recorded yet."]
    else:
        took = "-" if run["seconds"] is None else f"{run['seconds']:.0f} s"
        code = "-" if run["exit_code"] is None else run["exit_code"]
        kinds = ", ".join(f"{k} {n}" for k, n in sorted(run["errors_by_kind"].items()) if n) or "none"
        lines = [(f"Last run: run {run['id']} ({run['key'] or 'single site'}), {run['started_at']} UTC, {took}, "
                  f"{run['status']} (exit code {code}), {run['sites']} sites"),
                 (f"  documents: {run['new_reports']} new reports, {run['changed']} changed, {run['unchanged']} "
                  f"unchanged, {run['not_due']} not due; {run['downloads']} full downloads; "
                  f"{run['deferred']} left for the next run"),
                 f"  errors by kind: {kinds}"]
    lines.append("")
    if data["sites"]:
        lines.append("Sites (not ok, or changed since their previous run):")
        for s in data["sites"]:
            was = f" (was {s['previous']})" if s["previous"] and s["previous"] != s["state"] else ""
            since = f" since {s['since']}" if s["since"] else ""
            lines.append(f"  {s['site']:28} {s['state']}{was}{since}" + (f": {s['reason']}" if s["reason"] else ""))
    elif run is not None:
        lines.append("Every site ok.")
    if data["overdue"]:
        lines += ["", f"Overdue reports for {data['today'].year - 1} ({len(data['overdue'])}):"]
        lines += [f"  {a['agency']:28} {a['kind']}, due {a['deadline']}" + (f"; last report {a['last_year']}"
                  if a["last_year"] else "") for a in data["overdue"]]
    if data["turned_bad"]:
        lines += ["", "Turned failing or blocked in the last run: " + ", ".join(data["turned_bad"])]
    return "\n".join(lines)


def report(engine, *, today: date | None = None, sites=(), all_sites: bool = False) -> str:
    """The status as text, with sources missing their raw file."""
    return "\n".join([render(collect(engine, today=today, sites=sites, all_sites=all_sites)),
                      *rawstore.missing_lines(engine)])


def registry_sites() -> list[dict]:
    """The shipped registry's sites (for the overdue governments); none when it cannot be read."""
    try:
        return load_sites()
    except RegistryError:
        return []


def read_status(*, db_url: str, today: date | None = None, all_sites: bool = False,
                missing: bool = False) -> tuple[dict, list[str]]:
    """Open the dataset at `db_url` read-only: (collect()'s status, judged against the shipped registry's
    sites; the lines on sources missing their raw file, when `missing`, else []). Raises DatabaseError
    (or DBAPIError) when the dataset cannot be read."""
    engine = open_dataset_readonly(db_url)
    try:
        data = collect(engine, today=today, sites=registry_sites(), all_sites=all_sites)
        return data, (rawstore.missing_lines(engine) if missing else [])
    finally:
        engine.dispose()


def last_site_states(engine) -> dict[str, tuple[str, str | None]]:
    """{site: (status, finished_at)} of each site's latest recorded run (for `nianbao sites list`)."""
    with engine.connect() as conn:
        latest = select(SiteRun.site, func.max(SiteRun.id).label("id")).group_by(SiteRun.site).subquery()
        rows = conn.execute(select(SiteRun).join(latest, latest.c.id == SiteRun.id)).all()
    return {r.site: (r.status, None if r.finished_at is None else str(r.finished_at)) for r in rows}
