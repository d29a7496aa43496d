"""Incremental nights and site health: url_states (what each fetched URL answered last, and what it
links) and site_runs.health_since / health_reason / counts (site_runs.status is the site's health).

Revision ID: 0080
Revises: 0070
Create Date: 2026-12-02
"""
import sqlalchemy as sa
from alembic import op

revision = '0080'
down_revision = '0070'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('url_states',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('site', sa.String(length=100), nullable=False),
    sa.Column('key', sa.String(length=64), nullable=False),
    sa.Column('url', sa.Text(), nullable=False),
    sa.Column('role', sa.String(length=20), nullable=False),
    sa.Column('etag', sa.Text(), nullable=True),
    sa.Column('last_modified', sa.Text(), nullable=True),
    sa.Column('sha256', sa.String(length=64), nullable=True),
    sa.Column('checked_at', sa.DateTime(), nullable=True),
    sa.Column('changed_at', sa.DateTime(), nullable=True),
    sa.Column('failed_at', sa.DateTime(), nullable=True),
    sa.Column('error', sa.Text(), nullable=True),
    sa.Column('failures', sa.Integer(), nullable=False),
    sa.Column('links', sa.JSON(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_url_states')),
    sa.UniqueConstraint('site', 'key', name=op.f('uq_url_states_site_key'))
    )
    with op.batch_alter_table('site_runs', schema=None) as batch_op:
        batch_op.add_column(sa.Column('health_since', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('health_reason', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('counts', sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('site_runs', schema=None) as batch_op:
        batch_op.drop_column('counts')
        batch_op.drop_column('health_reason')
        batch_op.drop_column('health_since')
    op.drop_table('url_states')
