"""Deduplication: the rules that decide whether two documents are one report, two versions, or which wins.

- The same bytes (sha256) are the same document: `pipelines.known.DedupePipeline` records the sighting
  and drops it before parsing.
- The same agency and year with the same table values (or, without tables, the same normalised text)
  is one report with several sources. So is a document whose values agree with the report's on every
  cell both have (a partial or attachment-only reading).
- Different values for the same agency and year are another version when a title marks a
  correction (更正/修订) or the publication dates differ: the later version supersedes the earlier,
  which is kept and linked. A document with the same marks as a version (the same correction mark
  and date, or both dates unknown) is that version read another way, and the better reading wins.
  An attachment goes with the version its page went to when the page only links it.
  A report's marks are those of all its readings: a correction if one says so, the earliest date.
- Within a report the best source gives the cells: tables complete and every check passing, then
  more cells, fewer failed checks, not scanned, fewer warnings. Ties go to the larger content key,
  then to the larger source (sha256, URL), so the result does not depend on which document came first.
"""
from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date

from parsers.numbers import number_text

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
    source: str = ""            # the source's sha256 and URL: the last tie-break between readings

    def describe(self) -> str:
        kind = (self.media_type or "unknown type") + (" (scanned)" if self.scanned else "")
        if not self.n_cells:
            return f"{kind}: no tables"
        checks = "all checks pass" if not self.n_checks_failed else f"{self.n_checks_failed} checks fail"
        return f"{kind}: {self.n_cells} cells, {'complete' if self.complete else 'partial'}, {checks}"


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
    values = {(c.table, c.row, c.col): number_text(c.value) for c in report.cells if c.value is not None}
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


def rank(r: Reading) -> tuple:
    """Quality, then a tie-break that does not depend on arrival order: the best reading is the largest."""
    return (quality(r), r.content_key, r.source)


def agree(a: Reading, b: Reading) -> bool:
    """Could a and b be readings of the same report: equal values on every cell both have?"""
    if a.content_key == b.content_key or not a.values or not b.values:
        return True
    return all(a.values[k] == v for k, v in b.values.items() if k in a.values)


def joins(version: Reading, r: Reading) -> bool:
    """Does r read this version: equal values on every cell both have, or, when one of them has no
    values (a page that only links its attachments), the same marks (an unknown date matches only an
    unknown date: such a page goes with its own attachments, see `joins_parent`)?"""
    if version.content_key == r.content_key or (version.values and r.values):
        return agree(version, r)
    return same_marks(version, r)


def joins_parent(parent: Reading, r: Reading) -> bool:
    """Does an attachment read the version its own page was placed in: the page's report has no values
    (the page only links its attachments) and no mark of another publication, or the values agree?"""
    if not parent.values:
        return not distinct_versions(parent, r)
    return agree(parent, r)


def distinct_versions(a: Reading, b: Reading) -> bool:
    """Do two disagreeing readings carry the marks of two publications (a correction, other dates)?"""
    if a.is_correction != b.is_correction:
        return True
    return a.published is not None and b.published is not None and a.published != b.published


def same_marks(a: Reading, b: Reading) -> bool:
    """Do two readings carry the same marks of publication (correction mark, date; two unknown dates match)?"""
    return a.is_correction == b.is_correction and a.published == b.published


def merged_marks(a: Reading, b: Reading) -> tuple[bool, date | None]:
    """The marks of one report read as a and as b: a correction if either says so, the earliest known date."""
    dates = [d for d in (a.published, b.published) if d is not None]
    return a.is_correction or b.is_correction, min(dates, default=None)


def described(source_reason: str, best: Reading) -> set[str]:
    """The readings a report's source reason names ("only source", or "BEST over A and B")."""
    if " over " not in source_reason:
        return {best.describe()}
    first, _, rest = source_reason.partition(" over ")
    return {first, *rest.split(" and ")} - {ALIKE}


def source_reason(best: Reading, seen: set[str]) -> str:
    """Why the best reading gives the cells, over the others seen (by description, in a fixed order)."""
    others = sorted(seen - {best.describe()})
    return f"{best.describe()} over {' and '.join(others) if others else ALIKE}"


ALIKE = "a reading alike"


def version_order(r: Reading) -> tuple:
    """Versions sort oldest first; the last one is current."""
    return (r.is_correction, r.published or date.min)


def version_reason(r: Reading, previous_id: int | None, previous: Reading | None) -> str:
    if previous_id is None:
        return "only version"
    if r.is_correction and not (previous and previous.is_correction):
        return f"correction (title marks 更正/修订) supersedes report {previous_id}"
    return f"published {r.published} after report {previous_id} ({previous.published if previous else '?'})"

