"""`nianbao reparse`: run the parser again over the stored raw files and rebuild the reports, no crawl."""
from __future__ import annotations

import sys
from pathlib import Path

from sqlalchemy import delete, select, text, update
from sqlalchemy.exc import DBAPIError

from pipelines import dataset
from pipelines.db import DatabaseError, one_line, open_db, utcnow, writer
from pipelines.db.models import Agency, Cell, CheckResult, Report, Source
from pipelines.parse import parse_document


def reparse(engine, data_dir: str | Path) -> dict:
    """Re-parse every source with a raw file and place the results again, in one transaction.

    Reports keep their ids when the same agency, year and values come back. The site's region hint
    is not stored, so the region of the source's former agency stands in for it.
    """
    data_dir = Path(data_dir)
    version = dataset.parser_version()
    with engine.connect() as conn:
        srcs = conn.execute(
            select(Source.id, Source.url, Source.final_url, Source.path, Source.media_type, Source.listing_title,
                   Source.link_text, Agency.province, Agency.city, Agency.county, Agency.code)
            .outerjoin(Report, Report.id == Source.report_id).outerjoin(Agency, Agency.id == Report.agency_id)
            .order_by(Source.first_seen, Source.id)).all()
        old = conn.execute(select(Report.id, Report.agency_id, Report.year, Report.content_key,
                                  Report.created_at).order_by(Report.id)).all()

    results = []
    for s in srcs:
        path = data_dir / s.path if s.path else None
        try:
            body = path.read_bytes() if path else None
        except OSError as e:
            results.append((s, None, f"raw file unreadable: {e.strerror}"))
            continue
        if body is None:
            results.append((s, None, None))          # no raw file: the source keeps its report
            continue
        report, error = parse_document(body, media_type=s.media_type, url=s.final_url or s.url,
                                       title=s.listing_title or s.link_text)
        results.append((s, report, error))

    now = utcnow()
    counts = {"sources": 0, "parse_errors": 0}
    with writer(engine).begin() as conn:
        keep = {s.id for s, report, error in results if report is None and error is None}
        kept_reports = {r for (r,) in conn.execute(select(Source.report_id).where(Source.id.in_(keep)))}
        conn.execute(update(Source).where(Source.id.not_in(keep)).values(report_id=None))
        gone = select(Report.id).where(Report.id.not_in(kept_reports))
        conn.execute(update(Report).values(supersedes_id=None, superseded_by_id=None))
        conn.execute(delete(Cell).where(Cell.report_id.in_(gone)))
        conn.execute(delete(CheckResult).where(CheckResult.report_id.in_(gone)))
        conn.execute(delete(Report).where(Report.id.in_(gone)))
        reuse: dict = {}
        for r in old:
            if r.id not in kept_reports:
                reuse.setdefault((r.agency_id, r.year, r.content_key), []).append(r.id)
                reuse.setdefault((r.agency_id, r.year), []).append(r.id)
        for s, report, error in results:
            if report is None and error is None:
                continue
            counts["sources"] += 1
            if error:
                counts["parse_errors"] += 1
                conn.execute(update(Source).where(Source.id == s.id).values(parse_error=error, parser_version=version))
                continue
            hint = {"province": s.province, "city": s.city, "county": s.county, "code": s.code}
            report_id, _ = dataset.place(conn, s.id, report, (s.listing_title, s.link_text), hint, version, now,
                                         reuse)
            conn.execute(update(Source).where(Source.id == s.id).values(
                report_id=report_id, parse_error=None, parser_version=version))
        for r in old:                                # a report that keeps its id keeps its creation time
            conn.execute(update(Report).where(Report.id == r.id, Report.created_at != r.created_at)
                         .values(created_at=r.created_at))
        if conn.dialect.name == "postgresql":
            conn.execute(text("SELECT setval(pg_get_serial_sequence('reports', 'id'), "
                              "COALESCE((SELECT max(id) FROM reports), 0) + 1, false)"))
        counts["reports_before"] = len(old)
        counts["reports"] = conn.execute(select(Report.id)).all().__len__()
    return counts


def run(args) -> int:
    try:
        engine = open_db(args.db)
        counts = reparse(engine, args.data_dir)
    except (DatabaseError, DBAPIError) as e:
        print(f"nianbao reparse: {one_line(e)}", file=sys.stderr)
        return 2
    engine.dispose()
    print(f"reparsed {counts['sources']} sources: {counts['reports']} reports "
          f"(before: {counts['reports_before']}), {counts['parse_errors']} parse errors")
    return 0
