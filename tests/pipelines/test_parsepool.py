"""The parse pool: warmed when a site opens, so the first documents find workers that have imported the parser."""
import asyncio
import sys

from pipelines import parsepool


def loaded(module: str) -> bool:
    """Whether `module` is imported in the calling process (run in a pool worker)."""
    return module in sys.modules


def _ask(workers: int, tasks: int, module: str) -> bool:
    return asyncio.run(parsepool.run(f"{__name__}.loaded", module, workers=workers, tasks=tasks))


def test_a_warmed_pool_has_imported_the_module_in_each_worker():
    workers, tasks = 2, 1000     # a size of its own: no other test's pool
    try:
        parsepool.warm(workers, tasks, "pipelines.document")
        executor = parsepool._pools[(workers, tasks)][0]
        assert len(executor._processes) == workers                  # started now, not at the first document
        assert all(_ask(workers, tasks, "pipelines.document") for _ in range(4))
        parsepool.warm(workers, tasks, "pipelines.document")         # a running pool is left as it is
        assert parsepool._pools[(workers, tasks)][0] is executor
    finally:
        entry = parsepool._pools.pop((workers, tasks), None)
        if entry:
            entry[0].shutdown()


def test_a_cold_pool_has_not():
    workers, tasks = 1, 1001
    try:
        assert not _ask(workers, tasks, "pipelines.document")
    finally:
        entry = parsepool._pools.pop((workers, tasks), None)
        if entry:
            entry[0].shutdown()
