"""The reporting agency: from the title, the page's fields, a self-naming sentence or the body, in full form.

Real pages name the agency in many places and shapes: a title ("白纸坊街道2019年…报告"), a field
("发文机关:文昌市铺前镇", "来源:武汉东湖新技术开发区教育局"), a sentence ("由…编制", "现将2019年庙子乡
政府信息公开工作报告如下"), or only "我局" beside the names the body mentions. The name found is
then completed from what the page itself says: a defined short form ("(以下简称自治区北部湾办)"),
a common abbreviation (住建局), 人民政府/办事处 after a town or street, the county a town belongs to
(from the fields, the site's own name or the host), and the city of a district named with it.
"""
from __future__ import annotations

import re
from collections import Counter

from parsers import meta
from parsers.hosts import divisions_of_host

HAN = r"\u4e00-\u9fff"
# Labels of the page's metadata fields; characters may be spaced ("发 布 机 构", "标      题").
_FIELD_LABELS = {"publisher": ("发布机构", "发文机关", "发文单位", "来源", "信息来源", "发布单位"),
                 "title": ("标题", "名称")}
_FIELD = {kind: re.compile(r"(?:^|[\s|:：-])(?:" + "|".join(r"\s*".join(label) for label in labels)
                           + r")\s*[:：|]?\s*(?P<value>[^|\n]*)") for kind, labels in _FIELD_LABELS.items()}
_VALUE_END = re.compile(r"\s{2,}|\s[-|]\s|\s*(?:索\s*引\s*号|发布日期|发文日期|成文日期|文\s*号|主题分类|生效日期)")
_BREADCRUMB = re.compile(r"^.*(?:首页|位置)\s*[:：]?\s*(?:[>＞»/]|$)")
_FLIPBOOK = re.compile(r"^Page\s*\d+\s*[-_:]\s*", re.IGNORECASE)
_FILE_EXT = re.compile(r"\.(?:docx?|pdf|wps|xlsx?|html?)$", re.IGNORECASE)
# A report title quoted or named inside a sentence.
_INLINE_TITLES = [re.compile(p) for p in (
    rf"(?:19|20)\d{{2}}\s*年度?([{HAN}()（）]{{2,30}}?)(?:政府|政务)?信息公开(?:工作)?(?:年度)?报告",
    rf"《([{HAN}()（）]{{2,30}}?(?:19|20)\d{{2}}\s*年度?(?:政府|政务)?信息公开工作年度报告)》")]
_SELF_NAMED = re.compile(rf"由([{HAN}()（）]{{4,40}}?)(?:负责)?编制")
_ALIAS = re.compile(rf"([{HAN}()（）]{{4,40}}?)[(（]以下简称[“\"']?([{HAN}]{{2,12}})[”\"']?[)）]")
_NOT_AN_AGENCY = re.compile(r"领导小组|工作小组|^[我本该各全]|^(?:关于|根据|按照|依据)")
_TOWN = re.compile(rf"(?<![{HAN}])([{HAN}]{{2,8}}?(?:镇|乡|苏木)人民政府|[{HAN}]{{2,8}}?街道办事处)")
_TOWN_KIND = re.compile(r"(?:镇|乡|苏木)$")
_STREET_KIND = re.compile(r"街道$")
_GOVERNMENT_SHORT = re.compile(r"政府$")
_TAIL = re.compile(r"(?:人民政府|办事处|委员会|办公室|办公厅|局|厅|委|办|中心)$")
# A report compiled from the reports of the government's departments and lower governments.
_WHOLE_GOVERNMENT = re.compile(r"(?:根据|综合|汇总|在)[^。]{0,24}各(?:市|县|区|地|级|部门)[^。]{0,40}?"
                               r"(?:年度报告|工作报告|报告内容|统计数据)")
