"""Run records: RunStats writes crawl_runs and site_runs; fetch errors are stored; `nianbao status`."""
from __future__ import annotations

from types import SimpleNamespace

from crawler.items import CrawlErrorItem
from nianbao.cli import main
from pipelines.db import open_db
from pipelines.runstats import RunStats, site_status
from tests.pipelines.conftest import item, rows


def test_runstats_and_fetch_errors_and_status(chain_factory, db_url, capsys):
    chain = chain_factory(parse=True)
    crawler = chain.crawler
    ext = RunStats(crawler, db_url, None)
    spider = SimpleNamespace(name="reports", site_id="hongze")
    ext.spider_opened(spider)
    run_id = crawler.stats.get_value("nianbao/run_id")
    assert run_id
    err = CrawlErrorItem(site="hongze", url="http://hz.test/gone.pdf", status=404, error="HTTP 404")
    chain.feed(err)
    for key in ("nianbao/errors", "nianbao/error_kind/http", "nianbao/links/report", "nianbao/documents/page"):
        crawler.stats.inc_value(key)        # as the spider counts the error, the link and the page
    doc = item(b"\x00 unreadable", "http://hz.test/a.bin", media_type=None)
    chain.feed(doc)
    crawler.stats.set_value("response_received_count", 5)
    ext.spider_closed(spider, "finished")

    (site,) = rows(db_url, "SELECT * FROM site_runs")
    assert (site.run_id, site.site, site.pages, site.documents, site.errors, site.finish_reason, site.status) == (
        run_id, "hongze", 5, 1, 2, "finished", "degraded")      # a fetch error and a parse error
    assert site.health_reason == "2 failed (http 1, parse 1)" and site.health_since
    assert rows(db_url, "SELECT status FROM crawl_runs")[0].status == "ok"
    (fe,) = rows(db_url, "SELECT run_id, status, error FROM fetch_errors")
    assert (fe.run_id, fe.status, fe.error) == (run_id, 404, "HTTP 404")

    assert main(["status", "--db", db_url]) == 0
    out = capsys.readouterr().out
    assert f"run {run_id}" in out and "hongze" in out and "degraded" in out


def test_site_status_tells_a_broken_site_from_a_few_failed_fetches():
    assert site_status("finished", 12, 0) == "ok"
    assert site_status("finished", 12, 3) == "degraded"
    assert site_status("finished", 0, 0) == "failing"       # the listing yielded nothing: the site changed
    assert site_status("closespider_timeout", 12, 0) == "failing"


def test_status_on_an_empty_dataset(db_url, capsys):
    open_db(db_url).dispose()                       # created by a writer (status itself creates nothing)
    assert main(["status", "--db", db_url]) == 0
    assert "No crawl runs" in capsys.readouterr().out


def test_status_with_an_unusable_database_is_one_line(capsys):
    assert main(["status", "--db", "mysql://nowhere/x"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("nianbao status:") and err.count("\n") == 1


def test_sites_of_one_crawl_share_its_run(db_url):
    from tests.pipelines.conftest import fake_crawler
    for site, documents in (("a", 3), ("b", 2)):
        crawler = fake_crawler()
        ext = RunStats(crawler, db_url, "20250201T000000Z-abc123")
        spider = SimpleNamespace(name="reports", site_id=site)
        ext.spider_opened(spider)
        crawler.stats.inc_value("nianbao/links/report", documents)
        ext.spider_closed(spider, "finished")
    (run,) = rows(db_url, "SELECT id, key, status, finished_at FROM crawl_runs")
    assert run.key == "20250201T000000Z-abc123" and run.status == "ok" and run.finished_at
    assert sorted(r.site for r in rows(db_url, "SELECT site FROM site_runs WHERE run_id = :r", r=run.id)) == ["a", "b"]
