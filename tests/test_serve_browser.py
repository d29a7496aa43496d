"""`nianbao serve` in a real headless Chromium: Chinese headers, search of any length, the chart dashboard."""
from __future__ import annotations

import hashlib
import os
import random
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.request
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import func, select

from nianbao.cli import main
from nianbao.simulator.reports import generate, to_report
from pipelines import labels, search, serve
from pipelines.dataset import store_document
from pipelines.datasette_addons import dashboard
from pipelines.db import open_db
from pipelines.db.models import Base
from tests.pipelines.query_dataset import (
    SAMPLES,
    drop_database,
    fill,
    fresh_postgres,
    matches,
)

CHROMIUM = os.environ.get("NIANBAO_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def serving(path: Path):
    """`nianbao serve` over `path` on a free loopback port; yields its base URL."""
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "nianbao.cli", "serve", "--db", f"sqlite:///{path}",
                             "--host", "127.0.0.1", "--port", str(port)], cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):                      # up to a minute on a busy machine
            if proc.poll() is not None:
                pytest.fail(f"nianbao serve exited {proc.returncode}: {proc.stderr.read().decode()[-500:]}")
            try:
                with urllib.request.urlopen(base + "/-/versions.json", timeout=2) as r:
                    if r.status == 200:
                        break
            except (urllib.error.URLError, OSError):
                time.sleep(0.2)
        else:
            pytest.fail("nianbao serve did not answer")
        yield base
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    """`nianbao serve` over a dataset holding the test samples: (its URL, the file)."""
    path = tmp_path_factory.mktemp("serve") / "nianbao.sqlite"
    engine = open_db(f"sqlite:///{path}")
    fill(engine)
    engine.dispose()
    with serving(path) as base:
        yield base, path


@pytest.fixture(scope="module")
def demo_served(tmp_path_factory):
    """`nianbao serve` over the demo's kind of data: the simulated portals' reports (12 agencies, 2019-2024),
    stored by the crawl's own write path, without the crawl: (its URL, the file)."""
    path = tmp_path_factory.mktemp("demo") / "nianbao.sqlite"
    engine = open_db(f"sqlite:///{path}")
    rng, cache = random.Random(0), {}
    for i in range(12):
        first = generate(rng, year=2024)
        for year in range(2024, 2018, -1):
            if rng.random() < 0.15:                    # a missing year now and then
                continue
            report = to_report(generate(rng, year=year, agency=first.agency, region=first.region))
            sha = hashlib.sha256(f"demo-{i}-{year}".encode()).hexdigest()
            store_document(engine, {
                "url": f"http://127.0.0.1:9/{i}/{year}.html", "final_url": None, "site": f"sim-{i % 4}",
                "kind": "page", "site_region": None, "sha256": sha, "path": f"raw/{sha[:2]}/{sha}.html",
                "media_type": "text/html", "headers": {}, "fetched_at": "2025-04-01T00:00:00Z",
                "report": report, "parse_error": None, "body": None}, f"sim-{i % 4}", cache)
    engine.dispose()
    with serving(path) as base:
        yield base, path


@pytest.fixture(scope="module")
def server(served):
    """The URL of the served database."""
    return served[0] + "/nianbao"


@pytest.fixture(scope="module")
def page():
    """A Chromium page that may reach loopback only: every other request is refused and recorded."""
    from playwright.sync_api import (
        sync_playwright,  # heavy: the browser tests alone need it
    )

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            pg = browser.new_page(viewport={"width": 1300, "height": 1000})
            pg.outside = []

            def route(r):
                if r.request.url.startswith("http://127.0.0.1:"):
                    r.continue_()
                else:
                    pg.outside.append(r.request.url)
                    r.abort()

            pg.route("**/*", route)
            yield pg
        finally:
            browser.close()


def column(page, name: str) -> list[str]:
    return [t.strip() for t in page.locator(f"table.rows-and-columns tbody td.col-{name}").all_inner_texts()]


@pytest.mark.browser
def test_table_search_in_chinese_shows_the_matching_reports(server, page):
    page.goto(server + "/v_reports_latest")
    assert page.locator("h1").inner_text().startswith("各机关各年度现行报告")
    assert page.locator("th.col-agency").get_attribute("data-column-description") == "机关"
    assert page.locator("th.col-agency .col-label").inner_text() == "机关"
    page.fill("input[name=_search]", "司法局")
    page.press("input[name=_search]", "Enter")
    page.wait_for_url("**_search=*")
    want = matches("司法局")
    assert sorted(int(x) for x in column(page, "report_id")) == sorted(want)
    assert set(column(page, "agency")) == {s.report.agency for s in SAMPLES if s.id in want}
    assert 'search matches "司法局"' in page.content()


@pytest.mark.browser
@pytest.mark.parametrize("q", ["行政复议", "复议", "一千余条"])
def test_search_query_page_finds_long_and_short_terms(server, page, q):
    page.goto(server + "/search")
    assert "全文检索" in page.locator("h1").inner_text()
    page.fill("input[name=q]", q)
    page.press("input[name=q]", "Enter")
    page.wait_for_url("**q=*")
    ids = {int(x) for x in column(page, "report_id")}
    assert ids == matches(q, current_only=False) and ids
    assert all(q in text for text in column(page, "snippet"))


