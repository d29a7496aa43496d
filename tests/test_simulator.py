"""The simulated portal network serves what each CMS family claims, and its ground truth is consistent."""
from __future__ import annotations

import http.client
import json
import re
import signal
import subprocess
import sys
import urllib.error
import urllib.parse
import urllib.request
import urllib.robotparser
from pathlib import Path

import lxml.html
import pytest
import yaml

from nianbao.simulator import FAMILIES, start_network


@pytest.fixture(scope="module")
def net():
    with start_network(seed=0) as n:
        yield n


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kw):
        return None


def fetch(url: str, *, data: bytes | None = None, follow: bool = True):
    """(status, headers, body) without raising on HTTP errors."""
    opener = urllib.request.build_opener() if follow else urllib.request.build_opener(_NoRedirect)
    try:
        with opener.open(urllib.request.Request(url, data=data), timeout=30) as r:
            return r.status, r.headers, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.headers, e.read()


def links(url: str, body: bytes, encoding: str = "utf-8") -> list[tuple[str, str]]:
    """(absolute URL, text) of every <a href> and <iframe src> outside scripts."""
    doc = lxml.html.document_fromstring(body.decode(encoding))
    out = [(urllib.parse.urljoin(url, a.get("href")), a.text_content().strip()) for a in doc.iter("a")
           if a.get("href")]
    out += [(urllib.parse.urljoin(url, f.get("src")), "") for f in doc.iter("iframe")]
    return out


def site(net, site_id: str) -> dict:
    return next(s for s in net.sites if s["id"] == site_id)


def site_id(net, family: str) -> str:
    return FAMILIES[family].SITE_ID


def family_urls(net, family: str) -> set[str]:
    return net.expected[site_id(net, family)]


# ---- registry and ground truth --------------------------------------------------------------------

def test_registry_entries_follow_the_architecture_format(net):
    assert {s["id"] for s in net.sites} == {cls.SITE_ID for cls in FAMILIES.values()}
    for s in net.sites:
        assert set(s) == {"id", "name", "region", "start_urls", "allowed_domains", "render", "enabled", "settings"}
        assert set(s["region"]) == {"province", "city", "county", "code"}
        host = urllib.parse.urlsplit(s["start_urls"][0]).hostname
        assert s["allowed_domains"] == [host] and host not in net.offsite_hosts
        assert fetch(s["start_urls"][0])[0] == 200
    assert [s["id"] for s in net.sites if s["render"]] == [site_id(net, "jsonly")]


def test_expected_forbidden_and_errors_are_disjoint_and_consistent(net):
    expected = set().union(*net.expected.values())
    assert expected and net.forbidden and net.errors
    assert not expected & net.forbidden
    assert not expected & set(net.errors) and not net.forbidden & set(net.errors)
    published = {u for _, _, urls in net.reports for u in urls}
    assert published == expected
    for sid, urls in net.expected.items():
        host = urllib.parse.urlsplit(site(net, sid)["start_urls"][0]).netloc
        assert all(urllib.parse.urlsplit(u).netloc == host for u in urls)
    assert any(urllib.parse.urlsplit(u).hostname in net.offsite_hosts for u in net.forbidden)
    assert set(net.errors.values()) == {"404", "redirect-loop", "too-large", "challenge"}


def test_every_expected_url_is_served(net):
    for u in sorted(set().union(*net.expected.values())):
        status, headers, body = fetch(u)
        if status == 500:  # the one flaky page: a retry succeeds
            status, headers, body = fetch(u)
        assert status == 200, u
        assert body.startswith((b"%PDF-", b"PK\x03\x04", b"\xd0\xcf\x11\xe0")) or b"<html" in body[:300].lower(), u


