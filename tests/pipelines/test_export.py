"""`nianbao export`: jsonl round-trips to the database, CSV has a BOM, Parquet reads back equal."""
from __future__ import annotations

import csv
import hashlib
import io
import json
from decimal import Decimal

import pyarrow.parquet as pq
import pytest
from sqlalchemy import select

from crawler.items import DocumentItem
from nianbao.cli import main
from pipelines import dataset as store
from pipelines import export, labels
from pipelines.db import open_db
from pipelines.db.models import Agency, Source
from pipelines.db.models import Cell as CellRow
from pipelines.db.models import Report as ReportRow
from tests.pipelines.query_dataset import SAMPLES, current_samples, dataset, drop_database, fresh_postgres  # noqa: F401

CONTRACT_KEYS = ("agency", "region", "year", "template", "title", "published", "cells", "checks", "sections",
                 "warnings")


def db_cells(engine, current_only=True) -> set[tuple]:
    r, c = ReportRow.__table__, CellRow.__table__
    stmt = select(c.c.report_id, c.c.tbl, c.c.row, c.c.col, c.c.value, c.c.raw).join(r, r.c.id == c.c.report_id)
    if current_only:
        stmt = stmt.where(r.c.is_current)
    with engine.connect() as conn:
        return {tuple(row) for row in conn.execute(stmt)}


def _key(c):
    return (c["table"], c["row"], c["col"])


def test_jsonl_round_trip_equals_database_and_input(dataset, tmp_path):
    url, engine = dataset
    out = tmp_path / "reports.jsonl"
    assert main(["export", "--format", "jsonl", "--out", str(out), "--db", url]) == 0
    lines = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert [d["id"] for d in lines] == sorted(s.id for s in current_samples())

    # identical cells to the database
    exported = {(d["id"], c["table"], c["row"], c["col"], c["value"], c["raw"]) for d in lines for c in d["cells"]}
    assert exported == db_cells(engine)
    assert len(exported) == sum(len(d["cells"]) for d in lines)

    # and every contract field equals the Report that was stored
    by_id = {s.id: s for s in SAMPLES}
    for d in lines:
        want = by_id[d["id"]].report.to_dict()
        for key in CONTRACT_KEYS:
            if key == "cells":
                assert sorted(d["cells"], key=_key) == sorted(want["cells"], key=_key)
            elif key == "checks":
                assert d["checks"] == want["checks"]
            else:
                assert d[key] == want[key], key
        assert d["tables"] == want["tables"]
        assert d["current"] is True


def test_jsonl_sources_and_versions(dataset):
    url, engine = dataset
    buf = io.StringIO()
    n = export.write_jsonl(engine, buf, all_versions=True)
    lines = {d["id"]: d for d in map(json.loads, buf.getvalue().splitlines())}
    assert n == len(lines) == len(SAMPLES)
    with engine.connect() as conn:
        rows = conn.execute(select(Source.__table__)).mappings().all()
    for s in SAMPLES:
        got = lines[s.id]["sources"]
        assert [(x["url"], x["media_type"], x["site"]) for x in got] == [(u, m, site) for _, u, m, site in s.sources]
        for x in got:
            row = next(r for r in rows if r["url"] == x["url"])
            assert x["sha256"] == row["sha256"] and x["fetched_at"] == row["fetched_at"].isoformat() + "Z"
    assert lines[2]["current"] is False and lines[2]["superseded_by"] == 3 and lines[3]["supersedes"] == 2
    assert lines[3]["media_type"] == "text/html"                  # the primary source's type
    assert lines[8]["agency"] == "某县某某局" and lines[8]["region"]["province"] == "河北省"  # no agency row


