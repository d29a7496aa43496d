"""A report number (int, float or Decimal) as text and as JSON, spelled one way everywhere."""
from __future__ import annotations

from decimal import Decimal


def number_text(v) -> str:
    """12, 12.0 and Decimal('12.00') as '12'; 12.5 as '12.5'; never an exponent."""
    if type(v) is int:
        return str(v)
    d = (v if isinstance(v, Decimal) else Decimal(str(v))).normalize()
    return str(int(d)) if d == d.to_integral_value() else format(d, "f")


def json_number(v):
    """A Decimal as a JSON number (int when integral, else float); anything else unchanged."""
    if isinstance(v, Decimal):
        return int(v) if v == v.to_integral_value() else float(v)
    return v
