"""The `nianbao` command: `main(argv) -> exit code` over the click group in nianbao.commands."""
from __future__ import annotations

import sys

import click

from crawler.defaults import DEFAULT_DB, default_data_dir, default_db
from nianbao.commands import cli

__all__ = ["DEFAULT_DB", "cli", "default_data_dir", "default_db", "main"]


def main(argv: list[str] | None = None) -> int:
    """Run one command; return its exit code (2 for a usage error, with a one-line message on stderr)."""
    try:
        rv = cli.main(args=argv, prog_name="nianbao", standalone_mode=False)
    except click.exceptions.NoArgsIsHelpError as e:      # `nianbao`, `nianbao sites`: the help, as click does
        e.show()
        return 2
    except click.UsageError as e:
        where = e.ctx.command_path if e.ctx else "nianbao"
        hint = f" (see `{where} --help`)" if e.ctx else ""
        print(f"{where}: {e.format_message().splitlines()[0]}{hint}", file=sys.stderr)
        return 2
    except click.ClickException as e:
        print(f"nianbao: {e.format_message()}", file=sys.stderr)
        return e.exit_code
    except click.Abort:
        print("nianbao: aborted", file=sys.stderr)
        return 1
    return rv if isinstance(rv, int) else 0


if __name__ == "__main__":
    sys.exit(main())
