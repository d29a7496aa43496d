"""One database engine per dataset URL in a process, shared by every site's pipelines and extensions.

A crawl process runs a hundred sites at once; an engine (and a connection pool) per site and per
pipeline would open hundreds of connections. acquire() counts users; release() disposes the engine
when the last one is done.
"""
from __future__ import annotations

import threading

from sqlalchemy.engine import Engine

from pipelines.db import open_db

_lock = threading.Lock()
_engines: dict[str, list] = {}      # url -> [engine, users]


def acquire(url: str) -> Engine:
    """The process's engine for `url` (opened and migrated on first use); pair with release(url)."""
    with _lock:
        entry = _engines.get(url)
        if entry is None:
            entry = _engines[url] = [open_db(url), 0]
        entry[1] += 1
        return entry[0]


def release(url: str) -> None:
    with _lock:
        entry = _engines.get(url)
        if entry is None:
            return
        entry[1] -= 1
        if entry[1] <= 0:
            del _engines[url]
            entry[0].dispose()
