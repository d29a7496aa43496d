"""Agency names: normalise a printed name, settle its region, and find or create its row.

洪泽区人民政府, 淮安市洪泽区人民政府 and 洪泽区政府 (region 江苏省 淮安市 洪泽区) are one agency: the
name is reduced to its local form (region prefixes above its own level removed, 政府 → 人民政府) and
matched together with the region, never by the raw string.
"""
from __future__ import annotations

import re
from collections.abc import MutableMapping
from dataclasses import dataclass

from sqlalchemy import bindparam, select, update
from sqlalchemy.engine import Connection

from parsers.chars import squash
from pipelines.db import insert_ignore, utcnow
from pipelines.db.models import Agency, AgencyAlias

LEVELS = ("province", "city", "county")
_BRACKETED = re.compile(r"[（(][^）)]*[）)]$")        # a trailing （本级）, (2023年) …
# one administrative unit at the start of a name: 江苏省, 淮安市, 洪泽区, 沛县, 峨边彝族自治县, 延边朝鲜族自治州
_UNIT = re.compile(r"^(.{1,12}?(?:特别行政区|自治区|自治州|自治县|自治旗|地区|省|市|州|盟|区|县|旗))")
_GOV = re.compile(r"(?<!人民)政府$")
AGENCIES = Agency.__table__
_SELECT = select(Agency.id).where(Agency.key == bindparam("key"))
_SET_CODE = update(AGENCIES).where(AGENCIES.c.id == bindparam("agency"), AGENCIES.c.code.is_(None)).values(
    code=bindparam("new_code"))


@dataclass(frozen=True)
class AgencyKey:
    """A normalised agency: its local name and region, and where the region came from."""

    name: str
    province: str | None
    city: str | None
    county: str | None
    code: str | None
    region_source: str | None

    @property
    def key(self) -> str:
        return "|".join(v or "" for v in (self.province, self.city, self.county, self.name))

    @property
    def level(self) -> str:
        if not self.name.endswith("人民政府"):
            return "department"
        return "county" if self.county else "city" if self.city else "province"


def clean(name: str) -> str:
    """The printed name with width, spaces and a trailing bracketed remark normalised away."""
    s = squash(name)
    return _BRACKETED.sub("", s)


def normalise(printed: str | None, region: dict | None = None, hint: dict | None = None) -> AgencyKey | None:
    """The agency key for a printed name: the region from the report, then from the name's own
    prefix (淮安市洪泽区…), then from the site's region hint; the name reduced to its local form."""
    name = _GOV.sub("人民政府", clean(printed or ""))
    if not name:
        return None
    region = {k: (region or {}).get(k) or None for k in LEVELS}
    hint = {k: (hint or {}).get(k) or None for k in (*LEVELS, "code")}
    sources = ["report"] if any(region.values()) else []

    units, rest = _units(name, region, hint)
    named = {}
    for text, level in units:
        named[level] = text
        if not region[level]:
            region[level] = text
            if "name" not in sources:
                sources.append("name")
    # the hint fills the levels above the lowest one the name names (all levels for a bare name like
    # 教育局), if it agrees with what the name names: 淮安市人民政府 found on the 洪泽区 portal is the
    # city's report, and 洪泽区政府 found on the 淮安市 portal gets 江苏省 淮安市
    lowest_named = max((LEVELS.index(lv) for _, lv in units), default=len(LEVELS))
    agrees = all(hint[lv] in (None, text) for text, lv in units)
    for level in LEVELS[:lowest_named]:
        if agrees and not region[level] and hint[level]:
            region[level] = hint[level]
            if "site" not in sources:
                sources.append("site")

    if units:
        local = units[-1][0] + rest
    else:
        lowest = next((region[lv] for lv in reversed(LEVELS) if region[lv]), None)
        local = name if lowest is None or name.endswith("人民政府") and name != "人民政府" else lowest + name
    code = hint["code"] if _same_place(region, hint) else None
    return AgencyKey(name=local, province=region["province"], city=region["city"], county=region["county"],
                     code=code, region_source="+".join(sources) or None)


def _units(name: str, region: dict, hint: dict) -> tuple[list[tuple[str, str]], str]:
    """The administrative units a name starts with, each with its level, and the rest of the name."""
    units: list[tuple[str, str]] = []
    rest = name
    while len(units) < 3:
        m = _UNIT.match(rest)
        if not m or len(rest) == len(m.group(1)):
            break
        text = m.group(1)
        level = _level(text, region, hint, units)
        if level is None or any(LEVELS.index(level) <= LEVELS.index(lv) for _, lv in units):
            break
        units.append((text, level))
        rest = rest[len(text):]
    return units, rest


def _level(text: str, region: dict, hint: dict, before: list) -> str | None:
    for known in (region, hint):
        for level in LEVELS:
            if known.get(level) == text:
                return level
    if text.endswith(("省", "自治区", "特别行政区")):
        return "province"
    if text.endswith(("区", "县", "旗")):
        return "county"
    # 市 / 州 / 盟 / 地区: a city, unless a different city is already known (a county-level city)
    city = next((t for t, lv in before if lv == "city"), None) or region.get("city")
    return "county" if city and city != text else "city"


def _same_place(region: dict, hint: dict) -> bool:
    return bool(hint.get("code")) and all(region[k] == hint[k] for k in LEVELS)


def find_or_create(conn: Connection, key: AgencyKey, printed: str, cache: MutableMapping | None = None) -> int:
    """The agency's id (created if new); the printed spelling is recorded as an alias.

    Safe against another process creating the same agency at once: the insert does nothing on a
    conflict with that process's row (Postgres waits for its commit) and the row is selected again.
    `cache` remembers what is already stored (agency rows are never deleted), so a known agency,
    code and alias cost no statement; it must only keep entries whose transaction committed.
    """
    alias = clean(printed)
    cached = (key.key, key.code, alias)
    if cache is not None and cached in cache:
        return cache[cached]
    agency_id = conn.execute(_SELECT, {"key": key.key}).scalar()
    created = False
    if agency_id is None:
        agency_id = conn.execute(insert_ignore(conn, AGENCIES, ["key"], returning=["id"]), dict(
            key=key.key, name=key.name, province=key.province, city=key.city, county=key.county,
            code=key.code, level=key.level, region_source=key.region_source, created_at=utcnow(),
        )).scalar()
        created = agency_id is not None
        if agency_id is None:                   # created by another process since the select
            agency_id = conn.execute(_SELECT, {"key": key.key}).scalar_one()
    if key.code and not created:
        conn.execute(_SET_CODE, {"agency": agency_id, "new_code": key.code})
    conn.execute(insert_ignore(conn, AgencyAlias.__table__, ["agency_id", "alias"]),
                 {"agency_id": agency_id, "alias": alias})
    if cache is not None:
        cache[cached] = agency_id
    return agency_id