def test_ground_truth_holds_the_duplicates_the_pipelines_need(net):
    by_sample: dict[int, list] = {}
    for sid, sample, urls in net.reports:
        by_sample.setdefault(id(sample), []).append((sid, urls))
    # one report on a county site and on its city's site
    assert any(len({sid for sid, _ in pubs}) == 2 for pubs in by_sample.values())
    # one report both as an HTML page and as a PDF
    assert any(len(urls) == 2 and urls[1].endswith(".pdf") for _, _, urls in net.reports)
    # a corrected version: same agency and year, later date, other values
    fixed = [s for _, s, _ in net.reports if "更正版" in s.title]
    assert fixed and "corrected" in fixed[0].perturb
    original = next(s for _, s, _ in net.reports if s.agency == fixed[0].agency and s.year == fixed[0].year
                    and s is not fixed[0])
    assert fixed[0].published > original.published and fixed[0].values != original.values
    # reports span the years and both official formats; some titles carry no year
    years = {s.year for _, s, _ in net.reports}
    assert years == set(range(2017, 2025))
    assert {s.template for _, s, _ in net.reports} >= {"2019", "2021"}
    assert any(not re.search(r"20\d\d", s.title) for _, s, _ in net.reports)


def test_same_seed_same_network_other_seed_other_reports():
    def paths(n):
        return {urllib.parse.urlsplit(u)._replace(netloc="").geturl() for u in n.expected[FAMILIES["jsonly"].SITE_ID]}
    # jsonly has no attachments, so no PDF is rendered for the new seeds
    with start_network(seed=3, families=["jsonly"]) as a, start_network(seed=3, families=["jsonly"]) as b, \
            start_network(seed=4, families=["jsonly"]) as c:
        assert paths(a) == paths(b) and paths(a) != paths(c)
        assert [s.values for _, s, _ in a.reports] == [s.values for _, s, _ in b.reports]
        assert len(a.sites) == 1 and a.port != b.port


def test_scale_multiplies_reports():
    with start_network(seed=0, scale=3.0, families=["jsonly"]) as big, \
            start_network(seed=0, families=["jsonly"]) as small:
        assert len(big.reports) == 3 * len(small.reports)


def test_unknown_family_is_a_clear_error():
    with pytest.raises(ValueError, match="unknown families"):
        start_network(families=["nope"])


def test_robots_txt_allows_every_report(net):
    for s in net.sites:
        rp = urllib.robotparser.RobotFileParser()
        status, _, body = fetch(urllib.parse.urljoin(s["start_urls"][0], "/robots.txt"))
        assert status == 200
        rp.parse(body.decode().splitlines())
        assert all(rp.can_fetch("nianbao", u) for u in net.expected[s["id"]])
    assert not rp.can_fetch("nianbao", net.url(s["id"], "/search/?q=x"))


# ---- family 1: TRS classic, GBK ---------------------------------------------------------------------

def test_trs_classic_pages_and_gbk(net):
    start = site(net, site_id(net, "trs"))["start_urls"][0]
    status, headers, body = fetch(start)
    assert status == 200 and "charset" not in headers["Content-Type"]
    text = body.decode("gbk")
    assert 'charset=gb2312' in text
    n = int(re.search(r'createPageHTML\((\d+), 0, "index", "html"\)', text).group(1))
    assert n >= 2
    found = set()
    for k in range(n):
        url = start if k == 0 else urllib.parse.urljoin(start, f"index_{k}.html")
        status, _, body = fetch(url)
        assert status == 200 and f"createPageHTML({n}, {k}, " in body.decode("gbk")
        found |= {u for u, _ in links(url, body, "gbk")}
    assert fetch(urllib.parse.urljoin(start, f"index_{n}.html"))[0] == 404
    reports = {u for u in family_urls(net, "trs") if u.endswith(".html")}
    assert reports <= found
    # 404 deep page is listed too
    assert any(u in found and kind == "404" for u, kind in net.errors.items())
    assert all(fetch(u)[0] == 404 for u, kind in net.errors.items() if kind == "404")


