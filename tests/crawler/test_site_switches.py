"""Per-site switches on a tiny local portal: TLS verification (self-signed certificate), robots.txt,
per-site Scrapy settings; and `scrapy crawl reports -a site=ID` from the repo root."""
import datetime
import json
import os
import ssl
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import yaml

from crawler.run import crawl
from tests import services

ROOT = Path(__file__).resolve().parents[2]
LISTING = ('<html><head><meta charset="utf-8"></head><body><ul><li><a href="/zfxxgknb/202301/t20230113_1.html" '
           'title="衡阳市司法局2022年政府信息公开工作年度报告">衡阳市司法局…</a></li></ul></body></html>')
REPORT = "<html><body><h1>衡阳市司法局2022年政府信息公开工作年度报告</h1><p>一、总体情况</p></body></html>"


class Handler(BaseHTTPRequestHandler):
    def do_GET(self):
        self.server.paths.append(self.path)
        pages = {"/robots.txt": "User-agent: *\nDisallow: /zfxxgknb/2023\n", "/zfxxgknb/index.html": LISTING,
                 "/zfxxgknb/202301/t20230113_1.html": REPORT}
        body = pages.get(self.path)
        self.send_response(200 if body else 404)
        self.send_header("Content-Type", "text/plain" if self.path == "/robots.txt" else "text/html; charset=utf-8")
        data = (body or "not found").encode()
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *a):
        pass


def self_signed(tmp_path):
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(1).not_valid_before(now - datetime.timedelta(days=1))
            .not_valid_after(now + datetime.timedelta(days=1)).sign(key, hashes.SHA256()))
    cert_file, key_file = tmp_path / "c.pem", tmp_path / "k.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_file, key_file


@pytest.fixture
def portal(tmp_path, request):
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.paths = []
    scheme = "http"
    if getattr(request, "param", None) == "https":
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(*self_signed(tmp_path))
        server.socket = ctx.wrap_socket(server.socket, server_side=True)
        scheme = "https"
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server, f"{scheme}://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def site(base, **kw):
    return {"id": "t-hengyang", "name": "衡阳市人民政府",
            "region": {"province": "湖南省", "city": "衡阳市", "county": None, "code": "430400"},
            "start_urls": [base + "/zfxxgknb/index.html"], "allowed_domains": ["127.0.0.1"], **kw}


def run_site(tmp_path, entry):
    items = tmp_path / "items.jsonl"
    summary = crawl([entry], db_url="sqlite://", data_dir=tmp_path, settings={
        "ITEM_PIPELINES": {"tests.crawler.collect.CollectPipeline": 100}, "EXTENSIONS": {},
        "NIANBAO_TEST_ITEMS": str(items), "DOWNLOAD_DELAY": 0, "AUTOTHROTTLE_ENABLED": False, "RETRY_TIMES": 0})
    rows = [json.loads(line) for line in items.read_text().splitlines()] if items.exists() else []
    return summary["sites"][entry["id"]], rows


@pytest.mark.parametrize("portal", ["https"], indirect=True)
def test_tls_verification_is_on_by_default_and_switchable_per_site(portal, tmp_path):
    server, base = portal
    result, rows = run_site(tmp_path / "a", site(base, robots_obey=False))
    assert result["pages"] == 0 and result["errors"] >= 1
    assert any(r["type"] == "CrawlErrorItem" for r in rows)
    result, rows = run_site(tmp_path / "b", site(base, robots_obey=False, tls_verify=False))
    assert result["pages"] == 1
    assert [r["url"] for r in rows if r["type"] == "DocumentItem"] == [base + "/zfxxgknb/202301/t20230113_1.html"]


def test_robots_txt_is_obeyed_unless_the_site_opts_out(portal, tmp_path):
    server, base = portal
    result, rows = run_site(tmp_path / "a", site(base))
    assert result["pages"] == 0 and "/zfxxgknb/202301/t20230113_1.html" not in server.paths
    result, rows = run_site(tmp_path / "b", site(base, robots_obey=False))
    assert result["pages"] == 1


def test_per_site_settings_apply(portal, tmp_path):
    server, base = portal
    result, rows = run_site(tmp_path, site(base, robots_obey=False, settings={"DOWNLOAD_MAXSIZE": 100}))
    assert result["pages"] == 0  # the report page is larger than the site's own limit
    assert any("max size" in r.get("error", "") for r in rows)


def test_scrapy_crawl_command_from_the_repo_root(portal, tmp_path):
    server, base = portal
    sites_file = tmp_path / "sites.yaml"
    sites_file.write_text(yaml.safe_dump([site(base, robots_obey=False)], allow_unicode=True), encoding="utf-8")
    out = tmp_path / "items.jsonl"
    proc = subprocess.run(
        [sys.executable, "-m", "scrapy", "crawl", "reports", "-a", "site=t-hengyang", "-a", f"sites={sites_file}",
         "-s", "ITEM_PIPELINES={\"tests.crawler.collect.CollectPipeline\": 100}", "-s", "EXTENSIONS={}",
         "-s", f"NIANBAO_TEST_ITEMS={out}", "-s", "NIANBAO_DB=", "-s", "DOWNLOAD_DELAY=0",
         "-s", "AUTOTHROTTLE_ENABLED=0"],
        cwd=ROOT, capture_output=True, text=True, timeout=120, env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert proc.returncode == 0, proc.stderr[-2000:]
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert [r["kind"] for r in rows] == ["page"]


def test_cli_usage_errors(tmp_path, capsys):
    from nianbao.cli import main
    assert main(["crawl", "no-such-site"]) == 2
    assert "unknown site id" in capsys.readouterr().err
    bad = tmp_path / "bad.yaml"
    bad.write_text("- id: x\n", encoding="utf-8")
    assert main(["crawl", "--sites", str(bad)]) == 2
    assert f"{bad}:x:" in capsys.readouterr().err


def test_a_one_machine_crawl_does_not_use_redis_even_with_the_workers_variable_set(portal, tmp_path, monkeypatch):
    """NIANBAO_REDIS_URL is for `nianbao worker` (tests/test_distributed.py); `crawl` without --redis
    keeps its queue in memory."""
    import redis

    url = f"{services.redis_server()}/15"
    redis.Redis.from_url(url).ping()
    server, base = portal
    monkeypatch.setenv("NIANBAO_REDIS_URL", url)
    result, rows = run_site(tmp_path, site(base, robots_obey=False))
    stats = json.loads(Path(result["log"]).with_name("t-hengyang.stats.json").read_text())
    assert result["pages"] == 1
    assert stats.get("scheduler/enqueued/redis", 0) == 0 and stats.get("scheduler/enqueued", 0) >= 2
