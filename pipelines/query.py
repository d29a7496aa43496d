"""`nianbao query`: filter the current reports' cells (or a view, or a full-text search) and print them."""
from __future__ import annotations

import csv
import re
import sys
import unicodedata
from decimal import Decimal
from pathlib import Path

from sqlalchemy import and_, or_, select, text
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import SQLAlchemyError

from pipelines import search, views
from pipelines.db import DatabaseError, one_line, open_db
from pipelines.db.models import Agency, Cell, Report

CELL_COLUMNS = ["province", "city", "county", "agency", "year", "template", "table", "row", "col", "value", "raw",
                "row_label", "col_label", "report_id"]
TABLE_COLUMNS = ["province", "city", "county", "agency", "year", "table", "row", "col", "value"]
_YEARS = re.compile(r"^\s*(\d{4})\s*(?:-\s*(\d{4})\s*)?$")


class QueryError(ValueError):
    """A filter that cannot be applied; the message is one line, fit for a user."""


def open_dataset(url: str) -> Engine:
    """Open an existing dataset (a missing SQLite file is an error, not a new empty dataset)."""
    try:
        u = make_url(url)
    except Exception as e:  # noqa: BLE001 - SQLAlchemy raises ArgumentError or ValueError
        raise DatabaseError(f"bad database URL {url!r}: {one_line(e)}") from None
    if u.get_backend_name() == "sqlite" and u.database not in (None, "", ":memory:") \
            and not Path(u.database).is_file():
        raise DatabaseError(f"no dataset at {u.database} (run `nianbao crawl` or `nianbao demo` first)")
    return open_db(url)


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


def cells(engine: Engine, *, province=None, city=None, county=None, agency=None, year=None, template=None,
          table=None, row=None, col=None, limit: int | None = None) -> list[dict]:
    """The cells of current reports matching every given filter, ordered by region, agency, year, key."""
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
    for column, value in ((a.c.province, province), (a.c.city, city), (a.c.county, county),
                          (r.c.template, template), (c.c.tbl, table), (c.c.row, row), (c.c.col, col)):
        if value is not None:
            stmt = stmt.where(column == value)
    if agency:
        stmt = stmt.where(or_(a.c.name.contains(agency, autoescape=True),
                              r.c.agency_printed.contains(agency, autoescape=True)))
    years = year_range(year)
    if years:
        stmt = stmt.where(r.c.year.between(*years))
    stmt = stmt.order_by(a.c.province, a.c.city, a.c.county, a.c.name, r.c.year, c.c.tbl, c.c.row, c.c.col)
    if limit is not None:
        stmt = stmt.limit(limit)
    with engine.connect() as conn:
        return [dict(m) for m in conn.execute(stmt).mappings()]


def view_rows(engine: Engine, view: str, *, province=None, city=None, county=None, agency=None, year=None,
              limit: int | None = None) -> list[dict]:
    """The rows of a view, filtered on whichever of the region, agency and year columns it has."""
    if view not in views.VIEWS:
        raise QueryError(f"unknown view {view!r}; known: {', '.join(views.VIEWS)}")
    with engine.connect() as conn:
        columns = set(conn.execute(text(f"SELECT * FROM {view} WHERE 1 = 0")).keys())
        where, params = [], {}
        for column, value in (("province", province), ("city", city), ("county", county)):
            if value is not None and column in columns:
                where.append(f"{column} = :{column}")
                params[column] = value
        if agency and "agency" in columns:
            where.append("agency LIKE :agency ESCAPE '\\'")
            params["agency"] = "%" + re.sub(r"([\\%_])", r"\\\1", agency) + "%"
        years = year_range(year)
        if years and "year" in columns:
            where.append("year BETWEEN :first AND :last")
            params.update(first=years[0], last=years[1])
        order = [c for c in ("province", "city", "county", "agency", "year") if c in columns]
        sql = (f"SELECT * FROM {view}" + (" WHERE " + " AND ".join(where) if where else "")
               + (" ORDER BY " + ", ".join(order) if order else "") + (f" LIMIT {int(limit)}" if limit else ""))
        return [dict(m) for m in conn.execute(text(sql), params).mappings()]


def run(args) -> int:
    try:
        engine = open_dataset(args.db)
        limit = args.limit + 1 if args.limit and args.limit > 0 else None
        if args.search:
            rows = [vars(h) for h in search.search(engine, args.search, limit=limit or 10**9)]
            columns = ["report_id", "agency", "year", "title", "snippet"]
        elif args.view:
            rows = view_rows(engine, args.view, province=args.province, city=args.city, county=args.county,
                             agency=args.agency, year=args.year, limit=limit)
            columns = list(rows[0]) if rows else []
        else:
            rows = cells(engine, province=args.province, city=args.city, county=args.county, agency=args.agency,
                         year=args.year, template=args.template, table=args.table, row=args.row, col=args.col,
                         limit=limit)
            columns = CELL_COLUMNS if args.csv else TABLE_COLUMNS
        engine.dispose()
    except (DatabaseError, QueryError) as e:
        print(f"nianbao query: {e}", file=sys.stderr)
        return 2
    except SQLAlchemyError as e:
        print(f"nianbao query: database error: {one_line(e)}", file=sys.stderr)
        return 2
    more = limit is not None and len(rows) == limit
    rows = rows[:limit - 1] if more else rows
    if args.csv:
        w = csv.writer(sys.stdout, lineterminator="\n")
        w.writerow(columns)
        w.writerows([fmt(row.get(k)) for k in columns] for row in rows)
    else:
        print_table(columns, rows)
    sys.stdout.flush()              # a closed pipe surfaces here, where nianbao.cli ends quietly
    if more:
        print(f"nianbao query: more rows not shown (--limit {args.limit}; 0 for all)", file=sys.stderr)
    return 0


def fmt(value) -> str:
    """A value as printed: '' for null, 3119 for integral numbers, 12.5 for decimals."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, float):
        value = Decimal(repr(value))
    if isinstance(value, Decimal):
        value = value.normalize()
        return str(int(value)) if value == value.to_integral_value() else format(value, "f")
    return str(value)


def width(s: str) -> int:
    """Terminal columns taken by `s` (CJK characters take two)."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in s)


def print_table(columns: list[str], rows: list[dict], out=None) -> None:
    """Print rows as an aligned table; numbers right-aligned."""
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
    print(f"({len(rows)} row{'s' if len(rows) != 1 else ''})", file=out)
