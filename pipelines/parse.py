"""parse_document: a fetched document as a Report, or the one-line reason it could not be read."""
from __future__ import annotations

import logging

import parsers
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
