"""Where the pipelines find the dataset and the data directory, and how a database fault ends a run."""
from __future__ import annotations

import logging
import os

from crawler.defaults import DEFAULT_DATA_DIR, DEFAULT_DB

logger = logging.getLogger(__name__)


def db_url(settings) -> str:
    """Scrapy setting NIANBAO_DB, else $NIANBAO_DB, else the default SQLite file."""
    return settings.get("NIANBAO_DB") or os.environ.get("NIANBAO_DB") or DEFAULT_DB


def data_dir(settings) -> str:
    """Scrapy setting NIANBAO_DATA_DIR, else $NIANBAO_DATA_DIR, else data/."""
    return settings.get("NIANBAO_DATA_DIR") or os.environ.get("NIANBAO_DATA_DIR") or DEFAULT_DATA_DIR


def fail_run(crawler, message: str) -> None:
    """Log one clear line, note it in the stats, and close the spider with reason "database_error"."""
    from scrapy.utils.defer import deferred_from_coro

    logger.error("nianbao: database error, ending the run: %s", message)
    if crawler.stats.get_value("nianbao/database_error") is None:
        crawler.stats.set_value("nianbao/database_error", message)
        deferred_from_coro(crawler.engine.close_spider_async(reason="database_error"))