_GOVERNMENT_OFFICE = re.compile(r"(?:人民)?政府办公[厅室]$")
_SELF_HINT = re.compile(r"[我本](局|厅|委|办|中心|院|镇|乡|苏木|街道|街|区|县|市|旗|州|盟)(?!\d)")
# Common abbreviations of department names (the short form ends the name).
ABBREVIATIONS = {
    "住建局": "住房和城乡建设局", "人社局": "人力资源和社会保障局", "国资局": "国有资产监督管理局",
    "国资委": "国有资产监督管理委员会", "卫计局": "卫生和计划生育局", "卫计委": "卫生和计划生育委员会",
    "卫健局": "卫生健康局", "卫健委": "卫生健康委员会", "发改局": "发展和改革局", "发改委": "发展和改革委员会",
    "市场监管局": "市场监督管理局", "文旅局": "文化和旅游局", "应急局": "应急管理局", "医保局": "医疗保障局",
    "工信局": "工业和信息化局", "科技局": "科学技术局", "民宗局": "民族宗教事务局", "退役军人局": "退役军人事务局",
    "自然资源局": "自然资源局", "生态环境局": "生态环境局", "交通局": "交通运输局",
}
_ABBREVIATION = re.compile("(" + "|".join(sorted(ABBREVIATIONS, key=len, reverse=True)) + ")$")


def find_agency(titles: list[str | None], lines: list[str], raw_lines: list[str], url: str | None) -> str | None:
    """The reporting agency's full name, or None when the page does not say."""
    text = "\n".join(lines)
    fields = _fields(raw_lines)
    found = None
    for title in [*titles, *fields["title"], *_inline_titles(text)]:
        found = meta.agency_from_title(_clean(title or ""))
        if found:
            break
    if not found:
        found = next((m[1] for m in _SELF_NAMED.finditer(text)
                      if meta.AGENCY_SUFFIX.search(m[1]) and not _NOT_AN_AGENCY.search(m[1])), None) \
            or _from_body(text)
        if found and _WHOLE_GOVERNMENT.search(text[:1500]) and (office := _GOVERNMENT_OFFICE.search(found)):
            found = found[:office.start()] + "人民政府"    # the office compiles the government's report
    if not found:
        return None
    return _complete(_clean(found), text, fields["publisher"], raw_lines, url)


def _clean(name: str) -> str:
    """Without a breadcrumb, a field label, a flipbook page prefix or a file extension."""
    name = _FILE_EXT.sub("", re.sub(r"\s+", "", name))
    name = _BREADCRUMB.sub("", name)
    name = re.sub(r"^.*[>＞»/]", "", name)
    name = re.sub(r"^(?:标题|名称|正文)[:：]?", "", name)
    return _FLIPBOOK.sub("", name)


