"""Writes to the dataset: source sightings, and placing a parsed report (one transaction per document).

Placement follows the rules in pipelines/dedupe.py: a document joins the report it agrees with, or
becomes a new version of its agency's report for that year, and the best reading gives the cells.
"""
from __future__ import annotations

import json
from collections import ChainMap
from collections.abc import Mapping, MutableMapping
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from functools import lru_cache
from importlib import metadata

from sqlalchemy import JSON, bindparam, delete, insert, select, text, update
from sqlalchemy.engine import Connection, Engine

import parsers
from parsers.numbers import json_number, number_text
from pipelines import agencies, dedupe
from pipelines.db import insert_ignore, upsert, utcnow, writer
from pipelines.db.models import Cell, CheckResult, Report, Source, UrlState

SOURCE_REASON = "; source: "
# Core tables: an ORM-enabled insert()/update() costs several times more per statement and row
CELLS, CHECKS, REPORTS, SOURCES, URL_STATES = (m.__table__ for m in (Cell, CheckResult, Report, Source, UrlState))
# statements are built once: building one costs more than running it. An update's SET columns are
# the names of the parameters it is run with.
_SIGHTINGS = (select(Source.id, Source.url, Source.path, Source.report_id, Source.parse_error,
                     Source.parser_version, Source.media_type)
              .where(Source.sha256 == bindparam("sha")).order_by(Source.id))
_UPDATE_SOURCE = update(SOURCES).where(SOURCES.c.id == bindparam("sid"))
_UPDATE_REPORT = update(REPORTS).where(REPORTS.c.id == bindparam("rid"))
_FILL_PATHS = (update(SOURCES).where(SOURCES.c.sha256 == bindparam("sha"), SOURCES.c.path.is_(None))
               .values(path=bindparam("new_path")))
_SOURCE = select(Source.sha256, Source.url, Source.media_type, Source.parent_url).where(Source.id == bindparam("sid"))
_PLACED = select(Source.report_id).where(Source.url == bindparam("url"),
                                         Source.report_id.in_(bindparam("ids", expanding=True)))
_INSERT_REPORT = insert(REPORTS).returning(REPORTS.c.id)
_DELETE_CELLS = delete(CELLS).where(CELLS.c.report_id == bindparam("rid"))
_DELETE_CHECKS = delete(CHECKS).where(CHECKS.c.report_id == bindparam("rid"))
# what _versions reads of a report (not its texts and tables)
_VERSION_ROWS = (select(Report.id, Report.is_current, Report.current_reason, Report.supersedes_id,
                        Report.superseded_by_id, Report.content_key, Report.n_cells, Report.n_checks_failed,
                        Report.n_checks_unknown, Report.complete, Report.warnings, Report.is_correction,
                        Report.published, Source.media_type, Source.sha256.label("source_sha"),
                        Source.url.label("source_url"))
                 .outerjoin(Source, Source.id == Report.primary_source_id)
                 .order_by(Report.is_current.desc(), Report.id))
_VERSIONS = _VERSION_ROWS.where(Report.agency_id == bindparam("agency"), Report.year == bindparam("year"))
_VERSION = _VERSION_ROWS.where(Report.id == bindparam("rid"))
_VALUES = select(Cell.report_id, Cell.tbl, Cell.row, Cell.col, Cell.value).where(
    Cell.report_id.in_(bindparam("ids", expanding=True)), Cell.value.is_not(None))


def parser_version() -> str:
    """The version of the installed parser (parsers.__version__, else the nianbao package version)."""
    v = getattr(parsers, "__version__", None)
    if v:
        return str(v)
    try:
        return metadata.version("nianbao")
    except metadata.PackageNotFoundError:
        return "0"


def _when(iso) -> datetime | None:
    if isinstance(iso, datetime):
        return iso.replace(tzinfo=None)
    try:
        d = datetime.fromisoformat(str(iso).replace("Z", "+00:00"))
    except (TypeError, ValueError):
        return None
    return d.astimezone(UTC).replace(tzinfo=None) if d.tzinfo else d


def _header(item, name: str) -> str | None:
    return (item.get("headers") or {}).get(name) or None


