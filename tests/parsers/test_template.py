"""The template matcher: random reports that satisfy the checks, rendered in every flattened layout
and as a merged-cell grid, parse back to the same cells; label variants map to the canonical keys."""
import random

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from parsers import labels as L
from parsers.core import build_report
from parsers.forms import SPEC, printed_rows
from parsers.model import Document, TableBlock, TextBlock
from parsers.template import classify, match, readings
from parsers.values import is_value

REQ_COLS = L.REQUESTS_COLS
_REQ, _REV = SPEC.layouts["requests"], SPEC.layouts["review_litigation"]


def _req_header() -> list[list[str]]:
    """表三's three header rows, ten wide, as the spec's layout prints them (covered cells "")."""
    [top] = _REQ["cols"]
    cols = [c for c in top["cols"] if not c.get("optional")]
    rows = [[_REQ["caption"], "", "", top["heading"]] + [""] * 6, ["", "", ""], ["", "", ""]]
    for col in cols:
        inner = [c["label"] for c in col.get("cols", []) if not c.get("optional")]
        rows[1] += [col["heading"]] + [""] * (len(inner) - 1) if inner else [col["label"]]
        rows[2] += inner or [""]
    return rows


def _label_cells(row) -> list[str]:
    """A printed 表三 row's label cells: "" under a heading that started above."""
    return [""] * (row.depth - len(row.headings)) + [text for text, _ in row.headings] + [row.label]


def _review_header() -> list[list[str]]:
    rows: list[list[str]] = [[], [], []]
    labels = list(_REV["cols"].values())
    for row in printed_rows(_REV["rows"], False):
        if row.depth == 0:
            rows[0] += [row.label] + [""] * (len(labels) - 1)
            rows[1] += labels
            rows[2] += [""] * len(labels)
        else:
            for text, span in row.headings:
                rows[0] += [text] + [""] * (len(labels) * span - 1)
            rows[1] += [row.label] + [""] * (len(labels) - 1)
            rows[2] += labels
    return rows


def _proactive(form: str):
    return [(sub["caption"], list(sub["cols"].values()), list(sub["cols"]), list(sub["rows"].items()))
            for sub in SPEC.forms[form]["proactive"]]


REQ_HEADER = _req_header()
_PRINTED = {row.key: _label_cells(row) for split in (True, False) for row in printed_rows(_REQ["rows"], split)}
REQ_ROWS = [(key, _PRINTED[key]) for key, _ in L.REQUESTS_ROWS]     # both forms' (六) rows
PRO_2021, PRO_2019 = _proactive("2021"), _proactive("2019")
REVIEW_HEADER = _review_header()


def make_report(rnd: random.Random, fmt: str) -> dict:
    """Cell values satisfying every check of template.md."""
    keys = [k for k, _ in REQ_ROWS]
    results = [k for k in L.REQUESTS_RESULT_ROWS if (k == "other") == (fmt == "2019")
               and not (fmt == "2019" and k in L.REQUESTS_SPLIT_OTHER)]
    req = {k: {} for k in keys
           if k in results or k in ("new_received", "carried_over", "total_handled", "carried_forward")}
    for col in L.REQUESTS_APPLICANTS:
        for k in results:
            req[k][col] = rnd.choice([0, 0, 0, rnd.randint(0, 40)])
        handled = sum(req[k][col] for k in results)
        req["total_handled"][col] = handled
        req["carried_forward"][col] = rnd.randint(0, 5)
        req["carried_over"][col] = rnd.randint(0, handled + req["carried_forward"][col])
        req["new_received"][col] = handled + req["carried_forward"][col] - req["carried_over"][col]
    for row in req.values():
        row["total"] = sum(row[c] for c in L.REQUESTS_APPLICANTS)
    pro = {}
    for _, _, cols, rows in (PRO_2021 if fmt == "2021" else PRO_2019):
        for key, _ in rows:
            pro[key] = {c: rnd.randint(-20, 20) if c == "change" else rnd.randint(0, 300) for c in cols}
    rev = {}
    for key, _ in L.REVIEW_ROWS:
        rev[key] = {c: rnd.randint(0, 9) for c in L.REVIEW_COLS[:-1]}
        rev[key]["total"] = sum(rev[key].values())
    return {"requests": req, "proactive": pro, "review_litigation": rev}


