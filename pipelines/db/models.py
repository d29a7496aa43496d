"""The dataset's tables (SQLAlchemy 2.x declarative); the same models serve SQLite and Postgres.

All times are naive UTC. Table and column names are a contract for export, query, views and Datasette.
"""
from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, ClassVar

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    Numeric,
    String,
    Table,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    if TYPE_CHECKING:
        # every model here maps one Table; SQLAlchemy types __table__ as any FromClause (a join, a subquery)
        __table__: ClassVar[Table]


class Number(TypeDecorator):
    """A report number: exact NUMERIC in the database; int when integral, else Decimal, in Python."""

    impl = Numeric(20, 4, asdecimal=False)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None or isinstance(value, (int, Decimal)):
            return value
        return Decimal(str(value))

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        d = value if isinstance(value, Decimal) else Decimal(str(value))
        return int(d) if d == d.to_integral_value() else d.normalize()


class Agency(Base):
    """One agency: a normalised name within a region (province, city, county)."""

    __tablename__ = "agencies"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(400), unique=True)   # "province|city|county|name"
    name: Mapped[str] = mapped_column(String(200), index=True)    # canonical, e.g. 淮安市洪泽区人民政府
    province: Mapped[str | None] = mapped_column(String(50))
    city: Mapped[str | None] = mapped_column(String(50))
    county: Mapped[str | None] = mapped_column(String(50))
    code: Mapped[str | None] = mapped_column(String(12))          # 6-digit 行政区划代码
    level: Mapped[str | None] = mapped_column(String(20))         # province | city | county | department
    region_source: Mapped[str | None] = mapped_column(String(20))  # report | site | name, joined by "+"
    created_at: Mapped[datetime] = mapped_column(DateTime)


class AgencyAlias(Base):
    """A spelling of an agency's name as printed (洪泽区政府, 淮安市洪泽区人民政府, …)."""

    __tablename__ = "agency_aliases"
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id", ondelete="CASCADE"), primary_key=True)
    alias: Mapped[str] = mapped_column(String(200), primary_key=True)


class Report(Base):
    """One version of one agency's report for one year; one current version per (agency, year)."""

    __tablename__ = "reports"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    agency_id: Mapped[int | None] = mapped_column(ForeignKey("agencies.id"))
    year: Mapped[int | None] = mapped_column(Integer)
    template: Mapped[str] = mapped_column(String(10))             # "2021" | "2019" | "free"
    tables: Mapped[dict] = mapped_column(JSON, default=dict)       # per-table template
    title: Mapped[str | None] = mapped_column(Text)
    published: Mapped[date | None] = mapped_column(Date)
    agency_printed: Mapped[str | None] = mapped_column(String(200))  # the agency name as parsed
    region: Mapped[dict] = mapped_column(JSON, default=dict)       # the region as parsed
    is_current: Mapped[bool] = mapped_column(Boolean, default=True)
    supersedes_id: Mapped[int | None] = mapped_column(ForeignKey("reports.id"))
    superseded_by_id: Mapped[int | None] = mapped_column(ForeignKey("reports.id"))
    current_reason: Mapped[str | None] = mapped_column(Text)       # why this version / this source won
    primary_source_id: Mapped[int | None] = mapped_column(Integer)  # the source the cells come from
    content_key: Mapped[str] = mapped_column(String(64))           # sha256 of normalised values or text
    is_correction: Mapped[bool] = mapped_column(Boolean, default=False)  # title marks 更正/修订
    complete: Mapped[bool] = mapped_column(Boolean, default=False)  # all three tables, every check passes
    n_cells: Mapped[int] = mapped_column(Integer, default=0)
    n_checks_failed: Mapped[int] = mapped_column(Integer, default=0)
    n_checks_unknown: Mapped[int] = mapped_column(Integer, default=0)
    warnings: Mapped[list] = mapped_column(JSON, default=list)
    sections: Mapped[dict] = mapped_column(JSON, default=dict)
    parser_version: Mapped[str | None] = mapped_column(String(40))
    created_at: Mapped[datetime] = mapped_column(DateTime)
    updated_at: Mapped[datetime] = mapped_column(DateTime)

    __table_args__ = (
        Index("ix_reports_agency_year", "agency_id", "year"),
        Index("ix_reports_content_key", "content_key"),
        # one current version per (agency, year)
        Index("uq_reports_current", "agency_id", "year", unique=True,
              sqlite_where=text("is_current AND agency_id IS NOT NULL AND year IS NOT NULL"),
              postgresql_where=text("is_current AND agency_id IS NOT NULL AND year IS NOT NULL")),
    )


