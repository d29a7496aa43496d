"""The view of the cross-year soft checks, v_cross_year_checks.

Revision ID: 0060
Revises: 0050
Create Date: 2026-11-28
"""
from alembic import op

from pipelines import views

revision = '0060'
down_revision = '0050'
branch_labels = None
depends_on = None

VIEW = "v_cross_year_checks"


def upgrade() -> None:
    views.create_view(op.get_bind(), VIEW)


def downgrade() -> None:
    views.drop_view(op.get_bind(), VIEW)
