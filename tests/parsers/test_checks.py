"""Consistency checks: recorded with inputs, None when an input is missing, failures flagged not fixed."""
import random

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from nianbao.simulator.reports import generate, render_text
from parsers import parse
from parsers.checks import body_checks, run_checks
from parsers.model import Cell, Report

REVIEW_HEAD = ["行政复议 | 行政诉讼 |",
               "结果维持 | 结果纠正 | 其他结果 | 尚未审结 | 总计 | 未经复议直接起诉 | 复议后起诉 |"]


def review_report(numbers):
    text = "\n".join(["四、政府信息公开行政复议、行政诉讼情况", *REVIEW_HEAD, " | ".join(numbers) + " |"])
    return parse(text.encode())


def test_source_anomaly_kept_as_printed_and_flagged():
    report = review_report(["10", "0", "0", "0", "0"] + ["0"] * 10)   # 维持 10, 总计 0
    assert report.cell("review_litigation", "review", "upheld").value == 10
    assert report.cell("review_litigation", "review", "total").value == 0
    failed = [c for c in report.checks if c.ok is False]
    assert [(c.rule, c.row, c.expected, c.actual) for c in failed] == [("review_litigation_sum", "review", 10, 0)]
    assert failed[0].inputs["review.upheld"] == 10 and failed[0].inputs["review.total"] == 0
    assert any("source anomaly" in w for w in report.warnings)


def test_missing_input_gives_none():
    report = review_report(["1", "/", "0", "0", "1"] + ["0"] * 10)
    check = next(c for c in report.checks if c.row == "review")
    assert check.ok is None and check.actual == 1 and check.expected is None


def _requests(values):
    return Report(cells=[Cell("requests", r, c, v, str(v)) for (r, c), v in values.items()])


def test_requests_checks_per_column_and_row():
    cols = ["natural_person", "commercial", "research", "social_org", "legal_service", "other_org", "total"]
    v = {}
    for col in cols:
        n = 6 if col == "total" else 1
        v.update({("new_received", col): 2 * n, ("carried_over", col): 0, ("granted", col): n,
                  ("other", col): n, ("total_handled", col): 2 * n, ("carried_forward", col): 0})
    v[("granted", "total")] = 7          # row sum broken in one row
    checks = run_checks(_requests(v))
    by_rule = {}
    for c in checks:
        by_rule.setdefault(c.rule, []).append(c)
    assert len(by_rule["requests_balance"]) == 7 and all(c.ok for c in by_rule["requests_balance"])
    bad_total = [c for c in by_rule["requests_total"] if not c.ok]
    assert [(c.col, c.expected, c.actual) for c in bad_total] == [("total", 13, 12)]
    assert [c.row for c in by_rule["requests_row_sum"] if not c.ok] == ["granted"]


def test_body_text_check():
    report = _requests({("new_received", "total"): 317})
    [check] = body_checks("2021年新收政府信息公开申请数量317件，上年结转3件", report)
    assert check.ok and check.expected == 317
    [check] = body_checks("本年度共收到政府信息公开申请 12 件。", report)
    assert check.ok is False and check.expected == 12 and check.actual == 317
    assert body_checks("未收到政府信息公开申请。", report) == []



def test_body_text_check_only_where_the_sentence_states_new_requests():
    report = _requests({("new_received", "total"): 20, ("carried_over", "total"): 3})
    report.year = 2022
    for other in ["2021年共收到政府信息公开申请35件。", "较上年收到政府信息公开申请35件减少15件。",
                  "其中通过网上平台收到申请4件。", "全年共受理主动公开和依申请公开事项57件。",
                  "共收到政府信息公开申请31件次。", "2020年至2022年累计收到政府信息公开申请60件。"]:
        assert body_checks(other, report) == [], other
    [check] = body_checks("共受理政府信息公开申请23件（含上年结转3件）。", report)   # new + carried
    assert check.ok
    [check] = body_checks("2021年共收到申请35件。2022年共收到政府信息公开申请21件。", report)
    assert check.ok is False and check.expected == 21


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 2 ** 32 - 1), template=st.sampled_from(["2021", "2019"]))
def test_body_check_no_false_alarm_on_other_quantities(seed, template):
    """Generated reports state other quantities in the same words (body_quantities): no alarm;
    the true sentence changed to a wrong number is still flagged."""
    sample = generate(random.Random(seed), template=template, perturb={"body_quantities"})
    text = render_text(sample, layout="tab")
    checks = [c for c in parse(text.encode()).checks if c.rule == "body_new_received"]
    assert all(c.ok for c in checks), checks
    new = sample.values[("requests", "new_received", "total")]
    true = f"共收到政府信息公开申请{new}件，上年结转"
    assume(true in text)
    bad = new + sample.values[("requests", "carried_over", "total")] + 5   # neither new nor with carry-over
    wrong = text.replace(true, f"共收到政府信息公开申请{bad}件，上年结转")
    [check] = [c for c in parse(wrong.encode()).checks if c.rule == "body_new_received"]
    assert check.ok is False and check.expected == bad and check.actual == new
