"""Listing strategies, one small module per CMS family, and the sniffer that picks one for a page.

Each strategy module offers:
    matches(response) -> bool        its fingerprint is in the page
    links(response) -> list[Link]    the records (report candidates) the listing holds
    pages(response) -> list[Request] the listing's other pages (callbacks are set by the spider)
"""
from __future__ import annotations

from . import epoint, gkmlpt, hanweb, jpaas, paging, trs, trsapi, truecms, xxgk

# Order matters: the most specific fingerprint first; paging is the generic fallback.
STRATEGIES = {"gkmlpt": gkmlpt, "jpaas": jpaas, "hanweb": hanweb, "xxgk": xxgk, "truecms": truecms,
              "epoint": epoint, "trsapi": trsapi, "trs": trs, "paging": paging}


def sniff(response) -> str:
    """The name of the strategy whose fingerprint the page carries."""
    for name, module in STRATEGIES.items():
        if module.matches(response):
            return name
    return "paging"
