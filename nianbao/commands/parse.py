"""`nianbao parse FILE…`: one Report JSON per readable file; exit 2 if any file was unreadable."""
from __future__ import annotations

import json
import sys

import click

import parsers


@click.command("parse")
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False))
@click.option("--url", default=None, help="The URL the file came from (helps find the agency and region).")
@click.option("--title", default=None, help="The report's title as listed on its portal (helps find agency and year).")
def command(files, url, title) -> int:
    """Parse local files; print one Report JSON per line."""
    status = 0
    for path in files:
        try:
            with open(path, "rb") as f:
                data = f.read()
            report = parsers.parse(data, url=url, title=title)
        except (OSError, parsers.ParseError) as e:
            print(f"nianbao parse: {path}: {str(e).splitlines()[0] if str(e) else type(e).__name__}",
                  file=sys.stderr)
            status = 2
            continue
        out = report.to_dict()
        out["file"] = path
        print(json.dumps(out, ensure_ascii=False), flush=True)
    return status