def source_values(item, now: datetime) -> dict:
    """The sources row for a DocumentItem."""
    return dict(
        url=item["url"], final_url=item.get("final_url"), site=item.get("site"), kind=item.get("kind"),
        parent_url=item.get("parent_url"), listing_url=item.get("listing_url"),
        listing_title=item.get("listing_title"), link_text=item.get("link_text"), sha256=item["sha256"],
        media_type=item.get("media_type"), size=len(item["body"]) if item.get("body") else None,
        path=item.get("path"),
        etag=_header(item, "etag"), last_modified=_header(item, "last-modified"),
        first_seen=now, last_seen=now, fetched_at=_when(item.get("fetched_at")) or now,
    )


def record_known(engine: Engine, item, state: dict | None = None) -> bool:
    """If these bytes are already in the dataset, record this sighting and return True.

    The same URL and bytes: last_seen, fetched_at and the HTTP validators move. The same bytes at a
    new URL: a new source row joins the report (or the parse error) of the bytes already stored.
    New bytes (the usual case) cost one read and no write lock. `state`: the document's url_states
    row, written in the same transaction as the sighting.
    """
    with engine.connect() as conn:
        seen = conn.execute(_SIGHTINGS, {"sha": item["sha256"]}).all()
    same = next((r for r in seen if r.url == item["url"]), None)
    if same is not None and same.path is None and item.get("path"):
        return False                        # stored without its raw file before: process it again
    known = next((r for r in seen if r.report_id is not None or r.parse_error is not None), None)
    if same is None and known is None:
        return False
    now = utcnow()
    with writer(engine).begin() as conn:
        save_state(conn, state)
        if same is not None:
            conn.execute(_UPDATE_SOURCE, dict(
                sid=same.id, last_seen=now, fetched_at=_when(item.get("fetched_at")) or now,
                etag=_header(item, "etag"), last_modified=_header(item, "last-modified")))
            return True
        assert known is not None                # else the sighting returned False above
        values = source_values(item, now)
        values.update(report_id=known.report_id, parse_error=known.parse_error,
                      parser_version=known.parser_version, media_type=values["media_type"] or known.media_type,
                      path=values["path"] or known.path)
        conn.execute(insert_ignore(conn, SOURCES, ["url", "sha256"]), values)
        _fill_paths(conn, item)
        return True


def _fill_paths(conn: Connection, item) -> None:
    """Sightings of these bytes stored before their raw file was: they have it now."""
    if item.get("path"):
        conn.execute(_FILL_PATHS, {"sha": item["sha256"], "new_path": item["path"]})


def record_not_modified(engine: Engine, item) -> None:
    """A 304 answer: the document last seen at this URL is still there."""
    now = utcnow()
    with writer(engine).begin() as conn:
        row = conn.execute(select(Source.id).where(Source.url == item["url"])
                           .order_by(Source.last_seen.desc(), Source.id.desc()).limit(1)).first()
        if row:
            conn.execute(update(SOURCES).where(Source.id == row.id).values(last_seen=now))


def save_state(conn: Connection, state: dict | None) -> None:
    """Write a document's url_states row (pipelines.validators) in the caller's transaction."""
    if state:
        conn.execute(upsert(conn, URL_STATES, ["site", "key"]), state)


def store_document(engine: Engine, item, version: str, cache: dict | None = None, state: dict | None = None) -> str:
    """Store one parsed document in one transaction. Returns "new_report", "source" or "parse_error".
    `state`: the document's url_states row, written in the same transaction.

    `cache` (kept by the caller across documents) remembers agencies and aliases already stored; it
    takes only what this document's committed transaction wrote.
    """
    now = utcnow()
    failed = bool(item.get("parse_error")) or item.get("report") is None
    values = source_values(item, now)
    values.update(parse_error=(item.get("parse_error") or "no report") if failed else None, report_id=None,
                  parser_version=version)
    written = ChainMap({}, cache if cache is not None else {})
    with writer(engine).begin() as conn:
        save_state(conn, state)
        # a sighting seen before (or just now by another process) keeps its first_seen
        source_id = conn.execute(upsert(conn, SOURCES, ["url", "sha256"], keep=["first_seen"], returning=["id"]),
                                 values).scalar_one()
        _fill_paths(conn, item)
        if failed:
            return "parse_error"
        titles = (item.get("listing_title"), item.get("link_text"))
        report_id, is_new = place(conn, source_id, item["report"], titles, item.get("site_region"), version, now,
                                  source=values, cache=written)
        conn.execute(_UPDATE_SOURCE, {"sid": source_id, "report_id": report_id})
    if cache is not None:
        cache.update(written.maps[0])
    return "new_report" if is_new else "source"


