"""Fixtures for the pipeline tests: a fresh dataset on SQLite and on Postgres, and document items."""
from __future__ import annotations

import random
import uuid
from contextlib import contextmanager
from types import SimpleNamespace

import psycopg
import pytest
from sqlalchemy import text

from crawler.items import DocumentItem
from tests import services

HONGZE = {"province": "江苏省", "city": "淮安市", "county": "洪泽区", "code": "320813"}
HUAIAN = {"province": "江苏省", "city": "淮安市", "county": None, "code": "320800"}


def _ensure_pg_database() -> None:
    with psycopg.connect(services.pg_dsn(), autocommit=True) as c:
        if not c.execute("SELECT 1 FROM pg_database WHERE datname = 'nianbao_test'").fetchone():
            c.execute("CREATE DATABASE nianbao_test")


@contextmanager
def _pg_schema():
    """The URL of a fresh schema of the test Postgres (tests/services.py), dropped afterwards."""
    _ensure_pg_database()
    schema = f"t_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(services.pg_dsn("nianbao_test"), autocommit=True) as c:
        c.execute(f"CREATE SCHEMA {schema}")
    try:
        yield f"{services.pg_url('nianbao_test')}?options=-csearch_path%3D{schema}"
    finally:
        with psycopg.connect(services.pg_dsn("nianbao_test"), autocommit=True) as c:
            c.execute(f"DROP SCHEMA {schema} CASCADE")


@pytest.fixture(params=["sqlite", "postgres"])
def db_url(request, tmp_path):
    """A URL of an empty dataset: a SQLite file, or a fresh schema of the test Postgres."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'nianbao.sqlite'}"
        return
    with _pg_schema() as url:
        yield url


@pytest.fixture
def pg_url():
    """A URL of an empty dataset in a fresh schema of the test Postgres (for Postgres-only tests)."""
    with _pg_schema() as url:
        yield url


class Stats(dict):
    def get_value(self, key, default=None):
        return self.get(key, default)

    def set_value(self, key, value):
        self[key] = value

    def inc_value(self, key, count=1):
        self[key] = self.get(key, 0) + count

    def get_stats(self):
        return dict(self)


def fake_crawler(closed: list | None = None):
    """Enough of a Scrapy crawler for the pipelines: stats, and an engine that records a close
    (synchronously: these tests run without a reactor)."""
    def close_spider_async(*, reason):
        if closed is not None:
            closed.append(reason)
    return SimpleNamespace(stats=Stats(), engine=SimpleNamespace(close_spider_async=close_spider_async))


def item(body: bytes, url: str, *, site="hongze", region=HONGZE, media_type="text/html", kind="page",
         listing_title=None, headers=None) -> DocumentItem:
    return DocumentItem(url=url, final_url=url, site=site, site_region=dict(region), kind=kind,
                        listing_title=listing_title, link_text=listing_title, status=200,
                        headers=headers or {}, filename=url.rsplit("/", 1)[-1], media_type=media_type,
                        body=body, fetched_at="2025-02-01T08:00:00Z")


class Chain:
    """The crawl's item pipeline (crawler/settings.py's ITEM_PIPELINES), fed items directly (no crawl),
    working in this process."""

    def __init__(self, db_url, data_dir, parse=True):
        from crawler.settings import ITEM_PIPELINES
        from pipelines.store import StorePipeline
        assert list(ITEM_PIPELINES) == ["pipelines.store.StorePipeline"]
        self.closed = []
        self.parse = parse
        self.crawler = fake_crawler(self.closed)
        self.store = StorePipeline(self.crawler, db_url, str(data_dir))
        self.store.open_spider()

    def feed(self, it, report=None):
        """Run one item through; `report` stands in for the parser's result when given (without it and
        without `parse`, the document is stored as unreadable)."""
        import asyncio

        from scrapy.exceptions import DropItem
        if report is not None:
            it["report"], it["parse_error"] = report, None
        elif not self.parse and not it.get("parse_error"):
            it["parse_error"] = "no report"
        try:
            return asyncio.run(self.store.process_item(it))
        except DropItem:
            return None

    def close(self):
        self.store.close_spider()


@pytest.fixture
def chain_factory(db_url, tmp_path):
    chains = []

    def make(parse=True):
        c = Chain(db_url, tmp_path / "data", parse=parse)
        chains.append(c)
        return c
    yield make
    for c in chains:
        c.close()


def dump(db_url, exclude=("last_seen", "fetched_at")) -> dict:
    """Every dataset table's rows, sorted, without the columns meant to move on each sighting."""
    from pipelines.db import open_db
    engine = open_db(db_url)
    out = {}
    with engine.connect() as conn:
        for table in ("agencies", "agency_aliases", "reports", "sources", "cells", "check_results"):
            rows = conn.execute(text(f"SELECT * FROM {table}")).mappings().all()
            out[table] = sorted(repr(sorted((k, v) for k, v in r.items()
                                            if k not in exclude and f"{table}.{k}" not in exclude)) for r in rows)
    engine.dispose()
    return out


def rows(db_url, sql, **params):
    from pipelines.db import open_db
    engine = open_db(db_url)
    with engine.begin() as conn:
        result = conn.execute(text(sql), params)
        out = result.all() if result.returns_rows else []
    engine.dispose()
    return out


@pytest.fixture
def rng():
    return random.Random(20250201)
