"""Metadata and template on real report openings (../shared/real/openings): the rates, with the misses.

Each opening is the text from the top of a real report page with the values a careful reader takes
from it (see its README). `template` is scored where the reader saw table text (2021/2019), or
named a pre-2019 outline (free); null openings show no table, and the parser must not claim one.
Run with -s to see the rates and every miss.
"""
import json
from pathlib import Path

import pytest

import parsers

OPENINGS = Path(__file__).resolve().parents[3] / "shared" / "real" / "openings"
GOALS = {"agency": 0.90, "year": 0.98, "template": 0.95}


def _cases() -> list[dict]:
    return [json.loads(p.read_text(encoding="utf-8")) | {"file": p.name} for p in sorted(OPENINGS.glob("*.json"))]


def _template(report: parsers.Report, truth: str | None) -> str | None:
    """The format the parser claims: free only means something where the reader saw an outline."""
    if report.template == "free":
        return "free" if truth == "free" else None
    return report.template


def score(cases: list[dict]) -> tuple[dict[str, float], list[str]]:
    """Rates per field and the misses, one line each."""
    hits = {key: 0 for key in GOALS}
    misses = []
    for case in cases:
        truth = case["truth"]
        report = parsers.parse(case["text"].encode("utf-8"), media_type="text/plain", url=case["url"])
        got = {"agency": report.agency, "year": report.year, "template": _template(report, truth["template"])}
        for key in GOALS:
            if got[key] == truth[key]:
                hits[key] += 1
            else:
                misses.append(f"{key:8} {case['file'][:48]:48} got {got[key]!r}, want {truth[key]!r}")
    return {key: n / len(cases) for key, n in hits.items()}, misses


@pytest.fixture(scope="module")
def scored():
    cases = _cases()
    if not cases:
        pytest.fail(f"no openings under {OPENINGS}")
    rates, misses = score(cases)
    print(f"\nopenings: {len(cases)}; " + ", ".join(f"{k} {v:.1%}" for k, v in rates.items()))
    print("\n".join(misses))
    return rates


@pytest.mark.parametrize("field", sorted(GOALS))
def test_rate(scored, field):
    assert scored[field] >= GOALS[field]
