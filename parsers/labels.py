"""The official row and column labels of the report tables, with their real-world variants.

Every pattern runs on `norm(label)`: NFKC widths (（）→(), ：→:, full-width digits), no spaces,
"1、"/"1．" written "1.". Patterns are searched, not anchored, so wrapped, annotated and
definition-carrying labels ("规章:地方行政规章指…", "上一年项目数量(指2019年事项数)") still match.
"""
from __future__ import annotations

import re
import unicodedata
from functools import lru_cache


@lru_cache(maxsize=8192)
def norm(text: str) -> str:
    """Label text in the one spelling the patterns are written for."""
    text = re.sub(r"\s+", "", unicodedata.normalize("NFKC", text))
    return re.sub(r"(\d)[、,]", r"\1.", text)


def _compile(pairs):
    return [(key, re.compile(pattern)) for key, pattern in pairs]


# --- which table a row belongs to ----------------------------------------------------------
TABLE_SIGNATURES = _compile([
    ("proactive", r"第二十条|信息内容"),
    ("requests", r"申请人情况|勾稽关系|本年新收|上年结转政府信息"),
    ("review_litigation", r"行政复议|行政诉讼"),
])

# --- 表二 proactive: rows (the earliest match in the label wins) ------------------------
PROACTIVE_ROWS = _compile([
    ("regulations", r"规章"),
    ("normative_documents", r"规范性文件"),
    ("licensing", r"行政许可"),
    ("other_services", r"对外管理服务"),
    ("punishment", r"行政处罚"),
    ("coercion", r"行政强制"),
    ("fees", r"事业性收费"),
    ("procurement", r"集中采购"),
])

# Columns: (key, pattern, format it signals or None). First matching pattern wins.
PROACTIVE_COLS = [(key, re.compile(pattern), fmt) for key, pattern, fmt in [
    ("issued", r"本年制发|本年发件|制发件数", "2021"),
    ("repealed", r"废止", "2021"),
    ("in_force", r"现行有效", "2021"),
    ("amount_10k_yuan", r"收费金额", "2021"),
    ("made", r"新制作", "2019"),
    ("published", r"新公开", "2019"),
    ("total_published", r"公开总数|公开总量", "2019"),
    ("previous_items", r"上一?年(度)?项目|上一?年(度)?事项", "2019"),
    ("change", r"增/?减|增或减|增加/减少", "2019"),
    ("items", r"采购项目", "2019"),
    ("amount", r"采购(总)?金额|总金额", "2019"),
    ("decisions", r"本年处理决定", "2021"),
    ("decisions", r"处理决定", None),
]]

# --- 表三 requests: rows in template order (the first key at or after the cursor wins) ------
REQUESTS_ROWS = _compile([
    ("new_received", r"本年新收|新收.{0,8}申请"),
    ("carried_over", r"上年结转"),
    ("granted", r"予以公开"),
    ("partially_granted", r"部分公开"),
    ("denied_state_secret", r"国家秘密"),
    ("denied_prohibited_by_law", r"禁止公开"),
    ("denied_security_stability", r"三安全一稳定|危及"),
    ("denied_third_party", r"第三方"),
    ("denied_internal_affairs", r"内部事务"),
    ("denied_process_info", r"过程性"),
    ("denied_enforcement_file", r"执法案卷"),
    ("denied_query_service", r"查询事项"),
    ("unable_not_held", r"不掌握"),
    ("unable_needs_creation", r"另行制作|现成信息"),
    ("unable_unclear", r"仍不明确|补正后"),
    ("declined_petition", r"信访|举报投诉"),
    ("declined_repeated", r"重复申请"),
    ("declined_publication", r"出版物"),
    ("declined_excessive", r"大量反复"),
    ("declined_confirmation", r"重新出具|确认"),
    ("other_no_correction", r"不补正"),
    ("other_no_fee", r"缴纳费用|收费通知"),
    ("other_other", r"(^|\d\.)其他$"),
    ("other", r"其他处理"),
    ("total_handled", r"总计"),
    ("carried_forward", r"结转下年|继续办理"),
])
REQUESTS_SPLIT_OTHER = ("other_no_correction", "other_no_fee", "other_other")
REQUESTS_RESULT_ROWS = [key for key, _ in REQUESTS_ROWS[2:-2]]   # granted … other

REQUESTS_APPLICANTS = ["natural_person", "commercial", "research", "social_org", "legal_service",
                       "other_org"]
REQUESTS_COLS = REQUESTS_APPLICANTS + ["total"]
SUBTOTAL = "subtotal"                                  # 法人小计: read, not a canonical column
REQUESTS_COL_LABELS = _compile([
    ("natural_person", r"^自然人$"),
    ("commercial", r"^商业企业$"),
    ("research", r"^科研机构$"),
    ("social_org", r"^社会公益"),
    ("legal_service", r"^法律服务机构$"),
    ("other_org", r"^其他$"),
    (SUBTOTAL, r"小计$"),
    ("total", r"^总计$"),
])

REQUESTS_HEADER = re.compile(r"勾稽关系|申请人情况|法人或其他组织")

# --- 表四 review_litigation ---------------------------------------------------------------
REVIEW_ROWS = _compile([
    ("review", r"^行政复议$"),
    ("suit_direct", r"直接起诉"),
    ("suit_after_review", r"复议后起诉"),
])
REVIEW_COLS = ["upheld", "corrected", "other", "pending", "total"]
REVIEW_HEADER = re.compile(r"维持|纠正|审结")


def first_in_order(text: str, patterns, start: int = 0) -> int | None:
    """Index of the first pattern, from `start` on, that matches `text`."""
    for i in range(start, len(patterns)):
        if patterns[i][1].search(text):
            return i
    return None


def earliest(text: str, patterns) -> str | None:
    """Key of the pattern that matches earliest in `text` (the label's own head word)."""
    best = None
    for key, pattern in patterns:
        m = pattern.search(text)
        if m and (best is None or m.start() < best[0]):
            best = (m.start(), key)
    return best[1] if best else None


def exact(text: str, patterns) -> str | None:
    """Key of the first pattern matching `text`, for header cells."""
    for key, pattern in patterns:
        if pattern.search(text):
            return key
    return None


def table_of(text: str) -> str | None:
    return exact(text, TABLE_SIGNATURES)
