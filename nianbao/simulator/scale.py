"""Many small simulated portals for scale tests: N sites, each on its own loopback address (127.1.x.y),
each with robots.txt, a two-page 年报 column and `reports` report pages (HTML, 2021 template).

    net = start_scale_network(n, reports=14, seed=0)   # also a context manager; net.stop()

A crawl of one site makes 3 + reports requests (17 by default). net.sites are registry entries; net.reports counts the
distinct reports published (one agency and year each); net.log has (host, method, path, time)
for every request served (time: time.monotonic()); net.before(host, path), when set, runs
before each request is served (tests order events with it).
"""
from __future__ import annotations

import html
import random
import threading
import time

from nianbao.simulator.reports import _DEPARTMENTS, _regions, generate
from nianbao.simulator.reports_render import render_html_page
from nianbao.simulator.server import Response, start_servers, stop_servers
from nianbao.simulator.sites import page

ROOT = "/xxgk/ndbg/"
PER_PAGE_SPLIT = 2   # the column is split over two listing pages


class ScaleNetwork:
    def __init__(self, n: int, *, reports: int = 14, seed: int = 0):
        rng = random.Random(seed)
        regions = rng.sample(_regions(), n)
        self.log: list[tuple] = []
        self._lock = threading.Lock()
        self.pages: dict[str, dict[str, bytes]] = {}
        self.sites: list[dict] = []
        self.reports = 0
        self.n_reports = reports
        self.before = None     # tests: called with (host, path) before each request is served
        hosts = {}
        for i, region in enumerate(regions):
            ip = f"127.1.{1 + i // 250}.{1 + i % 250}"
            entries = []
            for k in range(reports):
                dept, year = _DEPARTMENTS[k // 2 % len(_DEPARTMENTS)], 2023 + k % 2
                sample = generate(rng, year=year, agency=region["county"] + dept, region=region)
                path = f"{ROOT}{year}/t{year}0315_{i}_{k}.html"
                entries.append((sample.title, path, sample.published.isoformat()))
                self.pages.setdefault(ip, {})[path] = render_html_page(sample, layout="table", site_style="trs")
            self.reports += len({(t, p) for t, p, _ in entries})
            half = -(-len(entries) // PER_PAGE_SPLIT)
            for j, chunk in enumerate((entries[:half], entries[half:])):
                items = "\n".join(f'<li><a href="{html.escape(p)}" title="{html.escape(t)}">{html.escape(t)}</a>'
                                  f'<span>{d}</span></li>' for t, p, d in chunk)
                pager = ('<a href="index.html?page=2">下一页</a>' if j == 0
                         else '<a href="index.html?page=1">上一页</a>')
                body = (f'<ul class="list">\n{items}\n</ul>\n'
                        f'<div class="pager">共{len(entries)}条 {j + 1}/2页 {pager}</div>')
                self.pages[ip][f"{ROOT}index.html?page={j + 1}"] = page(
                    f"{region['county']}政府信息公开年报", body).encode()
            self.pages[ip][f"{ROOT}index.html"] = self.pages[ip][f"{ROOT}index.html?page=1"]
            hosts[ip] = self._handler(ip)
            self.sites.append({"id": f"scale-{i:04d}", "name": f"{region['county']}人民政府",
                               "region": dict(region), "start_urls": [f"http://{ip}:{{port}}{ROOT}index.html"],
                               "allowed_domains": [ip], "enabled": True})
        self.port, self._servers = start_servers(hosts, [], self._lock)
        for s in self.sites:
            s["start_urls"] = [u.replace("{port}", str(self.port)) for u in s["start_urls"]]

    def _handler(self, ip: str):
        def handle(req):
            target = req.target if req.target in self.pages[ip] else req.path
            if self.before is not None:
                self.before(ip, req.target)
            with self._lock:
                self.log.append((ip, req.method, req.target, time.monotonic()))
            if req.path == "/robots.txt":
                return Response(200, b"User-agent: *\nDisallow: /search/\n", "text/plain")
            body = self.pages[ip].get(target)
            return Response(200, body) if body is not None else Response(404, b"not found")
        return handle

    def requests_per_site(self) -> int:
        """robots.txt, the column's two listing pages, the report pages."""
        return 3 + self.n_reports

    def stop(self) -> None:
        stop_servers(self._servers)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()


def start_scale_network(n: int, *, reports: int = 14, seed: int = 0) -> ScaleNetwork:
    return ScaleNetwork(n, reports=reports, seed=seed)
