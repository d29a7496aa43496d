"""Alembic environment: migrate the connection open_db() hands over, or the URL given with -x db=URL."""
from alembic import context
from sqlalchemy import create_engine

from pipelines.db.models import Base

config = context.config


def run() -> None:
    connection = config.attributes.get("connection")
    if connection is None:
        url = context.get_x_argument(as_dictionary=True).get("db") or config.get_main_option("sqlalchemy.url")
        if not url:
            raise RuntimeError("no database URL: pass -x db=URL or set sqlalchemy.url")
        with create_engine(url).connect() as connection:
            _migrate(connection)
            connection.commit()
    else:
        _migrate(connection)


def _migrate(connection) -> None:
    context.configure(connection=connection, target_metadata=Base.metadata,
                      render_as_batch=connection.dialect.name == "sqlite", compare_type=True)
    with context.begin_transaction():
        context.run_migrations()


run()
