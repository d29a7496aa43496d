"""`nianbao reparse`: run the parser again over the stored raw files; say what changes, then apply it or not.

reparse(engine, data_dir, dry_run=…) returns the change as a structured diff: reports added,
removed, merged or split; cells whose value changes (old → new, with the report); check results
that flip; the parser versions before and after. An applied reparse is one transaction, recorded
in reparse_runs. A dry run computes the same diff and changes nothing: on SQLite it works on a copy
of the dataset, opened read-only; on Postgres in a transaction that is rolled back.
"""
from __future__ import annotations

import tempfile
from collections import Counter, defaultdict
from decimal import Decimal
from pathlib import Path

from sqlalchemy import delete, insert, select, text, update

from pipelines import dataset, rawstore
from pipelines.db import DatabaseError, open_dataset_readonly, open_db, utcnow, writer
from pipelines.db.engine import backup_sqlite
from pipelines.db.models import Agency, Cell, CheckResult, ReparseRun, Report, Source
from pipelines.parse import parse_document

MAX_UNREADABLE = 5      # more unreadable raw files than this: the raw store is not where it should be
RECORDED = 1000         # entries of each list kept in reparse_runs.summary
SHOWN = 200             # changed cells and flipped checks printed by the command


class ReparseError(DatabaseError):
    """The reparse cannot go ahead (raw files not found or unreadable); nothing was changed."""


def reparse(engine, data_dir: str | Path | None = None, *, dry_run: bool = False,
            max_unreadable: int = MAX_UNREADABLE) -> dict:
    """Re-parse every source with a raw file and place the results again; return the diff.

    data_dir: where the raw files are (None: where the dataset records them). A source whose raw
    file cannot be read keeps its report and is listed under "unreadable"; more than
    `max_unreadable` of them raise ReparseError before anything changes. Reports keep their ids when
    the same agency, year and values come back. The site's region hint is not stored, so the region
    of the source's former agency stands in for it.
    """
    root = rawstore.raw_dir(engine, data_dir)
    if not root.is_dir():
        how = "recorded in the dataset; give --data-dir if they moved" if data_dir is None else "--data-dir"
        raise ReparseError(f"raw files not found: no directory {root} ({how}); nothing changed")
    with engine.connect() as conn:
        srcs = conn.execute(
            select(Source.id, Source.url, Source.final_url, Source.path, Source.media_type, Source.listing_title,
                   Source.link_text, Source.parser_version, Agency.province, Agency.city, Agency.county,
                   Agency.code)
            .outerjoin(Report, Report.id == Source.report_id).outerjoin(Agency, Agency.id == Report.agency_id)
            .order_by(Source.first_seen, Source.id)).all()
    results, unreadable = _parse_all(srcs, root)
    if len(unreadable) > max_unreadable:
        raise ReparseError(f"{len(unreadable)} raw files cannot be read under {root} (first: {unreadable[0]['path']}: "
                           f"{unreadable[0]['error']}); nothing changed")
    if not dry_run:
        out = _apply(engine, results, unreadable, srcs, record=True)
        if data_dir is not None and not _recorded(engine):    # a dataset older than the record learns it
            rawstore.record_raw_dir(engine, root)
        return out
    if engine.dialect.name != "sqlite":
        return _apply(engine, results, unreadable, srcs, record=False)
    with tempfile.TemporaryDirectory(prefix="nianbao-reparse-") as tmp:
        copy = Path(tmp) / "dry-run.sqlite"
        with engine.connect() as conn:
            backup_sqlite(conn.connection.dbapi_connection, str(copy))
        work = open_db(f"sqlite:///{copy}")          # migrated, should the dataset's schema be older
        try:
            return _apply(work, results, unreadable, srcs, record=False)
        finally:
            work.dispose()


def _recorded(engine) -> bool:
    try:
        rawstore.raw_dir(engine)
    except DatabaseError:
        return False
    return True


