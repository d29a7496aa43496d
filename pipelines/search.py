"""Full-text search over report titles, agencies and section text, in Chinese, behind one function.

SQLite: an FTS5 table with the trigram tokenizer (`reports_fts`, rowid = reports.id), kept up to
date by triggers. Trigram needs at least 3 characters per term, so a query with a shorter term
(公开, 复议) falls back to LIKE over the same table. Postgres: LIKE over the view `v_report_text`.
Migration 0050 creates the table, its triggers and the view.
"""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import text
from sqlalchemy.engine import Engine

FTS_TABLE = "reports_fts"
MIN_TRIGRAM = 3
SNIPPET_RADIUS = 30


@dataclass
class Hit:
    report_id: int
    agency: str | None
    year: int | None
    title: str | None
    is_current: bool
    snippet: str


def _like(term: str) -> str:
    return "%" + term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def sqlite_ids(query: str, prefix: str = "q") -> tuple[str, dict]:
    """SQLite: a SELECT of the ids of reports whose title, agency or sections contain every term (any length).

    All terms of 3+ characters: the trigram index (MATCH); otherwise LIKE over the same FTS5 table, which
    the trigram index also serves for the longer terms. Returns (sql, params); params are named prefix0…
    """
    terms = query.split()
    params: dict = {}
    if terms and all(len(t) >= MIN_TRIGRAM for t in terms):
        params[f"{prefix}0"] = " ".join('"' + t.replace('"', '""') + '"' for t in terms)
        return f"SELECT rowid FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH :{prefix}0", params
    where = []
    for i, t in enumerate(terms):
        params[f"{prefix}{i}"] = _like(t)
        where.append("(" + " OR ".join(f"{c} LIKE :{prefix}{i} ESCAPE '\\'" for c in ("title", "agency", "sections"))
                     + ")")
    return f"SELECT rowid FROM {FTS_TABLE} WHERE {' AND '.join(where) or '0'}", params


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