def test_trs_detail_header_and_meta_disagree(net):
    seen = set()
    for u in sorted(family_urls(net, "trs")):
        if not u.endswith(".html"):
            continue
        _, headers, body = fetch(u)
        body.decode("gbk")
        assert b"charset=gb2312" in body[:400]
        seen.add(headers["Content-Type"])
        if "UTF-8" in headers["Content-Type"]:
            with pytest.raises(UnicodeDecodeError):
                body.decode("utf-8")
    assert seen == {"text/html", "text/html; charset=UTF-8", "text/html; charset=GBK"}


def test_trs_pdf_attachment_is_the_same_report_as_its_page(net):
    pairs = [urls for sid, _, urls in net.reports if sid == site_id(net, "trs") and len(urls) == 2]
    assert pairs
    page_url, pdf_url = pairs[0]
    _, _, body = fetch(page_url)
    rel = urllib.parse.urlsplit(pdf_url).path.rsplit("/", 1)[1]
    assert re.match(r"P0\d{8}\d+\.pdf", rel) and f'href="./{rel}"' in body.decode("gbk")
    assert fetch(pdf_url)[2][:5] == b"%PDF-"


# ---- family 2: TRS page_div -------------------------------------------------------------------------

def test_trs_pagediv_one_based_pages(net):
    home = site(net, site_id(net, "trs_pagediv"))["start_urls"][0]
    _, _, body = fetch(home)
    xxgk = next(u for u, t in links(home, body) if t == "政府信息公开")
    _, _, body = fetch(xxgk)
    column = next(u for u, t in links(xxgk, body) if t == "政府信息公开年报")
    status, _, body = fetch(column)
    m = re.search(r"createPageHTML\('page_div', (\d+), 1, 'list', 'shtml', (\d+)\)", body.decode())
    n, total = int(m.group(1)), int(m.group(2))
    found = [u for u, _ in links(column, body) if u.endswith(".shtml") and "/hc1554/" in u and "list" not in u]
    for k in range(2, n + 1):
        url = urllib.parse.urljoin(column, f"list_{k}.shtml")
        status, _, page = fetch(url)
        assert status == 200 and f"'page_div', {n}, {k}, 'list'" in page.decode()
        found += [u for u, _ in links(url, page) if re.search(r"/[0-9a-f]{32}\.shtml$", u)]
    assert fetch(urllib.parse.urljoin(column, "list_1.shtml"))[0] == 404
    assert len(found) == total
    pages = {u for u in family_urls(net, "trs_pagediv") if u.endswith(".shtml")}
    assert pages <= set(found) and all(re.search(r"/\d{6}/[0-9a-f]{32}\.shtml$", u) for u in pages)


def test_500_then_200(net):
    flaky = [e for e in net.log if e[3] == 500]
    url = next(u for u in sorted(family_urls(net, "trs_pagediv")) if urllib.parse.urlsplit(u).path
               in {e[2] for e in flaky}) if flaky else None
    if url is None:  # not requested yet in this module: find it by requesting each page once
        url = next(u for u in sorted(family_urls(net, "trs_pagediv")) if fetch(u)[0] == 500)
    assert fetch(url)[0] == 200


# ---- family 3: Hanweb jpage -------------------------------------------------------------------------

def test_hanweb_records_only_in_datastore_and_dataproxy_post(net):
    column = site(net, site_id(net, "hanweb"))["start_urls"][0]
    _, _, body = fetch(column)
    text = body.decode()
    total = int(re.search(r"totalRecord:(\d+)", text).group(1))
    perpage = int(re.search(r"perpage:(\d+)", text).group(1))
    params = dict(re.findall(r"(\w+):'?([^,'}]*)'?", re.search(r"var param_\d+ = \{(.*?)\}", text).group(1)))
    inline = re.findall(r'<record><!\[CDATA\[<li><a href="([^"]+)"', text)
    assert len(inline) == perpage < total
    body_links = {u for u, _ in links(column, body)}
    assert not any("/art/" in u for u in body_links)   # a plain <a> crawler sees no article
    proxy = urllib.parse.urljoin(column, "/module/web/jpage/dataproxy.jsp")
    q = f"?startrecord={perpage + 1}&endrecord={total}&perpage={perpage}"
    form = urllib.parse.urlencode(params).encode()
    status, headers, xml = fetch(proxy + q, data=form)
    assert status == 200 and headers["Content-Type"].startswith("text/xml")
    assert int(re.search(rb"<totalrecord>(\d+)</totalrecord>", xml).group(1)) == total
    later = re.findall(r'<a href="([^"]+)"', xml.decode())
    assert len(later) == total - perpage
    arts = {urllib.parse.urljoin(column, h) for h in inline + later}
    assert {u for u in family_urls(net, "hanweb") if "/art/" in u} <= arts
    assert all(re.search(r"/art/\d{4}/\d{1,2}/\d{1,2}/art_70623_\d+\.html$", u) for u in arts)
    assert fetch(proxy + q)[0] == 405                                   # GET is refused
    assert b"<recordset></recordset>" in fetch(proxy + q, data=b"columnid=1")[2]


