"""ParsePipeline: turns each fetched document into a Report, or records why it could not."""
from __future__ import annotations

import logging

from scrapy.utils.misc import load_object

import parsers
from crawler.items import DocumentItem
from pipelines import parsepool
from pipelines.db import one_line

logger = logging.getLogger(__name__)


def parse_document(body: bytes, *, media_type=None, url=None, title=None):
    """(report, None) or (None, one-line error); a parser crash is recorded too, never raised."""
    try:
        return parsers.parse(body, media_type=media_type, url=url, title=title), None
    except parsers.ParseError as e:
        return None, one_line(e)
    except Exception as e:  # noqa: BLE001 - a parser bug must not stop the crawl; it is recorded
        msg = f"parser failed: {type(e).__name__}: {one_line(e)}"
        logger.warning("nianbao: %s: %s", url, msg)
        return None, msg


class ParsePipeline:
    """Calls parsers.parse on each document; sets item["report"] or item["parse_error"].

    With NIANBAO_PARSE_WORKERS > 0 (the crawl's default) the parse runs in pipelines.parsepool's
    worker processes, beside the downloads; 0 parses in the calling thread. NIANBAO_PARSER names the
    parse function (default this module's parse_document; the tests slow it down on purpose).
    """

    def __init__(self, workers: int = 0, tasks: int = 50, function: str = "pipelines.parse.parse_document"):
        self.workers, self.tasks, self.function = workers, tasks, function

    @classmethod
    def from_crawler(cls, crawler):
        s = crawler.settings
        return cls(s.getint("NIANBAO_PARSE_WORKERS", 0), s.getint("NIANBAO_PARSE_TASKS", 50),
                   s.get("NIANBAO_PARSER") or "pipelines.parse.parse_document")

    def process_item(self, item):
        """The item, parsed; with a pool, an awaitable of it (Scrapy awaits either)."""
        if not isinstance(item, DocumentItem) or item.get("status") == 304 or item.get("body") is None:
            return item
        kwargs = {"media_type": item.get("media_type"), "url": item.get("final_url") or item.get("url"),
                  "title": item.get("listing_title") or item.get("link_text")}
        if self.workers > 0:
            return self._in_pool(item, kwargs)
        item["report"], item["parse_error"] = load_object(self.function)(item["body"], **kwargs)
        return item

    async def _in_pool(self, item, kwargs):
        item["report"], item["parse_error"] = await parsepool.run(
            self.function, item["body"], workers=self.workers, tasks=self.tasks, **kwargs)
        return item
