"""The dataset's own facts (dataset_meta: where its raw files are) and the record of reparses.

Revision ID: 0070
Revises: 0060
Create Date: 2026-12-02
"""
import sqlalchemy as sa
from alembic import op

revision = '0070'
down_revision = '0060'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('dataset_meta',
    sa.Column('key', sa.String(length=40), nullable=False),
    sa.Column('value', sa.Text(), nullable=False),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_dataset_meta'))
    )
    op.create_table('reparse_runs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('started_at', sa.DateTime(), nullable=False),
    sa.Column('finished_at', sa.DateTime(), nullable=False),
    sa.Column('parser_before', sa.JSON(), nullable=False),
    sa.Column('parser_after', sa.String(length=40), nullable=False),
    sa.Column('sources', sa.Integer(), nullable=False),
    sa.Column('unreadable', sa.Integer(), nullable=False),
    sa.Column('parse_errors', sa.Integer(), nullable=False),
    sa.Column('reports_before', sa.Integer(), nullable=False),
    sa.Column('reports_after', sa.Integer(), nullable=False),
    sa.Column('added', sa.Integer(), nullable=False),
    sa.Column('removed', sa.Integer(), nullable=False),
    sa.Column('merged', sa.Integer(), nullable=False),
    sa.Column('split', sa.Integer(), nullable=False),
    sa.Column('cells_changed', sa.Integer(), nullable=False),
    sa.Column('checks_flipped', sa.Integer(), nullable=False),
    sa.Column('summary', sa.JSON(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_reparse_runs'))
    )


def downgrade() -> None:
    op.drop_table('reparse_runs')
    op.drop_table('dataset_meta')