@pytest.mark.browser
def test_rows_and_columns_carry_chinese_labels(server, page, tmp_path):
    page.goto(server + "/v_cells_zh?report_id=1&row=new_received&col=total")
    assert column(page, "row_label") == [labels.ROWS[("requests", "new_received")]]
    assert column(page, "col_label") == ["总计"]
    assert column(page, "value") == [str(next(s for s in SAMPLES if s.id == 1).report.cell(
        "requests", "new_received", "total").value)]
    headers = [t.strip() for t in page.locator("table.rows-and-columns th .col-label").all_inner_texts()]
    assert headers[:3] == ["报告编号", "机关", "省"] and {"行名称", "列名称", "数值"} <= set(headers)
    assert not page.locator("dl.column-descriptions").is_visible()      # the labels are the headers now
    page.screenshot(path=str(tmp_path / "cells.png"))
    page.goto(server + "/v_missing_reports")
    assert page.locator("h1").inner_text().startswith("缺失年度的机关")
    assert page.locator("th.col-deadline .col-label").inner_text() == "法定发布期限"
    page.goto(server)
    body = page.locator("body").inner_text()
    for title in ("政府信息公开工作年度报告数据集", "各地区各年度依申请公开情况", "缺失或逾期的年度报告", "全文检索"):
        assert title in body


@pytest.mark.browser
@pytest.mark.parametrize("table, q, current_only", [("reports", "司法", False), ("reports", "公", False),
                                                    ("v_reports_latest", "复议", True),
                                                    ("v_reports_latest", "司法局 2023", True)])
def test_table_search_box_finds_words_of_one_and_two_characters(server, page, tmp_path, table, q, current_only):
    page.goto(f"{server}/{table}")
    page.fill("input[name=_search]", q)
    page.press("input[name=_search]", "Enter")
    page.wait_for_url("**_search=*")
    pk = "id" if table == "reports" else "report_id"
    want = matches(q, current_only=current_only)
    assert {int(x) for x in column(page, pk)} == want and want
    assert f'search matches "{q}"' in page.content()
    page.screenshot(path=str(tmp_path / f"search-{table}.png"))


@pytest.mark.browser
def test_query_pages_show_chinese_headers_and_parameters(server, page, tmp_path):
    page.goto(server + "/grant_share?province=&year=")
    assert {t.strip() for t in page.locator("form.sql label").all_inner_texts()} >= {"省", "年度"}
    headers = [t.strip() for t in page.locator("table.rows-and-columns th .col-label").all_inner_texts()]
    assert {"报告编号", "机关", "予以公开", "公开率"} <= set(headers)
    page.screenshot(path=str(tmp_path / "query.png"))


def chart_rows(path: Path, slug: str) -> list[sqlite3.Row]:
    conn = sqlite3.connect(path)
    conn.row_factory = sqlite3.Row
    try:
        return conn.execute(dashboard.CHARTS[slug][2]).fetchall()
    finally:
        conn.close()


@pytest.mark.browser
def test_dashboard_draws_the_charts_offline_and_links_each_to_its_table(demo_served, page, tmp_path):
    base, path = demo_served
    page.goto(f"{base}/-/dashboards/{dashboard.SLUG}")
    page.wait_for_selector("#chart-requests_by_year svg [aria-roledescription=bar]")
    page.wait_for_timeout(500)                     # the other charts' fetches end at about the same time
    page.screenshot(path=str(tmp_path / "dashboard.png"), full_page=True)
    drawn = 0
    for slug, (_title, _, _, spec) in dashboard.CHARTS.items():
        rows = chart_rows(path, slug)
        bars = page.locator(f"#chart-{slug} svg [aria-roledescription=bar]").evaluate_all(
            "els => els.map(e => e.getAttribute('aria-label'))")
        y = spec["encoding"]["y"]
        assert len(bars) == len([r for r in rows if r[y["field"]] is not None]), slug
        if "format" not in y.get("axis", {}):      # counts: printed as they are in the aria labels
            assert sorted(int(b.split(f"{y['title']}: ")[1].split(";")[0]) for b in bars) == sorted(
                r[y["field"]] for r in rows), slug
        drawn += bool(bars)
    assert drawn >= 3 and page.outside == []
    # every chart opens as the query behind it, a table of the same rows
    page.click("#card-missing_reports .dashboard-card-title a")
    page.click("text=View and edit SQL")
    page.wait_for_selector("table.rows-and-columns")
    assert len(page.locator("table.rows-and-columns tbody tr").all()) == len(chart_rows(path, "missing_reports"))
    page.goto(f"{base}/-/dashboards/{dashboard.SLUG}")
    for _, view, _, _ in dashboard.CHARTS.values():
        assert page.locator(f"#chart-tables a[href$='/{view}']").count() >= 1


@pytest.mark.postgres
def test_serve_copies_a_postgres_dataset_into_sqlite(tmp_path):
    url = fresh_postgres("nianbao_test_serve_copy")
    try:
        engine = open_db(url)
        fill(engine)
        engine.dispose()
        copy = serve.prepare(url, tmp_path / "nianbao.sqlite")
        source = sqlite3.connect(copy)
        pg = open_db(url, migrate=False)
        try:
            with pg.connect() as conn:
                for table in Base.metadata.sorted_tables:
                    n = conn.execute(select(func.count()).select_from(table)).scalar()
                    assert source.execute(f"SELECT count(*) FROM {table.name}").fetchone()[0] == n, table.name
        finally:
            pg.dispose()
            source.close()
        lite = open_db(f"sqlite:///{copy}")
        assert {h.report_id for h in search.search(lite, "司法", current_only=False)} == matches("司法", False)
        lite.dispose()
    finally:
        drop_database(url)


def test_serve_refuses_what_it_cannot_serve(tmp_path, capsys):
    assert main(["serve", "--db", "mysql://nowhere/x"]) == 2
    assert main(["serve", "--db", f"sqlite:///{tmp_path / 'none.sqlite'}"]) == 2
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 2 and "SQLite" in err[0] and "no dataset" in err[1]
    assert not (tmp_path / "none.sqlite").exists()