def expected_cells(rep):
    return {(t, r, c): v for t, rows in rep.items() for r, cols in rows.items() for c, v in cols.items()}


def grids(rep, fmt, blank_zero=False, subtotal=False):
    """The three tables as grids with the official merged cells (covered positions "")."""
    fmt_rows = PRO_2021 if fmt == "2021" else PRO_2019
    pro = []
    for caption, heads, cols, rows in fmt_rows:
        pro.append([caption, "", "", ""])
        pro.append(["信息内容"] + heads + [""] * (3 - len(heads)))
        for key, label in rows:
            pro.append([label] + [str(rep["proactive"][key][c]) for c in cols] + [""] * (3 - len(cols)))
    header = [list(r) for r in REQ_HEADER]
    if subtotal:
        for i, r in enumerate(header):
            r.insert(9, "小计" if i == 2 else "")
    req = header
    for key, parts in REQ_ROWS:
        if key not in rep["requests"]:
            continue
        vals = rep["requests"][key]
        cells = [("" if blank_zero and vals[c] == 0 and c != "total" else str(vals[c])) for c in REQ_COLS]
        if subtotal:
            cells.insert(6, str(sum(vals[c] for c in L.REQUESTS_APPLICANTS[1:])))
        req.append((parts + ["", "", ""])[:3] + cells)
    rev = [list(r) for r in REVIEW_HEADER]
    rev.append([str(rep["review_litigation"][k][c]) for k, _ in L.REVIEW_ROWS for c in L.REVIEW_COLS])
    return pro, req, rev


def document(tables_text):
    pro, req, rev = tables_text
    return "\n".join(["2022年某某县司法局政府信息公开工作年度报告", "一、总体情况", "我局认真落实条例。",
                      "二、主动公开政府信息情况", pro, "三、收到和处理政府信息公开申请情况", req,
                      "四、政府信息公开行政复议、行政诉讼情况", rev, "五、存在的主要问题及改进情况", "问题不少。",
                      "六、其他需要报告的事项", "无。"])


def pipe_style(grid):
    return "\n".join(" | ".join(c for c in row if c) + " | " + "|" * 3 for row in grid)


def tab_style(grid):
    lines = []
    for row in grid:
        line = "\t".join(row)
        if "部分公开" in line:     # a label wrapping onto the next line, then a page break and footer
            line = line.replace("不计其他情形）", "")
            lines += [line, "\t不计其他情形）", "", "- 4 -", ""]
        else:
            lines.append(line)
    return "\n".join(lines)


def cell_style(grid):
    out = []
    for row in grid:
        out += ["\t" + c if len(c) != 4 or c not in ("结果纠正", "尚未审结") else "\t" + "\n".join(c) for c in row]
        out.append("")
    return "\n".join(out)


def flat_style(grid, bar=False):
    cells = [c for row in grid for c in row if c]
    return ("\n|\n" if bar else "\n").join(cells)


def _wrap(cell: str) -> list[str]:
    """A label as a narrow cell prints it: a vertical header one character a line, a four-character
    header in halves, a long label in pieces of 4-7 characters; captions and values stay whole."""
    if is_value(cell) or cell.startswith("第二十条") or cell == "信息内容" or len(cell) in (5, 6) \
            or len(cell) < 4:
        return [cell]
    if cell == "三、本年度办理结果":
        return list(cell)
    if len(cell) == 4:
        return [cell[:2], cell[2:]]
    k = 4 + len(cell) % 4
    return [cell[i:i + k] for i in range(0, len(cell), k)]


def flat_wrap_style(grid):
    """One cell per line (HTML <p> per cell), each wrapped label's pieces on lines of their own."""
    return "\n".join(piece for row in grid for c in row if c for piece in _wrap(c))


TEXT_STYLES = {"pipe": pipe_style, "tab": tab_style, "cell": cell_style, "flat": flat_style,
               "flat_bar": lambda g: flat_style(g, bar=True), "flat_wrap": flat_wrap_style}


def parse_text(text: str):
    from parsers import parse
    return parse(text.encode("utf-8"))


