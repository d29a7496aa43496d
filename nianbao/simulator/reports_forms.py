"""The official 2019 and 2021 report forms: canonical keys, printed labels and merged-cell grids."""
from __future__ import annotations

import re
from dataclasses import dataclass, field, replace

# ---------------------------------------------------------------------------------------------
# Canonical keys (../shared/design/template.md) with the labels the official forms print.
# ---------------------------------------------------------------------------------------------

PROACTIVE_2021 = [  # (caption, column header labels, [(row key, row label)], column keys)
    ("第二十条第（一）项", ["本年制发件数", "本年废止件数", "现行有效件数"],
     [("regulations", "规章"), ("normative_documents", "行政规范性文件")],
     ["issued", "repealed", "in_force"]),
    ("第二十条第（五）项", ["本年处理决定数量"], [("licensing", "行政许可")], ["decisions"]),
    ("第二十条第（六）项", ["本年处理决定数量"],
     [("punishment", "行政处罚"), ("coercion", "行政强制")], ["decisions"]),
    ("第二十条第（八）项", ["本年收费金额（单位：万元）"], [("fees", "行政事业性收费")],
     ["amount_10k_yuan"]),
]

PROACTIVE_2019 = [
    ("第二十条第（一）项", ["本年新制作数量", "本年新公开数量", "对外公开总数量"],
     [("regulations", "规章"), ("normative_documents", "规范性文件")],
     ["made", "published", "total_published"]),
    ("第二十条第（五）项", ["上一年项目数量", "本年增/减", "处理决定数量"],
     [("licensing", "行政许可"), ("other_services", "其他对外管理服务事项")],
     ["previous_items", "change", "decisions"]),
    ("第二十条第（六）项", ["上一年项目数量", "本年增/减", "处理决定数量"],
     [("punishment", "行政处罚"), ("coercion", "行政强制")],
     ["previous_items", "change", "decisions"]),
    ("第二十条第（八）项", ["上一年项目数量", "本年增/减"], [("fees", "行政事业性收费")],
     ["previous_items", "change"]),
    ("第二十条第（九）项", ["采购项目数量", "采购总金额"], [("procurement", "政府集中采购")],
     ["items", "amount"]),
]

REQUEST_COLS = ["natural_person", "commercial", "research", "social_org", "legal_service",
                "other_org", "total"]
APPLICANT_COLS = REQUEST_COLS[:6]
ORG_LABELS = ["商业企业", "科研机构", "社会公益组织", "法律服务机构", "其他"]

_DENIED = [("1.属于国家秘密", "denied_state_secret"),
           ("2.其他法律行政法规禁止公开", "denied_prohibited_by_law"),
           ("3.危及“三安全一稳定”", "denied_security_stability"),
           ("4.保护第三方合法权益", "denied_third_party"),
           ("5.属于三类内部事务信息", "denied_internal_affairs"),
           ("6.属于四类过程性信息", "denied_process_info"),
           ("7.属于行政执法案卷", "denied_enforcement_file"),
           ("8.属于行政查询事项", "denied_query_service")]
_UNABLE = [("1.本机关不掌握相关政府信息", "unable_not_held"),
           ("2.没有现成信息需要另行制作", "unable_needs_creation"),
           ("3.补正后申请内容仍不明确", "unable_unclear")]
_DECLINED = [("1.信访举报投诉类申请", "declined_petition"),
             ("2.重复申请", "declined_repeated"),
             ("3.要求提供公开出版物", "declined_publication"),
             ("4.无正当理由大量反复申请", "declined_excessive"),
             ("5.要求行政机关确认或重新出具已获取信息", "declined_confirmation")]
_OTHER_3 = [("1.申请人无正当理由逾期不补正、行政机关不再处理其政府信息公开申请", "other_no_correction"),
            ("2.申请人逾期未按收费通知要求缴纳费用、行政机关不再处理其政府信息公开申请", "other_no_fee"),
            ("3.其他", "other_other")]


def result_groups(split_other: bool) -> list[tuple[str, str | list[tuple[str, str]]]]:
    """The 三、本年度办理结果 groups: (label, row key) or (label, [(item label, row key)])."""
    return [("（一）予以公开", "granted"),
            ("（二）部分公开（区分处理的，只计这一情形，不计其他情形）", "partially_granted"),
            ("（三）不予公开", _DENIED), ("（四）无法提供", _UNABLE), ("（五）不予处理", _DECLINED),
            ("（六）其他处理", _OTHER_3 if split_other else "other"),
            ("（七）总计", "total_handled")]


