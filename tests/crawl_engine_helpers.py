"""Helpers for tests/test_crawl_engine*.py: a deliberately slow parser, and `nianbao crawl` as a child process."""
from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import yaml

from pipelines.parse import parse_document

ROOT = Path(__file__).resolve().parent.parent
CLI = "import sys; from nianbao.cli import main; sys.exit(main(sys.argv[1:]))"


def slow_parse(body: bytes, **kwargs):
    """parse_document, except that the first document of the site whose host is $NIANBAO_TEST_SLOW_HOST
    blocks until the file $NIANBAO_TEST_SLOW_DIR/release exists (at most 120 s). It writes "blocked"
    when it starts blocking and "released" (by the file) or "timeout" when it stops, with the
    monotonic clock time of each."""
    d = Path(os.environ["NIANBAO_TEST_SLOW_DIR"])
    if os.environ["NIANBAO_TEST_SLOW_HOST"] in (kwargs.get("url") or ""):
        try:
            fd = os.open(d / "blocked", os.O_CREAT | os.O_EXCL | os.O_WRONLY)
        except FileExistsError:
            fd = None
        if fd is not None:
            os.write(fd, str(time.monotonic()).encode())
            os.close(fd)
            deadline = time.monotonic() + 120
            while not (d / "release").exists() and time.monotonic() < deadline:
                time.sleep(0.05)
            how = "released" if (d / "release").exists() else "timeout"
            (d / how).write_text(str(time.monotonic()))
    return parse_document(body, **kwargs)


def registry_file(path: Path, sites: list[dict], settings: dict) -> Path:
    path.write_text(yaml.safe_dump([{**s, "settings": {**s.get("settings", {}), **settings}} for s in sites],
                                   allow_unicode=True), encoding="utf-8")
    return path


def start_cli_crawl(registry: Path, db_url: str, data_dir: Path, *extra: str) -> subprocess.Popen:
    """`nianbao crawl --sites REGISTRY` in a child process (JSON events on its stderr)."""
    return subprocess.Popen([sys.executable, "-c", CLI, "crawl", "--sites", str(registry), "--db", db_url,
                             "--data-dir", str(data_dir), *extra], cwd=ROOT,
                            env={**os.environ, "PYTHONPATH": str(ROOT)},
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def dying_parse(body: bytes, **kwargs):
    """parse_document, except that a document containing b"die-here" kills the worker process parsing it."""
    if b"die-here" in body:
        os._exit(1)
    return parse_document(body, **kwargs)
