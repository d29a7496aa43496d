"""Cell text to value: counts, money, signed changes, units and the printed forms of "nothing"."""
from __future__ import annotations

import re
import unicodedata
from decimal import Decimal
from functools import lru_cache

from parsers.model import Number

_NULLS = {"", "/", "\\", "-", "--", "—", "——", "–", "―", "无"}
_NUM = r"\d+(?:,\d{3})*(?:\.\d+)?"
_PLAIN = re.compile(rf"^(?P<sign>[+-]?)\s*(?P<num>{_NUM})\s*(?P<unit>万元|元|万|件|个|项|条|次)?$")
_WORD = re.compile(rf"^(?P<word>增加|增|减少|减)\s*(?P<num>{_NUM})\s*(?P<unit>万元|元|件|个|项)?$")
_PAIR = re.compile(rf"^\+\s*\(?(?P<plus>{_NUM})\)?\s*-\s*\(?(?P<minus>{_NUM})\)?$")   # "+(0) -(0)"


def clean(raw: str) -> str:
    """The cell text with widths unified (NFKC) and outer space removed; inner space is kept,
    so "0 0" (two numbers glued into one cell) is not read as 0."""
    return unicodedata.normalize("NFKC", raw).strip()


def _number(text: str) -> Number:
    text = text.replace(",", "")
    return Decimal(text) if "." in text else int(text)


@lru_cache(maxsize=8192)       # the same few cell texts ("0", "/") recur hundreds of times a report
def parse_value(raw: str) -> tuple[Number | None, bool]:
    """(value, is_value): the number a cell prints, and whether the text is a value cell at all.

    Blank, "/", "—", "无" are value cells without a number. Text such as "1." or "规章" is not a
    value cell (is_value False), so the caller can treat it as a label.
    """
    text = clean(raw)
    if text in _NULLS:
        return None, True
    m = _PLAIN.match(text)
    if m:
        number = _number(m["num"])
        return (-number if m["sign"] == "-" else number), True
    m = _WORD.match(text)
    if m:
        number = _number(m["num"])
        return (-number if m["word"].startswith("减") else number), True
    m = _PAIR.match(text)
    if m:
        return _number(m["plus"]) - _number(m["minus"]), True
    return None, False


# A label with its row's numbers glued on, the separators lost ("规范性文件7777166", "行政处罚2648-18538").
GLUED = re.compile(r"^(?P<label>.*[\u4e00-\u9fff)）”’\"'」』])(?P<run>[+-]?\d(?:[+-]?\d)*)$")


def glued(raw: str) -> re.Match | None:
    """The label and the glued run of a cell that prints a label with numbers glued on."""
    return GLUED.match(raw.strip())


@lru_cache(maxsize=8192)       # called on every cell of every row reading, many times a report
def is_value(raw: str) -> bool:
    """True for a non-blank cell that prints a value (a number or a printed "nothing")."""
    return bool(raw.strip()) and parse_value(raw)[1]
