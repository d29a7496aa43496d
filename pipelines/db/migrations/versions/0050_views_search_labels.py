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


def upgrade() -> None:
    bind = op.get_bind()
    views.create(bind)
    search.create(bind)


def downgrade() -> None:
    bind = op.get_bind()
    search.drop(bind)
    views.drop(bind)