def test_csv_has_bom_and_opens_with_csv_module(dataset, tmp_path):
    url, engine = dataset
    out = tmp_path / "cells.csv"
    assert main(["export", "--format", "csv", "--out", str(out), "--db", url]) == 0
    data = out.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"), newline="")))
    assert list(rows[0]) == export.CELL_COLUMNS
    got = {(int(r["report_id"]), r["table"], r["row"], r["col"], r["value"], r["raw"]) for r in rows}
    want = {(i, t, row, col, "" if v is None else str(v), raw) for i, t, row, col, v, raw in db_cells(engine)}
    assert got == want and len(rows) == len(want)
    new = next(r for r in rows if r["row"] == "new_received" and r["report_id"] == "1")
    assert new["agency"] == "郑州市二七区人民政府" and new["province"] == "河南省" and new["year"] == "2022"
    assert new["row_label"] == labels.ROWS[("requests", "new_received")] and new["col_label"]
    assert not any(r["report_id"] == "2" for r in rows)            # superseded version left out


def test_parquet_reads_back_equal_to_database(dataset, tmp_path):
    url, engine = dataset
    out = tmp_path / "cells.parquet"
    assert main(["export", "--format", "parquet", "--out", str(out), "--db", url, "--all-versions"]) == 0
    table = pq.read_table(out)
    assert table.column_names == export.CELL_COLUMNS
    rows = table.to_pylist()
    got = {(r["report_id"], r["table"], r["row"], r["col"], r["value"], r["raw"]) for r in rows}
    want = {(i, t, row, col, None if v is None else float(v), raw)
            for i, t, row, col, v, raw in db_cells(engine, current_only=False)}
    assert got == want and len(rows) == len(want)
    fee = next(r for r in rows if r["col"] == "amount_10k_yuan")
    assert Decimal(str(fee["value"])) == Decimal("12.5") and fee["raw"] == "12.5"
    assert {r["current"] for r in rows if r["report_id"] == 2} == {False}


def test_bad_arguments_and_missing_dataset_are_one_line_errors(tmp_path, capsys):
    missing = tmp_path / "none.sqlite"
    assert main(["export", "--format", "parquet", "--db", f"sqlite:///{missing}"]) == 2
    assert "parquet needs --out" in capsys.readouterr().err
    assert main(["export", "--format", "csv", "--out", str(tmp_path / "x.csv"), "--db", f"sqlite:///{missing}"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "no dataset" in err
    assert not missing.exists() and not (tmp_path / "x.csv").exists()


@pytest.mark.parametrize("backend", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def test_round_trip_through_the_storage_pipeline(backend, tmp_path):
    """Reports written by the real store (pipelines.dataset) come back out of the jsonl export unchanged."""
    url = (f"sqlite:///{tmp_path / 'store.sqlite'}" if backend == "sqlite"
           else fresh_postgres("nianbao_test_export_store"))
    engine = open_db(url)
    stored = {}
    for s in SAMPLES:
        if not s.agency_id or not s.current or s.id == 3:
            continue
        body = f"<html>{s.id}</html>".encode()
        _, page_url, media, site = s.sources[0]
        item = DocumentItem(url=page_url, site=site, kind="page", media_type=media, body=body,
                            sha256=hashlib.sha256(body).hexdigest(), fetched_at="2024-02-01T00:00:00Z",
                            report=s.report, listing_title=s.report.title)
        assert store.store_document(engine, item, "test") == "new_report"
        stored[page_url] = s.report
    buf = io.StringIO()
    export.write_jsonl(engine, buf)
    lines = [json.loads(line) for line in buf.getvalue().splitlines()]
    assert len(lines) == len(stored)
    with engine.connect() as conn:
        names = dict(conn.execute(select(Agency.id, Agency.name)).all())
    exported = {(d["id"], c["table"], c["row"], c["col"], c["value"], c["raw"]) for d in lines for c in d["cells"]}
    assert exported == db_cells(engine)
    for d in lines:
        want = stored[d["sources"][0]["url"]].to_dict()
        assert sorted(d["cells"], key=_key) == sorted(want["cells"], key=_key)
        assert (d["agency_printed"], d["year"], d["title"], d["sections"]) == \
            (want["agency"], want["year"], want["title"], want["sections"])
        assert d["agency"] == names[d["agency_id"]] and d["region"] == want["region"]
        assert d["sources"][0]["fetched_at"] == "2024-02-01T00:00:00Z"
    engine.dispose()
    drop_database(url)
