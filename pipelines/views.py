"""SQL views for the common questions, and the Chinese label tables, created by an Alembic migration.

The migration calls `create(bind)`; a later migration that rebuilds `reports`, `agencies`,
`cells` or `check_results` (SQLite batch mode) must call `drop(bind)` first and `create(bind)` after.
Every view reads only the current report of each (agency, year) unless it says otherwise.
"""
from __future__ import annotations

from sqlalchemy import Column, MetaData, String, Table, insert, text
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
    "v_reports_latest": ("各机关各年度现行报告", "每个机关每个年度的现行版本报告，附地区、模板、来源链接与校验失败数。"),
    "v_cells_zh": ("报告数据（中文标签）", "现行报告的全部表格数据，长表格式，附表、行、列的中文名称。"),
    "v_requests_by_region_year": ("各地区各年度申请数量",
                                  "按省、市、县、机关层级和年度汇总的本年新收申请数、办理总数、予以公开和部分公开数。"),
    "v_grant_share": ("申请公开率", "每份现行报告的（予以公开 + 部分公开）÷ 办理结果总计（总计列）。"),
    "v_review_litigation_rates": ("复议诉讼纠错率", "每份现行报告中行政复议、行政诉讼各行的结果纠正数 ÷ 总计。"),
    "v_reports_failing_checks": ("未通过校验的报告", "每条未通过的勾稽关系校验，附报告与机关；含已被取代的版本。"),
    "v_missing_reports": ("缺失年度的机关",
                          "机关首末年度之间缺少的年度（gap），以及已过法定期限仍未发布的年度（overdue："
                          "部门为次年1月31日，政府为次年3月31日）。"),
}

_AGENCY_COLS = "a.name AS agency, a.province, a.city, a.county, a.level"


def _cell(alias: str, tbl: str, row: str | None, col: str) -> str:
    row_sql = f"{alias}.row = '{row}'" if row else f"{alias}.row = t.row"
    return (f"LEFT JOIN cells {alias} ON {alias}.report_id = r.id AND {alias}.tbl = '{tbl}' "
            f"AND {row_sql} AND {alias}.col = '{col}'")


