"""`nianbao worker --redis URL`: crawl the sites of a distributed run (`nianbao crawl --redis`) from Redis."""
from __future__ import annotations

import sys

import click

from nianbao.commands.options import data_dir_option, db_option
from pipelines import distributed
from pipelines.crawlrun import StartupError


@click.command("worker")
@click.option("--redis", "redis_url", envvar="NIANBAO_REDIS_URL", required=True, metavar="URL",
              help="The run's Redis (redis://HOST:6379/0); env NIANBAO_REDIS_URL.")
@click.option("--concurrency", type=click.IntRange(min=1), default=16, show_default=True,
              help="Sites this worker crawls at once.")
@click.option("--forever", is_flag=True, help="After a run has drained, wait for the next one (for a service).")
@db_option
@data_dir_option
def command(redis_url, concurrency, forever, db, data_dir) -> int:
    """Crawl the current distributed run's sites, storing into the dataset through the usual pipelines.

    Start any number of workers, on any machines, with the same --redis and --db (a PostgreSQL URL all
    of them reach); each claims whole sites by leasing their hosts in Redis, so a host is crawled by one
    worker at a time within its own politeness. A killed worker's sites are taken over by another after
    30 s, its requests in flight queued again. Without a run yet, the worker waits for one. Exit 0 when
    the run has drained, 1 when stopped by SIGTERM or Ctrl-C (its sites go on elsewhere), 2 for a
    start-up fault (Redis or the dataset unreachable).
    """
    try:
        return distributed.worker(redis_url=redis_url, db_url=db, data_dir=data_dir, running=concurrency,
                                  forever=forever)
    except StartupError as e:
        print(f"nianbao worker: {e}", file=sys.stderr)
        return 2