def _fields(raw_lines: list[str]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {kind: [] for kind in _FIELD}
    for line in raw_lines[:60]:
        for kind, pattern in _FIELD.items():
            for m in pattern.finditer(line):
                value = _VALUE_END.split(m["value"].strip())[0].strip()
                if len(value) >= 2 and not re.search(r"[:：]", value):    # not the next field ("作者:…")
                    out[kind].append(value)
    return out


def _inline_titles(text: str) -> list[str]:
    out = []
    for pattern in _INLINE_TITLES:
        for m in pattern.finditer(text[:3000]):
            if not _NOT_AN_AGENCY.search(m[1]):
                out.append(m[0] if pattern is _INLINE_TITLES[0] else m[1])
    return out


def _from_body(text: str) -> str | None:
    """The agency the body names most (towns and streets included) of the kind a "我局" hint says;
    None when the body names none of that kind."""
    counts: Counter[str] = Counter()
    first: dict[str, int] = {}
    for name, at in meta.agency_mentions(text) + [(m[1], m.start()) for m in _TOWN.finditer(text)]:
        if _NOT_AN_AGENCY.search(name):
            continue
        key = _government(name)
        counts[key] += 1
        first.setdefault(key, at)
    if not counts:
        return None
    hints = Counter(_SELF_HINT.findall(text))
    if hints:
        hint = hints.most_common(1)[0][0]
        ends = {"局": ("局",), "厅": ("厅",), "委": ("委员会", "委"), "办": ("办公室", "办"), "中心": ("中心",),
                "院": ("院",), "街道": ("办事处",), "街": ("办事处",), "镇": ("镇人民政府",),
                "乡": ("乡人民政府",), "苏木": ("苏木人民政府",)}.get(hint, ("人民政府",))
        counts = Counter({k: v for k, v in counts.items() if k.endswith(ends)})
        if not counts:
            return None         # "我街" and no street named: the names are others' (a notice's issuer)
    best = max(counts.values())
    tied = [name for name, n in counts.items() if n == best]
    tied = [a for a in tied if not any(b != a and b.startswith(a) for b in tied)]   # the unit, not its parent
    return min(tied, key=first.__getitem__)


def _government(name: str) -> str:
    """"乌拉特前旗政府" → "乌拉特前旗人民政府" (a division's government in its full name)."""
    if _GOVERNMENT_SHORT.search(name) and not name.endswith("人民政府") and meta.division_only(name[:-2]):
        return name[:-2] + "人民政府"
    return name


def _complete(name: str, text: str, publishers: list[str], raw_lines: list[str], url: str | None) -> str:
    aliases = {m[2]: m[1][_first_division(m[1]):] for m in _ALIAS.finditer(text)}
    name, expanded_street = _kinds(aliases.get(name, name))
    fuller = _fuller(name, publishers)
    if fuller:
        name, expanded_street = fuller, False
    if m := _ABBREVIATION.search(name):
        name = name[:m.start()] + ABBREVIATIONS[m[1]]
    name = _government(name)
    if meta.division_only(name):
        name += "人民政府"
    lead = meta.division_run(name)
    name = meta.full_autonomous(name[:lead]) + name[lead:]
    if meta.division_run(name) == 0 and re.search(r"(?:镇|乡|苏木)人民政府$|街道办事处$", name):
        county = _parent_county(text, publishers, raw_lines, url)
        if county:
            city = _city_of(county)
            government = "人民政府" if expanded_street else ""
            name = f"{city}{meta.gazetteer().names[county]}{government}{name}"
    elif meta.division_run(name):
        name = _with_city(name, text, url)
    return name


def _first_division(text: str) -> int:
    """Where the first division name in `text` starts (0 when none): "由广西…办公室" → 1."""
    return next((i for i in range(len(text)) if meta.name_at(text, i)), 0)


def _kinds(name: str) -> tuple[str, bool]:
    """A town with its 人民政府, a street with its 办事处 (and whether a street was completed)."""
    if _TOWN_KIND.search(name):
        return name + "人民政府", False
    if _STREET_KIND.search(name):
        return name + "办事处", True
    return name, False


def _fuller(name: str, publishers: list[str]) -> str | None:
    """The publisher field's name when it is this agency's fuller form ("东湖高新区教育局" →
    "武汉东湖新技术开发区教育局", "铺前镇" → "文昌市铺前镇"): same kind of body, longer, sharing its head."""
    core = name[meta.division_run(name):] or name
    tail = _TAIL.search(name)
    for value in publishers:
        value = _kinds(_clean(value))[0]
        if tail and len(value) > len(name) and value.endswith(tail[0]) and core[:2] in value:
            return value
    return None


def _parent_county(text: str, publishers: list[str], raw_lines: list[str], url: str | None) -> str | None:
    """The county-level division a town belongs to: the one the page names most (fields, site
    name, body), else the one its host spells."""
    counts: Counter[str] = Counter()
    for source in (*publishers, *raw_lines[:40], text):
        for codes in meta.mentions(source):
            county = [c for c in codes if meta.level(c) == 2]
            if len(county) == 1:
                counts[county[0]] += 1
    if counts:
        best = max(counts.values())
        top = [c for c, n in counts.items() if n == best]
        if len(top) == 1:
            return top[0]
    hosted = [c for c in divisions_of_host(url) if meta.level(c) == 2]
    return hosted[0] if len(hosted) == 1 else None


def _city_of(county: str) -> str:
    """The prefix that names a district with its city ("海口市" for 秀英区); "" for a county."""
    names = meta.gazetteer().names
    if not names[county].endswith("区"):
        return ""
    return names.get(county[:4] + "00") or names.get(county[:2] + "0000", "")


def _with_city(name: str, text: str, url: str | None) -> str:
    """A district-led name ("涵江区教育局") with its city, when the page or its host says which
    district it is ("莆田市涵江区…" in the text, or a host spelling 涵江区)."""
    first = meta.name_at(name, 0)
    if not first or not first.endswith("区") or meta.level_of_name(first) != 2:
        return name
    codes = meta.gazetteer().codes.get(first, ())
    hosted = set(divisions_of_host(url))
    named = {c for c in codes if (city := _city_of(c)) and city + first in text}
    chosen = named or (set(codes) & hosted)
    if len(chosen) != 1:
        return name
    return _city_of(chosen.pop()) + name