def _sql(dialect: str) -> dict[str, str]:
    if dialect == "postgresql":
        this_year = "CAST(EXTRACT(YEAR FROM CURRENT_DATE) AS INTEGER)"
        deadline = "make_date(y.year + 1, CASE WHEN a.level = 'department' THEN 1 ELSE 3 END, 31)"
        ratio = "ROUND(CAST({num} AS NUMERIC) / {den}, 4)"
    else:
        this_year = "CAST(strftime('%Y', 'now') AS INTEGER)"
        deadline = ("printf('%04d-%s', y.year + 1, "
                    "CASE WHEN a.level = 'department' THEN '01-31' ELSE '03-31' END)")
        ratio = "ROUND(CAST({num} AS REAL) / {den}, 4)"
    granted = "COALESCE(g.value, 0) + COALESCE(p.value, 0)"
    return {
        "v_reports_latest": f"""
SELECT r.id AS report_id, r.agency_id, {_AGENCY_COLS}, a.code, r.year, r.template, r.title,
       r.published, r.n_cells, r.n_checks_failed, r.current_reason,
       s.url AS source_url, s.media_type, s.site
FROM reports r
LEFT JOIN agencies a ON a.id = r.agency_id
LEFT JOIN sources s ON s.id = r.primary_source_id
WHERE r.is_current""",
        "v_cells_zh": f"""
SELECT r.id AS report_id, {_AGENCY_COLS}, r.year, r.template,
       c.tbl, tl.label AS tbl_label, c.row, rl.label AS row_label, c.col, cl.label AS col_label,
       c.value, c.raw
FROM cells c
JOIN reports r ON r.id = c.report_id
LEFT JOIN agencies a ON a.id = r.agency_id
LEFT JOIN table_labels tl ON tl.tbl = c.tbl
LEFT JOIN row_labels rl ON rl.tbl = c.tbl AND rl.row = c.row
LEFT JOIN col_labels cl ON cl.tbl = c.tbl AND cl.col = c.col
WHERE r.is_current""",
        "v_requests_by_region_year": f"""
SELECT a.province, a.city, a.county, a.level, r.year,
       COUNT(DISTINCT r.id) AS reports,
       COUNT(n.value) AS reports_with_requests,
       SUM(n.value) AS new_received,
       SUM(t.value) AS total_handled,
       SUM(g.value) AS granted,
       SUM(p.value) AS partially_granted,
       CASE WHEN SUM(t.value) > 0
            THEN {ratio.format(num="SUM(" + granted + ")", den="SUM(t.value)")} END AS granted_share
FROM reports r
JOIN agencies a ON a.id = r.agency_id
{_cell("n", "requests", "new_received", "total")}
{_cell("t", "requests", "total_handled", "total")}
{_cell("g", "requests", "granted", "total")}
{_cell("p", "requests", "partially_granted", "total")}
WHERE r.is_current AND r.year IS NOT NULL
GROUP BY a.province, a.city, a.county, a.level, r.year""",
        "v_grant_share": f"""
SELECT r.id AS report_id, {_AGENCY_COLS}, r.year,
       g.value AS granted, p.value AS partially_granted, t.value AS total_handled,
       CASE WHEN t.value > 0 AND (g.value IS NOT NULL OR p.value IS NOT NULL)
            THEN {ratio.format(num=granted, den="t.value")} END AS granted_share
FROM reports r
LEFT JOIN agencies a ON a.id = r.agency_id
{_cell("g", "requests", "granted", "total")}
{_cell("p", "requests", "partially_granted", "total")}
{_cell("t", "requests", "total_handled", "total")}
WHERE r.is_current AND t.value IS NOT NULL""",
        "v_review_litigation_rates": f"""
SELECT r.id AS report_id, {_AGENCY_COLS}, r.year, t.row,
       c.value AS corrected, t.value AS total,
       CASE WHEN t.value > 0 AND c.value IS NOT NULL
            THEN {ratio.format(num="c.value", den="t.value")} END AS correction_rate
FROM reports r
JOIN cells t ON t.report_id = r.id AND t.tbl = 'review_litigation' AND t.col = 'total'
LEFT JOIN agencies a ON a.id = r.agency_id
{_cell("c", "review_litigation", None, "corrected")}
WHERE r.is_current""",
        "v_reports_failing_checks": f"""
SELECT r.id AS report_id, r.is_current, {_AGENCY_COLS}, r.year, r.title,
       k.rule, k.row, k.col, k.expected, k.actual
FROM check_results k
JOIN reports r ON r.id = k.report_id
LEFT JOIN agencies a ON a.id = r.agency_id
WHERE NOT k.ok""",
        "v_missing_reports": f"""
WITH RECURSIVE span AS (
    SELECT agency_id, MIN(year) AS first_year, MAX(year) AS last_year
    FROM reports WHERE agency_id IS NOT NULL AND year >= 2008
    GROUP BY agency_id
), y(agency_id, year, last_year) AS (
    SELECT agency_id, first_year, last_year FROM span
    UNION ALL
    SELECT agency_id, year + 1, last_year FROM y WHERE year < {this_year}
)
SELECT y.agency_id, {_AGENCY_COLS}, y.year, {deadline} AS deadline,
       CASE WHEN y.year < y.last_year THEN 'gap' ELSE 'overdue' END AS reason
FROM y
JOIN agencies a ON a.id = y.agency_id
WHERE NOT EXISTS (SELECT 1 FROM reports r WHERE r.agency_id = y.agency_id AND r.year = y.year)
  AND (y.year < y.last_year OR {deadline} < CURRENT_DATE)""",
    }


def create(bind: Connection) -> None:
    """Create the label tables (filled from pipelines.labels) and every view."""
    label_metadata.create_all(bind, checkfirst=True)
    for table, rows in ((table_labels, [{"tbl": k, "label": v} for k, v in labels.TABLES.items()]),
                        (row_labels, [{"tbl": t, "row": r, "label": v} for (t, r), v in labels.ROWS.items()]),
                        (col_labels, [{"tbl": t, "col": c, "label": v} for (t, c), v in labels.COLS.items()])):
        bind.execute(table.delete())
        bind.execute(insert(table), rows)
    for name, sql in _sql(bind.dialect.name).items():
        bind.execute(text(f"CREATE VIEW {name} AS {sql}"))


def drop(bind: Connection) -> None:
    """Drop every view and the label tables."""
    for name in reversed(list(VIEWS)):
        bind.execute(text(f"DROP VIEW IF EXISTS {name}"))
    label_metadata.drop_all(bind, checkfirst=True)

