"""The view of the cross-year soft checks, v_cross_year_checks (its SQL frozen as this revision created it).

Revision ID: 0060
Revises: 0050
Create Date: 2026-11-28
"""
import sqlalchemy as sa
from alembic import op

revision = '0060'
down_revision = '0050'
branch_labels = None
depends_on = None

VIEW = "v_cross_year_checks"
SQL = """
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
JOIN agencies a ON a.id = k.agency_id"""


def upgrade() -> None:
    op.get_bind().execute(sa.text(f"CREATE VIEW {VIEW} AS {SQL}"))


def downgrade() -> None:
    op.get_bind().execute(sa.text(f"DROP VIEW IF EXISTS {VIEW}"))
