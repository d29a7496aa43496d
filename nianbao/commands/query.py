"""`nianbao query cells|views|search`: print a filtered extract of the dataset; every filter given is applied.

The older spelling still works: `nianbao query [filters]` is `query cells`, `--view NAME` is `query views NAME`,
`--search TEXT` is `query search TEXT`; a filter the chosen mode cannot apply is refused (exit 2).
"""
from __future__ import annotations

import functools
import sys

import click
from sqlalchemy.exc import SQLAlchemyError

from nianbao.commands.options import db_option, format_option, limit_option
from nianbao.commands.output import emit
from pipelines import labels, query, views
from pipelines.db import DatabaseError, one_line

_LEGACY = {"--view": "views", "--search": "search"}


class QueryGroup(click.Group):
    """`query` with a subcommand, or the older `query [--view NAME | --search TEXT] [filters]`."""

    def parse_args(self, ctx, args):
        if args and args[0].startswith("-") and args[0] not in ("-h", "--help"):
            args = _legacy(list(args))
        elif not args:
            args = ["cells"]
        return super().parse_args(ctx, args)


def _legacy(args: list[str]) -> list[str]:
    """['--province', 'X', '--view', 'v'] → ['views', 'v', '--province', 'X']."""
    for i, a in enumerate(args):
        flag, eq, value = a.partition("=")
        if flag in _LEGACY:
            if eq:
                return [_LEGACY[flag], value] + args[:i] + args[i + 1:]
            if i + 1 < len(args):
                return [_LEGACY[flag], args[i + 1]] + args[:i] + args[i + 2:]
    return ["cells"] + args


def region_options(f):
    """--province/--city/--county/--agency/--year: the filters every query mode applies."""
    for opt in reversed([
        click.option("--province", metavar="NAME", help="Province, by full name or its start: 湖南 or 湖南省."),
        click.option("--city", metavar="NAME", help="City (prefecture), by full name or its start: 长沙 or 长沙市."),
        click.option("--county", metavar="NAME", help="County or district, by full name or its start."),
        click.option("--agency", metavar="TEXT", help="Part of the agency's name, e.g. 司法局."),
        click.option("--year", metavar="YEAR", help="A report year or a range: 2021 or 2019-2023."),
    ]):
        f = opt(f)
    return f


def _errors(name: str):
    """Turn the API's errors into one line on stderr and exit 2."""
    def decorate(f):
        @functools.wraps(f)
        def wrapper(*args, **kwargs):
            try:
                return f(*args, **kwargs)
            except (DatabaseError, query.QueryError) as e:
                print(f"nianbao query {name}: {e}", file=sys.stderr)
            except SQLAlchemyError as e:
                print(f"nianbao query {name}: database error: {one_line(e)}", file=sys.stderr)
            return 2
        return wrapper
    return decorate


def _print(columns, rows, format_, limit, name):
    cut = limit if limit and len(rows) > limit else None
    emit(columns, rows[:limit] if cut else rows, format_, cut=cut, prog=f"nianbao query {name}")
    return 0


@click.group("query", cls=QueryGroup)
def command():
    """Print a filtered extract: cells, a view, or a full-text search.

    The older spelling still works: `nianbao query [filters]` is `query cells`, `--view NAME` is
    `query views NAME`, `--search TEXT` is `query search TEXT`. A filter the chosen mode cannot apply
    is refused (exit 2), as is an unknown table, row or column key (the message lists the valid ones).
    """


@command.command("cells")
@region_options
@click.option("--template", type=click.Choice(["2021", "2019", "free"]),
              help="The form the report used: 2021, 2019 or free (no standard table).")
@click.option("--table", metavar="KEY", help=f"Table key: {', '.join(labels.TABLES)}.")
@click.option("--row", metavar="KEY", help="Row key, e.g. new_received, granted (see docs/data-dictionary.md).")
@click.option("--col", metavar="KEY", help="Column key, e.g. total, natural_person (see docs/data-dictionary.md).")
@format_option()
@limit_option
@db_option
@_errors("cells")
def cells(province, city, county, agency, year, template, table, row, col, format_, limit, db) -> int:
    """The cells (numbers) of current reports, one per line, with their Chinese labels."""
    engine = query.open_dataset(db)
    try:
        rows = query.cells(engine, province=province, city=city, county=county, agency=agency, year=year,
                           template=template, table=table, row=row, col=col,
                           limit=limit + 1 if limit else None)
    finally:
        engine.dispose()
    columns = query.TABLE_COLUMNS if format_ == "table" else query.CELL_COLUMNS
    return _print(columns, rows, format_, limit, "cells")


@command.command("views")
@click.argument("name", required=False, metavar="[VIEW]")
@region_options
@format_option()
@limit_option
@db_option
@_errors("views")
def views_(name, province, city, county, agency, year, format_, limit, db) -> int:
    """Print a view (v_grant_share, v_missing_reports, …); without VIEW, list the views."""
    if name is None:
        rows = [{"view": k, "title": t, "description": d} for k, (t, d) in views.VIEWS.items()]
        return _print(["view", "title", "description"], rows, format_, 0, "views")
    engine = query.open_dataset(db)
    try:
        rows = query.view_rows(engine, name, province=province, city=city, county=county, agency=agency,
                               year=year, limit=limit + 1 if limit else None)
        columns = query.view_columns(engine, name)
    finally:
        engine.dispose()
    return _print(columns, rows, format_, limit, "views")


@command.command("search")
@click.argument("text", metavar="TEXT")
@region_options
@click.option("--all-versions", is_flag=True, help="Also search superseded versions of reports.")
@format_option()
@limit_option
@db_option
@_errors("search")
def search_(text, province, city, county, agency, year, all_versions, format_, limit, db) -> int:
    """Reports whose title, agency or text contain every word of TEXT (words of any length: 司法, 复议)."""
    engine = query.open_dataset(db)
    try:
        rows = query.search_rows(engine, text, province=province, city=city, county=county, agency=agency,
                                 year=year, current_only=not all_versions, limit=limit + 1 if limit else None)
    finally:
        engine.dispose()
    return _print(query.SEARCH_COLUMNS, rows, format_, limit, "search")
