"""The SQL views answer the common questions the same way on SQLite and Postgres."""
from __future__ import annotations

from collections import defaultdict
from datetime import date
from decimal import Decimal

import pytest
from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, text

from parsers.model import Cell, Report
from pipelines import labels, views
from pipelines.db import engine as db_engine
from pipelines.db import open_db
from pipelines.query import view_rows
from tests.pipelines import query_dataset
from tests.pipelines.query_dataset import (  # noqa: F401
    AGENCIES,
    SAMPLES,
    Sample,
    cell_value,
    current_samples,
    dataset,
    drop_database,
    fill,
    fresh_postgres,
)

AGENCY = {a["id"]: a for a in AGENCIES}


def num(v):
    return None if v is None else Decimal(str(v))


def close(got, want: Decimal | None) -> bool:
    if want is None or got is None:
        return got is None and want is None
    return abs(num(got) - want) <= Decimal("0.00005")


def test_every_view_exists_and_labels_are_loaded(dataset):
    _, engine = dataset
    assert set(views.VIEWS) <= set(inspect(engine).get_view_names())
    rows = view_rows(engine, "v_cells_zh", agency="洛阳")
    assert rows and {r["report_id"] for r in rows} == {6}
    for r in rows:
        assert r["row_label"] == labels.ROWS[(r["tbl"], r["row"])]
        assert r["col_label"] == labels.COLS[(r["tbl"], r["col"])] and r["tbl_label"] == labels.TABLES[r["tbl"]]
    with engine.connect() as conn:
        assert conn.execute(text("SELECT COUNT(*) FROM row_labels")).scalar() == len(labels.ROWS)


def test_latest_report_per_agency_year(dataset):
    _, engine = dataset
    rows = view_rows(engine, "v_reports_latest")
    assert sorted(r["report_id"] for r in rows) == sorted(s.id for s in current_samples())
    keys = [(r["agency_id"], r["year"]) for r in rows if r["agency_id"]]
    assert len(keys) == len(set(keys))
    r3 = next(r for r in rows if r["report_id"] == 3)
    assert r3["source_url"].endswith("2023-v2.html") and r3["agency"] == "郑州市二七区人民政府"


def test_requests_per_region_and_year(dataset):
    _, engine = dataset
    want = defaultdict(lambda: defaultdict(Decimal))
    for s in current_samples():
        if s.agency_id is None or s.report.year is None:
            continue
        a = AGENCY[s.agency_id]
        w = want[(a["province"], a["city"], a["county"], a["level"], s.report.year)]
        w["reports"] += 1
        for row in ("new_received", "total_handled", "granted", "partially_granted"):
            v = cell_value(s, "requests", row, "total")
            if v is not None:
                w[row] += v
                w["n_" + row] += 1
    rows = view_rows(engine, "v_requests_by_region_year")
    assert {(r["province"], r["city"], r["county"], r["level"], r["year"]) for r in rows} == set(want)
    for r in rows:
        w = want[(r["province"], r["city"], r["county"], r["level"], r["year"])]
        assert r["reports"] == w["reports"] and r["reports_with_requests"] == w["n_new_received"]
        for row in ("new_received", "total_handled", "granted", "partially_granted"):
            assert num(r[row]) == (w[row] if w["n_" + row] else None), row
        share = (w["granted"] + w["partially_granted"]) / w["total_handled"] if w["total_handled"] else None
        assert close(r["granted_share"], share)
    henan_2023 = view_rows(engine, "v_requests_by_region_year", province="河南省", year="2023")
    assert sum(num(r["new_received"]) for r in henan_2023) == sum(
        cell_value(s, "requests", "new_received", "total") for s in current_samples()
        if s.report.year == 2023 and s.report.region["province"] == "河南省")


def test_share_of_requests_granted(dataset):
    _, engine = dataset
    rows = {r["report_id"]: r for r in view_rows(engine, "v_grant_share")}
    want = {s.id: s for s in current_samples() if cell_value(s, "requests", "total_handled", "total") is not None}
    assert set(rows) == set(want)
    for i, s in want.items():
        g, p, t = (cell_value(s, "requests", row, "total") for row in ("granted", "partially_granted", "total_handled"))
        assert (num(rows[i]["granted"]), num(rows[i]["total_handled"])) == (g, t)
        assert close(rows[i]["granted_share"], Decimal(g + p) / t if t else None)


def test_review_litigation_correction_rates(dataset):
    _, engine = dataset
    rows = view_rows(engine, "v_review_litigation_rates")
    want = {(s.id, c.row): c for s in current_samples() for c in s.report.cells
            if c.table == "review_litigation" and c.col == "total"}
    assert {(r["report_id"], r["row"]) for r in rows} == set(want)
    for r in rows:
        s = next(x for x in SAMPLES if x.id == r["report_id"])
        corrected, total = cell_value(s, "review_litigation", r["row"], "corrected"), want[(s.id, r["row"])].value
        assert num(r["corrected"]) == corrected and num(r["total"]) == total
        assert close(r["correction_rate"], Decimal(corrected) / total if total else None)


