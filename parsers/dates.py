"""A printed date as ISO 8601."""
from __future__ import annotations


def iso_date(year, month, day) -> str | None:
    """YYYY-MM-DD from the three printed parts (numbers or digit strings); None unless month 1-12, day 1-31."""
    y, m, d = int(year), int(month), int(day)
    return f"{y:04d}-{m:02d}-{d:02d}" if 1 <= m <= 12 and 1 <= d <= 31 else None
