"""HTTP validators of the documents already stored, for the crawler's conditional GETs."""
from __future__ import annotations

from sqlalchemy import select

from pipelines.db import open_db
from pipelines.db.models import Source


def load_validators(db_url: str, site_id: str) -> dict[str, dict[str, str | None]]:
    """{url: {"etag", "last_modified"}} of the site's documents, from the latest sighting of each URL
    that carried a validator. A 304 answer to such a request only moves the source's last_seen."""
    engine = open_db(db_url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(
                select(Source.url, Source.etag, Source.last_modified)
                .where(Source.site == site_id, Source.path.is_not(None),
                       (Source.etag.is_not(None)) | (Source.last_modified.is_not(None)))
                .order_by(Source.url, Source.last_seen, Source.id)).all()
    finally:
        engine.dispose()
    return {r.url: {"etag": r.etag, "last_modified": r.last_modified} for r in rows}   # the last sighting wins
