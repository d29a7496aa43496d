"""Hostile loopback servers: a cookie flood, redirects off the site (another host, a metadata address,
file://), a trickling body. Each is bounded and recorded as an error of the site, the crawl goes on, and
the crawl process neither looks up a name nor connects to any host outside the site list (an audit
hook in the crawl process records every getaddrinfo and connect)."""
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from tests.crawler.simcrawl import crawl_sites, docs

SITE_IP, OTHER_IP = "127.0.0.60", "127.0.0.61"
PAGES = 3
REPORT_BODY = "<p>" + "本年度政府信息公开工作情况如下。" * 60 + "</p>"


class Hostile(BaseHTTPRequestHandler):
    hits: list = []
    big_cookie_headers: list = []

    def log_message(self, *a):
        pass

    def _send(self, status, body=b"", headers=()):
        self.send_response(status)
        for k, v in headers:
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        host = self.server.server_address[0]
        type(self).hits.append((host, self.path))
        if host != SITE_IP:
            return self._send(200, b"off-site")
        if len(self.headers.get("Cookie", "")) > 8192:  # what real servers answer to a huge Cookie header
            type(self).big_cookie_headers.append(self.path)
            return self._send(431, b"Request Header Fields Too Large")
        port = self.server.server_address[1]
        if self.path == "/robots.txt":
            return self._send(404)
        if self.path in ("/nb/index.html", "/nb/index_1.html", "/nb/index_2.html"):
            k = 0 if self.path.endswith("index.html") else int(self.path[-6])
            items = "".join(f'<li><a href="./r{k}_{i}.html">某局{2018 + i}年政府信息公开工作年度报告</a></li>'
                            for i in range(3))
            if k == 0:
                items += ('<li><a href="./offsite.html">某镇2021年政府信息公开工作年度报告</a></li>'
                          '<li><a href="./meta.html">某乡2021年政府信息公开工作年度报告</a></li>'
                          '<li><a href="./file.html">某街道2021年政府信息公开工作年度报告</a></li>'
                          '<li><a href="./other.html">某社区2021年政府信息公开工作年度报告</a></li>'
                          '<li><a href="./slow.html">某委2021年政府信息公开工作年度报告</a></li>')
            body = (f"<html><body><ul>{items}</ul><script>createPageHTML({PAGES}, {k}, \"index\", \"html\");"
                    "</script></body></html>").encode()
            cookies = [("Set-Cookie", f"c{k}_{i}={'v' * 200}; Path=/") for i in range(200)]
            return self._send(200, body, [("Content-Type", "text/html; charset=utf-8"), *cookies])
        if self.path == "/nb/offsite.html":  # a name: the guard must stop it before any lookup
            return self._send(302, headers=[("Location", f"http://spam-mirror.example.com:{port}/stolen.html")])
        if self.path == "/nb/other.html":
            return self._send(302, headers=[("Location", f"http://{OTHER_IP}:{port}/stolen.html")])
        if self.path == "/nb/meta.html":
            return self._send(302, headers=[("Location", "http://169.254.169.254/latest/meta-data/")])
        if self.path == "/nb/file.html":
            return self._send(302, headers=[("Location", "file:///etc/passwd")])
        if self.path == "/nb/slow.html":
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", "100000")
            self.end_headers()
            try:
                for _ in range(60):  # one byte a second
                    self.wfile.write(b"<")
                    self.wfile.flush()
                    time.sleep(1)
            except OSError:
                pass
            return
        if self.path.startswith("/nb/r"):
            body = f"<html><body><h1>年度报告</h1>{REPORT_BODY}</body></html>".encode()
            return self._send(200, body, [("Content-Type", "text/html; charset=utf-8")])
        return self._send(404)


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    d = tmp_path_factory.mktemp("hostile")
    site_srv = ThreadingHTTPServer((SITE_IP, 0), Hostile)
    other_srv = ThreadingHTTPServer((OTHER_IP, site_srv.server_address[1]), Hostile)
    for srv in (site_srv, other_srv):
        srv.daemon_threads = True
        threading.Thread(target=srv.serve_forever, daemon=True).start()
    port = site_srv.server_address[1]
    audit = d / "audit.jsonl"
    mp = pytest.MonkeyPatch()
    mp.setenv("PYTHONPATH", str(Path(__file__).parent / "audit"))
    mp.setenv("NIANBAO_AUDIT_LOG", str(audit))
    site = {"id": "hostile", "name": "某县人民政府",
            "region": {"province": "湖南省", "city": "益阳市", "county": "桃江县", "code": "430922"},
            "start_urls": [f"http://{SITE_IP}:{port}/nb/index.html"], "allowed_domains": [SITE_IP],
            "render": False, "enabled": True, "settings": {}}
    try:
        summary, rows, stats = crawl_sites([site], d, NIANBAO_MIN_RATE_GRACE=2.0, RETRY_TIMES=2)
        events = [json.loads(line) for line in audit.read_text().splitlines()] if audit.exists() else []
        yield port, summary, rows, stats, events
    finally:
        mp.undo()
        for srv in (site_srv, other_srv):
            srv.shutdown()
            srv.server_close()


def errors(rows):
    return {r["url"].rsplit("/", 1)[-1]: r["error"] for r in rows if r["type"] == "CrawlErrorItem"}


def test_the_crawl_goes_on_and_finds_every_normal_report(run):
    port, summary, rows, stats, events = run
    assert summary["sites"]["hostile"]["finish_reason"] == "finished"
    got = sorted(r["url"].rsplit("/", 1)[-1] for r in docs(rows))
    assert got == sorted(f"r{k}_{i}.html" for k in range(PAGES) for i in range(3))


def test_cookie_flood_is_bounded_and_recorded(run):
    port, summary, rows, stats, events = run
    assert Hostile.big_cookie_headers == []
    cookie_errors = [e for e in errors(rows).values() if "cookie jar full" in e]
    assert len(cookie_errors) == 1


def test_redirects_leaving_the_site_are_recorded_with_a_reason(run):
    port, summary, rows, stats, events = run
    errs = errors(rows)
    assert "redirect off the site" in errs["offsite.html"]
    assert "private or metadata address" in errs["meta.html"]
    assert "private or metadata address" in errs["other.html"]  # loopback, but not the site's host
    assert "non-HTTP URL (file:)" in errs["file.html"]
    assert [h for h in Hostile.hits if h[0] == OTHER_IP] == []


def test_a_trickling_body_is_stopped_once_and_recorded(run):
    port, summary, rows, stats, events = run
    assert "download too slow" in errors(rows)["slow.html"]
    assert sum(1 for h in Hostile.hits if h[1] == "/nb/slow.html") == 1  # not retried


def test_no_lookup_or_connection_outside_the_site_list(run):
    port, summary, rows, stats, events = run
    assert any(e["event"] == "connect" for e in events)  # the hook did record the crawl's own traffic
    outside = [e for e in events if e["host"] not in (SITE_IP,)]
    assert outside == []
