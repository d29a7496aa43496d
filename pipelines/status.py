"""`nianbao status`: the last crawl runs and each site's health, from the dataset."""
from __future__ import annotations

import sys

from sqlalchemy import func, select
from sqlalchemy.exc import DBAPIError

from pipelines.db import DatabaseError, one_line, open_db
from pipelines.db.models import CrawlRun, SiteRun

RUNS = 10


def _fmt(v) -> str:
    return "-" if v is None else str(v)


def report(engine) -> str:
    lines = []
    with engine.connect() as conn:
        runs = conn.execute(select(CrawlRun).order_by(CrawlRun.id.desc()).limit(RUNS)).all()
        lines.append("Last runs:" if runs else "No crawl runs recorded yet.")
        for r in runs:
            n = conn.execute(select(func.count()).select_from(SiteRun).where(SiteRun.run_id == r.id)).scalar()
            lines.append(f"  run {r.id}  {r.started_at} → {_fmt(r.finished_at)}  {r.status}  {n} sites")
        latest = select(SiteRun.site, func.max(SiteRun.id).label("id")).group_by(SiteRun.site).subquery()
        sites = conn.execute(select(SiteRun).join(latest, latest.c.id == SiteRun.id).order_by(SiteRun.site)).all()
        last_ok = dict(conn.execute(select(SiteRun.site, func.max(SiteRun.finished_at))
                                    .where(SiteRun.status == "ok").group_by(SiteRun.site)).all())
    if sites:
        lines.append("")
        lines.append("Sites (latest run):")
        header = ("site", "status", "pages", "docs", "new", "errors", "secs", "finish", "last ok")
        table = [header] + [(s.site, s.status, s.pages, s.documents, s.new_reports, s.errors,
                             _fmt(s.duration_s), _fmt(s.finish_reason), _fmt(last_ok.get(s.site)))
                            for s in sites]
        widths = [max(len(str(row[i])) for row in table) for i in range(len(header))]
        for row in table:
            lines.append("  " + "  ".join(str(v).ljust(w) for v, w in zip(row, widths)).rstrip())
    return "\n".join(lines)


def run(args) -> int:
    try:
        engine = open_db(args.db)
        print(report(engine))
    except (DatabaseError, DBAPIError) as e:
        print(f"nianbao status: {one_line(e)}", file=sys.stderr)
        return 2
    engine.dispose()
    return 0
