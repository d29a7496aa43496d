"""The stored dataset does not depend on the order in which documents arrive (issue 8, item 7).

The documents are the simulated network's own (fetched from it, each parsed once); each order stores
them into a new dataset through the dedupe and store steps; the datasets, compared without their
row ids (a report is named by its agency, year and source URLs), must be equal, versions included.
"""
from __future__ import annotations

import hashlib
import random
import re
from urllib.request import urlopen

import pytest
from sqlalchemy import text

from crawler.items import DocumentItem
from nianbao.simulator import start_network
from pipelines import dataset
from pipelines.db import open_db
from pipelines.parse import parse_document

MOVING = {"id", "created_at", "updated_at", "first_seen", "last_seen", "fetched_at"}


def canonical(db_url: str) -> dict:
    """The dataset's rows with every row id replaced by a name that does not depend on arrival order."""
    engine = open_db(db_url)
    try:
        with engine.connect() as conn:
            def q(sql: str) -> list[dict]:
                return [dict(m) for m in conn.execute(text(sql)).mappings()]
            agencies = {a["id"]: a["key"] for a in q("SELECT id, key FROM agencies")}
            sources = q("SELECT * FROM sources")
            urls: dict = {}
            for s in sources:
                urls.setdefault(s["report_id"], []).append(s["url"])
            reports = q("SELECT * FROM reports")
            name = {r["id"]: (agencies.get(r["agency_id"]), r["year"], tuple(sorted(urls.get(r["id"], []))))
                    for r in reports}
            source_url = {s["id"]: s["url"] for s in sources}
            out: dict = {"reports": [], "sources": [], "cells": [], "checks": [], "agencies": [], "aliases": []}
            for r in reports:
                row = {k: v for k, v in r.items() if k not in MOVING}
                row.update(agency_id=agencies.get(r["agency_id"]), supersedes_id=name.get(r["supersedes_id"]),
                           superseded_by_id=name.get(r["superseded_by_id"]),
                           primary_source_id=source_url.get(r["primary_source_id"]),
                           current_reason=re.sub(r"report (\d+)", lambda m: f"report {name[int(m[1])]}",
                                                 r["current_reason"] or ""))
                out["reports"].append(repr(sorted(row.items())))
            for s in sources:
                row = {k: v for k, v in s.items() if k not in MOVING}
                row["report_id"] = name.get(s["report_id"])
                out["sources"].append(repr(sorted(row.items())))
            for c in q("SELECT * FROM cells"):
                out["cells"].append(repr((name[c.pop("report_id")], sorted(c.items()))))
            for c in q("SELECT * FROM check_results"):
                report = name[c.pop("report_id")]
                out["checks"].append(repr((report, sorted((k, v) for k, v in c.items() if k != "id"))))

            for a in q("SELECT * FROM agencies"):
                out["agencies"].append(repr(sorted((k, v) for k, v in a.items() if k not in MOVING)))
            for a in q("SELECT * FROM agency_aliases"):
                out["aliases"].append((agencies[a["agency_id"]], a["alias"]))
    finally:
        engine.dispose()
    return {k: sorted(v) for k, v in out.items()}


@pytest.fixture(scope="module")
def documents():
    """Every document the simulated network publishes (county family at scale 3, where one agency has
    an original, its correction and a third report of the same year and date): items with the parse
    results, in publication order."""
    docs = []
    with start_network(0, scale=3, families=["county", "trs"]) as net:
        regions = {s["id"]: s["region"] for s in net.sites}
        seen = set()
        for site, sample, urls in net.reports:
            for url in urls:                             # the report page, then its attachments
                if url in seen:
                    continue
                seen.add(url)
                with urlopen(url) as resp:  # the simulator, on loopback
                    body, media = resp.read(), resp.headers.get_content_type()
                report, error = parse_document(body, media_type=media, url=url, title=sample.title)
                page = url.endswith(".html")
                docs.append(dict(url=url, final_url=url, site=site, site_region=regions[site],
                                 kind="page" if page else "attachment", parent_url=None if page else urls[0],
                                 listing_title=sample.title, link_text=sample.title, status=200, headers={},
                                 filename=url.rsplit("/", 1)[-1], media_type=media,
                                 sha256=hashlib.sha256(body).hexdigest(), body=body,
                                 fetched_at="2025-02-01T08:00:00Z", report=report, parse_error=error))
    return docs


def store_in_order(db_url: str, docs: list[dict]) -> None:
    engine = open_db(db_url)
    version, cache = dataset.parser_version(), {}
    for d in docs:
        it = DocumentItem(**d)
        if not dataset.record_known(engine, it):
            dataset.store_document(engine, it, version, cache)
    engine.dispose()


def versions_of(db_url: str, agency: str, year: int) -> int:
    engine = open_db(db_url)
    with engine.connect() as conn:
        n = conn.execute(text("SELECT count(*) FROM reports r JOIN agencies a ON a.id = r.agency_id "
                              "WHERE a.name = :a AND r.year = :y"), {"a": agency, "y": year}).scalar()
    engine.dispose()
    return n


def shuffled(docs: list[dict], seed: int) -> list[dict]:
    """A random order in which, as in any crawl, an attachment comes after the page that links it."""
    rng = random.Random(seed)
    key = {d["url"]: rng.random() for d in docs}
    for d in docs:
        if d["parent_url"] in key:
            key[d["url"]] = key[d["parent_url"]] + (1 - key[d["parent_url"]]) * rng.random()
    return sorted(docs, key=lambda d: key[d["url"]])


def test_shuffled_arrival_gives_the_same_dataset(documents, tmp_path):
    orders = [list(documents)] + [shuffled(documents, seed) for seed in range(5)]
    dumps = []
    for i, docs in enumerate(orders):
        url = f"sqlite:///{tmp_path / f'order{i}.sqlite'}"
        store_in_order(url, docs)
        dumps.append(canonical(url))
    assert dumps[0]["reports"], "nothing was stored"
    for d in dumps[1:]:
        for table in dumps[0]:
            assert d[table] == dumps[0][table], table


def test_a_third_report_of_a_versions_date_joins_that_version_whatever_the_order(documents, tmp_path):
    """The case of issue 8: 衡南县卫生健康局 2024 has an original, its later correction, and another
    document of the original's date with other values; it is two versions in any order."""
    mine = [d for d in documents if d["report"] is not None and d["report"].agency == "衡南县卫生健康局"
            and d["report"].year == 2024]
    assert len(mine) == 3
    counts = set()
    for i, order in enumerate(([0, 1, 2], [0, 2, 1], [1, 0, 2], [1, 2, 0], [2, 0, 1], [2, 1, 0])):
        url = f"sqlite:///{tmp_path / f'perm{i}.sqlite'}"
        store_in_order(url, [mine[k] for k in order])
        counts.add(versions_of(url, "衡南县卫生健康局", 2024))
    assert counts == {2}
