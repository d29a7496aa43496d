"""Work beside the downloads: documents are parsed and stored in a bounded pool of worker processes.

A 200-page PDF, a LibreOffice conversion or OCR takes seconds; in the crawl's reactor thread it would
stall every site's fetching. The pool has NIANBAO_PARSE_WORKERS processes (spawned, so no reactor
state is forked; a fork server would be lighter but outlives a killed parent) and is replaced by a
fresh one after NIANBAO_PARSE_TASKS documents per worker (a leaking converter cannot grow without
bound; the old pool finishes its work and exits; Python 3.11's own max_tasks_per_child can hang the
pool). The workers die with the crawl process. A worker that dies (out of memory, a crash) raises
WorkerDied for that one call; the pool is rebuilt for the next.
"""
from __future__ import annotations

import asyncio
import importlib
import multiprocessing
import os
import signal
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool

from crawler import hygiene

_pools: dict[tuple[int, int], list] = {}     # (workers, tasks) -> [executor, documents submitted]


class WorkerDied(Exception):
    """The worker process running a call died (out of memory, a crash)."""


def _call(function: str, args: tuple, kwargs: dict):
    module, _, name = function.rpartition(".")
    return getattr(importlib.import_module(module), name)(*args, **kwargs)


def pool(workers: int, tasks: int) -> ProcessPoolExecutor:
    """The process's pool of this size (created on first use)."""
    key = (workers, tasks)
    entry = _pools.get(key)
    if entry is None or entry[1] >= workers * tasks:
        if entry is not None:
            entry[0].shutdown(wait=False)
        entry = _pools[key] = [ProcessPoolExecutor(
            max_workers=workers, mp_context=multiprocessing.get_context("spawn"),
            initializer=hygiene.die_with_parent, initargs=(signal.SIGKILL, os.getpid())), 0]
    entry[1] += 1
    return entry[0]


def _load(module: str) -> None:
    importlib.import_module(module)


def warm(workers: int, tasks: int, module: str) -> None:
    """Start the pool of this size, if it is not running, with `module` imported in each worker: the
    first documents then do not wait a second for a worker to start."""
    if (workers, tasks) not in _pools:
        for _ in range(workers):       # a task that finds no idle worker starts one
            pool(workers, tasks).submit(_load, module)


async def run(function: str, *args, workers: int, tasks: int, **kwargs):
    """function(*args, **kwargs) in a pool process (function: a dotted path); its result. WorkerDied
    when the worker died."""
    try:
        future = pool(workers, tasks).submit(_call, function, args, kwargs)
        return await asyncio.wrap_future(future)
    except BrokenProcessPool:
        _pools.pop((workers, tasks), None)
        raise WorkerDied("parser process died (out of memory or a crash)") from None

