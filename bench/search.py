"""Search benchmark: the SQL behind `nianbao query search` and Datasette's table search box, on SQLite.

Builds a dataset of N reports whose sections are generated Chinese text (~3,000 characters each:
phrases of a typical report in random order), then times pipelines.search.sqlite_ids for words of one to
four characters: 3+ characters go to the FTS5 trigram index (MATCH), shorter words to LIKE over the
same FTS5 table (a scan). Prints the median milliseconds per query and the rows found.

    .venv/bin/python bench/search.py [-n 5000] [--repeat 5]
"""
from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import insert, text

from pipelines import search
from pipelines.db import open_db
from pipelines.db.models import Report

WORDS = ["司", "公", "司法", "复议", "公开", "不存", "编号49", "司法局", "行政复议", "政府信息公开", "不存在的词语"]
TEXT = ("本机关认真贯彻落实政府信息公开条例，坚持以公开为常态、不公开为例外，推进决策、执行、管理、服务、结果公开。"
        "全年主动公开政府信息，依申请公开办理及时规范，行政复议和行政诉讼案件依法处理。司法局、教育局、卫生健康委员会"
        "等部门按要求发布年度报告，平台建设、监督保障、工作人员培训等方面仍需加强。")
PHRASES = [p for p in TEXT.replace("。", "，").replace("、", "，").split("，") if p] + [f"编号{i}" for i in range(50)]


def build(path: Path, n: int, seed: int = 0) -> None:
    rng = random.Random(seed)
    engine = open_db(f"sqlite:///{path}")
    now = datetime(2024, 1, 1)
    rows = []
    for i in range(1, n + 1):
        body = "，".join(rng.choices(PHRASES, k=300))                  # ~3,000 characters of the phrases
        rows.append({"id": i, "year": 2018 + i % 7, "template": "2021", "tables": {},
                         "title": f"第{i}号机关年度报告",
                         "agency_printed": f"第{i}号机关", "region": {}, "is_current": True, "current_reason": "bench",
                         "content_key": f"k{i}", "n_cells": 0, "n_checks_failed": 0, "n_checks_unknown": 0,
                         "warnings": [], "sections": {"overview": body}, "parser_version": "bench",
                         "created_at": now, "updated_at": now})
    with engine.begin() as conn:
        for start in range(0, n, 1000):
            conn.execute(insert(Report), rows[start:start + 1000])
    engine.dispose()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("-n", type=int, default=5000)
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bench.sqlite"
        t0 = time.perf_counter()
        build(path, args.n)
        print(f"{args.n} reports built in {time.perf_counter() - t0:.1f} s ({path.stat().st_size / 1e6:.0f} MB)")
        engine = open_db(f"sqlite:///{path}", migrate=False)
        with engine.connect() as conn:
            for word in WORDS:
                sql, params = search.sqlite_ids(word)
                times, found = [], 0
                for _ in range(args.repeat):
                    t = time.perf_counter()
                    found = len(conn.execute(text(sql), params).all())
                    times.append((time.perf_counter() - t) * 1000)
                how = "MATCH" if "MATCH" in sql else "LIKE"
                print(f"{word:12} {len(word)} chars  {how:5}  {statistics.median(times):8.1f} ms  {found} reports")
        engine.dispose()


if __name__ == "__main__":
    main()
