"""The dataset as Report JSON lines, or long-form cells as CSV (UTF-8 with BOM) or Parquet."""
from __future__ import annotations

import csv
import io
import json
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from itertools import islice

from sqlalchemy import and_, func, select
from sqlalchemy.engine import Engine

from parsers.numbers import json_number
from pipelines import labels, views
from pipelines.db.models import Agency, Cell, CheckResult, Report, Source
from pipelines.query import fmt

BATCH = 500                      # reports per round trip for jsonl
ROWS_PER_PARQUET_BATCH = 50_000
CELL_COLUMNS = ["report_id", "agency_id", "agency", "province", "city", "county", "year", "template", "current",
                "table", "row", "col", "value", "raw", "table_label", "row_label", "col_label"]

_CURRENT, _VALUE = CELL_COLUMNS.index("current"), CELL_COLUMNS.index("value")

# template order for cells in a report (labels lists keys in the order template.md prints them)
_TABLE_ORDER = {t: i for i, t in enumerate(labels.TABLES)}
_ROW_ORDER = {k: i for i, k in enumerate(labels.ROWS)}
_COL_ORDER = {k: i for i, k in enumerate(labels.COLS)}


def _json(v):
    if isinstance(v, dict):
        return {k: _json(x) for k, x in v.items()}
    if isinstance(v, list):
        return [_json(x) for x in v]
    return json_number(v)


def _iso(dt) -> str | None:
    return dt.isoformat() + "Z" if dt is not None else None


def _cell_key(c: dict):
    big = len(_ROW_ORDER) + len(_COL_ORDER)
    return (_TABLE_ORDER.get(c["table"], big), _ROW_ORDER.get((c["table"], c["row"]), big), c["row"],
            _COL_ORDER.get((c["table"], c["col"]), big), c["col"])


def reports(engine: Engine, *, all_versions: bool = False) -> Iterator[dict]:
    """Each report as the contract's Report JSON (as a dict) plus id, sources and version links.

    "agency" is the agency's one canonical name (the same in query, CSV and the views); the name as
    printed in this report is "agency_printed".
    """
    r, a = Report.__table__, Agency.__table__
    c, k, s = Cell.__table__, CheckResult.__table__, Source.__table__
    last = 0
    with engine.connect() as conn:
        while True:
            stmt = (select(r, a.c.name.label("agency_name"), a.c.province, a.c.city, a.c.county)
                    .select_from(r.outerjoin(a, a.c.id == r.c.agency_id))
                    .where(r.c.id > last).order_by(r.c.id).limit(BATCH))
            if not all_versions:
                stmt = stmt.where(r.c.is_current)
            batch = conn.execute(stmt).mappings().all()
            if not batch:
                return
            ids = [m["id"] for m in batch]
            cells: dict[int, list] = {i: [] for i in ids}
            for rid, tbl, row, col, value, raw in conn.execute(
                    select(c.c.report_id, c.c.tbl, c.c.row, c.c.col, c.c.value, c.c.raw)
                    .where(c.c.report_id.in_(ids))).all():
                cells[rid].append({"table": tbl, "row": row, "col": col, "value": json_number(value), "raw": raw})
            checks: dict[int, list] = {i: [] for i in ids}
            for m in conn.execute(select(k).where(k.c.report_id.in_(ids)).order_by(k.c.id)).mappings():
                checks[m["report_id"]].append({"rule": m["rule"], "row": m["row"], "col": m["col"], "ok": m["ok"],
                                               "expected": json_number(m["expected"]),
                                               "actual": json_number(m["actual"]),
                                               "inputs": _json(m["inputs"] or {})})
            sources: dict[int, list] = {i: [] for i in ids}
            media: dict[int, str | None] = {}
            for m in conn.execute(select(s).where(s.c.report_id.in_(ids)).order_by(s.c.id)).mappings():
                sources[m["report_id"]].append({"url": m["url"], "sha256": m["sha256"], "media_type": m["media_type"],
                                                "fetched_at": _iso(m["fetched_at"]), "site": m["site"]})
                media[m["id"]] = m["media_type"]
            for m in batch:
                i = m["id"]
                if m["agency_id"] is not None:
                    region = {"province": m["province"], "city": m["city"], "county": m["county"]}
                else:
                    parsed = m["region"] or {}
                    region = {key: parsed.get(key) for key in ("province", "city", "county")}
                yield {
                    "id": i,
                    "agency": m["agency_name"] or m["agency_printed"],
                    "agency_id": m["agency_id"],
                    "agency_printed": m["agency_printed"],
                    "region": region,
                    "year": m["year"],
                    "template": m["template"],
                    "tables": m["tables"] or {},
                    "title": m["title"],
                    "published": m["published"].isoformat() if m["published"] else None,
                    "cells": sorted(cells[i], key=_cell_key),
                    "checks": checks[i],
                    "sections": m["sections"] or {},
                    "warnings": m["warnings"] or [],
                    "media_type": media.get(m["primary_source_id"]),
                    "current": bool(m["is_current"]),
                    "supersedes": m["supersedes_id"],
                    "superseded_by": m["superseded_by_id"],
                    "sources": sources[i],
                }
            last = ids[-1]


