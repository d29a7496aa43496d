"""The charts of `nianbao serve` (datasette-dashboards, Vega-Lite; the JavaScript is served locally).

Each chart reads one SQL query over the views; its page (/-/dashboards/nianbao/SLUG) links to that query
as a table ("View and edit SQL"), and the view itself is listed on the dashboard.
"""
from __future__ import annotations

SLUG = "nianbao"

# every Vega-Lite chart draws SVG (its marks carry their data as aria labels) with no link to the web editor
_EMBED = {"usermeta": {"embedOptions": {"renderer": "svg", "actions": False}}}


def _bar(x: dict, y: dict, **extra) -> dict:
    return {"mark": {"type": "bar", "tooltip": True}, "encoding": {"x": x, "y": y, **extra}, **_EMBED}


# slug -> (title, the view behind it, SQL, Vega-Lite spec without data)
CHARTS = {
    "requests_by_year": (
        "各省份各年度本年新收申请数", "v_requests_by_region_year",
        ("select province, year, sum(new_received) as new_received from v_requests_by_region_year "
        "where province is not null and new_received is not null group by province, year order by year, province"),
        _bar({"field": "year", "type": "ordinal", "title": "年度"},
             {"field": "new_received", "type": "quantitative", "title": "本年新收申请数"},
             color={"field": "province", "type": "nominal", "title": "省份"})),
    "granted_share": (
        "各年度申请公开率（予以公开＋部分公开）÷ 办理结果总计", "v_requests_by_region_year",
        ("select year, round(cast(sum(coalesce(granted, 0) + coalesce(partially_granted, 0)) as real) "
        "/ sum(total_handled), 4) as granted_share from v_requests_by_region_year "
        "where total_handled > 0 group by year order by year"),
        _bar({"field": "year", "type": "ordinal", "title": "年度"},
             {"field": "granted_share", "type": "quantitative", "title": "公开率", "axis": {"format": "%"}})),
    "correction_rates": (
        "行政复议、行政诉讼纠错率", "v_review_litigation_rates",
        ("select v.year, coalesce(l.label, v.row) as kind, round(cast(sum(v.corrected) as real) / sum(v.total), 4) "
        "as correction_rate from v_review_litigation_rates v "
        "left join row_labels l on l.tbl = 'review_litigation' and l.row = v.row "
        "where v.total > 0 group by v.year, v.row order by v.year, v.row"),
        _bar({"field": "year", "type": "ordinal", "title": "年度"},
             {"field": "correction_rate", "type": "quantitative", "title": "纠错率", "axis": {"format": "%"}},
             color={"field": "kind", "type": "nominal", "title": "类型"}, xOffset={"field": "kind", "title": "类型"})),
    "missing_reports": (
        "缺失与逾期未发布的年度报告", "v_missing_reports",
        ("select year, case reason when 'overdue' then '逾期未发布' else '中间缺失' end as reason, count(*) as reports "
        "from v_missing_reports group by year, reason order by year"),
        _bar({"field": "year", "type": "ordinal", "title": "年度"},
             {"field": "reports", "type": "quantitative", "title": "报告数"},
             color={"field": "reason", "type": "nominal", "title": "缺失类型"})),
    "site_health": (
        "各站点最近一次采集", "site_runs",
        ("select site, status, documents, new_reports, errors from site_runs "
        "where id in (select max(id) from site_runs group by site) order by site"),
        _bar({"field": "site", "type": "nominal", "title": "站点", "sort": None},
             {"field": "documents", "type": "quantitative", "title": "文件数"},
             color={"field": "status", "type": "nominal", "title": "状态",
                    # the health words of pipelines.runstats.site_health, then the coordinator's
                    "scale": {"domain": ["ok", "degraded", "changed", "blocked", "failing", "running",
                                         "interrupted", "failed"],
                              "range": ["#54a24b", "#f58518", "#eeca3b", "#b279a2", "#e45756", "#bab0ac",
                                        "#9d755d", "#e45756"]}})),
}


def config(db_name: str, base: str) -> dict:
    """The datasette-dashboards plugin configuration: one dashboard, a chart per question."""
    links = "\n".join(f"- [{title}]({base}/{db_name}/{view})（{view}）" for title, view, _, _ in CHARTS.values())
    charts = {slug: {"title": title, "db": db_name, "query": sql, "library": "vega-lite", "display": spec}
              for slug, (title, _, sql, spec) in CHARTS.items()}
    charts["tables"] = {"library": "markdown", "display": "### 图表背后的数据表\n\n" + links}
    return {SLUG: {"title": "年度报告数据概览", "description": "常见问题的图表；点击图表标题可查看其数据表与 SQL。",
                   "charts": charts}}