def test_reports_failing_checks(dataset):
    _, engine = dataset
    rows = view_rows(engine, "v_reports_failing_checks")
    want = [(s.id, c.rule, c.col) for s in SAMPLES for c in s.report.checks if c.ok is False]
    assert [(r["report_id"], r["rule"], r["col"]) for r in rows] == want
    assert (num(rows[0]["expected"]), num(rows[0]["actual"])) == (120, 118) and rows[0]["agency"] == "洛阳市人民政府"


def test_agencies_with_a_missing_year(dataset):
    _, engine = dataset
    today = date.today()
    years = defaultdict(set)
    for s in SAMPLES:
        if s.agency_id and s.report.year:
            years[s.agency_id].add(s.report.year)
    want = set()
    for agency_id, ys in years.items():
        level = AGENCY[agency_id]["level"]
        for y in range(min(ys), today.year + 1):
            deadline = date(y + 1, 1 if level == "department" else 3, 31)
            if y in ys:
                continue
            if y < max(ys):
                want.add((agency_id, y, "gap", deadline.isoformat()))
            elif deadline < today:
                want.add((agency_id, y, "overdue", deadline.isoformat()))
    rows = view_rows(engine, "v_missing_reports")
    assert {(r["agency_id"], r["year"], r["reason"], str(r["deadline"])) for r in rows} == want
    assert (2, 2022, "gap", "2023-01-31") in want                    # 司法局: 2021 and 2023, not 2022


@pytest.mark.parametrize("backend", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def test_migration_downgrades_and_upgrades_again(backend, tmp_path):
    url = (f"sqlite:///{tmp_path / 'm.sqlite'}" if backend == "sqlite"
           else fresh_postgres("nianbao_test_export_migration"))
    engine = open_db(url)
    fill(engine)
    cfg = Config(str(db_engine.HERE / "alembic.ini"))
    cfg.set_main_option("script_location", str(db_engine.HERE / "migrations"))
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, ScriptDirectory.from_config(cfg).get_revision("0050").down_revision)
    assert not set(views.VIEWS) & set(inspect(engine).get_view_names())
    assert "row_labels" not in inspect(engine).get_table_names()
    db_engine.upgrade(engine)
    assert len(view_rows(engine, "v_reports_latest")) == len(current_samples())
    engine.dispose()
    drop_database(url)


# one agency with 2020 (2019 format), 2021, 2022 (current and superseded versions) and 2024
KAIFENG = dict(id=5, name="开封市人民政府", province="河南省", city="开封市", county=None, level="city")


def _kaifeng(year, template, cells):
    return Report(agency=KAIFENG["name"], region={k: KAIFENG[k] for k in ("province", "city", "county")},
                  year=year, template=template, title=f"开封市人民政府{year}年政府信息公开工作年度报告",
                  published=f"{year + 1}-03-20", cells=[Cell(t, r, c, v, "/" if v is None else str(v))
                                                         for (t, r, c), v in cells.items()],
                  tables={t: template for t in {t for t, _, _ in cells}})


def _req(row, **cols):
    return {("requests", row, col): v for col, v in cols.items()}


def _pro(row, **cols):
    return {("proactive", row, col): v for col, v in cols.items()}


CROSS_YEAR = [
    Sample(101, 5, _kaifeng(2020, "2019", {**_req("carried_forward", natural_person=3, commercial=1, total=4),
                                           **_pro("regulations", made=2, published=2, total_published=9)}),
           sources=((101, "http://127.0.0.1:9/kf/2020.html", "text/html", "henan-kaifeng"),)),
    Sample(102, 5, _kaifeng(2021, "2021", {**_req("carried_over", natural_person=2, commercial=None, research=5,
                                                  total=4),
                                           **_req("carried_forward", natural_person=6, commercial=1, total=7),
                                           **_pro("regulations", issued=2, repealed=1, in_force=10),
                                           **_pro("normative_documents", issued=5, repealed=0, in_force=30)}),
           sources=((102, "http://127.0.0.1:9/kf/2021.html", "text/html", "henan-kaifeng"),)),
    Sample(103, 5, _kaifeng(2022, "2021", {**_req("carried_over", natural_person=900, total=999),
                                           **_pro("regulations", issued=0, repealed=0, in_force=500)}),
           current=False, superseded_by=104,
           sources=((103, "http://127.0.0.1:9/kf/2022.html", "text/html", "henan-kaifeng"),)),
    Sample(104, 5, _kaifeng(2022, "2021", {**_req("carried_over", natural_person=5, commercial=1, total=7),
                                           **_pro("regulations", issued=3, repealed=1, in_force=12),
                                           **_pro("normative_documents", issued=4, repealed=0, in_force=33)}),
           supersedes=103,
           sources=((104, "http://127.0.0.1:9/kf/2022-v2.html", "text/html", "henan-kaifeng"),)),
    Sample(105, 5, _kaifeng(2024, "2021", {**_req("carried_over", total=7),
                                           **_pro("regulations", issued=0, repealed=0, in_force=12)}),
           sources=((105, "http://127.0.0.1:9/kf/2024.html", "text/html", "henan-kaifeng"),)),
]


