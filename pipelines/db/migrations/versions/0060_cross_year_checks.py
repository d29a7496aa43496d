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
    # 0050 runs views.create, which on a new database already makes this view; a database migrated
    # to 0050 before the view existed lacks it. Dropping first brings both to the same end.
    bind = op.get_bind()
    views.drop_view(bind, VIEW)
    views.create_view(bind, VIEW)


def downgrade() -> None:
    views.drop_view(op.get_bind(), VIEW)
