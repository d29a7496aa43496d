"""Raw files, content-addressed: data/raw/ab/cd/<sha256>.<ext>, written atomically and never twice.

The dataset records where its raw files are (dataset_meta "raw_dir", relative to a SQLite file
that lies beside them), so that reparse finds them from any working directory.
"""
from __future__ import annotations

import hashlib
import logging
import os
import tempfile
from pathlib import Path, PurePosixPath

from sqlalchemy import func, inspect, select

from parsers.media import EXTENSIONS
from pipelines.db import DatabaseError, insert_ignore, writer
from pipelines.db.models import DatasetMeta, FetchError, Source

logger = logging.getLogger(__name__)


def extension(media_type: str | None, filename: str | None = None) -> str:
    """The file extension for a sniffed media type, else the file name's, else "bin"."""
    ext = EXTENSIONS.get((media_type or "").split(";")[0].strip().lower())
    if ext:
        return ext
    suffix = PurePosixPath(filename or "").suffix.lower().lstrip(".")
    return suffix if suffix.isalnum() and len(suffix) <= 5 else "bin"


def relative_path(sha256: str, ext: str) -> str:
    return f"raw/{sha256[:2]}/{sha256[2:4]}/{sha256}.{ext}"


RAW_DIR = "raw_dir"
RAW_ERROR = "raw file not stored: "


def _db_dir(engine) -> Path | None:
    db = engine.url.database if engine.dialect.name == "sqlite" else None
    return Path(db).resolve().parent if db and db != ":memory:" else None


def record_raw_dir(engine, data_dir: str | os.PathLike) -> Path:
    """Record where the raw files are, unless the dataset records a place already; returns the place
    recorded (relative to the SQLite file's directory when the raw files lie within it)."""
    where = Path(data_dir).resolve()
    base = _db_dir(engine)
    value = where.relative_to(base).as_posix() if base and where.is_relative_to(base) else str(where)
    try:
        recorded = raw_dir(engine)            # a read: each site of a crawl opens with this, most find it
    except DatabaseError:
        with writer(engine).begin() as conn:
            conn.execute(insert_ignore(conn, DatasetMeta.__table__, ["key"]).values(key=RAW_DIR, value=value or "."))
        recorded = raw_dir(engine)
    if recorded.resolve() != where:
        logger.warning("nianbao: raw files go to %s, but the dataset keeps its raw files in %s", where, recorded)
    return recorded


def raw_dir(engine, override: str | os.PathLike | None = None) -> Path:
    """Where the dataset's raw files are: `override` (--data-dir) if given, else the place recorded
    in the dataset. DatabaseError when neither says."""
    if override is not None:
        return Path(override)
    with engine.connect() as conn:
        value = conn.execute(select(DatasetMeta.value).where(DatasetMeta.key == RAW_DIR)).scalar() \
            if inspect(conn).has_table(DatasetMeta.__tablename__) else None
    if value is None:
        raise DatabaseError("the dataset does not record where its raw files are: give --data-dir")
    p = Path(value)
    base = _db_dir(engine)
    return p if p.is_absolute() or base is None else base / p


def missing_raw_files(engine, limit: int = 5) -> tuple[int, list[tuple[str, str]]]:
    """(how many sources have no raw file, up to `limit` of them as (url, why)): the why is the last
    error recorded for the URL, if any. The next crawl that sees their bytes stores the files."""
    with engine.connect() as conn:
        n = conn.execute(select(func.count()).select_from(Source).where(Source.path.is_(None))).scalar()
        urls = conn.execute(select(Source.url).where(Source.path.is_(None)).order_by(Source.id).limit(limit)).scalars()
        out = []
        for url in urls:
            why = conn.execute(select(FetchError.error)
                               .where(FetchError.url == url, FetchError.error.startswith(RAW_ERROR))
                               .order_by(FetchError.id.desc()).limit(1)).scalar()
            out.append((url, why or "raw file not stored"))
    return n, out


def missing_lines(engine) -> list[str]:
    """What `nianbao status` says of sources stored without their raw file (nothing when there are none)."""
    n, some = missing_raw_files(engine)
    if not n:
        return []
    return (["", f"{n} sources have no raw file (they cannot be re-parsed; the next crawl stores them):"]
            + [f"  {url}: {why}" for url, why in some] + ([f"  … and {n - len(some)} more"] if n > len(some) else []))


def address(body: bytes, media_type: str | None = None, filename: str | None = None) -> tuple[str, str]:
    """(sha256, path relative to the data directory) where these bytes are stored."""
    sha = hashlib.sha256(body).hexdigest()
    return sha, relative_path(sha, extension(media_type, filename))


def store(data_dir: str | os.PathLike, body: bytes, media_type: str | None = None,
          filename: str | None = None) -> tuple[str, str]:
    """Store the bytes once (whole and on disk when this returns); returns (sha256, path relative to data_dir)."""
    sha, rel = address(body, media_type, filename)
    target = Path(data_dir) / rel
    if target.exists():
        return sha, rel
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".tmp-", suffix=f".{sha[:12]}")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(body)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, target)        # atomic: the file is whole or absent
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return sha, rel
