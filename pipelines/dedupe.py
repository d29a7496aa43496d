"""Deduplication: the rules that decide whether two documents are one report, two versions, or which wins.

- The same bytes (sha256) are the same document: `DedupePipeline` records the sighting and drops it
  before parsing.
- The same agency and year with the same table values (or, without tables, the same normalised text)
  is one report with several sources. So is a document whose values agree with the report's on every
  cell both have (a partial or attachment-only reading).
- Different values for the same agency and year are another version when a title marks a
  correction (更正/修订) or the publication dates differ: the later version supersedes the earlier,
  which is kept and linked. Without such a mark the two are read as one report read two ways, and
  the better reading wins.
- Within a report the best source gives the cells: tables complete and every check passing, then
  more cells, fewer failed checks, not scanned, fewer warnings. Ties keep the source already chosen.
"""
from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date

from scrapy.exceptions import DropItem

CORRECTION = re.compile(r"更正|修订|修正|勘误|重新发布|更新版")
TABLES = ("proactive", "requests", "review_litigation")
_NOT_TEXT = re.compile(r"[\W_]+", re.UNICODE)


@dataclass
class Reading:
    """What the rules need to know about one parsed document (or a stored report)."""

    content_key: str
    values: dict[tuple[str, str, str], str] = field(default_factory=dict)
    n_cells: int = 0
    n_checks_failed: int = 0
    n_checks_unknown: int = 0
    complete: bool = False
    scanned: bool = False
    n_warnings: int = 0
    is_correction: bool = False
    published: date | None = None
    media_type: str | None = None

    def describe(self) -> str:
        kind = (self.media_type or "unknown type") + (" (scanned)" if self.scanned else "")
        if not self.n_cells:
            return f"{kind}: no tables"
        checks = "all checks pass" if not self.n_checks_failed else f"{self.n_checks_failed} checks fail"
        return f"{kind}: {self.n_cells} cells, {'complete' if self.complete else 'partial'}, {checks}"


def value_text(v) -> str:
    """A cell value as comparable text: 12, 12.0 and Decimal('12.00') are all '12'."""
    from decimal import Decimal
    if type(v) is int:
        return str(v)
    d = v if isinstance(v, Decimal) else Decimal(str(v))
    d = d.normalize()
    return str(int(d)) if d == d.to_integral_value() else format(d, "f")


def normal_text(sections: dict) -> str:
    """The report's running text with width, spaces and punctuation removed."""
    return _NOT_TEXT.sub("", unicodedata.normalize("NFKC", "".join(str(v) for v in (sections or {}).values())))


def content_key(values: dict, sections: dict) -> str:
    """sha256 of the normalised table values, or of the normalised text for a report without tables."""
    if values:
        payload = "values\n" + "\n".join(f"{t}/{r}/{c}={v}" for (t, r, c), v in sorted(values.items()))
    else:
        payload = "text\n" + normal_text(sections)
    return hashlib.sha256(payload.encode()).hexdigest()


def is_correction(*titles: str | None) -> bool:
    return any(t and CORRECTION.search(t) for t in titles)


def read(report, *titles: str | None) -> Reading:
    """The Reading of a parsed `parsers.Report`; `titles` are the listing title and link text."""
    values = {(c.table, c.row, c.col): value_text(c.value) for c in report.cells if c.value is not None}
    failed = sum(1 for c in report.checks if c.ok is False)
    unknown = sum(1 for c in report.checks if c.ok is None)
    present = {c.table for c in report.cells}
    warnings = list(report.warnings or [])
    media = report.media_type
    return Reading(
        content_key=content_key(values, report.sections),
        values=values,
        n_cells=len(report.cells),
        n_checks_failed=failed,
        n_checks_unknown=unknown,
        complete=all(t in present for t in TABLES) and failed == 0,
        scanned=bool(media and media.startswith("image/")) or any("ocr" in w.lower() for w in warnings),
        n_warnings=len(warnings),
        is_correction=is_correction(report.title, *titles),
        published=_date(report.published),
        media_type=media,
    )


def _date(s) -> date | None:
    if isinstance(s, date):
        return s
    try:
        return date.fromisoformat(s) if s else None
    except ValueError:
        return None


def quality(r: Reading) -> tuple:
    return (r.complete, r.n_cells, -r.n_checks_failed, not r.scanned, -r.n_checks_unknown, -r.n_warnings)


def agree(a: Reading, b: Reading) -> bool:
    """Could a and b be readings of the same report: equal values on every cell both have?"""
    if a.content_key == b.content_key or not a.values or not b.values:
        return True
    return all(a.values[k] == v for k, v in b.values.items() if k in a.values)


def distinct_versions(a: Reading, b: Reading) -> bool:
    """Do two disagreeing readings carry the marks of two publications (a correction, other dates)?"""
    if a.is_correction != b.is_correction:
        return True
    return a.published is not None and b.published is not None and a.published != b.published


def version_order(r: Reading) -> tuple:
    """Versions sort oldest first; the last one is current."""
    return (r.is_correction, r.published or date.min)


def version_reason(r: Reading, previous_id: int | None, previous: Reading | None) -> str:
    if previous_id is None:
        return "only version"
    if r.is_correction and not (previous and previous.is_correction):
        return f"correction (title marks 更正/修订) supersedes report {previous_id}"
    return f"published {r.published} after report {previous_id} ({previous.published if previous else '?'})"


class DedupePipeline:
    """Drops a document whose bytes are already in the dataset, after recording where it was seen."""

    def __init__(self, crawler, db_url: str):
        self.crawler = crawler
        self.db_url = db_url
        self.engine = None

    @classmethod
    def from_crawler(cls, crawler):
        from pipelines.settings import db_url
        return cls(crawler, db_url(crawler.settings))

    def open_spider(self):
        from pipelines.db import open_db
        self.engine = open_db(self.db_url)

    def close_spider(self):
        if self.engine is not None:
            self.engine.dispose()

    def process_item(self, item):
        from sqlalchemy.exc import DBAPIError

        from crawler.items import DocumentItem
        from pipelines.dataset import record_known
        from pipelines.db import one_line
        from pipelines.settings import fail_run
        if not isinstance(item, DocumentItem) or not item.get("sha256"):
            return item
        try:
            known = record_known(self.engine, item)
        except DBAPIError as e:
            item["body"] = None
            fail_run(self.crawler, one_line(e))
            raise DropItem(f"not stored: {item.get('url')}: database error", log_level="ERROR") from None
        if known:
            item["body"] = None
            raise DropItem(f"already stored: {item.get('url')} ({item['sha256'][:12]})", log_level="DEBUG")
        return item
