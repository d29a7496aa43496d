"""The Report record, and the intermediate form (text blocks and table grids) every format becomes."""
from __future__ import annotations

from dataclasses import asdict, dataclass, field
from decimal import Decimal

from parsers.numbers import json_number


class ParseError(ValueError):
    """A document that cannot be read at all; the message is one line, fit for a user."""


# ---------------------------------------------------------------------------------------------
# Intermediate form: what every format reader (HTML, PDF, DOCX, DOC/WPS, text, OCR) produces.
# ---------------------------------------------------------------------------------------------

@dataclass
class TextBlock:
    """A paragraph or line of running text, in reading order."""

    text: str


@dataclass
class TableBlock:
    """A table as a rectangular grid of cell texts.

    Merged cells are expanded: the text sits in the top-left cell of the merge and every other
    covered position holds "". A cell whose text wraps keeps its line breaks as "\\n".
    """

    rows: list[list[str]]


Block = TextBlock | TableBlock


@dataclass
class Document:
    """One document in the intermediate form, plus what the format itself says about it."""

    blocks: list[Block]
    media_type: str                     # "text/html", "application/pdf", … (sniffed, not guessed)
    title: str | None = None            # a title the format carries (<meta ArticleTitle>, <h1>, …)
    published: str | None = None        # ISO date the format carries (<meta PubDate>, …)
    pages: int | None = None
    warnings: list[str] = field(default_factory=list)


# ---------------------------------------------------------------------------------------------
# The record: keys and values follow ../shared/design/template.md and architecture.md.
# ---------------------------------------------------------------------------------------------

Number = int | Decimal


@dataclass
class Cell:
    table: str          # proactive | requests | review_litigation
    row: str
    col: str
    value: Number | None
    raw: str


@dataclass
class Check:
    rule: str           # requests_balance | requests_total | requests_row_sum | review_litigation_sum | …
    ok: bool | None     # None: could not be evaluated (an input is missing)
    expected: Number | None
    actual: Number | None
    row: str | None = None
    col: str | None = None
    inputs: dict[str, Number | None] = field(default_factory=dict)


@dataclass
class Report:
    agency: str | None = None
    region: dict[str, str | None] = field(
        default_factory=lambda: {"province": None, "city": None, "county": None})
    year: int | None = None
    template: str = "free"              # "2021" | "2019" | "free"
    title: str | None = None
    published: str | None = None        # ISO date
    cells: list[Cell] = field(default_factory=list)
    checks: list[Check] = field(default_factory=list)
    sections: dict[str, str] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    tables: dict[str, str] = field(default_factory=dict)   # per-table template: {"requests": "2021"}
    media_type: str | None = None

    def to_dict(self) -> dict:
        """The Report JSON of the contract (numbers as int, or float for money)."""
        return _jsonable(asdict(self))

    @classmethod
    def from_dict(cls, d: dict) -> Report:
        d = dict(d)
        d["cells"] = [Cell(**{k: c.get(k) for k in ("table", "row", "col", "value", "raw")})
                      for c in d.get("cells", [])]
        d["checks"] = [Check(**c) for c in d.get("checks", [])]
        known = set(cls.__dataclass_fields__)
        return cls(**{k: v for k, v in d.items() if k in known})

    def cell(self, table: str, row: str, col: str) -> Cell | None:
        for c in self.cells:
            if c.table == table and c.row == row and c.col == col:
                return c
        return None


def _jsonable(obj):
    if isinstance(obj, Decimal):
        return json_number(obj)
    if isinstance(obj, dict):
        return {k: _jsonable(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_jsonable(v) for v in obj]
    return obj