@pytest.mark.parametrize("style", sorted(TEXT_STYLES))
@pytest.mark.parametrize("fmt", ["2021", "2019"])
@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(seed=st.integers(0, 10**6))
def test_text_layouts_round_trip(style, fmt, seed):
    rep = make_report(random.Random(seed), fmt)
    render = TEXT_STYLES[style]
    report = parse_text(document([render(g) for g in grids(rep, fmt)]))
    got = {(c.table, c.row, c.col): c.value for c in report.cells}
    assert got == expected_cells(rep)
    assert report.template == fmt and report.tables["requests"] == fmt
    assert all(c.ok for c in report.checks if c.rule != "body_new_received")


@pytest.mark.parametrize("subtotal", [False, True])
@settings(max_examples=8, deadline=None)
@given(seed=st.integers(0, 10**6), fmt=st.sampled_from(["2021", "2019"]))
def test_merged_grid_blank_cells_and_subtotal(subtotal, seed, fmt):
    rep = make_report(random.Random(seed), fmt)
    pro, req, rev = grids(rep, fmt, blank_zero=True, subtotal=subtotal)
    doc = Document([TextBlock("三、收到和处理政府信息公开申请情况"), TableBlock(pro), TableBlock(req),
                    TableBlock(rev)], media_type="text/html")
    report = build_report(doc)
    want = expected_cells(rep)
    for cell in report.cells:
        key = (cell.table, cell.row, cell.col)
        if cell.raw == "":        # a blank printed cell is null, never a guessed 0
            assert cell.value is None and want[key] == 0
        else:
            assert cell.value == want[key]
    assert {(c.table, c.row, c.col) for c in report.cells} == set(want)


def test_extra_value_row_resolved_by_checks():
    """(六) printing 8 numbers for 7 columns: only the reading that drops the stray one passes."""
    rep = make_report(random.Random(3), "2019")
    rep["requests"]["other"] = dict(zip(REQ_COLS, [2, 1, 0, 0, 0, 0, 3], strict=True))
    for col in REQ_COLS:
        rows = [r for r in rep["requests"] if r in L.REQUESTS_RESULT_ROWS]
        rep["requests"]["total_handled"][col] = sum(rep["requests"][r][col] for r in rows)
        rep["requests"]["new_received"][col] = (rep["requests"]["total_handled"][col]
                                                + rep["requests"]["carried_forward"][col]
                                                - rep["requests"]["carried_over"][col])
    pro, req, rev = grids(rep, "2019")
    text = tab_style(req).replace("（六）其他处理\t\t2\t", "（六）其他处理\t\t9\t2\t")
    assert "\t9\t2\t" in text
    report = parse_text(document([tab_style(pro), text, tab_style(rev)]))
    assert [report.cell("requests", "other", c).value for c in REQ_COLS] == [2, 1, 0, 0, 0, 0, 3]
    assert any("requests.other" in w for w in report.warnings)


def test_ambiguous_row_left_null_with_warning():
    """A short row whose missing cell no check can place: the uncertain cells are null."""
    lines = ["信息内容 | 本年制发件数 | 本年废止件数 | 现行有效件数 |", "规章 | 5 | 7 |"]
    report = parse_text("\n".join(lines))
    values = [report.cell("proactive", "regulations", c).value for c in ("issued", "repealed", "in_force")]
    assert values == [None, None, None]
    assert any("proactive.regulations" in w and "null" in w for w in report.warnings)


@pytest.mark.parametrize("label,key", [
    ("（二）部分公开(区分处理的,只计这一情形,不计其他情形)", "partially_granted"),
    ("3、危及\"三安全一稳定\"", "denied_security_stability"),
    ("5．属于三类内部事务", "denied_internal_affairs"),
    ("信息 6. 属于四类过程性信息", "denied_process_info"),
    ("三\n、\n本\n年\n度\n办\n理\n结\n果（一）予以公开", "granted"),
    ("(六)其他处理", "other"),
    ("3.其他", "other_other"),
    ("(七)总计", "total_handled"),
])
def test_requests_label_variants(label, key):
    i = L.first_in_order(L.norm(label), L.REQUESTS_ROWS, 2)
    assert L.REQUESTS_ROWS[i][0] == key


