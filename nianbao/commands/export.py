"""`nianbao export`: the whole dataset as Report JSON lines, or long-form cells as CSV or Parquet."""
from __future__ import annotations

import sys

import click
from sqlalchemy.exc import SQLAlchemyError

from nianbao.commands.options import db_option
from pipelines import export
from pipelines.db import DatabaseError, one_line
from pipelines.query import open_dataset


@click.command("export")
@click.option("--format", "format_", type=click.Choice(["jsonl", "csv", "parquet"]), default="jsonl",
              show_default=True,
              help="jsonl: one Report JSON per report; csv: one cell per line (UTF-8 with BOM); parquet: "
                   "the same cells, typed (needs --out).")
@click.option("--out", default="-", show_default=True, metavar="PATH",
              help="Output file, written atomically; - is standard output.")
@click.option("--all-versions", is_flag=True, help="Also export superseded versions of reports.")
@db_option
def command(format_, out, all_versions, db) -> int:
    """Export the dataset (every report; for a filtered extract use `nianbao query`)."""
    if format_ == "parquet" and out == "-":
        raise click.UsageError("parquet needs --out PATH")
    try:
        engine = open_dataset(db)
        try:
            n, what = export.export(engine, format_, out, all_versions=all_versions)
        finally:
            engine.dispose()
    except (DatabaseError, OSError) as e:
        if isinstance(e, BrokenPipeError):          # `nianbao export | head`: the group ends quietly
            raise
        print(f"nianbao export: {e}", file=sys.stderr)
        return 2
    except SQLAlchemyError as e:
        print(f"nianbao export: database error: {one_line(e)}", file=sys.stderr)
        return 2
    if out != "-":
        print(f"nianbao export: {n} {what} → {out}", file=sys.stderr)
    return 0
