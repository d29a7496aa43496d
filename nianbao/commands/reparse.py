"""`nianbao reparse`: re-run the parser over the stored raw files."""
from __future__ import annotations

import sys

import click
from sqlalchemy.exc import DBAPIError

from nianbao.commands.options import data_dir_option, db_option
from pipelines import reparse
from pipelines.db import DatabaseError, one_line


@click.command("reparse")
@db_option
@data_dir_option
@click.option("--dry-run", is_flag=True,
              help="Print what the parser would change (reports, cells, checks) and change nothing.")
@click.pass_context
def command(ctx, db, data_dir, dry_run) -> int:
    """Re-run the parser over the stored raw files: print what changes, and apply it in one transaction.

    The raw files are found where the dataset records them; --data-dir (or NIANBAO_DATA_DIR) overrides.
    """
    if ctx.get_parameter_source("data_dir") == click.core.ParameterSource.DEFAULT:
        data_dir = None
    try:
        out = reparse.reparse_dataset(db_url=db, data_dir=data_dir, dry_run=dry_run)
    except (DatabaseError, DBAPIError) as e:
        print(f"nianbao reparse: {one_line(e)}", file=sys.stderr)
        return 2
    print("\n".join(reparse.summary_lines(out)))
    return 0
