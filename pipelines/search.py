"""Full-text search over report titles, agencies and section text, in Chinese, behind one function.

SQLite: an FTS5 table with the trigram tokenizer (`reports_fts`, rowid = reports.id), kept up to
date by triggers. Trigram needs at least 3 characters per term, so a query with a shorter term
(公开, 复议) falls back to LIKE over the same table. Postgres: LIKE over the view `v_report_text`.
"""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import text
from sqlalchemy.engine import Connection, Engine

FTS_TABLE = "reports_fts"
MIN_TRIGRAM = 3
SNIPPET_RADIUS = 30

# the text of one report (SQLite trigger body, NEW = the report row)
_AGENCY_SQL = "COALESCE((SELECT name FROM agencies WHERE id = NEW.agency_id), NEW.agency_printed)"
_SECTIONS_SQL = ("(SELECT group_concat(value, char(10)) FROM json_each("
                 "CASE WHEN json_valid(NEW.sections) THEN NEW.sections ELSE '{}' END))")
_INSERT = (f"INSERT INTO {FTS_TABLE}(rowid, title, agency, sections) "
           f"VALUES (NEW.id, NEW.title, {_AGENCY_SQL}, {_SECTIONS_SQL});")

_SQLITE_DDL = [
    f"CREATE VIRTUAL TABLE {FTS_TABLE} USING fts5(title, agency, sections, tokenize='trigram')",
    f"CREATE TRIGGER reports_fts_insert AFTER INSERT ON reports BEGIN {_INSERT} END",
    f"CREATE TRIGGER reports_fts_update AFTER UPDATE OF title, sections, agency_id, agency_printed ON reports "
    f"BEGIN DELETE FROM {FTS_TABLE} WHERE rowid = OLD.id; {_INSERT} END",
    f"CREATE TRIGGER reports_fts_delete AFTER DELETE ON reports "
    f"BEGIN DELETE FROM {FTS_TABLE} WHERE rowid = OLD.id; END",
    f"CREATE TRIGGER reports_fts_agency AFTER UPDATE OF name ON agencies "
    f"BEGIN UPDATE {FTS_TABLE} SET agency = NEW.name WHERE rowid IN "
    f"(SELECT id FROM reports WHERE agency_id = NEW.id); END",
]
_SQLITE_BACKFILL = (
    f"INSERT INTO {FTS_TABLE}(rowid, title, agency, sections) "
    + "SELECT NEW.id, NEW.title, " + _AGENCY_SQL + ", " + _SECTIONS_SQL + " FROM reports AS NEW")

_PG_VIEW = """CREATE VIEW v_report_text AS
SELECT r.id AS report_id, r.title, COALESCE(a.name, r.agency_printed) AS agency,
       (SELECT string_agg(value, E'\\n') FROM json_each_text(
            CASE WHEN json_typeof(r.sections) = 'object' THEN r.sections ELSE '{}'::json END)) AS sections
FROM reports r LEFT JOIN agencies a ON a.id = r.agency_id"""


@dataclass
class Hit:
    report_id: int
    agency: str | None
    year: int | None
    title: str | None
    is_current: bool
    snippet: str


def create(bind: Connection) -> None:
    """Create the search structures for this dialect and index the reports already stored."""
    if bind.dialect.name == "sqlite":
        for ddl in _SQLITE_DDL:
            bind.exec_driver_sql(ddl)
        bind.exec_driver_sql(_SQLITE_BACKFILL)
    else:
        bind.exec_driver_sql(_PG_VIEW)


def drop(bind: Connection) -> None:
    if bind.dialect.name == "sqlite":
        for trigger in ("reports_fts_insert", "reports_fts_update", "reports_fts_delete", "reports_fts_agency"):
            bind.exec_driver_sql(f"DROP TRIGGER IF EXISTS {trigger}")
        bind.exec_driver_sql(f"DROP TABLE IF EXISTS {FTS_TABLE}")
    else:
        bind.exec_driver_sql("DROP VIEW IF EXISTS v_report_text")


def search(engine: Engine, query: str, *, limit: int = 50, current_only: bool = True) -> list[Hit]:
    """Reports whose title, agency or sections contain every whitespace-separated term of `query`."""
    terms = query.split()
    if not terms:
        return []
    params: dict = {"limit": limit}
    current = " AND r.is_current" if current_only else ""
    sqlite = engine.dialect.name == "sqlite"
    if sqlite and all(len(t) >= MIN_TRIGRAM for t in terms):
        params["match"] = " ".join('"' + t.replace('"', '""') + '"' for t in terms)
        sql = (f"SELECT f.rowid AS report_id, f.title, f.agency, f.sections, r.year, r.is_current "
               f"FROM {FTS_TABLE} f JOIN reports r ON r.id = f.rowid "
               f"WHERE {FTS_TABLE} MATCH :match{current} ORDER BY f.rank, r.id LIMIT :limit")
    else:
        source = (f"{FTS_TABLE} f JOIN reports r ON r.id = f.rowid" if sqlite
                  else "v_report_text f JOIN reports r ON r.id = f.report_id")
        key = "f.rowid" if sqlite else "f.report_id"
        where = []
        for i, t in enumerate(terms):
            params[f"t{i}"] = "%" + t.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
            where.append("(" + " OR ".join(f"f.{c} LIKE :t{i} ESCAPE '\\'" for c in ("title", "agency", "sections"))
                         + ")")
        sql = (f"SELECT {key} AS report_id, f.title, f.agency, f.sections, r.year, r.is_current "
               f"FROM {source} WHERE {' AND '.join(where)}{current} "
               f"ORDER BY r.year DESC, r.id LIMIT :limit")
    with engine.connect() as conn:
        rows = conn.execute(text(sql), params).mappings().all()
    return [Hit(report_id=m["report_id"], agency=m["agency"], year=m["year"], title=m["title"],
                is_current=bool(m["is_current"]),
                snippet=snippet([m["sections"] or "", m["title"] or "", m["agency"] or ""], terms))
            for m in rows]


def snippet(texts: list[str], terms: list[str]) -> str:
    """The text around the first term found in the first text holding one, the term marked 【…】."""
    for body in texts:
        for t in terms:
            i = body.find(t)
            if i >= 0:
                start, end = max(0, i - SNIPPET_RADIUS), min(len(body), i + len(t) + SNIPPET_RADIUS)
                return ("…" if start else "") + body[start:i] + "【" + t + "】" + body[i + len(t):end] \
                    + ("…" if end < len(body) else "")
    return texts[0][:2 * SNIPPET_RADIUS] if texts else ""
