"""One fetched document, from bytes to dataset: raw file, known bytes, parse, store (run in a parse worker).

The crawl's reactor thread only downloads; everything a document costs in CPU, disk and database
time happens here, in a pipelines.parsepool worker process (or inline when there are no workers).
Each worker opens the dataset once and keeps its agency cache. New bytes are parsed while a thread
writes their raw file and waits for its fsync; no row names the file before it is whole on disk.
The document's url_states row travels with it and is written in the document's own transaction, so
a crawl killed at any moment never remembers a document as fetched that the dataset does not hold.
"""
from __future__ import annotations

import importlib
import logging
import os
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

from sqlalchemy import Engine, insert
from sqlalchemy.exc import DBAPIError

from pipelines import dataset, engines, rawstore
from pipelines.db import DatabaseError, one_line, utcnow, writer
from pipelines.db.models import FetchError

logger = logging.getLogger(__name__)

PARSER = "pipelines.parse.parse_document"
_open: dict[str, tuple[Engine, str, dict]] = {}    # db url -> (engine, parser version, agency cache)
_raw_writer: ThreadPoolExecutor | None = None      # this process's raw-file writer (a thread)


def _dataset(db_url: str) -> tuple[Engine, str, dict]:
    if db_url not in _open:
        _open[db_url] = (engines.acquire(db_url), dataset.parser_version(), {})
    return _open[db_url]


def close(db_url: str) -> None:
    """Release this process's hold on the dataset (an inline caller's close; workers just exit)."""
    if _open.pop(db_url, None) is not None:
        engines.release(db_url)


def _parser(path: str):
    module, _, name = path.rpartition(".")
    return getattr(importlib.import_module(module), name)


def handle(fields: dict, *, db_url: str, data_dir: str | None, parser: str = PARSER,
           parsed: tuple | None = None, parse_error: str | None = None) -> dict:
    """Store one DocumentItem's fields (body included); returns what the crawler records:
    {"sha256", "path", "outcome": new_report|source|parse_error|known|not_modified, "raw_error",
    "db_error"}. parsed: (report, error) instead of parsing; parse_error: store without parsing."""
    out: dict = {}
    try:
        engine, version, cache = _dataset(db_url)
        state = fields.get("url_state")
        if fields.get("status") == 304:
            dataset.record_not_modified(engine, fields)
            out["outcome"] = "not_modified"
            return out
        body, media, name = fields["body"], fields.get("media_type"), fields.get("filename")
        fields["sha256"], rel = rawstore.address(body, media, name)
        writing = None
        if data_dir is not None and not _exists(Path(data_dir) / rel):
            # new bytes, most likely: parsed while a thread writes the file and waits for its fsync
            writing = _writer().submit(rawstore.store, data_dir, body, media, name)
            if parsed is None and parse_error is None:
                parsed = _parse(parser, body, fields)
        _settle_raw(writing, data_dir, rel, fields, out, engine)
        out["sha256"], out["path"] = fields["sha256"], fields["path"]
        if dataset.record_known(engine, fields, state=state):
            out["outcome"] = "known"
            return out
        if parsed is None and parse_error is None:
            parsed = _parse(parser, body, fields)
        fields["report"], fields["parse_error"] = parsed if parsed is not None else (None, parse_error)
        out["outcome"] = dataset.store_document(engine, fields, version, cache, state=state)
    except (DBAPIError, DatabaseError) as e:
        out["db_error"] = one_line(e)
    return out


def _exists(path: Path) -> bool:
    try:
        return path.exists()
    except OSError:         # the writer meets it too, and it is recorded
        return False


def _writer() -> ThreadPoolExecutor:
    global _raw_writer
    if _raw_writer is None:
        _raw_writer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="nianbao-raw")
    return _raw_writer


def _forget_writer() -> None:
    global _raw_writer
    _raw_writer = None          # a forked child has the parent's executor but not its thread


os.register_at_fork(after_in_child=_forget_writer)


def _parse(parser: str, body: bytes, fields: dict) -> tuple:
    return _parser(parser)(body, media_type=fields.get("media_type"), url=fields.get("final_url") or fields.get("url"),
                           title=fields.get("listing_title") or fields.get("link_text"))


def _settle_raw(writing: Future | None, data_dir: str | None, rel: str, fields: dict, out: dict, engine) -> None:
    """fields["path"] once the raw file is whole on disk (before any row names it); None, with the
    error recorded, when it cannot be stored."""
    try:
        if data_dir is None:
            raise OSError("no data directory")
        if writing is not None:
            writing.result()
        fields["path"] = rel
    except OSError as e:
        fields["path"] = None
        out["raw_error"] = rawstore.RAW_ERROR + one_line(e)
        logger.error("nianbao: %s: %s", fields.get("url"), out["raw_error"])
        fetch_error(engine, fields, out["raw_error"], referer=fields.get("parent_url"))


def fetch_error(engine: Engine, fields: dict, error: str, *, referer: str | None = None) -> None:
    """One fetch_errors row: a fetch that failed, or a raw file that could not be stored."""
    with writer(engine).begin() as conn:
        conn.execute(insert(FetchError).values(
            run_id=fields.get("run_id"), site=fields.get("site"), url=fields.get("url"),
            status=fields.get("status"), error=(error or "unknown error")[:1000], referer=referer, at=utcnow()))


def handle_error(fields: dict, *, db_url: str) -> dict:
    """Record a CrawlErrorItem's fields in fetch_errors."""
    try:
        fetch_error(_dataset(db_url)[0], fields, fields.get("error") or "unknown error", referer=fields.get("referer"))
    except (DBAPIError, DatabaseError) as e:
        return {"db_error": one_line(e)}
    return {}