def test_hanweb_article_meta_and_annual_report_module(net):
    pages = [u for u in family_urls(net, "hanweb") if "/art/" in u]
    _, _, body = fetch(pages[0])
    doc = lxml.html.document_fromstring(body)
    assert doc.xpath('//meta[@name="ArticleTitle"]/@content')
    assert re.match(r"\d{4}-\d\d-\d\d", doc.xpath('//meta[@name="PubDate"]/@content')[0])
    jsps = {u: s for _, s, urls in net.reports for u in urls if "xxgkAnnualReport.jsp" in u}
    assert jsps
    for u, sample in jsps.items():
        assert urllib.parse.parse_qs(urllib.parse.urlsplit(u).query)["fbtime"] == [str(sample.year)]
        assert fetch(u)[0] == 200
    column = site(net, site_id(net, "hanweb"))["start_urls"][0]
    assert set(jsps) <= {u for u, _ in links(column, fetch(column)[2])}


def test_hanweb_downfile_redirects_with_hostile_names(net):
    downs = [u for u in family_urls(net, "hanweb") if "downfile.jsp" in u]
    assert downs
    dispositions = set()
    for u in downs:
        status, headers, _ = fetch(u, follow=False)
        assert status == 302
        target = urllib.parse.urljoin(u, headers["Location"])
        assert net.redirects[u] == target and re.search(r"/attach/0/[0-9a-f]{32}\.pdf$", target)
        status, headers, body = fetch(u)
        assert status == 200 and body[:5] == b"%PDF-"
        dispositions.add(headers["Content-Disposition"])
    assert 'attachment; filename="../../x.pdf"' in dispositions
    assert "attachment; filename*=UTF-8''%E5%B9%B4%E6%8A%A5.pdf" in dispositions


def test_challenge_page_served_as_200_in_place_of_a_pdf(net):
    url = next(u for u, kind in net.errors.items() if kind == "challenge")
    status, headers, body = fetch(url)
    assert status == 200 and headers["Content-Type"].startswith("text/html") and b"%PDF" not in body
    assert b"__jsl_clearance" in body


# ---- family 4: gkmlpt ---------------------------------------------------------------------------------

def test_gkmlpt_shell_and_json_api(net):
    shell = site(net, site_id(net, "gkmlpt"))["start_urls"][0]
    _, _, body = fetch(shell)
    text = body.decode()
    sid = re.search(r"SID = '(\d+)'", text).group(1)
    tree = json.loads(re.search(r"window._CONFIG = (\{.*?\});", text).group(1))["TREE"]
    cat = next(c["id"] for c in tree if c["name"] == "政府信息公开年报")
    assert not [u for u, _ in links(shell, body) if "post_" in u]
    api = urllib.parse.urljoin(shell, f"/gkmlpt/api/all/{cat}")
    seen, k = [], 1
    while True:
        status, headers, data = fetch(f"{api}?page={k}&sid={sid}")
        assert status == 200 and headers["Content-Type"].startswith("application/json")
        page = json.loads(data)
        if not page["articles"]:
            break
        seen += page["articles"]
        k += 1
    assert k > 2 and len(seen) == page["total"] == len({a["id"] for a in seen})
    assert set(seen[0]) == {"id", "title", "url", "created_at"}
    urls = {a["url"] for a in seen}
    assert {u for u in family_urls(net, "gkmlpt") if "post_" in u} <= urls
    assert any(u in net.forbidden for u in urls)                          # the 图解 item
    assert fetch(f"{api}?page=1&sid=0")[0] == 400


