"""`nianbao serve`: browse the dataset in Datasette (a Postgres dataset through a SQLite copy)."""
from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import click
import uvicorn
from sqlalchemy.exc import SQLAlchemyError

from nianbao.commands.options import db_option
from pipelines import serve
from pipelines.db import DatabaseError, one_line


@click.command("serve")
@db_option
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", type=click.IntRange(0, 65535), default=8001, show_default=True, help="Port to listen on.")
@click.option("--copy-to", type=click.Path(dir_okay=False, path_type=Path), metavar="FILE",
              help="Postgres only: write the SQLite copy that Datasette serves here and keep it (default: a "
                   "temporary file, removed on exit).")
def command(db, host, port, copy_to) -> int:
    """Open the dataset in Datasette: Chinese headers, search, canned queries and a chart dashboard.

    A Postgres dataset is first copied into a SQLite file (a temporary one unless --copy-to), which
    Datasette serves; the copy is a snapshot of the moment the command starts.
    """
    with tempfile.TemporaryDirectory(prefix="nianbao-serve-") as tmp:
        target = copy_to or Path(tmp) / "nianbao.sqlite"
        if db.startswith("postgresql"):
            print(f"nianbao serve: copying the dataset into {target} for Datasette …", file=sys.stderr, flush=True)
        try:
            path = serve.prepare(db, target)
        except DatabaseError as e:
            print(f"nianbao serve: {e}", file=sys.stderr)
            return 2
        except SQLAlchemyError as e:
            print(f"nianbao serve: database error: {one_line(e)}", file=sys.stderr)
            return 2
        ds = serve.datasette(path)
        print(f"nianbao serve: http://{host}:{port}/{path.stem}  charts: http://{host}:{port}/-/dashboards/"
              f"{serve.dashboard.SLUG}  (Ctrl-C stops)", file=sys.stderr, flush=True)
        uvicorn.run(ds.app(), host=host, port=port, log_level="warning", lifespan="on")
    return 0