def _reuse(ids: dict | None, agency_id, year, key) -> int | None:
    if not ids:
        return None
    for k in ((agency_id, year, key), (agency_id, year)):
        if ids.get(k):
            taken = ids[k].pop(0)
            for other in ids.values():
                if taken in other:
                    other.remove(taken)
            return taken
    return None


@dataclass
class _Version:
    id: int
    is_current: bool
    reading: dedupe.Reading
    current_reason: str | None
    supersedes_id: int | None
    superseded_by_id: int | None


def place(conn: Connection, source_id: int, report, titles, site_region, version: str, now: datetime,
          reuse_ids: dict | None = None, *, source: Mapping | None = None,
          cache: MutableMapping | None = None) -> tuple[int, bool]:
    """Attach a parsed document to its report, or make it a new report or version. Returns (id, new?).

    `reuse_ids` (reparse keeps ids) maps (agency_id, year, content_key), else (agency_id, year), to
    the ids a new report may take. `source`: the source's row as the caller has just written it
    (its sha256, url, media_type and parent_url), else it is read; `cache` is agencies.find_or_create's.

    Other processes may place a document of the same agency and year at once: on Postgres the
    placement holds a transaction lock on (agency, year) (SQLite serialises its writers anyway).
    """
    reading = dedupe.read(report, *titles)
    src = source if source is not None else conn.execute(_SOURCE, {"sid": source_id}).one()._mapping
    reading.media_type = src["media_type"] or reading.media_type   # as _versions reads it back
    reading.source = f"{src['sha256']} {src['url']}"
    key = agencies.normalise(report.agency, report.region, site_region)
    agency_id = agencies.find_or_create(conn, key, report.agency, cache) if key else None

    if agency_id is None or report.year is None:
        _lock(conn, f"report|{agency_id}|{report.year}|{reading.content_key}")
        same = conn.execute(select(Report.id).where(
            Report.content_key == reading.content_key,
            Report.agency_id.is_(None) if agency_id is None else Report.agency_id == agency_id,
            Report.year.is_(None) if report.year is None else Report.year == report.year)).scalar()
        if same is not None:
            _attach(conn, _versions(conn, agency_id, report.year, report_id=same)[0], source_id, report, reading,
                    version, now)
            return same, False
        reason = "only version (agency or year unknown)" + SOURCE_REASON + "only source"
        return _new_report(conn, source_id, report, reading, agency_id, version, now, reason, True,
                           _reuse(reuse_ids, agency_id, report.year, reading.content_key)), True

    _lock(conn, f"report|{agency_id}|{report.year}")
    versions = _versions(conn, agency_id, report.year)
    # values that agree with a version, else the same marks (dates, correction) with other values: that
    # version read another way. Only that version is asked, or the outcome would depend on arrival order.
    joined = (_parent_version(conn, versions, src["parent_url"], reading)
              or next((v for v in versions if dedupe.joins(v.reading, reading)), None)   # current first
              or next((v for v in versions if dedupe.same_marks(v.reading, reading)), None))
    if joined is not None:
        if _attach(conn, joined, source_id, report, reading, version, now) and len(versions) > 1:
            _relink(conn, agency_id, report.year)
        return joined.id, False
    new_id = _new_report(conn, source_id, report, reading, agency_id, version, now,
                         "only version" + SOURCE_REASON + "only source", not versions,
                         _reuse(reuse_ids, agency_id, report.year, reading.content_key))
    if versions:
        _relink(conn, agency_id, report.year)
    return new_id, True


def _parent_version(conn: Connection, versions: list[_Version], parent_url: str | None, reading) -> _Version | None:
    """The version an attachment's own page was placed in, if the attachment reads it (dedupe.joins_parent)."""
    if not parent_url or not versions:
        return None
    by_id = {v.id: v for v in versions}
    ids = conn.execute(_PLACED, {"url": parent_url, "ids": list(by_id)}).scalars().all()
    placed = sorted({i for i in ids if i is not None})
    return next((by_id[i] for i in placed if dedupe.joins_parent(by_id[i].reading, reading)), None)