def _parse_all(srcs, root: Path) -> tuple[list, list[dict]]:
    results, unreadable = [], []
    for s in srcs:
        if not s.path:
            results.append((s, None, None))          # no raw file was ever stored: the source keeps its report
            continue
        try:
            body = (root / s.path).read_bytes()
        except OSError as e:
            unreadable.append({"source": s.id, "url": s.url, "path": str(root / s.path),
                               "error": e.strerror or type(e).__name__})
            results.append((s, None, None))          # left as it is
            continue
        report, error = parse_document(body, media_type=s.media_type, url=s.final_url or s.url,
                                       title=s.listing_title or s.link_text)
        results.append((s, report, error))
    return results, unreadable


def _apply(engine, results, unreadable, srcs, *, record: bool) -> dict:
    """Place the parsed results in one transaction; return the diff; commit only when `record`."""
    version = dataset.parser_version()
    started = utcnow()
    counts = {"sources": 0, "parse_errors": 0}
    with writer(engine).connect() as conn:
        trans = conn.begin()
        before = _snapshot(conn)
        keep = {s.id for s, report, error in results if report is None and error is None}
        kept_reports = {r for (r,) in conn.execute(select(Source.report_id).where(Source.id.in_(keep)))}
        old = conn.execute(select(Report.id, Report.agency_id, Report.year, Report.content_key,
                                  Report.created_at).order_by(Report.id)).all()
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
        now = utcnow()
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
        after = _snapshot(conn)
        reparsed = {s.id for s, report, error in results if not (report is None and error is None)}
        out = diff(before, after)
        out.update(counts, unreadable=unreadable, dry_run=not record, parser_after=version,
                   parser_before=dict(Counter(s.parser_version or "unknown" for s in srcs if s.id in reparsed)),
                   reports_before=len(before["reports"]), reports=len(after["reports"]))
        if record:
            conn.execute(insert(ReparseRun).values(
                started_at=started, finished_at=utcnow(), parser_before=out["parser_before"], parser_after=version,
                sources=counts["sources"], unreadable=len(unreadable), parse_errors=counts["parse_errors"],
                reports_before=out["reports_before"], reports_after=out["reports"],
                **{k: len(out[k]) for k in ("added", "removed", "merged", "split")},
                cells_changed=len(out["cells"]), checks_flipped=len(out["checks"]), summary=_recordable(out)))
            trans.commit()
        else:
            trans.rollback()
    return out


def _snapshot(conn) -> dict:
    """What a reparse may change: reports (with a label), each source's report, cells, check results."""
    reports = {r.id: f"{r.name or r.agency_printed or '?'} {r.year or '?'}"
               for r in conn.execute(select(Report.id, Report.year, Report.agency_printed, Agency.name)
                                     .outerjoin(Agency, Agency.id == Report.agency_id))}
    members = dict(conn.execute(select(Source.id, Source.report_id).where(Source.report_id.is_not(None))).all())
    cells: dict = defaultdict(dict)
    for c in conn.execute(select(Cell.report_id, Cell.tbl, Cell.row, Cell.col, Cell.value)):
        cells[c.report_id][(c.tbl, c.row, c.col)] = c.value
    checks: dict = defaultdict(dict)
    for k in conn.execute(select(CheckResult.report_id, CheckResult.rule, CheckResult.row, CheckResult.col,
                                 CheckResult.ok)):
        checks[k.report_id][(k.rule, k.row, k.col)] = k.ok
    return {"reports": reports, "members": members, "cells": cells, "checks": checks}


def diff(before: dict, after: dict) -> dict:
    """The change between two snapshots: reports added/removed (by id), merged (sources of several
    reports now in one) and split (sources of one report now in several); for the reports present in
    both, every cell whose value changes and every check whose result changes."""
    old_ids, new_ids = set(before["reports"]), set(after["reports"])
    to_new, to_old = defaultdict(set), defaultdict(set)
    for sid, old in before["members"].items():
        new = after["members"].get(sid)
        if new is not None:
            to_new[old].add(new)
            to_old[new].add(old)
    out = {"added": [{"report": i, "label": after["reports"][i]} for i in sorted(new_ids - old_ids)],
           "removed": [{"report": i, "label": before["reports"][i]} for i in sorted(old_ids - new_ids)],
           "merged": [{"into": n, "from": sorted(o), "label": after["reports"][n]}
                      for n, o in sorted(to_old.items()) if len(o) > 1],
           "split": [{"from": o, "into": sorted(n), "label": before["reports"][o]}
                     for o, n in sorted(to_new.items()) if len(n) > 1],
           "cells": [], "checks": []}
    for rid in sorted(old_ids & new_ids):
        label = after["reports"][rid]
        for what, key_name, rows in (("cells", "cell", "cells"), ("checks", "check", "checks")):
            old, new = before[rows].get(rid, {}), after[rows].get(rid, {})
            for key in sorted(old.keys() | new.keys(), key=lambda k: tuple(str(x) for x in k)):
                if old.get(key) != new.get(key) or (key in old) != (key in new):
                    out[what].append({"report": rid, "label": label, key_name: "/".join(str(x) for x in key if x),
                                      "old": old.get(key), "new": new.get(key)})
    return out


