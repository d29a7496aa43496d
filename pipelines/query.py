"""The dataset filtered: current reports' cells, a view, or full-text hits; every filter given is applied or refused."""
from __future__ import annotations

import re
import sys
import unicodedata
from decimal import Decimal

from sqlalchemy import and_, or_, select, text
from sqlalchemy.engine import Engine

from parsers.numbers import number_text
from pipelines import labels, search, views
from pipelines.db import DatabaseError, open_dataset_readonly
from pipelines.db.models import Agency, Cell, Report

CELL_COLUMNS = ["province", "city", "county", "agency", "year", "template", "table", "row", "col", "value", "raw",
                "row_label", "col_label", "report_id"]
SEARCH_COLUMNS = ["report_id", "province", "city", "county", "agency", "year", "title", "snippet"]
TABLE_COLUMNS = ["province", "city", "county", "agency", "year", "table", "row", "col", "value"]
_YEARS = re.compile(r"^\s*(\d{4})\s*(?:-\s*(\d{4})\s*)?$")


class QueryError(ValueError):
    """A filter that cannot be applied; the message is one line, fit for a user."""


def open_dataset(url: str) -> Engine:
    """Open an existing dataset read-only (a missing SQLite file is an error, not a new empty dataset)."""
    try:
        return open_dataset_readonly(url)
    except DatabaseError as e:
        if str(e).startswith("no dataset at") and "(" not in str(e):
            raise DatabaseError(f"{e} (run `nianbao crawl` or `nianbao demo` first)") from None
        raise


def year_range(spec: str | None) -> tuple[int, int] | None:
    """'2021' → (2021, 2021); '2019-2023' → (2019, 2023); None → None."""
    if spec is None:
        return None
    m = _YEARS.match(spec)
    if not m:
        raise QueryError(f"bad year {spec!r}: use 2021 or 2019-2023")
    first, last = int(m.group(1)), int(m.group(2) or m.group(1))
    if first > last:
        raise QueryError(f"bad year range {spec!r}: the first year is after the last")
    return first, last


def _prefix(column, value: str):
    """A region given by its full name or by its start: 湖南 matches 湖南省."""
    return or_(column == value, column.startswith(value, autoescape=True))


def check_keys(engine: Engine, table=None, row=None, col=None) -> None:
    """QueryError naming the valid keys when a table, row or column key is not one of the forms' keys."""
    for kind, key, known in (("table", table, list(labels.TABLES)),
                             ("row", row, [r for t, r in labels.ROWS if table in (None, t)]),
                             ("col", col, [c for t, c in labels.COLS if table in (None, t)])):
        if key is None or key in known:
            continue
        stored = Cell.__table__.c.tbl if kind == "table" else getattr(Cell.__table__.c, kind)
        stmt = select(stored).distinct()
        if table is not None and kind != "table":
            stmt = stmt.where(Cell.__table__.c.tbl == table)
        with engine.connect() as conn:          # keys the forms do not name but the dataset holds
            extra = [k for k in conn.execute(stmt).scalars() if k not in known]
        if key in extra:
            continue
        where = f" of table {table}" if table is not None and kind != "table" else ""
        valid = list(dict.fromkeys(known + sorted(extra)))
        raise QueryError(f"unknown {kind} {key!r}{where}; valid: {', '.join(valid)}")


def cells(engine: Engine, *, province=None, city=None, county=None, agency=None, year=None, template=None,
          table=None, row=None, col=None, limit: int | None = None) -> list[dict]:
    """The cells of current reports matching every given filter, ordered by region, agency, year, key."""
    years = year_range(year)
    check_keys(engine, table, row, col)
    r, a, c = Report.__table__, Agency.__table__, Cell.__table__
    rl, cl = views.row_labels, views.col_labels
    stmt = (select(a.c.province, a.c.city, a.c.county,
                   a.c.name.label("agency"), r.c.year, r.c.template, c.c.tbl.label("table"),
                   c.c.row, c.c.col, c.c.value, c.c.raw, rl.c.label.label("row_label"),
                   cl.c.label.label("col_label"), r.c.id.label("report_id"))
            .select_from(c.join(r, r.c.id == c.c.report_id).outerjoin(a, a.c.id == r.c.agency_id)
                         .outerjoin(rl, and_(rl.c.tbl == c.c.tbl, rl.c.row == c.c.row))
                         .outerjoin(cl, and_(cl.c.tbl == c.c.tbl, cl.c.col == c.c.col)))
            .where(r.c.is_current))
    stmt = _where_region(stmt, a, province, city, county)
    for column, value in ((r.c.template, template), (c.c.tbl, table), (c.c.row, row), (c.c.col, col)):
        if value is not None:
            stmt = stmt.where(column == value)
    if agency:
        stmt = stmt.where(or_(a.c.name.contains(agency, autoescape=True),
                              r.c.agency_printed.contains(agency, autoescape=True)))
    if years:
        stmt = stmt.where(r.c.year.between(*years))
    stmt = stmt.order_by(a.c.province, a.c.city, a.c.county, a.c.name, r.c.year, c.c.tbl, c.c.row, c.c.col)
    if limit is not None:
        stmt = stmt.limit(limit)
    with engine.connect() as conn:
        return [dict(m) for m in conn.execute(stmt).mappings()]


