"""The views' titles for Datasette, and the Chinese label tables, filled from the forms spec whenever a
writer opens the dataset.

The views themselves are SQL in the Alembic migrations that create them (0050, 0060), frozen there:
a change to a view is a new migration. A later migration that rebuilds `reports`, `agencies`, `cells`
or `check_results` (SQLite batch mode) must drop every view first and create them again after.
Every view reads only the current report of each (agency, year) unless it says otherwise.
"""
from __future__ import annotations

from sqlalchemy import Column, MetaData, String, Table, insert, inspect, select
from sqlalchemy.engine import Connection

from pipelines import labels

# the label tables: English key -> Chinese label, joined by the views and shown by Datasette
label_metadata = MetaData()
table_labels = Table("table_labels", label_metadata,
                     Column("tbl", String(30), primary_key=True),
                     Column("label", String(100), nullable=False))
row_labels = Table("row_labels", label_metadata,
                   Column("tbl", String(30), primary_key=True),
                   Column("row", String(40), primary_key=True),
                   Column("label", String(100), nullable=False))
col_labels = Table("col_labels", label_metadata,
                   Column("tbl", String(30), primary_key=True),
                   Column("col", String(40), primary_key=True),
                   Column("label", String(100), nullable=False))

# name -> (Chinese title, description); the order is the order Datasette lists them
VIEWS = {
    "v_reports_latest": ("各机关各年度现行报告",
                         "每个机关每个年度的现行版本报告，附地区、模板、来源链接与校验失败数。"),
    "v_cells_zh": ("报告数据（中文标签）", "现行报告的全部表格数据，长表格式，附表、行、列的中文名称。"),
    "v_requests_by_region_year": ("各地区各年度申请数量",
                                  "按省、市、县、机关层级和年度汇总的本年新收申请数、办理总数、予以公开和部分公开数。"),
    "v_grant_share": ("申请公开率", "每份现行报告的（予以公开 + 部分公开）÷ 办理结果总计（总计列）。"),
    "v_review_litigation_rates": ("复议诉讼纠错率", "每份现行报告中行政复议、行政诉讼各行的结果纠正数 ÷ 总计。"),
    "v_reports_failing_checks": ("未通过校验的报告", "每条未通过的勾稽关系校验，附报告与机关；含已被取代的版本。"),
    "v_cross_year_checks": ("跨年度校验",
                            ("同一机关相邻两个年度（上一年度 previous_year、本年度 year）现行报告之间的软校验："
                             "carried_over_continuity 本年“上年结转”应等于上年“结转下年度继续办理”（按列）；"
                             "in_force_continuity 规章、行政规范性文件本年“现行有效件数”应等于上年现行有效件数"
                             "＋本年制发件数－本年废止件数（仅2021年格式）。ok 为空表示缺少输入。"
                             "不一致可能是报告本身的错误：只标记，从不改动所印数值。")),
    "v_missing_reports": ("缺失年度的机关",
                          ("机关首末年度之间缺少的年度（gap），以及已过法定期限仍未发布的年度（overdue："
                           "部门为次年1月31日，政府为次年3月31日）。")),
}


def stale_labels(bind: Connection) -> list[tuple[Table, list[dict]]]:
    """The label tables whose rows differ from pipelines.labels (the forms spec), with the rows
    they should hold; none before the migration that creates them."""
    if not inspect(bind).has_table(table_labels.name):
        return []
    wanted = ((table_labels, [{"tbl": k, "label": v} for k, v in labels.TABLES.items()]),
              (row_labels, [{"tbl": t, "row": r, "label": v} for (t, r), v in labels.ROWS.items()]),
              (col_labels, [{"tbl": t, "col": c, "label": v} for (t, c), v in labels.COLS.items()]))
    return [(table, rows) for table, rows in wanted
            if {tuple(r) for r in bind.execute(select(*table.c))} != {tuple(r.values()) for r in rows}]


def sync_labels(bind: Connection) -> None:
    """Rewrite the stale label tables."""
    for table, rows in stale_labels(bind):
        bind.execute(table.delete())
        bind.execute(insert(table), rows)
