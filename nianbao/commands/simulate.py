"""`nianbao simulate`: serve the simulated portal network on loopback until stopped."""
from __future__ import annotations

import argparse

import click

from nianbao import simulator


@click.command("simulate")
@click.option("--seed", type=int, default=0, show_default=True,
              help="Random seed of the simulated network (same seed, same sites and reports).")
@click.option("--scale", type=click.FloatRange(min=0, min_open=True), default=1.0, show_default=True,
              help="Multiply the report counts.")
@click.option("--registry", metavar="FILE",
              help="Also write the sites as a registry file, for `nianbao crawl --sites FILE`.")
def command(seed, scale, registry) -> int:
    """Serve the simulated portal network on loopback until Ctrl-C."""
    return simulator.run(argparse.Namespace(seed=seed, scale=scale, registry=registry))
