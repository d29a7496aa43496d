"""Views for the common questions, Chinese label tables, and full-text search (FTS5 trigram on SQLite).

The SQL is frozen here as this revision created it: a change to a view or to search is a migration
of its own. The label tables are filled from the forms spec when the dataset opens (pipelines.views).

Revision ID: 0050
Revises: 0001
Create Date: 2026-11-21
"""
import sqlalchemy as sa
from alembic import op

revision = '0050'
down_revision = '0001'
branch_labels = None
depends_on = None

SEARCH_TRIGGERS = ("reports_fts_insert", "reports_fts_update", "reports_fts_delete", "reports_fts_agency")

# what differs between the dialects, put into the views' SQL below
DIALECT = {
    "sqlite": {
        'this_year': "CAST(strftime('%Y', 'now') AS INTEGER)",
        'deadline': "printf('%04d-%s', y.year + 1, CASE WHEN a.level = 'department' THEN '01-31' ELSE '03-31' END)",
        'ratio_type': 'REAL',
    },
    "postgresql": {
        'this_year': 'CAST(EXTRACT(YEAR FROM CURRENT_DATE) AS INTEGER)',
        'deadline': "make_date(y.year + 1, CASE WHEN a.level = 'department' THEN 1 ELSE 3 END, 31)",
        'ratio_type': 'NUMERIC',
    },
}
VIEW_SQL = {
    "v_reports_latest": """
SELECT r.id AS report_id, r.agency_id, a.name AS agency, a.province, a.city, a.county, a.level, a.code, r.year, r.template, r.title,
       r.published, r.n_cells, r.n_checks_failed, r.current_reason,
       s.url AS source_url, s.media_type, s.site
FROM reports r
LEFT JOIN agencies a ON a.id = r.agency_id
LEFT JOIN sources s ON s.id = r.primary_source_id
WHERE r.is_current""",
    "v_cells_zh": """
SELECT r.id AS report_id, a.name AS agency, a.province, a.city, a.county, a.level, r.year, r.template,
       c.tbl, tl.label AS tbl_label, c.row, rl.label AS row_label, c.col, cl.label AS col_label,
       c.value, c.raw
FROM cells c
JOIN reports r ON r.id = c.report_id
LEFT JOIN agencies a ON a.id = r.agency_id
LEFT JOIN table_labels tl ON tl.tbl = c.tbl
LEFT JOIN row_labels rl ON rl.tbl = c.tbl AND rl.row = c.row
LEFT JOIN col_labels cl ON cl.tbl = c.tbl AND cl.col = c.col
WHERE r.is_current""",
    "v_requests_by_region_year": """
SELECT a.province, a.city, a.county, a.level, r.year,
       COUNT(DISTINCT r.id) AS reports,
       COUNT(n.value) AS reports_with_requests,
       SUM(n.value) AS new_received,
       SUM(t.value) AS total_handled,
       SUM(g.value) AS granted,
       SUM(p.value) AS partially_granted,
       CASE WHEN SUM(t.value) > 0
            THEN ROUND(CAST(SUM(COALESCE(g.value, 0) + COALESCE(p.value, 0)) AS {ratio_type}) / SUM(t.value), 4) END AS granted_share
FROM reports r
JOIN agencies a ON a.id = r.agency_id
LEFT JOIN cells n ON n.report_id = r.id AND n.tbl = 'requests' AND n.row = 'new_received' AND n.col = 'total'
LEFT JOIN cells t ON t.report_id = r.id AND t.tbl = 'requests' AND t.row = 'total_handled' AND t.col = 'total'
LEFT JOIN cells g ON g.report_id = r.id AND g.tbl = 'requests' AND g.row = 'granted' AND g.col = 'total'
LEFT JOIN cells p ON p.report_id = r.id AND p.tbl = 'requests' AND p.row = 'partially_granted' AND p.col = 'total'
WHERE r.is_current AND r.year IS NOT NULL
GROUP BY a.province, a.city, a.county, a.level, r.year""",
    "v_grant_share": """
SELECT r.id AS report_id, a.name AS agency, a.province, a.city, a.county, a.level, r.year,
       g.value AS granted, p.value AS partially_granted, t.value AS total_handled,
       CASE WHEN t.value > 0 AND (g.value IS NOT NULL OR p.value IS NOT NULL)
            THEN ROUND(CAST(COALESCE(g.value, 0) + COALESCE(p.value, 0) AS {ratio_type}) / t.value, 4) END AS granted_share
FROM reports r
LEFT JOIN agencies a ON a.id = r.agency_id
LEFT JOIN cells g ON g.report_id = r.id AND g.tbl = 'requests' AND g.row = 'granted' AND g.col = 'total'
LEFT JOIN cells p ON p.report_id = r.id AND p.tbl = 'requests' AND p.row = 'partially_granted' AND p.col = 'total'
LEFT JOIN cells t ON t.report_id = r.id AND t.tbl = 'requests' AND t.row = 'total_handled' AND t.col = 'total'
WHERE r.is_current AND t.value IS NOT NULL""",
    "v_review_litigation_rates": """
SELECT r.id AS report_id, a.name AS agency, a.province, a.city, a.county, a.level, r.year, t.row,
       c.value AS corrected, t.value AS total,
       CASE WHEN t.value > 0 AND c.value IS NOT NULL
            THEN ROUND(CAST(c.value AS {ratio_type}) / t.value, 4) END AS correction_rate
FROM reports r
JOIN cells t ON t.report_id = r.id AND t.tbl = 'review_litigation' AND t.col = 'total'
LEFT JOIN agencies a ON a.id = r.agency_id
LEFT JOIN cells c ON c.report_id = r.id AND c.tbl = 'review_litigation' AND c.row = t.row AND c.col = 'corrected'
WHERE r.is_current""",
    "v_reports_failing_checks": """
SELECT r.id AS report_id, r.is_current, a.name AS agency, a.province, a.city, a.county, a.level, r.year, r.title,
       k.rule, k.row, k.col, k.expected, k.actual
FROM check_results k
JOIN reports r ON r.id = k.report_id
LEFT JOIN agencies a ON a.id = r.agency_id
WHERE NOT k.ok""",
    "v_missing_reports": """
WITH RECURSIVE span AS (
    SELECT agency_id, MIN(year) AS first_year, MAX(year) AS last_year
    FROM reports WHERE agency_id IS NOT NULL AND year >= 2008
    GROUP BY agency_id
), y(agency_id, year, last_year) AS (
    SELECT agency_id, first_year, last_year FROM span
    UNION ALL
    SELECT agency_id, year + 1, last_year FROM y WHERE year < {this_year}
)
SELECT y.agency_id, a.name AS agency, a.province, a.city, a.county, a.level, y.year, {deadline} AS deadline,
       CASE WHEN y.year < y.last_year THEN 'gap' ELSE 'overdue' END AS reason
FROM y
JOIN agencies a ON a.id = y.agency_id
WHERE NOT EXISTS (SELECT 1 FROM reports r WHERE r.agency_id = y.agency_id AND r.year = y.year)
  AND (y.year < y.last_year OR {deadline} < CURRENT_DATE)""",
}
SQLITE_SEARCH = [
    """CREATE VIRTUAL TABLE reports_fts USING fts5(title, agency, sections, tokenize='trigram')""",
    """CREATE TRIGGER reports_fts_insert AFTER INSERT ON reports BEGIN INSERT INTO reports_fts(rowid, title, agency, sections) VALUES (NEW.id, NEW.title, COALESCE((SELECT name FROM agencies WHERE id = NEW.agency_id), NEW.agency_printed), (SELECT group_concat(value, char(10)) FROM json_each(CASE WHEN json_valid(NEW.sections) THEN NEW.sections ELSE '{}' END))); END""",
    """CREATE TRIGGER reports_fts_update AFTER UPDATE OF title, sections, agency_id, agency_printed ON reports BEGIN DELETE FROM reports_fts WHERE rowid = OLD.id; INSERT INTO reports_fts(rowid, title, agency, sections) VALUES (NEW.id, NEW.title, COALESCE((SELECT name FROM agencies WHERE id = NEW.agency_id), NEW.agency_printed), (SELECT group_concat(value, char(10)) FROM json_each(CASE WHEN json_valid(NEW.sections) THEN NEW.sections ELSE '{}' END))); END""",
    """CREATE TRIGGER reports_fts_delete AFTER DELETE ON reports BEGIN DELETE FROM reports_fts WHERE rowid = OLD.id; END""",
    """CREATE TRIGGER reports_fts_agency AFTER UPDATE OF name ON agencies BEGIN UPDATE reports_fts SET agency = NEW.name WHERE rowid IN (SELECT id FROM reports WHERE agency_id = NEW.id); END""",
    """INSERT INTO reports_fts(rowid, title, agency, sections) SELECT NEW.id, NEW.title, COALESCE((SELECT name FROM agencies WHERE id = NEW.agency_id), NEW.agency_printed), (SELECT group_concat(value, char(10)) FROM json_each(CASE WHEN json_valid(NEW.sections) THEN NEW.sections ELSE '{}' END)) FROM reports AS NEW""",
]
POSTGRESQL_SEARCH = ["""CREATE VIEW v_report_text AS
SELECT r.id AS report_id, r.title, COALESCE(a.name, r.agency_printed) AS agency,
       (SELECT string_agg(value, E'\\n') FROM json_each_text(
            CASE WHEN json_typeof(r.sections) = 'object' THEN r.sections ELSE '{}'::json END)) AS sections
FROM reports r LEFT JOIN agencies a ON a.id = r.agency_id"""]