@pytest.mark.parametrize("label,key", [
    ("规章:地方行政规章指省、自治区、直辖市人民政府制定的规章", "regulations"),
    ("规范性文件（行政机关制定发布的，涉及规章的文件）", "normative_documents"),
    ("行政  许可", "licensing"),
    ("其他对外管理服务事项", "other_services"),
])
def test_proactive_row_variants(label, key):
    assert L.earliest(L.norm(label), L.PROACTIVE_ROWS) == key


@pytest.mark.parametrize("header,key,fmt", [
    ("本年发件", "issued", "2021"),
    ("现行有效件", "in_force", "2021"),
    ("现行有效件数 (历史累计)", "in_force", "2021"),
    ("上一年项目数量(指2019年事项数)", "previous_items", "2019"),
    ("本年增/减", "change", "2019"),
    ("本年收费金额（单位：万元）", "amount_10k_yuan", "2021"),
    ("采购总金额", "amount", "2019"),
])
def test_proactive_column_variants(header, key, fmt):
    hit = next((k, f) for k, p, f in L.PROACTIVE_COLS if p.search(L.norm(header)))
    assert hit == (key, fmt)


def test_caption_without_second_di_and_hybrid_table():
    rows = [["第二十条(一)项"], ["信息内容", "本年新制作数量", "本年新公开数量", "对外公开总数量"],
            ["规章", "1", "2", "3"], ["第二十条第(五)项"], ["信息内容", "本年处理决定数量"], ["行政许可", "+(0) -(0)"]]
    m = match([TableBlock(rows)])
    assert m.tables["proactive"] == "2019"
    assert {(c.row, c.col): c.value for c in m.cells} == {
        ("regulations", "made"): 1, ("regulations", "published"): 2, ("regulations", "total_published"): 3,
        ("licensing", "decisions"): 0}
    assert any("hybrid" in w for w in m.warnings)


def test_readings_enumerate_and_position_map():
    row = classify(["(六)其他处理", "0", "1", "2"])
    assert len(readings(row, 2)) == 3
    row = classify(["一、本年新收", "", "", "5", "", "7"])
    assert [p.value for p in readings(row, 3, [3, 4, 5])[0]] == [5, None, 7]
    assert [p.raw for p in readings(classify(["x", "0 0", "1"]), 3)[0]] == ["0", "0", "1"]


@pytest.mark.parametrize("seed,fmt", [(2, "2019"), (0, "2019"), (1, "2021")])
def test_one_cell_per_line_html_with_wrapped_labels(seed, fmt):
    """HTML with one <p> per cell: a wrapped header ("上一年项<br/>目数量") is two lines, a vertical
    行政复议 header four; the columns and the tables still come out right."""
    import parsers
    from nianbao.simulator.reports import expected_cells as sample_cells
    from nianbao.simulator.reports import generate, render_html_page
    sample = generate(random.Random(seed), template=fmt, perturb=("label_wrap",))
    report = parsers.parse(render_html_page(sample, layout="lines", chrome=False))
    assert {(c.table, c.row, c.col): (c.value, c.raw) for c in report.cells} == \
           {(c.table, c.row, c.col): (c.value, c.raw) for c in sample_cells(sample)}
    assert not any("readings" in w or "no known label" in w for w in report.warnings)


def test_unprinted_cell_derived_from_the_balance_check():
    """结转下年度 printing six numbers where only one place for the gap passes the checks: that cell
    gets the value the balance check requires, raw "", and a warning naming it and the check."""
    head = ["申请人情况 | 自然人 | 商业企业 | 科研机构 | 社会公益组织 | 法律服务机构 | 其他 | 总计 |"]
    rows = [("一、本年新收政府信息公开申请数量", [5, 0, 0, 0, 0, 0, 5]), ("二、上年结转政府信息公开申请数量", [0] * 7),
            ("三、本年度办理结果 （一）予以公开", [3, 0, 0, 0, 0, 0, 3]), ("（七）总计", [3, 0, 0, 0, 0, 0, 3]),
            ("四、结转下年度继续办理", [0, 0, 0, 0, 0, 2])]          # natural_person (2) not printed
    lines = head + [" | ".join([label] + [str(v) for v in values]) + " |" for label, values in rows]
    report = parse_text("\n".join(["三、收到和处理政府信息公开申请情况"] + lines))
    cell = report.cell("requests", "carried_forward", "natural_person")
    assert (cell.value, cell.raw) == (2, "")
    assert [c.raw for c in report.cells if c.row == "carried_forward"] == ["", "0", "0", "0", "0", "0", "2"]
    [warning] = [w for w in report.warnings if "derived" in w]
    assert "requests_balance" in warning and "requests.carried_forward.natural_person=2" in warning