def _lock(conn: Connection, key: str) -> None:
    """Postgres: wait for, and hold until commit, the transaction lock named `key`."""
    if conn.dialect.name == "postgresql":
        conn.execute(_ADVISORY_LOCK, {"key": key})


_ADVISORY_LOCK = text("SELECT pg_advisory_xact_lock(hashtextextended(:key, 0))")


def _versions(conn: Connection, agency_id: int | None, year: int | None, values: bool = True, *,
              report_id: int | None = None) -> list[_Version]:
    """The reports of (agency, year), current first; with `report_id`, that report alone."""
    rows = (conn.execute(_VERSION, {"rid": report_id}) if report_id is not None
            else conn.execute(_VERSIONS, {"agency": agency_id, "year": year})).all()
    cells: dict[int, dict] = {r.id: {} for r in rows}
    if values and rows:
        for rid, tbl, row, col, value in conn.execute(_VALUES, {"ids": list(cells)}):
            cells[rid][(tbl, row, col)] = number_text(value)
    out = []
    for r in rows:
        media = r.media_type
        reading = dedupe.Reading(
            content_key=r.content_key, values=cells[r.id], n_cells=r.n_cells, n_checks_failed=r.n_checks_failed,
            n_checks_unknown=r.n_checks_unknown, complete=r.complete,
            scanned=bool(media and media.startswith("image/")) or any("ocr" in w.lower() for w in r.warnings or []),
            n_warnings=len(r.warnings or []), is_correction=r.is_correction, published=r.published,
            media_type=media, source=f"{r.source_sha} {r.source_url}" if r.source_sha else "")
        out.append(_Version(r.id, r.is_current, reading, r.current_reason, r.supersedes_id, r.superseded_by_id))
    return out


def _attach(conn, v: _Version, source_id, report, reading, version, now) -> bool:
    """A further source of report v: it gives the cells if it reads the report better; the report takes
    the marks of all its readings (dedupe.merged_marks). Returns whether the marks changed."""
    version_part, _, source_part = (v.current_reason or "only version").partition(SOURCE_REASON)
    seen = dedupe.described(source_part, v.reading) | {reading.describe()}
    best = reading if dedupe.rank(reading) > dedupe.rank(v.reading) else v.reading
    marks = dedupe.merged_marks(v.reading, reading)
    reason = version_part + SOURCE_REASON + dedupe.source_reason(best, seen)
    if best is reading:
        reading.is_correction, reading.published = marks
        _write_contents(conn, v.id, source_id, report, reading, version, now, reason)
    elif (reason, *marks) != (v.current_reason, v.reading.is_correction, v.reading.published):
        conn.execute(_UPDATE_REPORT, dict(rid=v.id, current_reason=reason, is_correction=marks[0],
                                          published=marks[1], updated_at=now))
    return marks != (v.reading.is_correction, v.reading.published)


def _report_values(report, reading: dedupe.Reading, source_id: int, version: str, now: datetime, reason: str):
    return dict(
        template=report.template or "free", tables=dict(report.tables or {}), title=report.title,
        published=reading.published, agency_printed=report.agency, region=dict(report.region or {}),
        current_reason=reason, primary_source_id=source_id, content_key=reading.content_key,
        is_correction=reading.is_correction, complete=reading.complete, n_cells=reading.n_cells,
        n_checks_failed=reading.n_checks_failed, n_checks_unknown=reading.n_checks_unknown,
        warnings=list(report.warnings or []), sections=dict(report.sections or {}), parser_version=version,
        updated_at=now,
    )


def _new_report(conn, source_id, report, reading, agency_id, version, now, reason, current, report_id) -> int:
    values = _report_values(report, reading, source_id, version, now, reason)
    values.update(agency_id=agency_id, year=report.year, is_current=current, created_at=now)
    if report_id is not None:
        values["id"] = report_id
    new_id = conn.execute(_INSERT_REPORT, values).scalar_one()
    write_cells(conn, new_id, report)
    return new_id


def _write_contents(conn, report_id, source_id, report, reading, version, now, reason) -> None:
    conn.execute(_UPDATE_REPORT, dict(_report_values(report, reading, source_id, version, now, reason), rid=report_id))
    conn.execute(_DELETE_CELLS, {"rid": report_id})
    conn.execute(_DELETE_CHECKS, {"rid": report_id})
    write_cells(conn, report_id, report)