def upgrade() -> None:
    bind = op.get_bind()
    op.create_table("table_labels", sa.Column("tbl", sa.String(30), primary_key=True),
                    sa.Column("label", sa.String(100), nullable=False))
    op.create_table("row_labels", sa.Column("tbl", sa.String(30), primary_key=True),
                    sa.Column("row", sa.String(40), primary_key=True),
                    sa.Column("label", sa.String(100), nullable=False))
    op.create_table("col_labels", sa.Column("tbl", sa.String(30), primary_key=True),
                    sa.Column("col", sa.String(40), primary_key=True),
                    sa.Column("label", sa.String(100), nullable=False))
    for name, sql in VIEW_SQL.items():
        bind.execute(sa.text(f"CREATE VIEW {name} AS {sql.format(**DIALECT[bind.dialect.name])}"))
    for ddl in SQLITE_SEARCH if bind.dialect.name == "sqlite" else POSTGRESQL_SEARCH:
        bind.exec_driver_sql(ddl)


def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        for trigger in SEARCH_TRIGGERS:
            bind.exec_driver_sql(f"DROP TRIGGER IF EXISTS {trigger}")
        bind.exec_driver_sql("DROP TABLE IF EXISTS reports_fts")
    else:
        bind.exec_driver_sql("DROP VIEW IF EXISTS v_report_text")
    for name in reversed(VIEW_SQL):
        bind.execute(sa.text(f"DROP VIEW IF EXISTS {name}"))
    for table in ("col_labels", "row_labels", "table_labels"):
        op.drop_table(table)