def test_gkmlpt_attachments_and_huge_file(net):
    atts = [u for u in family_urls(net, "gkmlpt") if "/attachment/" in u]
    assert {u.rsplit(".", 1)[1] for u in atts} == {"pdf", "docx"}
    assert all(re.search(r"/attachment/0/\d+/\d+/\d+\.(pdf|docx)$", u) for u in atts)
    huge = next(u for u, kind in net.errors.items() if kind == "too-large")
    parts = urllib.parse.urlsplit(huge)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    conn.request("GET", parts.path)
    r = conn.getresponse()
    assert r.status == 200 and int(r.getheader("Content-Length")) > 32 * 1024 * 1024
    assert r.read(1024)[:5] == b"%PDF-"
    conn.close()  # dropping the connection mid-stream must not disturb the server
    assert fetch(huge.rsplit("/", 1)[0])[0] == 404
    page = next(urls[0] for _, _, urls in net.reports if urls[0].startswith(huge.split("/attachment")[0])
                and huge.split(parts.netloc)[1] in fetch(urls[0])[2].decode())
    assert page in family_urls(net, "gkmlpt")


# ---- family 5: county portal ------------------------------------------------------------------------------

def test_county_portal_discovery_reaches_every_report(net):
    """A same-host breadth-first walk over <a> and <iframe> finds every report and the companion items."""
    sid = site_id(net, "county")
    home = site(net, sid)["start_urls"][0]
    host = urllib.parse.urlsplit(home).netloc
    seen, queue, texts = {home}, [home], {}
    while queue:
        url = queue.pop(0)
        status, headers, body = fetch(url)
        if status != 200 or not headers.get("Content-Type", "").startswith("text/html") or url in net.forbidden:
            continue
        for u, t in links(url, body):
            texts.setdefault(u, t)
            if urllib.parse.urlsplit(u).netloc == host and u not in seen and "/search/" not in u \
                    and u not in net.errors:
                seen.add(u)
                queue.append(u)
    assert net.expected[sid] <= seen
    assert {u for u in net.forbidden if u.startswith(home.rstrip("/"))} <= seen | set(texts)
    assert any(t.startswith("文字解读") for t in texts.values()) and any("图解" in t for t in texts.values())
    assert any(u in net.errors and net.errors[u] == "redirect-loop" for u in seen | set(texts))
    mirror = [u for u in texts if urllib.parse.urlsplit(u).hostname in net.offsite_hosts]
    assert mirror and all(u in net.forbidden for u in mirror)
    assert not net.requests_to(next(iter(net.offsite_hosts)))
    assert any("下一页" == t for t in texts.values())


def test_county_iframe_shell_and_year_folders(net):
    sid = site_id(net, "county")
    shell = net.url(sid, "/zfxxgk/zfxxgknb/bm/sfj/index.html")
    _, _, body = fetch(shell)
    (frame,) = lxml.html.document_fromstring(body).xpath("//iframe/@src")
    inner = urllib.parse.urljoin(shell, frame)
    assert not [u for u, _ in links(shell, body) if "/bm/sfj/" in u and u != inner]
    assert [u for u, _ in links(inner, fetch(inner)[2]) if u in net.expected[sid]]
    folders = [u for u in net.expected[sid] if re.search(r"/xz/\w+/20\d\dn/\d+\.html$", u)]
    assert folders
    yearless = [s for s_id, s, urls in net.reports if s_id == sid and not re.search(r"20\d\d", s.title)]
    assert yearless and all("no_year_title" in s.perturb for s in yearless)


