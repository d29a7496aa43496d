"""The dataset in Datasette: Chinese titles and headers, canned queries, search of any length, charts.

A Postgres dataset is first copied into a SQLite file (sqlite_copy), which Datasette then serves."""
from __future__ import annotations

import sqlite3
from pathlib import Path

from datasette.app import Datasette
from datasette.plugins import pm
from sqlalchemy import delete, inspect, select
from sqlalchemy.engine import make_url

from pipelines import search, views
from pipelines.datasette_addons import dashboard, plugin
from pipelines.db import DatabaseError, open_dataset_readonly, open_db
from pipelines.db.engine import read_only_file
from pipelines.db.models import Base

ADDONS = Path(plugin.__file__).parent
COPY_BATCH = 5000

TITLE = "政府信息公开工作年度报告数据集"
DESCRIPTION = ("各级行政机关《政府信息公开工作年度报告》的表格数据（主动公开、依申请公开、行政复议和行政诉讼），"
               "每个机关每个年度一份现行报告，旧版本保留。数据可追溯到来源文件（sources 表）。")
SETTINGS = {"sql_time_limit_ms": 5000, "default_page_size": 50, "facet_time_limit_ms": 500}

TABLES = {
    "agencies": ("机关", "每个机关一行：规范化名称与所属地区。"),
    "agency_aliases": ("机关别名", "报告中出现过的机关名称写法。"),
    "reports": ("年度报告（全部版本）", "每份报告的每个版本；is_current 标记现行版本。可全文检索标题、机关与正文。"),
    "sources": ("来源文件", "抓取到的网页与附件：网址、SHA-256、文件类型、首次与最近发现时间。"),
    "cells": ("报告数据（长表）", "报告表格中的每个数值：表、行、列、数值与原文。中文名称见 v_cells_zh 视图。"),
    "check_results": ("勾稽关系校验", "每份报告的表格一致性校验及其输入。"),
    "crawl_runs": ("采集批次", "每次 nianbao crawl 运行。"),
    "site_runs": ("各站点采集结果", "每次运行中每个站点的页面数、文件数、新报告数与错误数。"),
    "fetch_errors": ("抓取错误", "失败的请求。"),
    "table_labels": ("表名称", "表键名与中文名称。"),
    "row_labels": ("行名称", "行键名与报告中印刷的中文名称。"),
    "col_labels": ("列名称", "列键名与中文名称。"),
    search.FTS_TABLE: ("全文检索索引", "FTS5 trigram 索引：报告标题、机关与各部分正文。"),
}

COLUMNS = {
    "id": "编号", "report_id": "报告编号", "agency_id": "机关编号", "agency": "机关", "name": "机关名称",
    "previous_report_id": "上一年度报告编号", "previous_year": "上一年度",
    "key": "唯一键（省|市|县|名称）", "alias": "别名", "province": "省", "city": "市", "county": "县（区）",
    "code": "行政区划代码", "level": "层级（province 省级 / city 市级 / county 县级 / department 部门）",
    "region_source": "地区来源（report 报告 / site 站点）", "year": "年度", "template": "模板（2021 / 2019 / free）",
    "tables": "各表模板", "title": "标题", "published": "发布日期", "agency_printed": "报告所印机关名称",
    "region": "报告所印地区", "is_current": "是否现行版本", "supersedes_id": "取代的报告",
    "superseded_by_id": "被取代于",
    "current_reason": "选为现行版本的理由", "primary_source_id": "数据来源文件", "content_key": "内容指纹",
    "n_cells": "数值个数", "n_checks_failed": "未通过校验数", "n_checks_unknown": "无法校验数", "warnings": "警告",
    "sections": "各部分正文", "parser_version": "解析器版本", "created_at": "创建时间（UTC）",
    "updated_at": "更新时间（UTC）",
    "url": "网址", "final_url": "跳转后网址", "site": "站点", "kind": "类型（page 页面 / attachment 附件）",
    "parent_url": "所属页面", "listing_url": "列表页", "listing_title": "列表标题", "link_text": "链接文字",
    "sha256": "SHA-256", "media_type": "文件类型", "size": "字节数", "path": "原始文件路径", "etag": "ETag",
    "last_modified": "Last-Modified", "first_seen": "首次发现（UTC）", "last_seen": "最近发现（UTC）",
    "fetched_at": "抓取时间（UTC）", "parse_error": "解析错误", "source_url": "来源网址",
    "tbl": "表", "row": "行", "col": "列", "value": "数值", "raw": "原文",
    "tbl_label": "表名称", "row_label": "行名称", "col_label": "列名称", "label": "中文名称",
    "rule": "校验规则", "ok": "是否通过", "expected": "应为", "actual": "实为", "inputs": "输入",
    "started_at": "开始时间（UTC）", "finished_at": "结束时间（UTC）", "status": "状态", "args": "参数",
    "run_id": "批次", "pages": "页面数", "documents": "文件数", "new_reports": "新报告数", "errors": "错误数",
    "duration_s": "耗时（秒）", "finish_reason": "结束原因", "error": "错误", "referer": "来源页", "at": "时间（UTC）",
    "reports": "报告数", "reports_with_requests": "有申请数据的报告数",
    "new_received": "本年新收申请数（总计）", "total_handled": "办理结果总计", "granted": "予以公开",
    "partially_granted": "部分公开", "granted_share": "公开率（予以公开＋部分公开）÷ 办理结果总计",
    "corrected": "结果纠正", "total": "总计", "correction_rate": "纠错率（结果纠正 ÷ 总计）",
    "deadline": "法定发布期限", "reason": "缺失类型（gap 中间缺失 / overdue 逾期未发布）",
}

