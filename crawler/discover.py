"""Find 年报 columns and their per-agency / per-year sub-columns from a home page or a column page."""
from __future__ import annotations

from urllib.parse import urlsplit

from crawler.classify import is_disclosure_hub, is_listing_url, is_report_column, is_year_column


def column_root(url: str) -> str:
    """The directory that holds a column and its sub-columns: host + path up to the last '/'."""
    parts = urlsplit(url)
    return f"{parts.netloc}{parts.path.rsplit('/', 1)[0]}/"


def is_home(url: str) -> bool:
    """A portal's home page (the registry may start there instead of at a column)."""
    path = urlsplit(url).path
    return path in ("", "/") or path.lower() in ("/index.html", "/index.htm", "/index.shtml", "/index.jsp")


def follow(link, *, root: str | None) -> tuple[str, str | None] | None:
    """Whether a non-report link leads to more listings.

    root: the 年报 column directory the current page belongs to, or None on a home/hub page.
    Returns (kind, new_root) with kind "column" (a 年报 column or a named sub-column), "sub" (a
    listing below the current column: a year, group or agency folder) or "hub" (政府信息公开, one
    hop from home), or None.
    """
    if is_report_column(link.title, link.url) or is_report_column(link.text, link.url):
        return "column", column_root(link.url)
    if root is not None:
        if is_listing_url(link.url) and column_root(link.url).startswith(root) and column_root(link.url) != root:
            return "sub", root
        if is_year_column(link.text, link.url):
            return "sub", root
        return None
    if is_disclosure_hub(link.text, link.url):
        return "hub", None
    return None