def write_cells(conn: Connection, report_id: int, report) -> None:
    """Bulk-insert a report's cells and check results: COPY on Postgres, executemany on SQLite."""
    cells: dict[tuple, tuple] = {}
    for c in report.cells:                      # a reader's duplicate: the first reading stands
        cells.setdefault((c.table, c.row, c.col), (report_id, c.table, c.row, c.col, c.value, c.raw))
    _bulk_insert(conn, CELLS, ("report_id", "tbl", "row", "col", "value", "raw"), list(cells.values()))
    _bulk_insert(conn, CHECKS, ("report_id", "rule", "row", "col", "ok", "expected", "actual", "inputs"),
                 [(report_id, k.rule, k.row, k.col, k.ok, k.expected, k.actual,
                   _JSON.encode(k.inputs or {}))
                  for k in report.checks])


def _json_number(v):
    """The JSON encoder's hook for what it cannot write: a Decimal, as parsers.numbers.json_number spells it."""
    if isinstance(v, Decimal):
        return json_number(v)
    raise TypeError(f"{type(v).__name__} is not JSON serializable")


# as the JSON columns are written (pipelines.db.engine's serializer), built once
_JSON = json.JSONEncoder(ensure_ascii=False, default=_json_number)


def _bulk_insert(conn: Connection, table, columns: tuple[str, ...], rows: list[tuple]) -> None:
    """Insert rows of Python values (JSON columns as JSON text) at the driver level: COPY on Postgres;
    on SQLite executemany, the other values converted as SQLAlchemy binds them."""
    if not rows:
        return
    if conn.dialect.name == "postgresql":
        raw = conn.connection.driver_connection          # psycopg's own Connection
        assert raw is not None
        with raw.cursor() as cur:
            with cur.copy(f"COPY {table.name} ({_names(columns)}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        return
    sql, procs = _insert_plan(conn.dialect, table, columns)
    if procs:
        by_column: list = list(zip(*rows, strict=True))
        for i, p in procs:
            by_column[i] = map(p, by_column[i])
        rows = list(zip(*by_column, strict=True))
    conn.exec_driver_sql(sql, rows)


def _names(columns: tuple[str, ...]) -> str:
    return ", ".join(f'"{c}"' for c in columns)


@lru_cache(maxsize=32)
def _insert_plan(dialect, table, columns: tuple[str, ...]) -> tuple[str, list]:
    """SQLite's INSERT for these columns, and the bind processor of each column that has one (not JSON)."""
    procs = [(i, p) for i, c in enumerate(columns)
             if not isinstance(table.c[c].type, JSON) and (p := table.c[c].type.bind_processor(dialect))]
    return f"INSERT INTO {table.name} ({_names(columns)}) VALUES ({', '.join('?' * len(columns))})", procs


def _relink(conn: Connection, agency_id: int, year: int) -> None:
    """Order the versions of (agency, year) oldest first; link each to the next; the last is current."""
    versions = _versions(conn, agency_id, year, values=False)
    versions.sort(key=lambda v: (dedupe.version_order(v.reading), v.id))
    # clear the current flag first: the partial unique index allows one current row at any moment
    for v in versions[:-1]:
        if v.is_current:
            conn.execute(_UPDATE_REPORT, {"rid": v.id, "is_current": False})
    for i, v in enumerate(versions):
        prev = versions[i - 1] if i else None
        nxt = versions[i + 1] if i + 1 < len(versions) else None
        source_part = (v.current_reason or "").split(SOURCE_REASON, 1)[1] if SOURCE_REASON in (
            v.current_reason or "") else "only source"
        if nxt is None:
            version_part = dedupe.version_reason(v.reading, prev.id if prev else None,
                                                 prev.reading if prev else None)
        else:
            version_part = f"superseded by report {nxt.id}"
        values = dict(supersedes_id=prev.id if prev else None, superseded_by_id=nxt.id if nxt else None,
                      is_current=nxt is None, current_reason=version_part + SOURCE_REASON + source_part)
        old = dict(supersedes_id=v.supersedes_id, superseded_by_id=v.superseded_by_id, is_current=v.is_current,
                   current_reason=v.current_reason)
        if values != old:
            conn.execute(_UPDATE_REPORT, dict(values, rid=v.id))
