"""The content-addressed raw store: data/raw/ab/cd/<sha256>.<ext>, atomic, never written twice."""
from __future__ import annotations

import hashlib
import os

import pytest
from hypothesis import given, settings, strategies as st

from pipelines import rawstore
from pipelines.rawstore import RawFilePipeline
from tests.pipelines.conftest import item


def test_layout_and_extension(tmp_path):
    body = b"%PDF-1.7 a report"
    sha, rel = rawstore.store(tmp_path, body, "application/pdf")
    assert sha == hashlib.sha256(body).hexdigest()
    assert rel == f"raw/{sha[:2]}/{sha[2:4]}/{sha}.pdf"
    assert (tmp_path / rel).read_bytes() == body
    assert rawstore.extension(None, "附件1.DOCX") == "docx"
    assert rawstore.extension("application/octet-stream", "download.jsp?id=3") == "bin"


def test_a_stored_file_is_never_written_twice(tmp_path):
    sha, rel = rawstore.store(tmp_path, b"same bytes", "text/html")
    os.utime(tmp_path / rel, ns=(1, 1))
    assert rawstore.store(tmp_path, b"same bytes", "text/html") == (sha, rel)
    assert os.stat(tmp_path / rel).st_mtime_ns == 1


def test_a_failed_write_leaves_no_file_and_no_temp_file(tmp_path, monkeypatch):
    def broken_fsync(fd):
        raise OSError(28, "No space left on device")
    monkeypatch.setattr(rawstore.os, "fsync", broken_fsync)
    with pytest.raises(OSError):
        rawstore.store(tmp_path, b"half", "text/plain")
    assert [p for p in tmp_path.rglob("*") if p.is_file()] == []


def test_pipeline_sets_hash_and_path_and_survives_a_full_disk(tmp_path, monkeypatch):
    it = RawFilePipeline(str(tmp_path)).process_item(item(b"<html>x</html>", "http://a.test/x.html"))
    assert (tmp_path / it["path"]).read_bytes() == b"<html>x</html>"
    monkeypatch.setattr(rawstore, "store", lambda *a, **k: (_ for _ in ()).throw(OSError(28, "disk full")))
    it = RawFilePipeline(str(tmp_path)).process_item(item(b"<html>y</html>", "http://a.test/y.html"))
    assert it["sha256"] == hashlib.sha256(b"<html>y</html>").hexdigest() and not it.get("path")


@settings(max_examples=30, deadline=None)
@given(st.binary(max_size=2000))
def test_any_bytes_round_trip(tmp_path_factory, body):
    d = tmp_path_factory.mktemp("raw")
    sha, rel = rawstore.store(d, body, None, "x")
    assert (d / rel).read_bytes() == body and rel.endswith(".bin")
