"""Options shared by the commands: --db, --data-dir, --format, --limit (as sqlite-utils shares its own)."""
from __future__ import annotations

import functools

import click

from crawler.defaults import DEFAULT_DATA_DIR, DEFAULT_DB

FORMATS = ("table", "csv", "tsv", "json", "jsonl")

db_option = click.option(
    "--db", envvar="NIANBAO_DB", default=DEFAULT_DB, show_default=True, metavar="URL",
    help="Dataset URL (SQLAlchemy: sqlite:///FILE or postgresql+psycopg://…); env NIANBAO_DB.")

data_dir_option = click.option(
    "--data-dir", envvar="NIANBAO_DATA_DIR", default=DEFAULT_DATA_DIR, show_default=True, metavar="DIR",
    help="Directory of raw files and run logs; env NIANBAO_DATA_DIR.")


def format_option(default: str = "table", choices=FORMATS):
    """--format, plus a hidden --csv kept for the older spelling."""
    def decorate(f):
        @functools.wraps(f)
        def with_format(*args, csv_flag: bool = False, **kwargs):
            if csv_flag:
                kwargs["format_"] = "csv"
            return f(*args, **kwargs)

        with_format = click.option("--csv", "csv_flag", is_flag=True, hidden=True,
                                   help="Same as --format csv.")(with_format)
        return click.option("--format", "format_", type=click.Choice(choices), default=default,
                            show_default=True,
                            help="Output: an aligned table, CSV (UTF-8 with BOM, for Excel), TSV, a JSON "
                                 "array, or JSON lines.")(with_format)
    return decorate


limit_option = click.option(
    "--limit", type=click.IntRange(min=0), default=50, show_default=True, metavar="N",
    help="Print at most N rows (0: all); a cut is said on the table's last line, else on stderr.")
