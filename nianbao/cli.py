"""The `nianbao` command: argument parsing, then dispatch to the module that does the work."""
from __future__ import annotations

import argparse
import importlib
import json
import os
import sys

DEFAULT_DB = "sqlite:///data/nianbao.sqlite"

# subcommand -> module with a `run(args) -> int`; imported only when the command runs
COMMANDS = {
    "crawl": "crawler.run",
    "parse": "nianbao.cli",
    "export": "pipelines.export",
    "query": "pipelines.query",
    "status": "pipelines.status",
    "reparse": "pipelines.reparse",
    "serve": "pipelines.serve",
    "demo": "nianbao.demo",
    "simulate": "nianbao.simulator",
}


def default_db() -> str:
    return os.environ.get("NIANBAO_DB", DEFAULT_DB)


def default_data_dir() -> str:
    return os.environ.get("NIANBAO_DATA_DIR", "data")


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="nianbao", description="政府信息公开工作年度报告: crawl, parse, query.")
    sub = p.add_subparsers(dest="command", required=True)

    def with_db(sp):
        sp.add_argument("--db", default=default_db(), help="database URL (default $NIANBAO_DB or %(default)s)")
        return sp

    def with_data_dir(sp):
        sp.add_argument("--data-dir", default=default_data_dir(), help="raw files and runs (default %(default)s)")
        return sp

    sp = with_data_dir(with_db(sub.add_parser("crawl", help="crawl sites into the dataset")))
    sp.add_argument("site_ids", nargs="*", metavar="SITE_ID", help="registry ids (default: all enabled)")
    sp.add_argument("--sites", action="append", default=[], metavar="FILE", help="an extra registry file")
    sp.add_argument("--concurrency", type=int, default=2, help="sites crawled at once (default %(default)s)")
    sp.add_argument("--budget", type=int, default=None, help="per-site time budget in seconds")

    sp = sub.add_parser("parse", help="parse local files; one Report JSON per line")
    sp.add_argument("files", nargs="+", metavar="FILE")
    sp.add_argument("--url", default=None)
    sp.add_argument("--title", default=None)

    sp = with_db(sub.add_parser("export", help="export the dataset"))
    sp.add_argument("--format", choices=["jsonl", "csv", "parquet"], default="jsonl")
    sp.add_argument("--out", default="-", help="output path (default: standard output; parquet needs a path)")
    sp.add_argument("--all-versions", action="store_true", help="also export superseded report versions")

    sp = with_db(sub.add_parser("query", help="filter the dataset's cells"))
    sp.add_argument("--province")
    sp.add_argument("--city")
    sp.add_argument("--county")
    sp.add_argument("--agency", help="substring of the agency name")
    sp.add_argument("--year", help="a year or a range: 2021 or 2019-2023")
    sp.add_argument("--template", choices=["2021", "2019", "free"])
    sp.add_argument("--table")
    sp.add_argument("--row")
    sp.add_argument("--col")
    sp.add_argument("--view", help="print a view instead of cells (v_grant_share, v_missing_reports, …)")
    sp.add_argument("--search", metavar="TEXT", help="full-text search of titles, agencies and section text")
    sp.add_argument("--csv", action="store_true", help="print CSV instead of a table")
    sp.add_argument("--limit", type=int, default=50)

    with_db(sub.add_parser("status", help="the last runs and each site's health"))

    sp = with_data_dir(with_db(sub.add_parser("reparse", help="re-run the parser over the stored raw files")))

    sp = with_db(sub.add_parser("serve", help="open the SQLite dataset in Datasette"))
    sp.add_argument("--port", type=int, default=8001)
    sp.add_argument("--host", default="127.0.0.1")

    sp = sub.add_parser("demo", help="crawl the bundled simulated portals into a fresh SQLite file")
    sp.add_argument("--db", default=None, help="default: a fresh data/demo.sqlite")
    sp.add_argument("--data-dir", default=None, help="default: data/demo")

    sp = sub.add_parser("simulate", help="serve the simulated portal network on loopback until stopped")
    sp.add_argument("--seed", type=int, default=0)
    sp.add_argument("--scale", type=float, default=1.0, help="multiply the report counts (default %(default)s)")
    sp.add_argument("--registry", metavar="FILE", help="also write the sites as a registry file for crawl --sites")
    return p


def run(args) -> int:
    """`nianbao parse`: print one Report JSON per readable file; exit 2 if any file was unreadable."""
    import parsers

    status = 0
    for path in args.files:
        try:
            with open(path, "rb") as f:
                data = f.read()
            report = parsers.parse(data, url=args.url, title=args.title)
        except (OSError, parsers.ParseError) as e:
            print(f"nianbao parse: {path}: {str(e).splitlines()[0] if str(e) else type(e).__name__}",
                  file=sys.stderr)
            status = 2
            continue
        out = report.to_dict()
        out["file"] = path
        print(json.dumps(out, ensure_ascii=False), flush=True)
    return status


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    module = importlib.import_module(COMMANDS[args.command])
    try:
        return module.run(args)
    except BrokenPipeError:         # `nianbao export | head`: the reader left; not an error of ours
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())   # nothing left to flush into
        return 0


if __name__ == "__main__":
    sys.exit(main())