def _where_region(stmt, a, province, city, county):
    for column, value in ((a.c.province, province), (a.c.city, city), (a.c.county, county)):
        if value is not None:
            stmt = stmt.where(_prefix(column, value))
    return stmt


def view_columns(engine: Engine, view: str) -> list[str]:
    """The columns of a view of views.VIEWS, in order."""
    if view not in views.VIEWS:
        raise QueryError(f"unknown view {view!r}; known: {', '.join(views.VIEWS)}")
    with engine.connect() as conn:
        return list(conn.execute(text(f"SELECT * FROM {view} WHERE 1 = 0")).keys())


def view_rows(engine: Engine, view: str, *, province=None, city=None, county=None, agency=None, year=None,
              limit: int | None = None) -> list[dict]:
    """The rows of a view filtered by every given filter; a filter on a column the view lacks is refused."""
    columns = set(view_columns(engine, view))
    given = {"province": province, "city": city, "county": county, "agency": agency, "year": year}
    lacking = [k for k, v in given.items() if v is not None and k not in columns]
    if lacking:
        can = [k for k in given if k in columns]
        raise QueryError(f"view {view} has no {', '.join(lacking)} column; it can be filtered by: "
                         f"{', '.join(can) or 'nothing'}")
    years = year_range(year)
    where, params = [], {}
    for column in ("province", "city", "county"):
        if given[column] is not None:
            where.append(f"({column} = :{column} OR {column} LIKE :{column}_prefix ESCAPE '\\')")
            params[column] = given[column]
            params[f"{column}_prefix"] = _like_escape(given[column]) + "%"
    if agency:
        where.append("agency LIKE :agency ESCAPE '\\'")
        params["agency"] = "%" + _like_escape(agency) + "%"
    if years:
        where.append("year BETWEEN :first AND :last")
        params.update(first=years[0], last=years[1])
    order = [c for c in ("province", "city", "county", "agency", "year") if c in columns]
    sql = (f"SELECT * FROM {view}" + (" WHERE " + " AND ".join(where) if where else "")
           + (" ORDER BY " + ", ".join(order) if order else "") + (f" LIMIT {int(limit)}" if limit else ""))
    with engine.connect() as conn:
        return [dict(m) for m in conn.execute(text(sql), params).mappings()]


def _like_escape(s: str) -> str:
    return re.sub(r"([\\%_])", r"\\\1", s)


def search_rows(engine: Engine, terms: str, *, province=None, city=None, county=None, agency=None, year=None,
                current_only: bool = True, limit: int | None = None) -> list[dict]:
    """Full-text hits (SEARCH_COLUMNS) restricted by every given region, agency and year filter."""
    years = year_range(year)
    hits = search.search(engine, terms, limit=10**9, current_only=current_only)
    if not hits:
        return []
    r, a = Report.__table__, Agency.__table__
    # the reports passing the filters, all of them: a list of hit ids could pass SQLite's bound-parameter limit
    stmt = select(r.c.id, a.c.province, a.c.city, a.c.county).select_from(r.outerjoin(a, a.c.id == r.c.agency_id))
    if current_only:
        stmt = stmt.where(r.c.is_current)
    stmt = _where_region(stmt, a, province, city, county)
    if agency:
        stmt = stmt.where(or_(a.c.name.contains(agency, autoescape=True),
                              r.c.agency_printed.contains(agency, autoescape=True)))
    if years:
        stmt = stmt.where(r.c.year.between(*years))
    with engine.connect() as conn:
        region = {m["id"]: m for m in conn.execute(stmt).mappings()}
    rows = [dict(vars(h), province=region[h.report_id]["province"], city=region[h.report_id]["city"],
                 county=region[h.report_id]["county"]) for h in hits if h.report_id in region]
    return rows[:limit] if limit else rows


def fmt(value) -> str:
    """A value as printed: '' for null, 3119 for integral numbers, 12.5 for decimals."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, (float, Decimal)):
        return number_text(value)
    return str(value)


def width(s: str) -> int:
    """Terminal columns taken by `s` (CJK characters take two)."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in s)


def print_table(columns: list[str], rows: list[dict], out=None, footer: bool = True) -> None:
    """Print rows as an aligned table, numbers right-aligned; `footer` adds the line "(N rows)"."""
    out = out or sys.stdout
    texts = [[fmt(row.get(k)).replace("\n", " ") for k in columns] for row in rows]
    widths = [max([width(c)] + [width(t[i]) for t in texts]) for i, c in enumerate(columns)]
    numeric = [bool(rows) and all(isinstance(row.get(k), (int, float, Decimal)) or row.get(k) is None
                                  for row in rows) for k in columns]

    def line(cells):
        parts = []
        for i, s in enumerate(cells):
            pad = " " * (widths[i] - width(s))
            parts.append(pad + s if numeric[i] else s + pad)
        return "  ".join(parts).rstrip()

    print(line(columns), file=out)
    print("  ".join("-" * w for w in widths), file=out)
    for t in texts:
        print(line(t), file=out)
    if footer:
        print(f"({len(rows)} row{'s' if len(rows) != 1 else ''})", file=out)