REQ_HEAD_TAB = "\t".join(["", "", "", "自然人", "商业企业", "科研机构", "社会公益组织", "法律服务机构", "其他", "总计"])


def test_blank_last_cells_kept_in_tab_and_pipe_rows():
    """A tab marks a blank last cell; a pipe row shows one as "|  |", while its end and padding
    ("| |||") hold at most one space. Blank cells are null, never guessed."""
    tab = ["三、收到和处理政府信息公开申请情况", REQ_HEAD_TAB,
           "\t".join(["一、本年新收政府信息公开申请数量", "", "", "2", "0", "0", "0", "0", "", ""])]
    report = parse_text("\n".join(tab))
    assert [(c.value, c.raw) for c in report.cells] == [(2, "2")] + [(0, "0")] * 4 + [(None, "")] * 2
    pipe = ["信息内容 | 本年制发件数 | 本年废止件数 | 现行有效件数 |", "规章 | 5 | 7 |  | ||",
            "行政规范性文件 | 1 | 0 | 3 | |||"]
    report = parse_text("\n".join(pipe))
    assert [(c.row, c.col, c.value, c.raw) for c in report.cells] == [
        ("regulations", "issued", 5, "5"), ("regulations", "repealed", 7, "7"), ("regulations", "in_force", None, ""),
        ("normative_documents", "issued", 1, "1"), ("normative_documents", "repealed", 0, "0"),
        ("normative_documents", "in_force", 3, "3")]
    assert not report.warnings or all("readings" not in w for w in report.warnings)


def test_proactive_row_printing_only_blanks():
    """A grid row "行政处罚 | (blank)" is a data row with a null cell, not a label for the next row."""
    rows = [["第二十条第（六）项", "", ""], ["信息内容", "本年处理决定数量", ""], ["行政处罚", "", ""],
            ["行政强制", "4", ""]]
    m = match([TableBlock(rows)])
    assert [(c.row, c.col, c.value, c.raw) for c in m.cells] == [
        ("punishment", "decisions", None, ""), ("coercion", "decisions", 4, "4")]


def test_change_printed_as_plus_minus_pair_survives_flattening():
    """"+(1) -(0)" split at its space (HTML whitespace, one cell per line) is one change value."""
    assert [p.value for p in readings(classify(["行政许可", "5", "+(1)", "-(0)", "0"]), 3)[0]] == [5, 1, 0]
    lines = ["第二十条第（五）项", "信息内容", "上一年项目数量", "本年增/减", "处理决定数量", "行政许可", "5",
             "+(1) -(0)", "0", "行政处罚 5 +(0) -(2) 9"]
    report = parse_text("\n".join(lines))
    assert [(c.row, c.col, c.value, c.raw) for c in report.cells] == [
        ("licensing", "previous_items", 5, "5"), ("licensing", "change", 1, "+(1) -(0)"),
        ("licensing", "decisions", 0, "0"), ("punishment", "previous_items", 5, "5"),
        ("punishment", "change", -2, "+(0) -(2)"), ("punishment", "decisions", 9, "9")]


def test_pre_2019_statistics_list_is_no_standard_table():
    """The 2008-era list (one number a row, no applicant or result columns) yields no cells."""
    lines = ["二、依申请公开情况", "收到申请数 | 件 | 1 |", "其中：同意公开答复数 | 件 | 0 |",
             "同意部分公开答复数 | 件 | 0 |", "不同意公开答复数 | 件 | 1 |",
             "三、因政府信息公开申请行政复议数 | 件 | 0 |", "四、因政府信息公开提起行政诉讼数 | 件 | 0 |"]
    report = parse_text("\n".join(lines))
    assert report.cells == [] and report.template == "free"
    assert any("not the standard 表三" in w for w in report.warnings)