QUERY_PARAMETERS = {"q": "检索词（一个字及以上）", "kind": "类型", "snippet": "匹配处前后的文字"}

_SEARCH_SQL = f"""select f.rowid as report_id, f.agency, r.year, f.title, r.is_current,
  snippet({search.FTS_TABLE}, -1, '【', '】', '…', 20) as snippet
from {search.FTS_TABLE} f join reports r on r.id = f.rowid
where length(:q) >= {search.MIN_TRIGRAM} and {search.FTS_TABLE} match '"' || replace(:q, '"', '""') || '"'
union all
select f.rowid, f.agency, r.year, f.title, r.is_current,
  substr(coalesce(f.sections, ''), max(instr(coalesce(f.sections, ''), :q) - 20, 1), 60)
from {search.FTS_TABLE} f join reports r on r.id = f.rowid
where length(:q) between 1 and {search.MIN_TRIGRAM - 1}
  and (instr(f.title, :q) or instr(f.agency, :q) or instr(f.sections, :q))
order by is_current desc, year desc, report_id"""

QUERIES = {
    "search": {"title": "全文检索", "sql": _SEARCH_SQL,
               "description": "在报告标题、机关名称和各部分正文中查找（三个字及以上用全文索引，一两个字逐条匹配）。"},
    "requests_by_region": {
        "title": "各地区各年度依申请公开情况",
        "description": "按省（可留空）和年度（可留空）筛选：本年新收申请数、办理总数、予以公开、部分公开与公开率。",
        "sql": "select * from v_requests_by_region_year where (:province = '' or province like :province || '%') "
               "and (:year = '' or year = cast(:year as integer)) order by province, city, county, level, year"},
    "grant_share": {
        "title": "各机关申请公开率",
        "description": "（予以公开 + 部分公开）÷ 办理结果总计，按省和年度筛选。",
        "sql": "select * from v_grant_share where (:province = '' or province like :province || '%') "
               "and (:year = '' or year = cast(:year as integer)) order by granted_share desc"},
    "missing_reports": {
        "title": "缺失或逾期的年度报告",
        "description": "机关首末年度之间缺少的年度，以及已过法定期限仍未发布的年度。",
        "sql": "select * from v_missing_reports where (:province = '' or province like :province || '%') "
               "order by province, city, county, agency, year"},
    "agency_report": {
        "title": "某机关某年度的报告数据",
        "description": "输入机关名称的一部分和年度，列出现行报告的全部数值及中文表、行、列名称。",
        "sql": "select agency, year, tbl_label, row_label, col_label, value, raw from v_cells_zh "
               "where :agency <> '' and agency like '%' || :agency || '%' and year = cast(:year as integer) "
               "order by agency, tbl, row, col"},
}


