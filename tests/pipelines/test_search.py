"""Full-text search finds Chinese substrings: FTS5 trigram (3+ characters), LIKE for shorter terms and Postgres."""
from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import text, update

from pipelines import search
from pipelines.db import open_db
from pipelines.db.models import Agency, Report
from tests.pipelines.query_dataset import dataset, fill, matches  # noqa: F401 - fixture

QUERIES = ["司法局", "行政复议", "公开", "复议", "洪泽", "二七区 更正版", "更正版 司法局", "政府信息公开工作年度报告",
           "不存在的词语", "%", "_", '"', "某某局", "一千余条"]


@pytest.mark.parametrize("q", QUERIES)
def test_search_returns_exactly_the_reports_containing_every_term(dataset, q):
    _, engine = dataset
    hits = search.search(engine, q)
    assert {h.report_id for h in hits} == matches(q)
    assert len(hits) == len({h.report_id for h in hits})
    for h in hits:
        term = next(t for t in q.split() if any(t in x for x in (h.title or "", h.agency or "", h.snippet)))
        assert f"【{term}】" in h.snippet


def test_all_versions_and_limit(dataset):
    _, engine = dataset
    assert {h.report_id for h in search.search(engine, "郑州市二七区人民政府", current_only=False)} == \
        matches("郑州市二七区人民政府", current_only=False) == {1, 2, 3}
    assert len(search.search(engine, "公开", limit=2)) == 2
    assert search.search(engine, "   ") == []


def test_backend_search_structure(dataset):
    """SQLite: an FTS5 trigram table that MATCHes Chinese; Postgres: the v_report_text view with decoded text."""
    _, engine = dataset
    with engine.connect() as conn:
        if engine.dialect.name == "sqlite":
            sql = conn.execute(text("SELECT sql FROM sqlite_master WHERE name = 'reports_fts'")).scalar()
            assert "trigram" in sql
            rows = conn.execute(text("SELECT rowid FROM reports_fts WHERE reports_fts MATCH '\"行政复议\"'")).all()
        else:
            rows = conn.execute(text("SELECT report_id FROM v_report_text WHERE sections LIKE '%行政复议%'")).all()
    assert {r[0] for r in rows} == matches("行政复议", current_only=False) == {4}


def test_index_follows_inserts_updates_and_deletes(tmp_path):
    engine = open_db(f"sqlite:///{tmp_path / 's.sqlite'}")
    fill(engine)
    with engine.begin() as conn:
        conn.execute(update(Report).where(Report.id == 7).values(
            title="洪泽区2022年度信息公开年报（修订）", sections={"overview": "新增的段落提到档案馆查阅。"}))
        conn.execute(update(Agency).where(Agency.id == 3).values(name="洛阳市政府办公室"))
        conn.execute(text("DELETE FROM cells WHERE report_id = 8"))
        conn.execute(text("DELETE FROM sources WHERE report_id = 8"))
        conn.execute(text("DELETE FROM reports WHERE id = 8"))
    assert [h.report_id for h in search.search(engine, "档案馆查阅")] == [7]
    assert [h.report_id for h in search.search(engine, "修订")] == [7]
    assert search.search(engine, "一千余条") == []
    assert [h.report_id for h in search.search(engine, "洛阳市政府办公室")] == [6]
    assert search.search(engine, "某某局") == []
    engine.dispose()


ALPHABET = "司法局公开复议二七区更正版%_\"' "


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(q=st.text(alphabet=ALPHABET, min_size=1, max_size=8))
def test_sqlite_ids_selects_exactly_the_reports_containing_every_term(dataset, q):
    """The SELECT that Datasette's table search box uses: any term length, LIKE wildcards taken literally."""
    _, engine = dataset
    if engine.dialect.name != "sqlite":
        return
    sql, params = search.sqlite_ids(q)
    with engine.connect() as conn:
        got = set(conn.execute(text(sql), params).scalars())
    assert got == (matches(q, current_only=False) if q.split() else set())