def cross_year_want(samples) -> dict:
    """(report_id, rule, row, col) -> (previous_report_id, expected, actual, ok), from the samples alone."""
    current = {(s.agency_id, s.report.year): s for s in samples if s.current and s.agency_id and s.report.year}
    want = {}
    for (agency_id, year), s in current.items():
        p = current.get((agency_id, year - 1))
        if p is None:
            continue
        now = {(c.table, c.row, c.col): c.value for c in s.report.cells}
        before = {(c.table, c.row, c.col): c.value for c in p.report.cells}
        cols = ({c for t, r, c in now if (t, r) == ("requests", "carried_over")}
                | {c for t, r, c in before if (t, r) == ("requests", "carried_forward")})
        for col in cols:
            e, a = before.get(("requests", "carried_forward", col)), now.get(("requests", "carried_over", col))
            want[(s.id, "carried_over_continuity", None, col)] = (
                p.id, e, a, None if e is None or a is None else e == a)
        for row in ("regulations", "normative_documents"):
            keys = [("proactive", row, c) for c in ("in_force", "issued", "repealed")]
            if not any(k in now for k in keys) and keys[0] not in before:
                continue
            previous, issued, repealed = before.get(keys[0]), now.get(keys[1]), now.get(keys[2])
            e = None if None in (previous, issued, repealed) else previous + issued - repealed
            a = now.get(keys[0])
            want[(s.id, "in_force_continuity", row, "in_force")] = (
                p.id, e, a, None if e is None or a is None else e == a)
    return want


@pytest.mark.parametrize("backend", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def test_cross_year_checks(backend, tmp_path, monkeypatch):
    url = (f"sqlite:///{tmp_path / 'x.sqlite'}" if backend == "sqlite"
           else fresh_postgres("nianbao_test_views_cross_year"))
    engine = open_db(url)
    samples = SAMPLES + CROSS_YEAR
    monkeypatch.setattr(query_dataset, "AGENCIES", AGENCIES + [KAIFENG])
    monkeypatch.setattr(query_dataset, "SAMPLES", samples)
    fill(engine)
    # a database migrated to 0050 before the view existed gains it with 0060
    cfg = Config(str(db_engine.HERE / "alembic.ini"))
    cfg.set_main_option("script_location", str(db_engine.HERE / "migrations"))
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "0050")
    assert "v_cross_year_checks" not in inspect(engine).get_view_names()
    assert "v_reports_latest" in inspect(engine).get_view_names()
    db_engine.upgrade(engine)

    rows = view_rows(engine, "v_cross_year_checks")
    got = {(r["report_id"], r["rule"], r["row"], r["col"]):
           (r["previous_report_id"], num(r["expected"]), num(r["actual"]), None if r["ok"] is None else bool(r["ok"]))
           for r in rows}
    assert len(got) == len(rows)
    want = {k: (p, num(e), num(a), ok) for k, (p, e, a, ok) in cross_year_want(samples).items()}
    assert got == want
    # the cases this dataset is built for, written out
    assert want[(104, "carried_over_continuity", None, "total")] == (102, 7, 7, True)
    assert want[(104, "carried_over_continuity", None, "natural_person")] == (102, 6, 5, False)
    assert want[(102, "carried_over_continuity", None, "commercial")] == (101, 1, None, None)
    assert want[(102, "carried_over_continuity", None, "research")] == (101, None, 5, None)
    assert want[(102, "in_force_continuity", "regulations", "in_force")] == (101, None, 10, None)
    assert want[(104, "in_force_continuity", "regulations", "in_force")] == (102, 12, 12, True)
    assert want[(104, "in_force_continuity", "normative_documents", "in_force")] == (102, 34, 33, False)
    assert {k[0] for k in want} == {3, 102, 104}                  # 103 superseded, 2024 has no 2023
    kaifeng = [r for r in rows if r["agency_id"] == 5]
    assert {(r["agency"], r["city"], r["year"], r["previous_year"]) for r in kaifeng} == {
        ("开封市人民政府", "开封市", 2021, 2020), ("开封市人民政府", "开封市", 2022, 2021)}
    assert {r["report_id"] for r in view_rows(engine, "v_cross_year_checks", agency="二七区")} == {3}
    engine.dispose()
    drop_database(url)
