"""`nianbao status`: the last crawl runs and each site's health."""
from __future__ import annotations

import json
import sys

import click
from sqlalchemy.exc import DBAPIError

from nianbao.commands.options import db_option
from pipelines import status
from pipelines.db import DatabaseError, one_line


@click.command("status")
@click.option("--all", "all_sites", is_flag=True,
              help="Every site, not only those not ok or changed since their previous run.")
@click.option("--json", "as_json", is_flag=True, help="The same as one JSON object, for machines.")
@click.option("--today", type=click.DateTime(["%Y-%m-%d"]), default=None, metavar="YYYY-MM-DD",
              help="The date the overdue reports are judged on (default: today).")
@db_option
def command(all_sites, as_json, today, db) -> int:
    """The last run, the sites not ok (with since when and why), the overdue reports. Exit code 1 when a
    site turned failing or blocked in the last run, 2 when the dataset cannot be read."""
    try:
        data, missing = status.read_status(db_url=db, today=today and today.date(), all_sites=all_sites,
                                           missing=not as_json)
    except (DatabaseError, DBAPIError) as e:
        print(f"nianbao status: {one_line(e)}", file=sys.stderr)
        return 2
    if as_json:
        print(json.dumps(data, ensure_ascii=False, default=str, indent=1))
    else:
        print("\n".join([status.render(data), *missing]))
    return status.exit_code(data)
