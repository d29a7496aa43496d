"""Initial schema: agencies, reports, sources, cells, checks, crawl runs.

Revision ID: 0001
Revises:
Create Date: 2026-11-21
"""
import sqlalchemy as sa
from alembic import op

revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('agencies',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=400), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('province', sa.String(length=50), nullable=True),
    sa.Column('city', sa.String(length=50), nullable=True),
    sa.Column('county', sa.String(length=50), nullable=True),
    sa.Column('code', sa.String(length=12), nullable=True),
    sa.Column('level', sa.String(length=20), nullable=True),
    sa.Column('region_source', sa.String(length=20), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_agencies')),
    sa.UniqueConstraint('key', name=op.f('uq_agencies_key'))
    )
    with op.batch_alter_table('agencies', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_agencies_name'), ['name'], unique=False)

    op.create_table('crawl_runs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=80), nullable=True),
    sa.Column('started_at', sa.DateTime(), nullable=False),
    sa.Column('finished_at', sa.DateTime(), nullable=True),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('args', sa.JSON(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_crawl_runs')),
    sa.UniqueConstraint('key', name=op.f('uq_crawl_runs_key'))
    )
    op.create_table('agency_aliases',
    sa.Column('agency_id', sa.Integer(), nullable=False),
    sa.Column('alias', sa.String(length=200), nullable=False),
    sa.ForeignKeyConstraint(['agency_id'], ['agencies.id'], name=op.f('fk_agency_aliases_agency_id_agencies'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('agency_id', 'alias', name=op.f('pk_agency_aliases'))
    )
    op.create_table('fetch_errors',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('run_id', sa.Integer(), nullable=True),
    sa.Column('site', sa.String(length=100), nullable=True),
    sa.Column('url', sa.Text(), nullable=True),
    sa.Column('status', sa.Integer(), nullable=True),
    sa.Column('error', sa.Text(), nullable=False),
    sa.Column('referer', sa.Text(), nullable=True),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['run_id'], ['crawl_runs.id'], name=op.f('fk_fetch_errors_run_id_crawl_runs'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_fetch_errors'))
    )
    with op.batch_alter_table('fetch_errors', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_fetch_errors_run_id'), ['run_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_fetch_errors_site'), ['site'], unique=False)

    op.create_table('reports',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('agency_id', sa.Integer(), nullable=True),
    sa.Column('year', sa.Integer(), nullable=True),
    sa.Column('template', sa.String(length=10), nullable=False),
    sa.Column('tables', sa.JSON(), nullable=False),
    sa.Column('title', sa.Text(), nullable=True),
    sa.Column('published', sa.Date(), nullable=True),
    sa.Column('agency_printed', sa.String(length=200), nullable=True),
    sa.Column('region', sa.JSON(), nullable=False),
    sa.Column('is_current', sa.Boolean(), nullable=False),
    sa.Column('supersedes_id', sa.Integer(), nullable=True),
    sa.Column('superseded_by_id', sa.Integer(), nullable=True),
    sa.Column('current_reason', sa.Text(), nullable=True),
    sa.Column('primary_source_id', sa.Integer(), nullable=True),
    sa.Column('content_key', sa.String(length=64), nullable=False),
    sa.Column('is_correction', sa.Boolean(), nullable=False),
    sa.Column('complete', sa.Boolean(), nullable=False),
    sa.Column('n_cells', sa.Integer(), nullable=False),
    sa.Column('n_checks_failed', sa.Integer(), nullable=False),
    sa.Column('n_checks_unknown', sa.Integer(), nullable=False),
    sa.Column('warnings', sa.JSON(), nullable=False),
    sa.Column('sections', sa.JSON(), nullable=False),
    sa.Column('parser_version', sa.String(length=40), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['agency_id'], ['agencies.id'], name=op.f('fk_reports_agency_id_agencies')),
    sa.ForeignKeyConstraint(['superseded_by_id'], ['reports.id'], name=op.f('fk_reports_superseded_by_id_reports')),
    sa.ForeignKeyConstraint(['supersedes_id'], ['reports.id'], name=op.f('fk_reports_supersedes_id_reports')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_reports'))
    )
    with op.batch_alter_table('reports', schema=None) as batch_op:
        batch_op.create_index('ix_reports_agency_year', ['agency_id', 'year'], unique=False)
        batch_op.create_index('ix_reports_content_key', ['content_key'], unique=False)
        batch_op.create_index('uq_reports_current', ['agency_id', 'year'], unique=True, sqlite_where=sa.text('is_current AND agency_id IS NOT NULL AND year IS NOT NULL'), postgresql_where=sa.text('is_current AND agency_id IS NOT NULL AND year IS NOT NULL'))

    op.create_table('site_runs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('run_id', sa.Integer(), nullable=False),
    sa.Column('site', sa.String(length=100), nullable=False),
    sa.Column('started_at', sa.DateTime(), nullable=False),
    sa.Column('finished_at', sa.DateTime(), nullable=True),
    sa.Column('pages', sa.Integer(), nullable=False),
    sa.Column('documents', sa.Integer(), nullable=False),
    sa.Column('new_reports', sa.Integer(), nullable=False),
    sa.Column('errors', sa.Integer(), nullable=False),
    sa.Column('duration_s', sa.Float(), nullable=True),
    sa.Column('finish_reason', sa.String(length=100), nullable=True),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.ForeignKeyConstraint(['run_id'], ['crawl_runs.id'], name=op.f('fk_site_runs_run_id_crawl_runs'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_site_runs')),
    sa.UniqueConstraint('run_id', 'site', name=op.f('uq_site_runs_run_id_site'))
    )
    with op.batch_alter_table('site_runs', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_site_runs_run_id'), ['run_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_site_runs_site'), ['site'], unique=False)

    op.create_table('cells',
    sa.Column('report_id', sa.Integer(), nullable=False),
    sa.Column('tbl', sa.String(length=30), nullable=False),
    sa.Column('row', sa.String(length=40), nullable=False),
    sa.Column('col', sa.String(length=40), nullable=False),
    sa.Column('value', sa.Numeric(precision=20, scale=4), nullable=True),
    sa.Column('raw', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['report_id'], ['reports.id'], name=op.f('fk_cells_report_id_reports'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('report_id', 'tbl', 'row', 'col', name=op.f('pk_cells'))
    )
    op.create_table('check_results',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('report_id', sa.Integer(), nullable=False),
    sa.Column('rule', sa.String(length=60), nullable=False),
    sa.Column('row', sa.String(length=40), nullable=True),
    sa.Column('col', sa.String(length=40), nullable=True),
    sa.Column('ok', sa.Boolean(), nullable=True),
    sa.Column('expected', sa.Numeric(precision=20, scale=4), nullable=True),
    sa.Column('actual', sa.Numeric(precision=20, scale=4), nullable=True),
    sa.Column('inputs', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['report_id'], ['reports.id'], name=op.f('fk_check_results_report_id_reports'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_check_results'))
    )
    with op.batch_alter_table('check_results', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_check_results_report_id'), ['report_id'], unique=False)

    op.create_table('sources',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('report_id', sa.Integer(), nullable=True),
    sa.Column('url', sa.Text(), nullable=False),
    sa.Column('final_url', sa.Text(), nullable=True),
    sa.Column('site', sa.String(length=100), nullable=True),
    sa.Column('kind', sa.String(length=20), nullable=True),
    sa.Column('parent_url', sa.Text(), nullable=True),
    sa.Column('listing_url', sa.Text(), nullable=True),
    sa.Column('listing_title', sa.Text(), nullable=True),
    sa.Column('link_text', sa.Text(), nullable=True),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('media_type', sa.String(length=100), nullable=True),
    sa.Column('size', sa.Integer(), nullable=True),
    sa.Column('path', sa.Text(), nullable=True),
    sa.Column('etag', sa.Text(), nullable=True),
    sa.Column('last_modified', sa.Text(), nullable=True),
    sa.Column('first_seen', sa.DateTime(), nullable=False),
    sa.Column('last_seen', sa.DateTime(), nullable=False),
    sa.Column('fetched_at', sa.DateTime(), nullable=True),
    sa.Column('parse_error', sa.Text(), nullable=True),
    sa.Column('parser_version', sa.String(length=40), nullable=True),
    sa.ForeignKeyConstraint(['report_id'], ['reports.id'], name=op.f('fk_sources_report_id_reports')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sources')),
    sa.UniqueConstraint('url', 'sha256', name=op.f('uq_sources_url_sha256'))
    )
    with op.batch_alter_table('sources', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sources_report_id'), ['report_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_sources_sha256'), ['sha256'], unique=False)
        batch_op.create_index(batch_op.f('ix_sources_site'), ['site'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('sources', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_sources_site'))
        batch_op.drop_index(batch_op.f('ix_sources_sha256'))
        batch_op.drop_index(batch_op.f('ix_sources_report_id'))

    op.drop_table('sources')
    with op.batch_alter_table('check_results', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_check_results_report_id'))

    op.drop_table('check_results')
    op.drop_table('cells')
    with op.batch_alter_table('site_runs', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_site_runs_site'))
        batch_op.drop_index(batch_op.f('ix_site_runs_run_id'))

    op.drop_table('site_runs')
    with op.batch_alter_table('reports', schema=None) as batch_op:
        batch_op.drop_index('uq_reports_current', sqlite_where=sa.text('is_current AND agency_id IS NOT NULL AND year IS NOT NULL'), postgresql_where=sa.text('is_current AND agency_id IS NOT NULL AND year IS NOT NULL'))
        batch_op.drop_index('ix_reports_content_key')
        batch_op.drop_index('ix_reports_agency_year')

    op.drop_table('reports')
    with op.batch_alter_table('fetch_errors', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_fetch_errors_site'))
        batch_op.drop_index(batch_op.f('ix_fetch_errors_run_id'))

    op.drop_table('fetch_errors')
    op.drop_table('agency_aliases')
    op.drop_table('crawl_runs')
    with op.batch_alter_table('agencies', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_agencies_name'))

    op.drop_table('agencies')
