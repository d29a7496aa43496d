"""Where the dataset and the data directory are when no option, setting or environment variable says."""
from __future__ import annotations

import os

DEFAULT_DB = "sqlite:///data/nianbao.sqlite"
DEFAULT_DATA_DIR = "data"


def default_db() -> str:
    """$NIANBAO_DB, else the default SQLite file."""
    return os.environ.get("NIANBAO_DB", DEFAULT_DB)


def default_data_dir() -> str:
    """$NIANBAO_DATA_DIR, else data/."""
    return os.environ.get("NIANBAO_DATA_DIR", DEFAULT_DATA_DIR)
