"""`nianbao serve` in a real headless Chromium: Chinese labels, table search and the search canned query."""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from nianbao.cli import main
from pipelines import labels
from pipelines.db import open_db
from tests.pipelines.query_dataset import SAMPLES, fill, matches

CHROMIUM = os.environ.get("NIANBAO_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """`nianbao serve` on a free loopback port over a dataset holding the test samples; yields its URL."""
    path = tmp_path_factory.mktemp("serve") / "nianbao.sqlite"
    engine = open_db(f"sqlite:///{path}")
    fill(engine)
    engine.dispose()
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
        yield base + "/nianbao"
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@pytest.fixture(scope="module")
def page():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield browser.new_page()
        finally:
            browser.close()


def column(page, name: str) -> list[str]:
    return [t.strip() for t in page.locator(f"table.rows-and-columns tbody td.col-{name}").all_inner_texts()]


@pytest.mark.browser
def test_table_search_in_chinese_shows_the_matching_reports(server, page):
    page.goto(server + "/v_reports_latest")
    assert page.locator("h1").inner_text().startswith("各机关各年度现行报告")
    assert page.locator("th.col-agency").get_attribute("data-column-description") == "机关"
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
def test_rows_and_columns_carry_chinese_labels(server, page):
    page.goto(server + "/v_cells_zh?report_id=1&row=new_received&col=total")
    assert column(page, "row_label") == [labels.ROWS[("requests", "new_received")]]
    assert column(page, "col_label") == ["总计"]
    assert column(page, "value") == [str(next(s for s in SAMPLES if s.id == 1).report.cell(
        "requests", "new_received", "total").value)]
    page.goto(server + "/v_missing_reports")
    assert page.locator("h1").inner_text().startswith("缺失年度的机关")
    assert "法定发布期限" in page.locator("dl.column-descriptions").inner_text()
    page.goto(server)
    body = page.locator("body").inner_text()
    for title in ("政府信息公开工作年度报告数据集", "各地区各年度依申请公开情况", "缺失或逾期的年度报告", "全文检索"):
        assert title in body


def test_serve_refuses_postgres_and_missing_files(tmp_path, capsys):
    assert main(["serve", "--db", "postgresql+psycopg://postgres@127.0.0.1:5432/nianbao_test"]) == 2
    assert main(["serve", "--db", f"sqlite:///{tmp_path / 'none.sqlite'}"]) == 2
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 2 and "SQLite" in err[0] and "no dataset" in err[1]