def request_rows(split_other: bool) -> list[str]:
    """Row keys of 表三 in printed order."""
    rows = ["new_received", "carried_over"]
    for _, item in result_groups(split_other):
        rows += [item] if isinstance(item, str) else [key for _, key in item]
    return rows + ["carried_forward"]


RESULT_ROWS_2021 = [r for r in request_rows(True)
                    if r not in ("new_received", "carried_over", "total_handled", "carried_forward")]
RESULT_ROWS_2019 = [r for r in request_rows(False)
                    if r not in ("new_received", "carried_over", "total_handled", "carried_forward")]

REVIEW_ROWS = ["review", "suit_direct", "suit_after_review"]
REVIEW_COLS = ["upheld", "corrected", "other", "pending", "total"]
REVIEW_LABELS = ["结果维持", "结果纠正", "其他结果", "尚未审结", "总计"]


def canonical_keys(template: str, single_other: bool = False) -> list[tuple[str, str, str]]:
    """Every (table, row, col) a report of this form prints, in printed order ("free": none)."""
    if template == "free":
        return []
    keys = [("proactive", row, col)
            for _, _, rows, cols in (PROACTIVE_2021 if template == "2021" else PROACTIVE_2019)
            for row, _ in rows for col in cols]
    split_other = template == "2021" and not single_other
    keys += [("requests", row, col) for row in request_rows(split_other) for col in REQUEST_COLS]
    keys += [("review_litigation", row, col) for row in REVIEW_ROWS for col in REVIEW_COLS]
    return keys


# ---------------------------------------------------------------------------------------------
# Grids: a table as spans placed on a rectangular grid, the way HTML and Word merge cells.
# ---------------------------------------------------------------------------------------------

@dataclass
class Span:
    text: str
    row: int
    col: int
    rowspan: int = 1
    colspan: int = 1
    kind: str = "label"                 # caption | header | label | value
    key: tuple[str, str, str] | None = None


@dataclass
class Grid:
    name: str                           # proactive | requests | review_litigation
    width: int
    nrows: int = 0
    spans: list[Span] = field(default_factory=list)
    label: object = None                # (text, kind) -> printed text, applied to non-values

    def add_row(self, cells: list[tuple]) -> None:
        """Place one row of (text, rowspan, colspan, kind[, key]) left to right, skipping
        positions still covered by a rowspan from above (the HTML placement rule)."""
        taken = {(r, c) for s in self.spans for r in range(s.row, s.row + s.rowspan)
                 for c in range(s.col, s.col + s.colspan)}
        col = 0
        for text, rowspan, colspan, kind, *key in cells:
            while (self.nrows, col) in taken:
                col += 1
            if kind != "value" and self.label:
                text = self.label(text, kind)
            self.spans.append(Span(text, self.nrows, col, rowspan, colspan, kind,
                                   key[0] if key else None))
            col += colspan
        if col > self.width:
            raise ValueError(f"row {self.nrows} of {self.name} is {col} wide, grid is {self.width}")
        self.nrows += 1

    def row_spans(self, row: int) -> list[Span]:
        """The spans that start in this row, left to right."""
        return sorted((s for s in self.spans if s.row == row), key=lambda s: s.col)

    def covering(self, row: int) -> list[Span]:
        """The spans that cover any position of this row, left to right."""
        return sorted((s for s in self.spans if s.row <= row < s.row + s.rowspan),
                      key=lambda s: s.col)

    def split(self, at: int) -> tuple["Grid", "Grid"]:
        """Cut before row `at`, as a page break does: a merged cell crossing the cut continues
        as an empty merged cell in the second part."""
        top = Grid(self.name, self.width, at)
        bottom = Grid(self.name, self.width, self.nrows - at)
        for s in self.spans:
            end = s.row + s.rowspan
            if end <= at:
                top.spans.append(s)
            elif s.row >= at:
                bottom.spans.append(replace(s, row=s.row - at))
            else:
                top.spans.append(replace(s, rowspan=at - s.row))
                bottom.spans.append(Span("", 0, s.col, end - at, s.colspan, s.kind))
        return top, bottom

    def has_values(self, row: int) -> bool:
        return any(s.kind == "value" for s in self.row_spans(row))


CHECK_RULE_NOTE = "（本列数据的勾稽关系为：第一项加第二项之和，等于第三项加第四项之和）"


def proactive_grid(template: str, raw: dict, label) -> Grid:
    g = Grid("proactive", 4, label=label)
    for caption, heads, rows, cols in (PROACTIVE_2021 if template == "2021" else PROACTIVE_2019):
        g.add_row([(caption, 1, 4, "caption")])
        last = 3 - len(heads)               # the last column absorbs the unused width
        g.add_row([("信息内容", 1, 1, "header")]
                  + [(h, 1, 1 + (last if i == len(heads) - 1 else 0), "header")
                     for i, h in enumerate(heads)])
        for row, row_label in rows:
            g.add_row([(row_label, 1, 1, "label")]
                      + [(raw[("proactive", row, c)], 1, 1 + (last if i == len(cols) - 1 else 0),
                          "value", ("proactive", row, c)) for i, c in enumerate(cols)])
    return g


