"""The matcher's tables of the official row and column labels and their real-world variants,
built from the forms spec (parsers/forms.yaml), and the ways a label is looked up in them.

Every pattern runs on `norm(label)`: NFKC widths (（）→(), ：→:, full-width digits), no spaces,
"1、"/"1．" written "1.". Patterns are searched, not anchored, so wrapped, annotated and
definition-carrying labels ("规章:地方行政规章指…", "上一年项目数量(指2019年事项数)") still match.
"""
from __future__ import annotations

import re
from functools import lru_cache
from typing import NamedTuple

from parsers import forms
from parsers.chars import squash


@lru_cache(maxsize=8192)
def norm(text: str) -> str:
    """Label text in the one spelling the patterns are written for."""
    text = squash(text)
    return re.sub(r"(\d)[、,]", r"\1.", text)


def _compile(pairs):
    return [(key, re.compile(pattern)) for key, pattern in pairs]


Patterns = list[tuple[str, re.Pattern]]


class Tables(NamedTuple):
    """The matcher's view of a forms spec."""
    TABLE_SIGNATURES: Patterns
    PROACTIVE_ROWS: Patterns                 # the earliest match in a label wins
    PROACTIVE_COLS: list[tuple[str, re.Pattern, str | None]]   # (key, pattern, form); first wins
    REQUESTS_ROWS: Patterns                  # template order: the first key at or after the cursor
    REQUESTS_ROW_FORMS: dict[str, str]       # row key -> the form its label signals
    REQUESTS_SPLIT_OTHER: tuple[str, ...]    # the rows that say "2021"
    REQUESTS_RESULT_ROWS: list[str]          # granted … other
    REQUESTS_APPLICANTS: list[str]
    REQUESTS_COLS: list[str]
    SUBTOTAL: str                            # 法人小计: read, not a canonical column
    REQUESTS_COL_LABELS: Patterns            # header cells
    REQUESTS_HEADER: re.Pattern
    REVIEW_ROWS: Patterns
    REVIEW_COLS: list[str]
    REVIEW_HEADER: re.Pattern
    SPEC: forms.Spec                         # the spec these come from (its checks, its layouts)


def build(spec: forms.Spec) -> Tables:
    """The matcher's tables of a forms spec."""
    pro, req, rev = (spec.tables[t] for t in ("proactive", "requests", "review_litigation"))
    pro_cols = {c.key: c for c in pro.cols}
    row_forms = {r.key: fmt for r in req.rows for _, fmt in r.match if fmt}
    return Tables(
        TABLE_SIGNATURES=_compile((t.key, t.signature) for t in spec.tables.values()),
        PROACTIVE_ROWS=_compile((r.key, p) for r in pro.rows for p, _ in r.match),
        PROACTIVE_COLS=[(key, re.compile(p), fmt) for key in pro.header_order for p, fmt in pro_cols[key].match],
        REQUESTS_ROWS=_compile((r.key, p) for r in req.rows for p, _ in r.match),
        REQUESTS_ROW_FORMS=row_forms,
        REQUESTS_SPLIT_OTHER=tuple(k for k, fmt in row_forms.items() if fmt == "2021"),
        REQUESTS_RESULT_ROWS=req.members(["results"]),
        REQUESTS_APPLICANTS=req.members(["applicants"]),
        REQUESTS_COLS=[c.key for c in req.cols if c.canonical],
        SUBTOTAL=next(c.key for c in req.cols if not c.canonical),
        REQUESTS_COL_LABELS=_compile((c.key, p) for c in req.cols for p, _ in c.match),
        REQUESTS_HEADER=re.compile(req.header or ""),
        REVIEW_ROWS=_compile((r.key, p) for r in rev.rows for p, _ in r.match),
        REVIEW_COLS=[c.key for c in rev.cols],
        REVIEW_HEADER=re.compile(rev.header or ""),
        SPEC=spec,
    )


def use(spec: forms.Spec) -> None:
    """Match with the tables of another spec from now on (a test's temporary spec)."""
    globals().update(build(spec)._asdict())


(TABLE_SIGNATURES, PROACTIVE_ROWS, PROACTIVE_COLS, REQUESTS_ROWS, REQUESTS_ROW_FORMS, REQUESTS_SPLIT_OTHER,
 REQUESTS_RESULT_ROWS, REQUESTS_APPLICANTS, REQUESTS_COLS, SUBTOTAL, REQUESTS_COL_LABELS, REQUESTS_HEADER,
 REVIEW_ROWS, REVIEW_COLS, REVIEW_HEADER, SPEC) = build(forms.SPEC)


def first_in_order(text: str, patterns, start: int = 0) -> int | None:
    """Index of the first pattern, from `start` on, that matches `text`."""
    for i in range(start, len(patterns)):
        if patterns[i][1].search(text):
            return i
    return None


def earliest(text: str, patterns) -> str | None:
    """Key of the pattern that matches earliest in `text` (the label's own head word)."""
    best = None
    for key, pattern in patterns:
        m = pattern.search(text)
        if m and (best is None or m.start() < best[0]):
            best = (m.start(), key)
    return best[1] if best else None


def exact(text: str, patterns) -> str | None:
    """Key of the first pattern matching `text`, for header cells."""
    for key, pattern in patterns:
        if pattern.search(text):
            return key
    return None


def table_of(text: str) -> str | None:
    return exact(text, TABLE_SIGNATURES)
