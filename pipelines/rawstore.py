"""Raw files, content-addressed: data/raw/ab/cd/<sha256>.<ext>, written atomically and never twice."""
from __future__ import annotations

import hashlib
import logging
import os
import tempfile
from pathlib import Path, PurePosixPath

from pipelines.db import one_line

logger = logging.getLogger(__name__)

EXTENSIONS = {
    "text/html": "html", "application/xhtml+xml": "html", "application/pdf": "pdf",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": "docx",
    "application/msword": "doc", "application/vnd.ms-works": "wps", "application/wps-office.wps": "wps",
    "application/kswps": "wps", "text/plain": "txt", "image/png": "png", "image/jpeg": "jpg",
    "image/tiff": "tif", "image/gif": "gif", "application/zip": "zip",
    "application/vnd.ms-excel": "xls",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": "xlsx",
}


def extension(media_type: str | None, filename: str | None = None) -> str:
    """The file extension for a sniffed media type, else the file name's, else "bin"."""
    ext = EXTENSIONS.get((media_type or "").split(";")[0].strip().lower())
    if ext:
        return ext
    suffix = PurePosixPath(filename or "").suffix.lower().lstrip(".")
    return suffix if suffix.isalnum() and len(suffix) <= 5 else "bin"


def relative_path(sha256: str, ext: str) -> str:
    return f"raw/{sha256[:2]}/{sha256[2:4]}/{sha256}.{ext}"


def store(data_dir: str | os.PathLike, body: bytes, media_type: str | None = None,
          filename: str | None = None) -> tuple[str, str]:
    """Store the bytes once; returns (sha256, path relative to data_dir)."""
    sha = hashlib.sha256(body).hexdigest()
    rel = relative_path(sha, extension(media_type, filename))
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


class RawFilePipeline:
    """Stores each fetched document's bytes and sets item["sha256"] and item["path"]."""

    def __init__(self, data_dir: str):
        self.data_dir = data_dir

    @classmethod
    def from_crawler(cls, crawler):
        from pipelines.settings import data_dir
        return cls(data_dir(crawler.settings))

    def process_item(self, item):
        from crawler.items import DocumentItem
        if not isinstance(item, DocumentItem) or item.get("status") == 304 or item.get("body") is None:
            return item
        body = item["body"]
        try:
            item["sha256"], item["path"] = store(self.data_dir, body, item.get("media_type"), item.get("filename"))
        except OSError as e:
            # parsed and recorded all the same, without a path: the next sighting stores the file
            item["sha256"] = hashlib.sha256(body).hexdigest()
            logger.warning("nianbao: %s: cannot store the raw file: %s", item.get("url"), one_line(e))
        return item
