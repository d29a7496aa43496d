"""`nianbao demo`: crawl the bundled simulated portals into a fresh SQLite file."""
from __future__ import annotations

import argparse

import click

from nianbao import demo


@click.command("demo")
@click.option("--db", default=None, metavar="URL", help="Dataset URL (default: a fresh data/demo.sqlite).")
@click.option("--data-dir", default=None, metavar="DIR", help="Raw files and runs (default: data/demo).")
def command(db, data_dir) -> int:
    """Crawl the bundled simulated portals (loopback only) into a fresh SQLite dataset."""
    return demo.run(argparse.Namespace(db=db, data_dir=data_dir))
