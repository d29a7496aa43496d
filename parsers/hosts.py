"""Which administrative divisions a site's host name spells in pinyin (jmsdf → 佳木斯市东风区, zjxj → 仙居县).

Government hosts spell their division in full pinyin ("kanglexian", "hunnan") or by initials
("jmsdf", "xjwqx"), often behind their province's or city's ("gs" + "kanglexian", "mas" + "hsq").
A label is read as a chain of such spellings, each one a division inside the one before, and
must be spelled to its end; every complete reading counts.
"""
from __future__ import annotations

import json
import re
from functools import lru_cache
from pathlib import Path
from urllib.parse import urlsplit

from parsers.meta import gazetteer

_SUFFIX = re.compile(r"(?:特别行政区|自治区|自治州|自治县|自治旗|地区|林区|特区|省|市|县|区|旗|州|盟)$")
_PROVINCE_SHORT = re.compile(r"(?:壮族|回族|维吾尔)?自治区$|省$|市$")
_GENERIC = {"www", "gov", "cn", "com", "net", "org", "edu", "http", "https", "html", "xxgk", "zwgk", "gk"}
SPELLINGS = Path(__file__).with_name("host_spellings.json")   # build_index() as shipped


@lru_cache(maxsize=1)
def _index() -> dict[str, frozenset[str]]:
    """build_index(), read from SPELLINGS: pypinyin's dictionaries cost each parse worker ~65 MB and a
    second to load (tests/parsers/test_meta.py checks the file against build_index())."""
    with SPELLINGS.open(encoding="utf-8") as f:
        return {k: frozenset(v) for k, v in json.load(f).items()}


def build_index() -> dict[str, list[str]]:
    """Spelling → codes: full pinyin and initials, each with and without the kind (shi/xian/qu/qi).
    Written to SPELLINGS by `python scripts/host_spellings.py`."""
    from pypinyin import lazy_pinyin

    names = gazetteer().names
    index: dict[str, set[str]] = {}
    forms: dict[str, set[str]] = {}
    for name, codes in gazetteer().codes.items():
        for code in codes:
            forms.setdefault(code, set()).add(name)
    for code, names_of in forms.items():
        for name in names_of | {names.get(code, "")}:
            if not name:
                continue
            base = (_PROVINCE_SHORT if code.endswith("0000") else _SUFFIX).sub("", name)
            kind = name[len(base):]
            if len(base) < 2:
                continue
            syllables, kinds = lazy_pinyin(base), lazy_pinyin(kind)
            for spelling in ("".join(syllables), "".join(syllables + kinds),
                             "".join(s[0] for s in syllables), "".join(s[0] for s in syllables + kinds)):
                if len(spelling) >= 2:
                    index.setdefault(spelling, set()).add(code)
    return {k: sorted(v) for k, v in sorted(index.items())}


def _inside(child: str, parent: str) -> bool:
    if parent.endswith("0000"):
        return child[:2] == parent[:2] and child != parent
    if parent.endswith("00"):
        return child[:4] == parent[:4] and child != parent
    return False


@lru_cache(maxsize=1024)
def divisions_of_host(url: str | None) -> frozenset[str]:
    """Codes of the innermost division of every complete reading of the host's labels."""
    host = urlsplit(url or "").hostname or ""
    index = _index()
    found: set[str] = set()
    for label in re.split(r"[.\-]", host.lower()):
        if label in _GENERIC or not label.isalpha() or len(label) < 2:
            continue
        found |= _readings(label, index)
    return frozenset(found)


def _readings(label: str, index) -> set[str]:
    ends: set[str] = set()
    # states: (position, code of the last division read or "")
    stack = [(0, "")]
    seen = set()
    while stack:
        pos, last = stack.pop()
        if (pos, last) in seen:
            continue
        seen.add((pos, last))
        if pos == len(label):
            if last:
                ends.add(last)
            continue
        for end in range(pos + 2, len(label) + 1):
            for code in index.get(label[pos:end], ()):
                if not last or _inside(code, last):
                    stack.append((end, code))
    return ends
