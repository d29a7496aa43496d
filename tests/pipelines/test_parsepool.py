"""The parse pool: warmed when a site opens, so the first documents find workers that have imported the parser."""
import asyncio
import sys
from contextlib import contextmanager

from pipelines import parsepool


def loaded(module: str) -> bool:
    """Whether `module` is imported in the calling process (run in a pool worker)."""
    return module in sys.modules


def _ask(workers: int, tasks: int, module: str) -> bool:
    return asyncio.run(parsepool.run(f"{__name__}.loaded", module, workers=workers, tasks=tasks))


@contextmanager
def _own_pool(workers: int, tasks: int):
    """A pool size no other test uses; its pool is shut down afterwards."""
    try:
        yield workers, tasks
    finally:
        entry = parsepool._pools.pop((workers, tasks), None)
        if entry:
            entry[0].shutdown()


def test_a_warmed_pool_has_imported_the_module_in_each_worker():
    with _own_pool(2, 1000) as (workers, tasks):
        parsepool.warm(workers, tasks, "pipelines.document")
        executor = parsepool._pools[(workers, tasks)][0]
        assert len(executor._processes) == workers                  # started now, not at the first document
        assert all(_ask(workers, tasks, "pipelines.document") for _ in range(4))
        parsepool.warm(workers, tasks, "pipelines.document")         # a running pool is left as it is
        assert parsepool._pools[(workers, tasks)][0] is executor


def test_a_cold_pool_has_not():
    with _own_pool(1, 1001) as (workers, tasks):
        assert not _ask(workers, tasks, "pipelines.document")