def test_county_attachment_only_and_image_tables(net):
    sid = site_id(net, "county")
    only = [urls for s_id, _, urls in net.reports if s_id == sid and len(urls) > 1
            and not urls[1].endswith(".pdf")]
    exts = {u.rsplit(".", 1)[1] for urls in only for u in urls[1:]}
    assert exts == {"docx", "wps", "doc"}
    for urls in only:
        assert len(lxml.html.document_fromstring(fetch(urls[0])[2]).xpath("//table")) == 0
        for u in urls[1:]:
            magic = b"PK\x03\x04" if u.endswith(".docx") else b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
            assert fetch(u)[2].startswith(magic), u
    (img,) = [urls[0] for s_id, s, urls in net.reports if s_id == sid and "table_image" in s.perturb]
    doc = lxml.html.document_fromstring(fetch(img)[2])
    assert not doc.xpath("//table") and doc.xpath("//img")
    assert fetch(urllib.parse.urljoin(img, doc.xpath("//img/@src")[0]))[2][:4] == b"\x89PNG"


def test_redirect_loop(net):
    url = next(u for u, kind in net.errors.items() if kind == "redirect-loop")
    hops, current = 0, url
    while hops < 6:
        status, headers, _ = fetch(current, follow=False)
        assert status == 302
        current = urllib.parse.urljoin(current, headers["Location"])
        hops += 1
    assert current == url


def test_offsite_host_is_logged_only_when_requested():
    with start_network(seed=0, families=["county"]) as n:
        home = n.sites[0]["start_urls"][0]
        fetch(home)
        mirror_ip = next(iter(n.offsite_hosts))
        assert not n.requests_to(mirror_ip)
        mirror = next(u for u in n.forbidden if urllib.parse.urlsplit(u).hostname == mirror_ip)
        assert mirror in {u for u, _ in links(home, fetch(home)[2])}
        assert fetch(mirror)[0] == 200
        assert [e[:3] for e in n.requests_to(mirror_ip)] == [(mirror_ip, "GET", urllib.parse.urlsplit(mirror).path)]


# ---- family 6: JavaScript-only listing -----------------------------------------------------------------------

def test_js_only_listing_has_no_links_without_a_browser(net):
    sid = site_id(net, "jsonly")
    start = site(net, sid)["start_urls"][0]
    _, _, body = fetch(start)
    found = {u for u, _ in links(start, body)}
    assert not found & net.expected[sid]
    assert not any(urllib.parse.urlsplit(u).path in body.decode() for u in net.expected[sid])
    data = json.loads(fetch(urllib.parse.urljoin(start, "data_42.json"))[2])
    assert {urllib.parse.urljoin(start, it["u"]) for it in data["items"]} >= net.expected[sid]


@pytest.mark.browser
def test_js_only_listing_in_chromium(net):
    from playwright.sync_api import sync_playwright
    sid = site_id(net, "jsonly")
    start = site(net, sid)["start_urls"][0]
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=["--no-sandbox"])
        try:
            page = browser.new_page()
            page.goto(start)
            page.wait_for_selector("#list a")
            hrefs = set(page.eval_on_selector_all("#list a", "els => els.map(e => e.href)"))
        finally:
            browser.close()
    assert net.expected[sid] <= hrefs


# ---- the command ----------------------------------------------------------------------------------------------

def test_simulate_command_prints_sites_and_serves_until_stopped(tmp_path):
    root = Path(__file__).resolve().parents[1]
    registry = tmp_path / "sim.yaml"
    proc = subprocess.Popen([sys.executable, "-m", "nianbao.cli", "simulate", "--seed", "0",
                             "--registry", str(registry)], cwd=root, stdout=subprocess.PIPE, text=True)
    try:
        lines = []
        for line in proc.stdout:
            lines.append(line)
            if line.startswith("serving"):
                break
        starts = [line.split()[1] for line in lines[:-1]]
        assert len(starts) == len(FAMILIES)
        assert fetch(starts[0])[0] == 200
        entries = yaml.safe_load(registry.read_text(encoding="utf-8"))
        assert [e["start_urls"][0] for e in entries] == starts
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=30) == 0
