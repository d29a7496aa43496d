"""SQL views for the common questions, and the Chinese label tables, created by an Alembic migration.

Each migration creates the views it introduces (0050 `create(bind, names)`, 0060 `create_view`).
A later migration that rebuilds `reports`, `agencies`, `cells` or `check_results` (SQLite batch
mode) must drop every view first and create them again after.
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
    "v_cross_year_checks": ("跨年度校验",
                            "同一机关相邻两个年度（上一年度 previous_year、本年度 year）现行报告之间的软校验："
                            "carried_over_continuity 本年“上年结转”应等于上年“结转下年度继续办理”（按列）；"
                            "in_force_continuity 规章、行政规范性文件本年“现行有效件数”应等于上年现行有效件数"
                            "＋本年制发件数－本年废止件数（仅2021年格式）。ok 为空表示缺少输入。"
                            "不一致可能是报告本身的错误：只标记，从不改动所印数值。"),
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
        # a row for every check with at least one input printed in either report; ok is NULL when an
        # input is missing or blank
        "v_cross_year_checks": """
WITH cur AS (
    SELECT id, agency_id, year FROM reports
    WHERE is_current AND agency_id IS NOT NULL AND year IS NOT NULL
), pairs AS (
    SELECT y.id AS report_id, p.id AS previous_report_id, y.agency_id, y.year, p.year AS previous_year
    FROM cur y JOIN cur p ON p.agency_id = y.agency_id AND p.year = y.year - 1
), carried AS (
    SELECT DISTINCT pr.report_id, pr.previous_report_id, pr.agency_id, pr.year, pr.previous_year, c.col
    FROM pairs pr
    JOIN cells c ON c.tbl = 'requests'
     AND ((c.report_id = pr.report_id AND c.row = 'carried_over')
          OR (c.report_id = pr.previous_report_id AND c.row = 'carried_forward'))
), in_force AS (
    SELECT DISTINCT pr.report_id, pr.previous_report_id, pr.agency_id, pr.year, pr.previous_year, c.row
    FROM pairs pr
    JOIN cells c ON c.tbl = 'proactive' AND c.row IN ('regulations', 'normative_documents')
     AND ((c.report_id = pr.report_id AND c.col IN ('in_force', 'issued', 'repealed'))
          OR (c.report_id = pr.previous_report_id AND c.col = 'in_force'))
), k AS (
    SELECT k.report_id, k.previous_report_id, k.agency_id, k.year, k.previous_year,
           'carried_over_continuity' AS rule, NULL AS row, k.col, f.value AS expected, o.value AS actual
    FROM carried k
    LEFT JOIN cells o ON o.report_id = k.report_id AND o.tbl = 'requests' AND o.row = 'carried_over'
     AND o.col = k.col
    LEFT JOIN cells f ON f.report_id = k.previous_report_id AND f.tbl = 'requests' AND f.row = 'carried_forward'
     AND f.col = k.col
    UNION ALL
    SELECT k.report_id, k.previous_report_id, k.agency_id, k.year, k.previous_year,
           'in_force_continuity', k.row, 'in_force', b.value + i.value - d.value, n.value
    FROM in_force k
    LEFT JOIN cells n ON n.report_id = k.report_id AND n.tbl = 'proactive' AND n.row = k.row AND n.col = 'in_force'
    LEFT JOIN cells i ON i.report_id = k.report_id AND i.tbl = 'proactive' AND i.row = k.row AND i.col = 'issued'
    LEFT JOIN cells d ON d.report_id = k.report_id AND d.tbl = 'proactive' AND d.row = k.row AND d.col = 'repealed'
    LEFT JOIN cells b ON b.report_id = k.previous_report_id AND b.tbl = 'proactive' AND b.row = k.row
     AND b.col = 'in_force'
)
SELECT k.agency_id, a.name AS agency, a.province, a.city, a.county, k.year, k.previous_year,
       k.rule, k.row, k.col, k.expected, k.actual,
       CASE WHEN k.expected IS NOT NULL AND k.actual IS NOT NULL THEN k.expected = k.actual END AS ok,
       k.report_id, k.previous_report_id
FROM k
JOIN agencies a ON a.id = k.agency_id""",
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


def create(bind: Connection, names) -> None:
    """Create the label tables (filled from pipelines.labels) and the named views of VIEWS.

    Each migration names the views it introduces, so a later view never appears in an earlier
    revision."""
    label_metadata.create_all(bind, checkfirst=True)
    for table, rows in ((table_labels, [{"tbl": k, "label": v} for k, v in labels.TABLES.items()]),
                        (row_labels, [{"tbl": t, "row": r, "label": v} for (t, r), v in labels.ROWS.items()]),
                        (col_labels, [{"tbl": t, "col": c, "label": v} for (t, c), v in labels.COLS.items()])):
        bind.execute(table.delete())
        bind.execute(insert(table), rows)
    for name in names:
        create_view(bind, name)


def drop(bind: Connection, names) -> None:
    """Drop the named views and the label tables."""
    for name in reversed(list(names)):
        drop_view(bind, name)
    label_metadata.drop_all(bind, checkfirst=True)


def create_view(bind: Connection, name: str) -> None:
    """Create one view of VIEWS (the label tables must exist)."""
    bind.execute(text(f"CREATE VIEW {name} AS {_sql(bind.dialect.name)[name]}"))


def drop_view(bind: Connection, name: str) -> None:
    """Drop one view, if present."""
    bind.execute(text(f"DROP VIEW IF EXISTS {name}"))

