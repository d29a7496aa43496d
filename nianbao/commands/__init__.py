"""The `nianbao` click group: each command lives in its own module here and is imported when it runs.

How to add a command: write `nianbao/commands/NAME.py` with a module-level `command` (a click.Command or
click.Group) whose callback calls your Python API and returns the exit code (int), then add
`"NAME": "nianbao.commands.NAME"` to COMMANDS below. A subcommand of an existing group (e.g. `sites check`)
is `@command.command("check")` in that group's module. How to add an option: decorate the callback with
click.option(..., help="…") — every option has help — or with a shared decorator from
nianbao.commands.options (`db_option`, `data_dir_option`, `format_option`, `limit_option`); print data
through nianbao.commands.output.emit so that every --format behaves the same. Errors for the user: print
one line "nianbao NAME: …" to stderr and return 2 (usage) or 1 (the work failed); a click.UsageError
raised anywhere also ends with exit 2 and one line. Run `python -m nianbao.docgen` afterwards: the README
command table and docs/ are generated, and a test fails when they are stale.
"""
from __future__ import annotations

import importlib
import os
import sys

import click

# command name -> module with a module-level `command`; imported only when that command runs or --help lists it
COMMANDS = {
    "crawl": "nianbao.commands.crawl",
    "sites": "nianbao.commands.sites",
    "parse": "nianbao.commands.parse",
    "export": "nianbao.commands.export",
    "query": "nianbao.commands.query",
    "status": "nianbao.commands.status",
    "reparse": "nianbao.commands.reparse",
    "serve": "nianbao.commands.serve",
    "demo": "nianbao.commands.demo",
    "simulate": "nianbao.commands.simulate",
    "worker": "nianbao.commands.worker",
}


class LazyGroup(click.Group):
    """A group whose subcommands are imported on demand (click's documented lazy-loading pattern)."""

    def __init__(self, *args, lazy: dict[str, str], **kwargs):
        super().__init__(*args, **kwargs)
        self.lazy = lazy

    def list_commands(self, ctx):
        return list(self.lazy) + [c for c in super().list_commands(ctx) if c not in self.lazy]

    def get_command(self, ctx, name):
        if name in self.lazy:
            return importlib.import_module(self.lazy[name]).command
        return super().get_command(ctx, name)

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except BrokenPipeError:     # `nianbao export | head`: the reader left; not an error of ours
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())   # nothing left to flush into
            return 0


@click.group(cls=LazyGroup, lazy=COMMANDS, context_settings={"help_option_names": ["-h", "--help"],
                                                             "max_content_width": 100})
@click.version_option(package_name="nianbao", prog_name="nianbao")
def cli():
    """政府信息公开工作年度报告: crawl, parse, query."""
