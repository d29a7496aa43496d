"""A small known dataset for the export, query, view and search tests, on SQLite and on Postgres.

Rows are written with SQLAlchemy Core into the storage helper's tables, so these tests exercise the
reading side alone. `dataset` is a module-scoped fixture parametrised over both backends.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

import pytest
from sqlalchemy import create_engine, insert, text, update
from sqlalchemy.engine import Engine

from parsers.model import Cell, Check, Report
from pipelines.db import open_db
from pipelines.db.models import Agency, CheckResult, Source
from pipelines.db.models import Cell as CellRow
from pipelines.db.models import Report as ReportRow
from tests import services

NOW = datetime(2024, 3, 1, 8, 30, 0)

AGENCIES = [
    dict(id=1, name="郑州市二七区人民政府", province="河南省", city="郑州市", county="二七区", level="county"),
    dict(id=2, name="郑州市二七区司法局", province="河南省", city="郑州市", county="二七区", level="department"),
    dict(id=3, name="洛阳市人民政府", province="河南省", city="洛阳市", county=None, level="city"),
    dict(id=4, name="淮安市洪泽区人民政府", province="江苏省", city="淮安市", county="洪泽区", level="county"),
]

REQ_ROWS = ["new_received", "carried_over", "granted", "partially_granted", "unable_not_held", "total_handled",
            "carried_forward"]
REQ_COLS = ["natural_person", "commercial", "total"]
RL_ROWS = ["review", "suit_direct", "suit_after_review"]
RL_COLS = ["upheld", "corrected", "other", "pending", "total"]


def _requests(seed: int) -> list[Cell]:
    out = []
    for i, row in enumerate(REQ_ROWS):
        person, company = seed * (i + 2) % 97 + i, seed * (i + 5) % 31
        for col, v in zip(REQ_COLS, (person, company, person + company), strict=True):
            out.append(Cell("requests", row, col, v, str(v)))
    return out


def _review(seed: int) -> list[Cell]:
    out = []
    for i, row in enumerate(RL_ROWS):
        upheld, corrected, other, pending = seed % 5 + i, (seed + i) % 3, i, 1
        for col, v in zip(RL_COLS, (upheld, corrected, other, pending, upheld + corrected + other + pending),
                          strict=True):
            out.append(Cell("review_litigation", row, col, v, str(v)))
    return out


def _proactive() -> list[Cell]:
    return [Cell("proactive", "regulations", "issued", 3, "3"),
            Cell("proactive", "regulations", "repealed", None, "/"),
            Cell("proactive", "fees", "amount_10k_yuan", Decimal("12.5"), "12.5")]


@dataclass
class Sample:
    """One stored report: the parsed record, its row links, and its sources."""

    id: int
    agency_id: int | None
    report: Report
    current: bool = True
    supersedes: int | None = None
    superseded_by: int | None = None
    sources: tuple = ()          # (source id, url, media type, site)


def _report(agency, year, template, cells, checks=(), sections=None, title=None, region=None) -> Report:
    a = next((x for x in AGENCIES if x["name"] == agency), None)
    region = region or {k: a[k] for k in ("province", "city", "county")}
    return Report(agency=agency, region=region, year=year, template=template,
                  title=title or f"{agency}{year}年政府信息公开工作年度报告",
                  published=f"{year + 1}-01-20" if year else None,
                  cells=list(cells), checks=list(checks), sections=sections or {}, warnings=[],
                  tables={t: template for t in sorted({c.table for c in cells})})


SAMPLES = [
    Sample(1, 1, _report("郑州市二七区人民政府", 2022, "2021", _requests(7) + _review(7) + _proactive(),
                         sections={"overview": "二七区人民政府坚持以公开为常态。",
                                   "problems": "公开平台建设仍需加强。"}),
           sources=((1, "http://127.0.0.1:9/erqi/2022.html", "text/html", "henan-zhengzhou-erqi"),)),
    Sample(2, 1, _report("郑州市二七区人民政府", 2023, "2021", _requests(11) + _review(11)),
           current=False, superseded_by=3,
           sources=((2, "http://127.0.0.1:9/erqi/2023.html", "text/html", "henan-zhengzhou-erqi"),)),
    Sample(3, 1, _report("郑州市二七区人民政府", 2023, "2021", _requests(13) + _review(13),
                         title="郑州市二七区人民政府2023年政府信息公开工作年度报告（更正版）",
                         sections={"overview": "本年度依申请公开工作有序开展。"}),
           supersedes=2,
           sources=((3, "http://127.0.0.1:9/erqi/2023-v2.html", "text/html", "henan-zhengzhou-erqi"),
                    (4, "http://127.0.0.1:9/erqi/2023-v2.pdf", "application/pdf", "henan-zhengzhou-erqi"))),
    Sample(4, 2, _report("郑州市二七区司法局", 2021, "2021", _requests(17) + _review(17),
                         sections={"overview": "区司法局认真落实政府信息公开条例。",
                                   "review_litigation": "本年度发生政府信息公开行政复议案件3件，无行政诉讼。"}),
           sources=((5, "http://127.0.0.1:9/sfj/2021.docx",
                     "application/vnd.openxmlformats-officedocument.wordprocessingml.document", "henan-erqi-sfj"),)),
    Sample(5, 2, _report("郑州市二七区司法局", 2023, "2021", _requests(19) + _review(19)),
           sources=((6, "http://127.0.0.1:9/sfj/2023.html", "text/html", "henan-erqi-sfj"),)),
    Sample(6, 3, _report("洛阳市人民政府", 2023, "2019", _requests(23),
                         checks=[Check("requests_balance", False, 120, 118, col="total",
                                       inputs={"new_received": 100, "carried_over": 20}),
                                 Check("requests_row_sum", True, 5, 5, row="granted")],
                         sections={"other": "洛阳市无其他需要报告的事项。"}),
           sources=((7, "http://127.0.0.1:9/ly/2023.pdf", "application/pdf", "henan-luoyang"),)),
    Sample(7, 4, _report("淮安市洪泽区人民政府", 2022, "free", [],
                         sections={"overview": "洪泽区全面推进政务公开，主动公开政府信息一千余条。"}),
           sources=((8, "http://127.0.0.1:9/hz/2022.html", "text/html", "jiangsu-hongze"),)),
    Sample(8, None, _report("某县某某局", None, "free", [], title="某某局政府信息公开年报",
                           region={"province": "河北省", "city": None, "county": None},
                           sections={"overview": "无法确定年度的报告。"}),
           sources=((9, "http://127.0.0.1:9/x/unknown.html", "text/html", "hebei-x"),)),
]


def fill(engine: Engine) -> None:
    """Write AGENCIES and SAMPLES into a migrated, empty dataset."""
    with engine.begin() as conn:
        conn.execute(insert(Agency), [dict(a, key="|".join(a[k] or "" for k in ("province", "city", "county", "name")),
                                           code=None, region_source="site", created_at=NOW) for a in AGENCIES])
        for s in SAMPLES:
            r = s.report
            conn.execute(insert(ReportRow).values(
                id=s.id, agency_id=s.agency_id, year=r.year, template=r.template, tables=r.tables, title=r.title,
                published=datetime.fromisoformat(r.published).date() if r.published else None,
                agency_printed=r.agency, region=r.region, is_current=s.current,
                current_reason="test", primary_source_id=s.sources[0][0], content_key=f"key{s.id}",
                n_cells=len(r.cells), n_checks_failed=sum(c.ok is False for c in r.checks),
                n_checks_unknown=sum(c.ok is None for c in r.checks), warnings=r.warnings,
                sections=r.sections, parser_version="test", created_at=NOW, updated_at=NOW))
            for sid, url, media, site in s.sources:
                conn.execute(insert(Source).values(
                    id=sid, report_id=s.id, url=url, site=site, kind="page", sha256=f"{sid:064x}",
                    media_type=media, first_seen=NOW, last_seen=NOW, fetched_at=NOW))
            if r.cells:
                conn.execute(insert(CellRow), [dict(report_id=s.id, tbl=c.table, row=c.row, col=c.col,
                                                    value=c.value, raw=c.raw) for c in r.cells])
            for c in r.checks:
                conn.execute(insert(CheckResult).values(report_id=s.id, rule=c.rule, row=c.row, col=c.col, ok=c.ok,
                                                        expected=c.expected, actual=c.actual, inputs=c.inputs))
        for s in SAMPLES:
            if s.supersedes or s.superseded_by:
                conn.execute(update(ReportRow).where(ReportRow.id == s.id).values(
                    supersedes_id=s.supersedes, superseded_by_id=s.superseded_by))


def _admin(*statements: str) -> None:
    admin = create_engine(services.pg_url("postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        for sql in statements:
            conn.execute(text(sql))
    admin.dispose()


def fresh_postgres(name: str) -> str:
    """A new, empty Postgres database `name` on the test server (tests/services.py); returns its URL."""
    _admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)', f'CREATE DATABASE "{name}"')
    return services.pg_url(name)


def drop_database(url: str) -> None:
    """Remove a database made by fresh_postgres (a SQLite URL is left to tmp_path)."""
    if url.startswith("postgresql"):
        _admin(f'DROP DATABASE IF EXISTS "{url.rsplit("/", 1)[-1]}" WITH (FORCE)')


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def dataset(request, tmp_path_factory):
    """(url, engine) of a migrated dataset holding SAMPLES."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('ds') / 'nianbao.sqlite'}"
    else:
        url = fresh_postgres("nianbao_test_export_" + request.module.__name__.rsplit(".", 1)[-1])
    engine = open_db(url)
    fill(engine)
    yield url, engine
    engine.dispose()
    drop_database(url)


def current_samples() -> list[Sample]:
    return [s for s in SAMPLES if s.current]


def cell_value(sample: Sample, table: str, row: str, col: str):
    c = sample.report.cell(table, row, col)
    return c.value if c else None


def matches(query: str, current_only: bool = True) -> set[int]:
    """The samples whose title, agency or section text contain every term: what search must return."""
    out = set()
    for s in SAMPLES:
        if current_only and not s.current:
            continue
        texts = [s.report.title or "", s.report.agency or ""] + list(s.report.sections.values())
        if all(any(t in x for x in texts) for t in query.split()):
            out.add(s.id)
    return out
