"""Characters: what counts as Chinese (CJK), and text in one spelling (NFKC widths, no whitespace)."""
from __future__ import annotations

import re
import unicodedata

# CJK unified ideographs with extension A and the compatibility block
CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
_SPACE = re.compile(r"\s+")


def squash(text: str) -> str:
    """The text with widths unified (NFKC: （）→(), full-width digits → 0-9) and every space removed."""
    return _SPACE.sub("", unicodedata.normalize("NFKC", text))
