"""ParsePipeline: turns each fetched document into a Report, or records why it could not."""
from __future__ import annotations

import logging

from pipelines.db import one_line

logger = logging.getLogger(__name__)


def parse_document(body: bytes, *, media_type=None, url=None, title=None):
    """(report, None) or (None, one-line error); a parser crash is recorded too, never raised."""
    import parsers
    try:
        return parsers.parse(body, media_type=media_type, url=url, title=title), None
    except parsers.ParseError as e:
        return None, one_line(e)
    except Exception as e:  # noqa: BLE001 - a parser bug must not stop the crawl; it is recorded
        msg = f"parser failed: {type(e).__name__}: {one_line(e)}"
        logger.warning("nianbao: %s: %s", url, msg)
        return None, msg


class ParsePipeline:
    """Calls parsers.parse on each document; sets item["report"] or item["parse_error"]."""

    def process_item(self, item):
        from crawler.items import DocumentItem
        if not isinstance(item, DocumentItem) or item.get("status") == 304 or item.get("body") is None:
            return item
        item["report"], item["parse_error"] = parse_document(
            item["body"], media_type=item.get("media_type"), url=item.get("final_url") or item.get("url"),
            title=item.get("listing_title") or item.get("link_text"))
        return item
