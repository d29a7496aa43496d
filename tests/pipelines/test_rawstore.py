"""The content-addressed raw store: data/raw/ab/cd/<sha256>.<ext>, atomic, never written twice; recorded in
the dataset; a file that cannot be stored is an error of the run, stored by the next one."""
from __future__ import annotations

import hashlib
import os
import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nianbao.cli import main
from nianbao.demo import LOOPBACK_SETTINGS
from nianbao.simulator import start_network
from pipelines import rawstore
from pipelines.crawlrun import crawl_run
from pipelines.db import DatabaseError, open_db
from tests.pipelines.conftest import Chain, item, rows


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


def test_pipeline_sets_hash_and_path_and_survives_a_full_disk(db_url, tmp_path, monkeypatch):
    chain = Chain(db_url, tmp_path, parse=False)
    it = chain.feed(item(b"<html>x</html>", "http://a.test/x.html"))
    assert (tmp_path / it["path"]).read_bytes() == b"<html>x</html>"
    monkeypatch.setattr(rawstore, "store", lambda *a, **k: (_ for _ in ()).throw(OSError(28, "disk full")))
    it = chain.feed(item(b"<html>y</html>", "http://a.test/y.html"))
    chain.close()
    assert it["sha256"] == hashlib.sha256(b"<html>y</html>").hexdigest() and not it.get("path")
    assert chain.crawler.stats["nianbao/raw_store_errors"] == 1


def test_a_raw_file_written_beside_the_parse_is_on_disk_before_its_row(db_url, tmp_path, monkeypatch):
    """The raw file is written by a thread while the document is parsed; the document's row is
    written only once the file is whole, however slow the disk."""
    from pipelines import dataset

    slow_store, store_document = rawstore.store, dataset.store_document
    seen = []

    def slow(*args, **kwargs):
        time.sleep(0.5)
        return slow_store(*args, **kwargs)

    def checked(engine, fields, *args, **kwargs):
        seen.append((tmp_path / fields["path"]).read_bytes())
        return store_document(engine, fields, *args, **kwargs)

    monkeypatch.setattr(rawstore, "store", slow)
    monkeypatch.setattr(dataset, "store_document", checked)
    chain = Chain(db_url, tmp_path)
    it = chain.feed(item(b"<html><body><p>x</p></body></html>", "http://a.test/x.html"))
    chain.close()
    assert seen == [b"<html><body><p>x</p></body></html>"] and it["path"]


@settings(max_examples=30, deadline=None)
@given(st.binary(max_size=2000))
def test_any_bytes_round_trip(tmp_path_factory, body):
    d = tmp_path_factory.mktemp("raw")
    sha, rel = rawstore.store(d, body, None, "x")
    assert (d / rel).read_bytes() == body and rel.endswith(".bin")


# ---- issue 7: a raw file that cannot be stored is an error of the run; the next run stores it ----


def test_an_unwritable_raw_store_fails_the_run_names_each_source_and_the_next_run_fills_them_in(tmp_path,
                                                                                                  capsys):
    db = f"sqlite:///{tmp_path / 'nianbao.sqlite'}"
    data = tmp_path / "data"
    data.mkdir()
    (data / "raw").write_text("a file where the raw store's directory should be")   # unwritable, even for root
    with start_network(seed=0, families=["county"]) as net:
        first = crawl_run(net.sites, db_url=db, data_dir=data, concurrency=1, settings=LOOPBACK_SETTINGS)
        assert not first["ok"] and first["status"] == "failed"
        assert all(r["raw_files_not_stored"] > 0 and not r["ok"] for r in first["sites"].values())
        missing = rows(db, "SELECT url FROM sources WHERE path IS NULL")
        assert missing and not rows(db, "SELECT url FROM sources WHERE path IS NOT NULL")
        errors = {r.url: r.error for r in rows(db, "SELECT url, error FROM fetch_errors")}
        assert all(errors.get(r.url, "").startswith(rawstore.RAW_ERROR) for r in missing)
        assert main(["status", "--db", db]) == 0
        shown = capsys.readouterr().out
        assert f"{len(missing)} sources have no raw file" in shown
        assert f"  {missing[0].url}: {rawstore.RAW_ERROR}" in shown

        (data / "raw").unlink()
        second = crawl_run(net.sites, db_url=db, data_dir=data, concurrency=1, settings=LOOPBACK_SETTINGS)
    assert all(r["raw_files_not_stored"] == 0 for r in second["sites"].values())
    assert not rows(db, "SELECT url FROM sources WHERE path IS NULL")
    for r in rows(db, "SELECT sha256, path FROM sources"):
        assert hashlib.sha256((data / r.path).read_bytes()).hexdigest() == r.sha256
    assert main(["status", "--db", db]) == 0
    assert "have no raw file" not in capsys.readouterr().out


def test_the_dataset_records_where_its_raw_files_are(tmp_path, monkeypatch, caplog):
    beside = open_db(f"sqlite:///{tmp_path / 'a' / 'x.sqlite'}")
    with pytest.raises(DatabaseError, match="give --data-dir"):
        rawstore.raw_dir(beside)
    monkeypatch.chdir(tmp_path)
    assert rawstore.record_raw_dir(beside, "a/data") == (tmp_path / "a" / "data").resolve()
    assert rows(f"sqlite:///{tmp_path / 'a' / 'x.sqlite'}", "SELECT value FROM dataset_meta")[0].value == "data"
    assert rawstore.record_raw_dir(beside, tmp_path / "elsewhere") == (tmp_path / "a" / "data").resolve()
    assert "the dataset keeps its raw files in" in caplog.text           # the first place stays; a warning says so
    assert rawstore.raw_dir(beside, tmp_path / "override") == tmp_path / "override"
    beside.dispose()
    apart = open_db(f"sqlite:///{tmp_path / 'b' / 'y.sqlite'}")
    rawstore.record_raw_dir(apart, tmp_path / "raw-files")
    assert rawstore.raw_dir(apart) == (tmp_path / "raw-files").resolve()
    apart.dispose()


def test_a_crawl_records_its_data_dir_and_each_unstored_file_as_an_error(db_url, tmp_path):
    (tmp_path / "data").mkdir(exist_ok=True)
    (tmp_path / "data" / "raw").write_text("not a directory")
    chain = Chain(db_url, tmp_path / "data", parse=False)      # opened as the crawl opens it
    chain.crawler.stats.set_value("nianbao/run_id", None)
    chain.feed(item(b"<html>a</html>", "http://a.test/a.html"))
    chain.close()
    engine = open_db(db_url)
    assert rawstore.raw_dir(engine).resolve() == (tmp_path / "data").resolve()
    engine.dispose()
    err = rows(db_url, "SELECT url, error FROM fetch_errors")
    assert [(e.url, e.error.startswith(rawstore.RAW_ERROR)) for e in err] == [("http://a.test/a.html", True)]
    assert chain.crawler.stats["nianbao/raw_store_errors"] == 1