class Source(Base):
    """One document sighting: a URL and the bytes fetched from it (a page or an attachment)."""

    __tablename__ = "sources"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    report_id: Mapped[int | None] = mapped_column(ForeignKey("reports.id"), index=True)
    url: Mapped[str] = mapped_column(Text)
    final_url: Mapped[str | None] = mapped_column(Text)
    site: Mapped[str | None] = mapped_column(String(100), index=True)
    kind: Mapped[str | None] = mapped_column(String(20))          # page | attachment
    parent_url: Mapped[str | None] = mapped_column(Text)
    listing_url: Mapped[str | None] = mapped_column(Text)
    listing_title: Mapped[str | None] = mapped_column(Text)
    link_text: Mapped[str | None] = mapped_column(Text)
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    media_type: Mapped[str | None] = mapped_column(String(100))
    size: Mapped[int | None] = mapped_column(Integer)
    path: Mapped[str | None] = mapped_column(Text)                # relative to the data directory
    etag: Mapped[str | None] = mapped_column(Text)
    last_modified: Mapped[str | None] = mapped_column(Text)
    first_seen: Mapped[datetime] = mapped_column(DateTime)
    last_seen: Mapped[datetime] = mapped_column(DateTime)           # moves on every sighting
    fetched_at: Mapped[datetime | None] = mapped_column(DateTime)   # moves on every full fetch
    parse_error: Mapped[str | None] = mapped_column(Text)
    parser_version: Mapped[str | None] = mapped_column(String(40))  # the parser that read these bytes

    __table_args__ = (UniqueConstraint("url", "sha256"),)


class Cell(Base):
    """A report's numbers in long form: (report, table, row, col) → value, and the text as printed."""

    __tablename__ = "cells"
    report_id: Mapped[int] = mapped_column(ForeignKey("reports.id", ondelete="CASCADE"), primary_key=True)
    tbl: Mapped[str] = mapped_column(String(30), primary_key=True)
    row: Mapped[str] = mapped_column(String(40), primary_key=True)
    col: Mapped[str] = mapped_column(String(40), primary_key=True)
    value: Mapped[int | Decimal | None] = mapped_column(Number)
    raw: Mapped[str | None] = mapped_column(Text)


class CheckResult(Base):
    """A consistency check (勾稽关系) of one report, with its inputs."""

    __tablename__ = "check_results"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("reports.id", ondelete="CASCADE"), index=True)
    rule: Mapped[str] = mapped_column(String(60))
    row: Mapped[str | None] = mapped_column(String(40))
    col: Mapped[str | None] = mapped_column(String(40))
    ok: Mapped[bool | None] = mapped_column(Boolean)
    expected: Mapped[int | Decimal | None] = mapped_column(Number)
    actual: Mapped[int | Decimal | None] = mapped_column(Number)
    inputs: Mapped[dict] = mapped_column(JSON, default=dict)


class CrawlRun(Base):
    """One `nianbao crawl` (or one spider process when run alone)."""

    __tablename__ = "crawl_runs"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str | None] = mapped_column(String(80), unique=True)   # `nianbao crawl`'s run id (data/runs/<key>/)
    started_at: Mapped[datetime] = mapped_column(DateTime)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime)
    status: Mapped[str] = mapped_column(String(20))               # running | ok | failed
    args: Mapped[dict] = mapped_column(JSON, default=dict)


