"""Alembic migrations of the nianbao dataset."""
