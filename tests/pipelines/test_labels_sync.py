"""The database's label tables follow pipelines.labels (the forms spec) each time a writer opens the
dataset, not the labels of the day a migration ran."""
from sqlalchemy import text

from pipelines import labels
from pipelines.db import open_db


def _row_labels(url) -> dict:
    engine = open_db(url)
    with engine.connect() as conn:
        out = {(t, r): v for t, r, v in conn.execute(text("SELECT tbl, row, label FROM row_labels"))}
    engine.dispose()
    return out


def test_labels_synchronised_on_open(db_url, monkeypatch):
    assert _row_labels(db_url) == labels.ROWS
    engine = open_db(db_url)
    with engine.begin() as conn:            # an old dataset: a label since renamed, one since added
        conn.execute(text("UPDATE row_labels SET label = '旧标签' WHERE row = 'granted'"))
        conn.execute(text("DELETE FROM row_labels WHERE row = 'carried_forward'"))
    engine.dispose()
    assert _row_labels(db_url) == labels.ROWS

    monkeypatch.setitem(labels.ROWS, ("requests", "granted"), "予以公开（新）")
    assert _row_labels(db_url)[("requests", "granted")] == "予以公开（新）"
