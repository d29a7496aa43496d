"""The whole chain with the real parser: an HTML page and the PDF of the same report, then a rerun."""
from __future__ import annotations

import random

import pytest

from nianbao.simulator.reports import generate, render_docx, render_html_page, render_pdfs
from tests.pipelines.conftest import HONGZE, dump, item, rows


@pytest.fixture(scope="module")
def pair():
    s = generate(random.Random(4), year=2023, template="2021", agency="洪泽区人民政府", region=dict(HONGZE))
    (pdf,) = render_pdfs([render_docx(s)])
    return s, render_html_page(s), pdf


@pytest.mark.slow
def test_html_and_pdf_through_the_real_parser_are_one_report(chain_factory, db_url, pair):
    s, html, pdf = pair

    def run():
        chain = chain_factory()
        chain.feed(item(html, "http://hz.test/nb/2023.html", listing_title=s.title))
        chain.feed(item(pdf, "http://hz.test/nb/2023.pdf", media_type="application/pdf", kind="attachment",
                        listing_title=s.title))
        chain.close()

    run()
    (report,) = rows(db_url, "SELECT id, year, n_cells FROM reports")
    assert report.year == 2023 and report.n_cells > 0
    assert len(rows(db_url, "SELECT id FROM sources WHERE report_id = :r", r=report.id)) == 2
    assert rows(db_url, "SELECT name FROM agencies")[0].name == "洪泽区人民政府"
    first = dump(db_url)
    run()
    assert dump(db_url) == first
