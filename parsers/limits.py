"""Limits every format reader enforces, so hostile input ends in a clear error, not a hang or OOM."""

from parsers.model import ParseError

MAX_BYTES = 64 * 1024 * 1024          # larger inputs are refused outright
MAX_PAGES = 100                        # PDF pages read; further pages are skipped with a warning
MAX_OCR_PAGES = 20                     # scanned pages sent to OCR; further pages are skipped with a warning
OCR_DPI = 150                          # render resolution for OCR: text detection needs ~500 MB at this size
OCR_MAX_SIDE = 2100                    # larger images are scaled down to this long side before OCR
MAX_IMAGE_PIXELS = 40_000_000          # larger images are refused (a 6000 x 6600 scan)
MAX_UNCOMPRESSED = 200 * 1024 * 1024   # total declared uncompressed size of a DOCX zip
MAX_RATIO = 100                        # declared uncompressed size / compressed size of a DOCX zip
MAX_ZIP_ENTRIES = 5000
MAX_TABLE_CELLS = 200_000              # a grid larger than this (rows x cols) is refused
TIME_BUDGET = 60.0                     # seconds of work per document before a reader stops early
SOFFICE_TIMEOUT = 120.0                # seconds for one LibreOffice run (plus 10 s per extra file)


def check_size(data: bytes) -> None:
    """Refuse empty input and input over MAX_BYTES with a one-line ParseError."""
    if not data:
        raise ParseError("empty file")
    if len(data) > MAX_BYTES:
        raise ParseError(f"file too large: {len(data)} bytes (limit {MAX_BYTES})")