class SiteRun(Base):
    """One site's result within a run: the health signal."""

    __tablename__ = "site_runs"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("crawl_runs.id", ondelete="CASCADE"), index=True)
    site: Mapped[str] = mapped_column(String(100), index=True)
    started_at: Mapped[datetime] = mapped_column(DateTime)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime)
    pages: Mapped[int] = mapped_column(Integer, default=0)         # responses received
    documents: Mapped[int] = mapped_column(Integer, default=0)     # DocumentItems
    new_reports: Mapped[int] = mapped_column(Integer, default=0)
    errors: Mapped[int] = mapped_column(Integer, default=0)
    duration_s: Mapped[float | None] = mapped_column(Float)
    finish_reason: Mapped[str | None] = mapped_column(String(100))
    # the site's health (pipelines.runstats.site_health): ok | changed | blocked | degraded | failing, or
    # running | interrupted | failed (the coordinator's word on a site that did not end by itself)
    status: Mapped[str] = mapped_column(String(20))
    health_since: Mapped[datetime | None] = mapped_column(DateTime)  # start of the first run in this state
    health_reason: Mapped[str | None] = mapped_column(Text)       # why, in one line (None when ok)
    counts: Mapped[dict | None] = mapped_column(JSON)             # crawler.engine.summary() of the site's stats

    __table_args__ = (UniqueConstraint("run_id", "site"),)


class FetchError(Base):
    """A fetch that failed (from CrawlErrorItem)."""

    __tablename__ = "fetch_errors"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    run_id: Mapped[int | None] = mapped_column(ForeignKey("crawl_runs.id", ondelete="CASCADE"), index=True)
    site: Mapped[str | None] = mapped_column(String(100), index=True)
    url: Mapped[str | None] = mapped_column(Text)
    status: Mapped[int | None] = mapped_column(Integer)
    error: Mapped[str] = mapped_column(Text)
    referer: Mapped[str | None] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(DateTime)


class DatasetMeta(Base):
    """Facts about the dataset itself, by key: raw_dir (where its raw files are)."""

    __tablename__ = "dataset_meta"
    key: Mapped[str] = mapped_column(String(40), primary_key=True)
    value: Mapped[str] = mapped_column(Text)


class ReparseRun(Base):
    """One applied `nianbao reparse`: which parser versions produced the figures before and after."""

    __tablename__ = "reparse_runs"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    started_at: Mapped[datetime] = mapped_column(DateTime)
    finished_at: Mapped[datetime] = mapped_column(DateTime)
    parser_before: Mapped[dict] = mapped_column(JSON, default=dict)   # {version: sources read by it}
    parser_after: Mapped[str] = mapped_column(String(40))
    sources: Mapped[int] = mapped_column(Integer, default=0)          # re-parsed
    unreadable: Mapped[int] = mapped_column(Integer, default=0)       # raw file unreadable: left as it was
    parse_errors: Mapped[int] = mapped_column(Integer, default=0)
    reports_before: Mapped[int] = mapped_column(Integer, default=0)
    reports_after: Mapped[int] = mapped_column(Integer, default=0)
    added: Mapped[int] = mapped_column(Integer, default=0)
    removed: Mapped[int] = mapped_column(Integer, default=0)
    merged: Mapped[int] = mapped_column(Integer, default=0)
    split: Mapped[int] = mapped_column(Integer, default=0)
    cells_changed: Mapped[int] = mapped_column(Integer, default=0)
    checks_flipped: Mapped[int] = mapped_column(Integer, default=0)
    summary: Mapped[dict] = mapped_column(JSON, default=dict)         # the diff's lists (cut at a limit)


class UrlState(Base):
    """What one URL of a site answered when last fetched, for incremental nights (pipelines.validators)."""

    __tablename__ = "url_states"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    site: Mapped[str] = mapped_column(String(100))
    key: Mapped[str] = mapped_column(String(64))                  # Scrapy's request fingerprint
    url: Mapped[str] = mapped_column(Text)
    role: Mapped[str] = mapped_column(String(20))                 # listing | document
    etag: Mapped[str | None] = mapped_column(Text)
    last_modified: Mapped[str | None] = mapped_column(Text)
    sha256: Mapped[str | None] = mapped_column(String(64))        # of the last full body
    checked_at: Mapped[datetime | None] = mapped_column(DateTime)  # last answer (200 or 304)
    changed_at: Mapped[datetime | None] = mapped_column(DateTime)  # last answer with new bytes
    failed_at: Mapped[datetime | None] = mapped_column(DateTime)   # last failure, kept until a success
    error: Mapped[str | None] = mapped_column(Text)                # why it failed (None once fetched)
    failures: Mapped[int] = mapped_column(Integer, default=0)      # failures in a row
    links: Mapped[list | None] = mapped_column(JSON)               # requests it led to, when last parsed

    __table_args__ = (UniqueConstraint("site", "key"),)