def _plain(v):
    return str(v) if isinstance(v, Decimal) else v


def _recordable(out: dict) -> dict:
    keys = ("added", "removed", "merged", "split", "cells", "checks", "unreadable")
    return {k: [{f: _plain(v) for f, v in e.items()} for e in out[k][:RECORDED]] for k in keys}


def _check(ok) -> str:
    return {True: "passes", False: "fails", None: "unknown"}[ok] if ok in (True, False, None) else str(ok)


def summary_lines(out: dict, shown: int = SHOWN) -> list[str]:
    """The diff as the command prints it."""
    before = ", ".join(f"{v} ({n} sources)" for v, n in sorted(out["parser_before"].items())) or "none"
    lines = [(f"reparsed {out['sources']} sources: {out['reports']} reports (before: {out['reports_before']}), "
              f"{out['parse_errors']} parse errors, {len(out['unreadable'])} unreadable raw files"),
             f"parser: {before} → {out['parser_after']}",
             (f"reports: {len(out['added'])} added, {len(out['removed'])} removed, {len(out['merged'])} merged, "
              f"{len(out['split'])} split; {len(out['cells'])} cells changed; {len(out['checks'])} checks flipped")]
    lines += [f"  added: report {e['report']} {e['label']}" for e in out["added"]]
    lines += [f"  removed: report {e['report']} {e['label']}" for e in out["removed"]]
    lines += [f"  merged: reports {', '.join(map(str, e['from']))} → report {e['into']} {e['label']}"
              for e in out["merged"]]
    lines += [f"  split: report {e['from']} {e['label']} → reports {', '.join(map(str, e['into']))}"
              for e in out["split"]]
    for e in out["cells"][:shown]:
        lines.append(f"  cell {e['cell']} of report {e['report']} {e['label']}: "
                     f"{_value(e['old'])} → {_value(e['new'])}")
    for e in out["checks"][:shown]:
        lines.append(f"  check {e['check']} of report {e['report']} {e['label']}: "
                     f"{_check(e['old'])} → {_check(e['new'])}")
    more = max(0, len(out["cells"]) - shown) + max(0, len(out["checks"]) - shown)
    if more:
        lines.append(f"  … and {more} more changes (all of them: reparse(…) in Python, or reparse_runs.summary)")
    lines += [f"  unreadable, left as it was: {e['path']} ({e['url']}): {e['error']}" for e in out["unreadable"]]
    lines.append("dry run: nothing was changed" if out["dry_run"] else "applied in one transaction")
    return lines


def _value(v) -> str:
    return "(none)" if v is None else str(v)


def reparse_dataset(*, db_url: str, data_dir: str | Path | None = None, dry_run: bool = False) -> dict:
    """Open the dataset at `db_url`, reparse it (see reparse) and return the diff. A dry run opens a
    SQLite dataset read-only. Raises DatabaseError (or DBAPIError) when the dataset cannot be opened
    or the reparse cannot go ahead; nothing is changed then."""
    engine = open_dataset_readonly(db_url) if dry_run else open_db(db_url, create=False)
    if dry_run and engine.dialect.name != "sqlite":     # Postgres: writes in a transaction rolled back
        engine.dispose()
        engine = open_db(db_url, migrate=False, create=False)
    try:
        return reparse(engine, data_dir, dry_run=dry_run)
    finally:
        engine.dispose()
