"""A simulated network of government portals on loopback, one site per CMS family (see portals.md).

    net = start_network(seed=0, *, scale=1.0, families=None)   # also a context manager; net.stop()

families: None (all) or a subset of FAMILIES: "county", "trs", "trs_pagediv", "hanweb", "gkmlpt", "jsonly".
Every site listens on its own 127.0.0.x (fixed per family: county .11, trs .12, trs_pagediv .13, hanweb .14,
gkmlpt .15, jsonly .16; the off-site mirror .250), all on one port number `net.port`.

net.sites          registry entries (architecture.md format); start_urls is a home page (discovery) or a column
net.expected       {site_id: {absolute URL}}: every report page and report attachment, as LINKED (before any
                   redirect; net.redirects maps such a linked URL to where it redirects)
net.forbidden      {URL}: companion items (图解, 文字解读, 通知, 指南), unrelated documents, mirror URLs,
                   robots-disallowed links: none may be downloaded
net.errors         {URL: kind}: linked URLs a crawler may request but must record as an error, never store as
                   a report: "404", "redirect-loop", "too-large" (a 40 MiB file: set DOWNLOAD_MAXSIZE below
                   32 MiB), "challenge" (an HTML JS-challenge page served with 200 in place of a PDF)
net.offsite_hosts  {IP}: hosts that must receive no request
net.log            [(host_ip, method, path_with_query, status)] for every request served (thread-safe appends)
net.reports        [(site_id, SampleReport, [URLs where it is published])]: ground truth
net.redirects       {linked URL: redirect target} (Hanweb downfile.jsp → /attach/0/…)
net.aliases        {agency: {other names}}: a report re-published under another printed name of its agency
                   (the city portal prints the county's 衡南县人民政府 as 衡阳市衡南县人民政府)
net.url(site_id, path); net.requests_to(host_ip) -> the log entries of one host; net.port

Site-level oddities are added to SampleReport.perturb: "no_year_title", "table_image" (values not
recoverable from the page), "corrected" (the 更正版 of another report in net.reports).
Attachments (PDF/DOCX/DOC) are rendered once per distinct sample and cached on disk ($NIANBAO_SIM_CACHE,
default <tmp>/nianbao-simulator); at scale > 1 attachment reports reuse a pool of 16 samples per file kind.
"""
from __future__ import annotations

from .network import FAMILIES, Network, start_network

__all__ = ["FAMILIES", "Network", "start_network", "run"]


def run(args) -> int:
    """`nianbao simulate`: serve the network until Ctrl-C."""
    import signal
    import threading

    stop = threading.Event()
    # the handler is in place before "serving" is printed: a caller may send SIGTERM as soon as it reads it
    signal.signal(signal.SIGTERM, lambda *a: stop.set())
    net = start_network(seed=args.seed, scale=args.scale)
    if args.registry:
        import yaml
        with open(args.registry, "w", encoding="utf-8") as f:
            yaml.safe_dump(net.sites, f, allow_unicode=True, sort_keys=False)
    for site in net.sites:
        flag = "  (render: true)" if site["render"] else ""
        print(f"{site['id']:16} {site['start_urls'][0]}{flag}", flush=True)
    print("serving; Ctrl-C to stop", flush=True)
    try:
        stop.wait()
    except KeyboardInterrupt:
        pass
    finally:
        net.stop()
    return 0
