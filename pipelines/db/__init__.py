"""The dataset: SQLAlchemy models, opening a database by URL, and Alembic migrations."""
from datetime import UTC, datetime

from pipelines.db.engine import DatabaseError, insert_ignore, one_line, open_dataset_readonly, open_db, upsert, writer


def utcnow() -> datetime:
    """Now, as the naive UTC datetime every table stores."""
    return datetime.now(UTC).replace(tzinfo=None, microsecond=0)


__all__ = ["DatabaseError", "insert_ignore", "open_db", "open_dataset_readonly", "upsert", "writer", "one_line",
           "utcnow"]