def sqlite_path(url: str) -> Path:
    """The file behind a sqlite:/// URL; DatabaseError for any other database."""
    u = make_url(url)
    if u.get_backend_name() != "sqlite" or not u.database or u.database == ":memory:":
        raise DatabaseError(f"Datasette serves a SQLite file or a copy of a Postgres dataset, not "
                            f"{u.render_as_string(hide_password=True)}")
    return Path(u.database)


def metadata(db_name: str, columns: dict[str, list[str]]) -> dict:
    """Datasette metadata: Chinese titles and column descriptions for the tables and views present."""
    described = dict(TABLES)
    described.update(views.VIEWS)
    tables = {}
    for name, cols in columns.items():
        if name not in described:
            continue
        title, description = described[name]
        entry = {"title": title, "description": description,
                 "columns": {c: COLUMNS[c] for c in cols if c in COLUMNS}}
        if name == "reports":
            entry["plugins"] = {plugin.PLUGIN: {"pk": "id"}}
        elif name == "v_reports_latest":
            entry["plugins"] = {plugin.PLUGIN: {"pk": "report_id"}}
        elif name == "agencies":
            entry["label_column"] = "name"
        tables[name] = entry
    return {
        "title": TITLE, "description": DESCRIPTION,
        "extra_css_urls": ["/nianbao-static/nianbao.css"],
        "plugins": {"datasette-dashboards": dashboard.config(db_name, ""),
                    plugin.LABELS: {"columns": {**COLUMNS, **QUERY_PARAMETERS}}},
        "databases": {db_name: {"title": TITLE, "description": DESCRIPTION,
                                "tables": tables, "queries": QUERIES}},
    }


def columns_of(path: Path) -> dict[str, list[str]]:
    """The columns of every table and view in the SQLite file."""
    conn = sqlite3.connect(f"file:{path}?mode=ro{'&immutable=1' if read_only_file(path) else ''}", uri=True)
    try:
        names = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type IN ('table', 'view')")]
        return {n: [r[1] for r in conn.execute(f'PRAGMA table_info("{n}")')] for n in names}
    finally:
        conn.close()


def datasette(path: Path) -> Datasette:
    """A Datasette instance for the dataset file, with the metadata, templates and plugin above."""
    if not pm.is_registered(plugin):
        pm.register(plugin, name=plugin.PLUGIN)
    fixed = read_only_file(path)             # nothing can change it, and SQLite could write no -wal/-shm beside it
    return Datasette([] if fixed else [str(path)], immutables=[str(path)] if fixed else [],
                     metadata=metadata(path.stem, columns_of(path)), settings=SETTINGS,
                     template_dir=str(ADDONS / "templates"), static_mounts=[("nianbao-static", str(ADDONS / "static"))])


def prepare(url: str, copy_to: Path) -> Path:
    """The SQLite file to serve: the dataset itself (migrated), or for Postgres a SQLite copy at `copy_to`."""
    backend = make_url(url).get_backend_name()
    if backend == "sqlite":
        path = sqlite_path(url)
        open_dataset_readonly(url).dispose()          # exists (read-only: serving changes nothing)
        return path
    if backend != "postgresql":
        sqlite_path(url)                              # raises the message for this database
    sqlite_copy(url, copy_to)
    return copy_to


def sqlite_copy(url: str, path: Path) -> int:
    """Copy every table of the dataset at `url` into a new SQLite dataset at `path`; returns the rows copied.

    The SQLite side is created by the migrations (views, labels, search index and its triggers), then
    filled table by table; foreign keys are checked at the commit, when every row is in.
    """
    if path.exists():
        raise DatabaseError(f"{path} exists; the copy goes into a new file")
    source = open_dataset_readonly(url)
    target = open_db(f"sqlite:///{path}")
    n = 0
    try:
        with source.connect() as src, target.begin() as dst:
            present = set(inspect(src).get_table_names())
            dst.exec_driver_sql("PRAGMA defer_foreign_keys = ON")
            for table in Base.metadata.sorted_tables:
                if table.name not in present:
                    continue
                dst.execute(delete(table))          # rows a migration wrote (the copy replaces them)
                result = src.execution_options(stream_results=True, yield_per=COPY_BATCH).execute(select(table))
                for part in result.mappings().partitions():
                    dst.execute(table.insert(), [dict(m) for m in part])
                    n += len(part)
    finally:
        source.dispose()
        target.dispose()
    return n
