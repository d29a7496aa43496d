"""Cell text to value: every printed form of template.md, and raw text never turned into a guess."""
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from parsers.values import is_value, parse_value


@pytest.mark.parametrize("raw,value", [
    ("0", 0), ("12", 12), (" 3 ", 3), ("1,234", 1234), ("52.15", Decimal("52.15")), ("75.9260", Decimal("75.9260")),
    ("+173", 173), ("-417", -417), ("增10", 10), ("减4", -4), ("+(0) -(0)", 0), ("+(5)-(2)", 3),
    ("251000元", 251000), ("1646.5万元", Decimal("1646.5")), ("1276.5534万元", Decimal("1276.5534")),
    ("１２", 12), ("/", None), ("／", None), ("—", None), ("无", None), ("", None), ("-", None),
])
def test_printed_forms(raw, value):
    assert parse_value(raw) == (value, True)


@pytest.mark.parametrize("raw", ["规章", "1.", "1.属于国家秘密", "2022年", "三", "0 0", "12a"])
def test_labels_are_not_values(raw):
    assert parse_value(raw) == (None, False) and not is_value(raw)


@settings(max_examples=60)
@given(st.integers(-10**9, 10**9))
def test_integers_round_trip(n):
    assert parse_value(str(n)) == (n, True)
    assert parse_value(f"{abs(n)}件") == (abs(n), True)


@settings(max_examples=60)
@given(st.decimals(min_value=0, max_value=10**7, places=4, allow_nan=False, allow_infinity=False))
def test_money_round_trip(d):
    text = f"{d:.4f}"
    assert parse_value(text + "万元") == (Decimal(text), True)


@settings(max_examples=60)
@given(st.text(max_size=12))
def test_never_raises_and_value_implies_digits(text):
    value, ok = parse_value(text)
    assert value is None or any(ch.isdigit() for ch in text)