@pytest.mark.parametrize("sep", ["\t", " "])
def test_two_label_columns_wrapping_at_once(sep):
    """"（四）无法提供" and "1.本机关不掌握相关政府信息" both wrap onto the following lines: the pieces
    join column by column (tab text), or word by word (HTML, where tabs became spaces)."""
    numbers = ["2", "0", "0", "0", "0", "0", "2"]
    lines = [REQ_HEAD_TAB,
             sep.join(["", "（三）不予公开", "8.属于行政查询事项"] + ["0"] * 7),
             sep.join(["", "（四）无", "1.本机关不"] + numbers),
             sep.join(["", "法提供", "掌握相关政府"] + [""] * 7),
             sep.join(["", "", "信息"] + [""] * 7),
             sep.join(["", "", "2.没有现成信息需要另行制作"] + ["0"] * 7)]
    report = parse_text("\n".join(["三、收到和处理政府信息公开申请情况"] + lines))
    assert [report.cell("requests", "unable_not_held", c).value for c in REQ_COLS] == [2, 0, 0, 0, 0, 0, 2]
    assert report.cell("requests", "unable_needs_creation", "total").value == 0
    assert not any("no known label" in w for w in report.warnings)


def test_header_left_as_text_above_a_grid_joins_it():
    """A reader (OCR, PDF) that keeps a table's caption and header row as text lines above the
    grid: those lines are the grid's first rows, so its columns are known."""
    doc = Document([TextBlock("二、主动公开政府信息情况"), TextBlock("第二十条第（一）项"),
                    TextBlock("信息内容  本年制发件数  本年废止件数  现行有效件数"),
                    TableBlock([["规章", "", "0", "0"], ["行政规范性文件", "4", "0", "14"]])],
                   media_type="application/pdf")
    report = build_report(doc)
    assert [(c.row, c.col, c.value, c.raw) for c in report.cells] == [
        ("regulations", "issued", None, ""), ("regulations", "repealed", 0, "0"), ("regulations", "in_force", 0, "0"),
        ("normative_documents", "issued", 4, "4"), ("normative_documents", "repealed", 0, "0"),
        ("normative_documents", "in_force", 14, "14")]
    assert report.tables == {"proactive": "2021"}


def test_proactive_row_printing_only_blanks_with_a_wrapped_label():
    """Tab text wraps "行政事业性收费" onto the next line, and its one cell is blank: the row is
    a data row with a null cell, its label joined from both lines."""
    lines = ["第二十条第（八）项\t\t\t", "信息内容\t本年收费金额（单位：万元）\t\t", "行政事业性收\t\t\t", "费\t\t\t",
             "第二十条第（五）项\t\t\t", "信息内容\t本年处理决定数量\t\t", "行政许\t\t\t", "可\t\t\t",
             "其他对外管理服务事项\t3\t\t"]
    report = parse_text("\n".join(["二、主动公开政府信息情况"] + lines))
    assert [(c.row, c.col, c.value, c.raw) for c in report.cells] == [
        ("licensing", "decisions", None, ""), ("other_services", "decisions", 3, "3"),
        ("fees", "amount_10k_yuan", None, "")]


def test_row_of_a_table_continued_on_a_new_page_with_fewer_label_columns():
    """A PDF table continued on the next page loses a label column there (the merged vertical
    header ends): values stay in the rightmost columns, a blank label cell before them is no value."""
    head = [[""] * 3 + ["自然人", "商业企业", "科研机构", "社会公益组织", "法律服务机构", "其他", "总计"],
            ["三、本年度办理结果", "（六）其他处理", "3.其他", "0", "0", "", "0", "0", "1", "1"]]
    rest = [["", "（七）总计", "64", "0", "23", "0", "9", "30", "126"],
            ["四、结转下年度继续办理", "", "0", "", "", "0", "0", "0", "0"]]
    report = build_report(Document([TextBlock("三、收到和处理政府信息公开申请情况"), TableBlock(head),
                                    TableBlock(rest)], media_type="application/pdf"))
    assert [(c.value, c.raw) for c in report.cells if c.row == "carried_forward"] == [
        (0, "0"), (None, ""), (None, ""), (0, "0"), (0, "0"), (0, "0"), (0, "0")]
    assert [c.value for c in report.cells if c.row == "total_handled"] == [64, 0, 23, 0, 9, 30, 126]