def cell_rows(engine: Engine, *, all_versions: bool = False) -> Iterator[tuple]:
    """Long-form cells (tuples in CELL_COLUMNS order) with report, agency, region and Chinese labels, streamed."""
    r, a, c = Report.__table__, Agency.__table__, Cell.__table__
    tl, rl, cl = views.table_labels, views.row_labels, views.col_labels
    stmt = (select(c.c.report_id, r.c.agency_id, func.coalesce(a.c.name, r.c.agency_printed), a.c.province,
                   a.c.city, a.c.county, r.c.year, r.c.template, r.c.is_current, c.c.tbl, c.c.row, c.c.col,
                   c.c.value, c.c.raw, tl.c.label, rl.c.label, cl.c.label)
            .select_from(c.join(r, r.c.id == c.c.report_id).outerjoin(a, a.c.id == r.c.agency_id)
                         .outerjoin(tl, tl.c.tbl == c.c.tbl)
                         .outerjoin(rl, and_(rl.c.tbl == c.c.tbl, rl.c.row == c.c.row))
                         .outerjoin(cl, and_(cl.c.tbl == c.c.tbl, cl.c.col == c.c.col)))
            .order_by(c.c.report_id, c.c.tbl, c.c.row, c.c.col))
    if not all_versions:
        stmt = stmt.where(r.c.is_current)
    with engine.connect() as conn:
        for part in conn.execution_options(stream_results=True, yield_per=5000).execute(stmt).partitions():
            yield from map(tuple, part)


def write_jsonl(engine: Engine, out: io.TextIOBase, *, all_versions: bool = False) -> int:
    """One Report JSON per line; returns the number of reports."""
    n = 0
    for rep in reports(engine, all_versions=all_versions):
        out.write(json.dumps(rep, ensure_ascii=False) + "\n")
        n += 1
    return n


def write_csv(engine: Engine, out: io.TextIOBase, *, all_versions: bool = False) -> int:
    """CSV for spreadsheets: `out` must be opened with encoding utf-8-sig so Excel reads Chinese."""
    w = csv.writer(out, lineterminator="\r\n")
    w.writerow(CELL_COLUMNS)
    n = 0
    for row in cell_rows(engine, all_versions=all_versions):
        w.writerow(row[:_CURRENT] + (int(row[_CURRENT]),) + row[_CURRENT + 1:_VALUE] + (fmt(row[_VALUE]),)
                   + row[_VALUE + 1:])
        n += 1
    return n


def write_parquet(engine: Engine, path: str, *, all_versions: bool = False) -> int:
    """Long-form cells as a typed Parquet file at `path` (zstd)."""
    import pyarrow as pa  # heavy: imported only for Parquet
    import pyarrow.parquet as pq

    string = pa.string()
    schema = pa.schema([("report_id", pa.int64()), ("agency_id", pa.int64()), ("agency", string),
                        ("province", string), ("city", string), ("county", string), ("year", pa.int32()),
                        ("template", string), ("current", pa.bool_()), ("table", string), ("row", string),
                        ("col", string), ("value", pa.float64()), ("raw", string), ("table_label", string),
                        ("row_label", string), ("col_label", string)])
    n = 0
    rows = cell_rows(engine, all_versions=all_versions)
    with pq.ParquetWriter(path, schema, compression="zstd") as writer:
        while chunk := list(islice(rows, ROWS_PER_PARQUET_BATCH)):
            columns = [list(col) for col in zip(*chunk, strict=True)]
            columns[_VALUE] = [None if v is None else float(v) for v in columns[_VALUE]]
            writer.write_table(pa.Table.from_arrays(columns, schema=schema))
            n += len(chunk)
    return n


@contextmanager
def text_out(path: str, encoding: str):
    """A text stream on `path` written atomically (temp file, then rename), or on standard output for '-'."""
    if path == "-":
        stream = io.TextIOWrapper(sys.stdout.buffer, encoding=encoding, newline="", write_through=True)
        try:
            yield stream
        finally:
            stream.detach()
        return
    tmp = f"{path}.tmp{os.getpid()}"
    try:
        with open(tmp, "w", encoding=encoding, newline="") as f:
            yield f
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def export(engine: Engine, format_: str, out: str, *, all_versions: bool = False) -> tuple[int, str]:
    """Write the dataset to `out` ('-': standard output; files are replaced atomically); (count, what)."""
    if format_ == "parquet":
        if out == "-":
            raise ValueError("parquet needs --out PATH")
        tmp = f"{out}.tmp{os.getpid()}"
        try:
            n = write_parquet(engine, tmp, all_versions=all_versions)
            os.replace(tmp, out)
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)
        return n, "cells"
    if format_ == "csv":
        with text_out(out, "utf-8-sig") as f:
            return write_csv(engine, f, all_versions=all_versions), "cells"
    with text_out(out, "utf-8") as f:
        return write_jsonl(engine, f, all_versions=all_versions), "reports"
