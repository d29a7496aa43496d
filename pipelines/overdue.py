"""Overdue reports: agencies with no report for the previous year after the legal deadline.

Regulation on Open Government Information (2019) art. 49–50: a government department publishes its
report for the previous year by 31 January, a people's government (县级以上人民政府) by 31 March.
The agencies considered are those known to the dataset (with a report for an earlier year) and the
registry's sites that have been crawled (their portal's government, by the site's name).
"""
from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from sqlalchemy import func, select

from pipelines.db.models import Agency, AgencyAlias, Report, SiteRun

DEADLINES = {"department": (1, 31), "government": (3, 31)}


def deadline(kind: str, year: int) -> date:
    """The last day to publish the report for `year` ("department" or "government")."""
    month, day = DEADLINES[kind]
    return date(year + 1, month, day)


def kind_of(name: str, level: str | None = None) -> str:
    return "department" if (level == "department" or not name.endswith("人民政府")) else "government"


def overdue(engine, today: date, sites: Sequence[dict] = ()) -> list[dict]:
    """[{agency, kind, year, deadline, last_year, source}] of the reports for today.year - 1 that are
    past their deadline and not in the dataset, by agency name."""
    year = today.year - 1
    found: dict[str, dict] = {}
    with engine.connect() as conn:
        rows = conn.execute(
            select(Agency.id, Agency.name, Agency.level, func.max(Report.year).label("last"))
            .join(Report, Report.agency_id == Agency.id)
            .where(Report.year.is_not(None))
            .group_by(Agency.id, Agency.name, Agency.level)).all()
        have = {r.name for r in rows if r.last is not None and r.last >= year}
        have |= set(conn.execute(select(AgencyAlias.alias).join(Report, Report.agency_id == AgencyAlias.agency_id)
                                 .where(Report.year >= year)).scalars())
        for r in rows:
            if r.last < year:
                found.setdefault(r.name, {"agency": r.name, "kind": kind_of(r.name, r.level), "last_year": r.last,
                                          "source": "dataset"})
        crawled = set(conn.execute(select(SiteRun.site).distinct()).scalars())
    for site in sites:
        name = site.get("name") or ""
        if site.get("id") in crawled and name.endswith("人民政府") and name not in have:
            found.setdefault(name, {"agency": name, "kind": "government", "last_year": None,
                                    "source": f"registry ({site['id']})"})
    out = []
    for a in found.values():
        due = deadline(a["kind"], year)
        if today > due:
            out.append({**a, "year": year, "deadline": due.isoformat()})
    return sorted(out, key=lambda a: (a["deadline"], a["agency"]))
