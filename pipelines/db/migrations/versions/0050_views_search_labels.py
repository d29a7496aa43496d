"""Views for the common questions, Chinese label tables, and full-text search (FTS5 trigram on SQLite).

Revision ID: 0050
Revises: 0001
Create Date: 2026-11-21
"""
from alembic import op

from pipelines import search, views

revision = '0050'
down_revision = '0001'
branch_labels = None
depends_on = None

VIEWS = ("v_reports_latest", "v_cells_zh", "v_requests_by_region_year", "v_grant_share",
         "v_review_litigation_rates", "v_reports_failing_checks", "v_missing_reports")


def upgrade() -> None:
    bind = op.get_bind()
    views.create(bind, VIEWS)
    search.create(bind)


def downgrade() -> None:
    bind = op.get_bind()
    search.drop(bind)
    views.drop(bind, VIEWS)