def requests_grid(raw: dict, label, split_other: bool, subtotal: bool) -> Grid:
    width = 3 + 7 + (1 if subtotal else 0)
    org = 5 + (1 if subtotal else 0)
    g = Grid("requests", width, label=label)
    g.add_row([(CHECK_RULE_NOTE, 3, 3, "header"), ("申请人情况", 1, 7 + subtotal, "header")])
    g.add_row([("自然人", 2, 1, "header"), ("法人或其他组织", 1, org, "header"),
               ("总计", 2, 1, "header")])
    g.add_row([(t, 1, 1, "header") for t in ORG_LABELS + (["小计"] if subtotal else [])])

    def values(row: str) -> list[tuple]:
        cells = [(raw[("requests", row, c)], 1, 1, "value", ("requests", row, c))
                 for c in APPLICANT_COLS]
        if subtotal:
            cells.append((_subtotal(raw, row), 1, 1, "value"))
        return cells + [(raw[("requests", row, "total")], 1, 1, "value", ("requests", row, "total"))]

    g.add_row([("一、本年新收政府信息公开申请数量", 1, 3, "label")] + values("new_received"))
    g.add_row([("二、上年结转政府信息公开申请数量", 1, 3, "label")] + values("carried_over"))
    groups = result_groups(split_other)
    n_results = sum(1 if isinstance(item, str) else len(item) for _, item in groups)
    first = True
    for group_label, item in groups:
        lead = [("三、本年度办理结果", n_results, 1, "label")] if first else []
        first = False
        if isinstance(item, str):
            g.add_row(lead + [(group_label, 1, 2, "label")] + values(item))
            continue
        for i, (item_label, key) in enumerate(item):
            head = [(group_label, len(item), 1, "label")] if i == 0 else []
            g.add_row((lead if i == 0 else []) + head + [(item_label, 1, 1, "label")]
                      + values(key))
    g.add_row([("四、结转下年度继续办理", 1, 3, "label")] + values("carried_forward"))
    return g


def _subtotal(raw: dict, row: str) -> str:
    total = 0
    for c in APPLICANT_COLS[1:]:
        m = re.fullmatch(r"\d+", raw[("requests", row, c)])
        total += int(m.group()) if m else 0
    return str(total)


def review_grid(raw: dict, label) -> Grid:
    g = Grid("review_litigation", 15, label=label)
    g.add_row([("行政复议", 1, 5, "header"), ("行政诉讼", 1, 10, "header")])
    g.add_row([(t, 2, 1, "header") for t in REVIEW_LABELS]
              + [("未经复议直接起诉", 1, 5, "header"), ("复议后起诉", 1, 5, "header")])
    g.add_row([(t, 1, 1, "header") for t in REVIEW_LABELS * 2])
    g.add_row([(raw[("review_litigation", r, c)], 1, 1, "value", ("review_litigation", r, c))
               for r in REVIEW_ROWS for c in REVIEW_COLS])
    return g


def appendix_grid(counts: dict[str, int], label) -> Grid:
    """The optional pre-2019 附表 "政府信息公开情况统计表" (指标名称/计量单位/统计数), holding the
    narrative's numbers. It is no standard table: a parser reads no canonical cell from it."""
    g = Grid("appendix", 3, label=label)
    g.add_row([("政府信息公开情况统计表", 1, 3, "caption")])
    g.add_row([(t, 1, 1, "header") for t in ("指标名称", "计量单位", "统计数")])
    rows = [("一、主动公开情况", None, None), ("主动公开政府信息数", "条", counts["proactive"]),
            ("二、依申请公开情况", None, None), ("收到申请数", "件", counts["new"]),
            ("其中：同意公开答复数", "件", counts["granted"]),
            ("同意部分公开答复数", "件", counts["partly"]),
            ("不同意公开答复数", "件", counts["refused"]),
            ("三、因政府信息公开申请行政复议数", "件", 0), ("四、因政府信息公开提起行政诉讼数", "件", 0),
            ("五、依申请公开信息收取的费用", "万元", 0)]
    for name, unit, value in rows:
        if unit is None:
            g.add_row([(name, 1, 3, "label")])
        else:
            g.add_row([(name, 1, 1, "label"), (unit, 1, 1, "label"), (str(value), 1, 1, "value")])
    return g
