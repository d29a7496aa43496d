"""The kind of a failed fetch, from its recorded error and HTTP status: one word each, used for the
counts by kind (crawl summary, `nianbao status`) and for a site's health."""
from __future__ import annotations

import re

KINDS = ("dns", "tls", "connection", "timeout", "http", "blocked", "parse", "other")
NETWORK = frozenset({"dns", "tls", "connection", "timeout"})   # the site could not be reached at all

_RULES = (
    ("blocked", re.compile(r"^blocked|robots\.txt|challenge", re.I)),
    ("dns", re.compile(r"DNSLookupError|DNS lookup|No address associated|Name or service not known", re.I)),
    ("tls", re.compile(r"SSL|TLS|certificate|handshake", re.I)),
    ("timeout", re.compile(r"timeout|timed out|TimeoutError", re.I)),
    ("http", re.compile(r"^HTTP \d{3}")),
    ("connection", re.compile(r"Connection|refused|reset|unreachable|ConnectError|lost", re.I)),
)


def error_kind(error: str | None, status: int | None = None) -> str:
    """"blocked" (challenge page, 403/412/…, robots), "dns", "tls", "timeout", "http" (another status),
    "connection", else "other". Parse errors are counted apart, as "parse"."""
    text = error or ""
    for kind, rule in _RULES:
        if rule.search(text):
            return kind
    return "http" if status else "other"
