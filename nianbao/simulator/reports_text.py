"""Plausible Chinese narrative for generated reports: preamble, overview, problems, other matters."""
from __future__ import annotations

import random

_LEAD = ["在{up}的正确领导下", "在{up}的坚强领导下", "按照{up}的统一部署"]
_UPS = ["区委、区政府", "县委、县政府", "市委、市政府", "上级机关"]
_PRINCIPLES = [
    "坚持以公开为常态、不公开为例外，深入推进政府信息公开，不断提升工作透明度和公信力",
    "遵循合法、准确、及时、便民的原则，扎实推进政府信息公开工作，提高了依法行政水平",
    "紧紧围绕中心工作，聚焦群众关切，持续深化决策、执行、管理、服务、结果公开",
]
_PROACTIVE = [
    ("依托政府门户网站、政务新媒体和公开栏等渠道，全年主动公开各类政府信息{n}条，"
     "内容涵盖机构职能、工作动态、财政预决算、重点领域信息等。"),
    ("{year}年，通过门户网站“政府信息公开”专栏主动公开信息{n}条，及时更新工作动态、"
     "通知公告和政策解读，切实保障公众的知情权、参与权和监督权。"),
]
_REQUESTS_NONE = "{year}年，本机关未收到政府信息公开申请，未发生因政府信息公开引发的行政复议、行政诉讼情况。"
_REQUESTS = ("{year}年，共收到政府信息公开申请{new}件，上年结转{carried}件，均在法定期限内予以答复，"
             "结转下年度继续办理{forward}件。")
_MANAGEMENT = [
    "严格落实信息发布“三审三校”制度，对拟公开的政府信息进行保密审查，确保公开内容真实、准确、完整。",
    "建立健全政府信息公开工作联络员制度，各科室明确专人负责信息报送，做到分工明确、责任到人。",
]
_PLATFORM = [
    "持续加强政府网站和政务新媒体建设，优化栏目设置，及时更新栏目内容，提升公开平台的便民服务水平。",
    "加强门户网站日常监测，确保网站安全稳定运行，进一步拓宽信息公开渠道。",
]
_SUPERVISION = [
    "将政务公开工作纳入年度目标考核，定期开展自查，及时整改发现的问题。",
    "成立政务公开工作领导小组，健全监督保障机制，公开监督电话，主动接受社会监督。",
]
_PROBLEMS = [
    "一是公开内容的深度和广度还有待拓展；二是信息更新的时效性有待提高；三是工作人员业务能力仍需加强。",
    "一是从事信息公开的人员身兼数职，工作精力有限；二是政策解读形式较为单一；三是公众参与度不高。",
    "部分栏目信息更新不够及时，政策解读的针对性和实效性有待进一步提升。",
]
_IMPROVE = [
    "下一步，我们将进一步健全工作机制，加强业务培训，丰富公开形式，不断提升政府信息公开工作质量。",
    "{next}年，将围绕群众关切，持续加大主动公开力度，加强平台建设和监督检查，推动政务公开工作规范化、标准化。",
]
_OTHER = [
    "本年度未收取政府信息公开信息处理费。无其他需要报告的事项。",
    "{year}年度本机关无其他需要报告的事项。",
    "本机关{year}年共承办人大代表建议{a}件、政协提案{b}件，均已按期办结并公开办理结果。",
]


def narrative(rng: random.Random, agency: str, year: int, template: str,
              requests: dict) -> tuple[str, dict[str, list[str]]]:
    """(preamble, {section: paragraphs}) for overview, problems and other.

    `requests` maps new / carried / forward to the printed totals (None when not printed)."""
    fmt = {"year": year, "next": year + 1, "agency": agency, "n": rng.randint(20, 900),
           "a": rng.randint(0, 9), "b": rng.randint(0, 9)}
    notice = "国办公开办函〔2021〕30号" if template == "2021" else "国办公开办函〔2019〕60号"
    preamble = (f"根据《中华人民共和国政府信息公开条例》和《关于印发〈中华人民共和国政府信息公开工作年度报告格式〉"
                f"的通知》（{notice}）要求，特向社会公布{agency}{year}年度政府信息公开工作年度报告。"
                f"本报告数据统计期限自{year}年1月1日至{year}年12月31日。")
    lead = rng.choice(_LEAD).format(up=rng.choice(_UPS))
    overview = [f"{year}年，{agency}{lead}，{rng.choice(_PRINCIPLES)}。"]
    if requests.get("new") in (None, 0) and not requests.get("carried"):
        req = _REQUESTS_NONE.format(**fmt)
    else:
        req = _REQUESTS.format(new=requests["new"], carried=requests.get("carried") or 0,
                               forward=requests.get("forward") or 0, **fmt)
    parts = [("（一）主动公开情况", rng.choice(_PROACTIVE)), ("（二）依申请公开情况", req),
             ("（三）政府信息管理情况", rng.choice(_MANAGEMENT)),
             ("（四）政府信息公开平台建设情况", rng.choice(_PLATFORM)),
             ("（五）监督保障情况", rng.choice(_SUPERVISION))]
    for heading, text in parts:
        overview += [heading, text.format(**fmt)]
    problems = [rng.choice(_PROBLEMS).format(**fmt), rng.choice(_IMPROVE).format(**fmt)]
    other = [rng.choice(_OTHER).format(**fmt)]
    return preamble, {"overview": overview, "problems": problems, "other": other}


# ---------------------------------------------------------------------------------------------
# Pre-2019 reports: the narrative outline of the 2008 条例 (seed 003, portals.md §7), no tables.
# ---------------------------------------------------------------------------------------------

_FREE_HEADINGS = {
    "overview": ["概述", "概述", "概述", "基本情况"],
    "proactive": ["主动公开政府信息情况", "主动公开政府信息的情况"],
    "requests": ["依申请公开政府信息情况", "依申请公开政府信息和不予公开政府信息的情况",
                 "政府信息依申请公开办理情况"],
    "fees": ["政府信息公开的收费及减免情况", "政府信息公开收费及减免情况"],
    "review_litigation": ["因政府信息公开申请行政复议、提起行政诉讼的情况",
                          "因政府信息公开申请行政复议和提起行政诉讼情况"],
    "responses": ["回应解读情况"],
    "staff": ["政府信息公开工作机构、人员、经费的情况", "机构建设、保障经费和培训会议情况"],
    "problems": ["存在的主要问题及改进情况", "存在的主要问题及改进措施",
                 "政府信息公开工作存在的主要问题及改进措施"],
    "other": ["其他需要报告的事项", "需要说明的事项与附表", "需要说明的其他事项"],
}
_NUMERALS = "一二三四五六七八九十"
_FREE_POINTS = [
    ("加强组织领导", ("成立了以主要负责同志为组长的政府信息公开工作领导小组，办公室具体负责日常工作，"
                  "形成了主要领导亲自抓、分管领导具体抓、各科室协同配合的工作格局。")),
    ("健全工作制度", ("先后制定了政府信息主动公开、依申请公开、保密审查、考核评议等工作制度，"
                  "使政府信息公开工作有章可循、有据可依。")),
    ("规范公开目录", "按照《条例》要求，编制并及时更新政府信息公开指南和公开目录，方便公众查阅。"),
    ("拓宽公开渠道", "依托门户网站、公开栏、新闻媒体等渠道公开政府信息，并在办公场所设置政府信息查阅点。"),
    ("强化业务培训", "组织开展政府信息公开业务培训，工作人员的公开意识和业务水平进一步提高。"),
]
_FREE_CATEGORIES = ["机构职能", "政策法规", "规划计划", "工作动态", "通知公告", "财政预决算", "人事信息",
                    "行政许可", "公共服务"]
_FREE_CHANNELS = [("门户网站", 2008), ("政务微博", 2011), ("政务微信", 2013), ("公开栏", 2008),
                  ("新闻媒体", 2008), ("政府公报", 2008)]   # (channel, first year in use)
_FREE_PROBLEMS = [
    ("我单位政府信息公开工作虽然取得了一定成效，但仍存在一些不足：一是公开内容不够全面，"
     "部分信息更新不够及时；二是公开形式还比较单一；三是工作人员业务水平有待提高。"),
    "政府信息公开工作还存在一些薄弱环节，主要是信息公开的主动性不够强，公开的深度和广度有待拓展。",
]
_FREE_IMPROVE = [
    ("今后，我们将进一步完善工作制度，充实公开内容，拓展公开形式，加强人员培训，"
     "推动政府信息公开工作再上新台阶。"),
    ("{next}年，将继续按照《条例》要求，加大主动公开力度，规范依申请公开办理程序，"
     "切实保障人民群众的知情权、参与权、表达权和监督权。"),
]
_FREE_OTHER = ["无其他需要报告的事项。", "{year}年度本单位无其他需要报告的事项。",
               "本年度无需要说明的其他事项。"]


def _free_requests(rng: random.Random, year: int) -> tuple[list[str], dict[str, int]]:
    """The requests paragraphs and their counts (new, granted, partly, refused)."""
    if rng.random() < 0.55:
        return ([f"{year}年，本单位未收到公民、法人或其他组织提出的政府信息公开申请。"],
                dict.fromkeys(("new", "granted", "partly", "refused"), 0))
    new = rng.randint(1, 40)
    granted = rng.randint(0, new)
    partly = rng.randint(0, new - granted)
    counts = {"new": new, "granted": granted, "partly": partly, "refused": new - granted - partly}
    return ([(f"{year}年，共受理政府信息公开申请{new}件，其中当面申请{rng.randint(0, new)}件，"
              f"其余通过网络、信函等方式提出。"),
             (f"已答复{new}件，其中同意公开{granted}件，同意部分公开{partly}件，"
              f"不予公开或信息不存在{counts['refused']}件，均在规定期限内予以答复。")], counts)


def narrative_free(rng: random.Random, agency: str, year: int
                   ) -> tuple[str, list[tuple[str, str]], dict[str, list[str]], dict[str, int]]:
    """(preamble, [(section, numbered heading)], {section: paragraphs}, counts) of a pre-2019
    report: the 2008 outline, or the four to six one-paragraph sections small agencies write.
    `counts` holds the numbers the narrative states (proactive, new, granted, partly, refused)."""
    fmt = {"year": year, "next": year + 1}
    short = rng.random() < 0.3
    keys = (["overview", "proactive", "requests", "problems", "other"] if short else
            ["overview", "proactive", "requests", "fees", "review_litigation"]
            + (["responses"] if year >= 2016 and rng.random() < 0.4 else [])
            + (["staff"] if rng.random() < 0.4 else []) + ["problems", "other"])
    names = [rng.choice(_FREE_HEADINGS[k]) for k in keys]
    outline = [(k, f"{_NUMERALS[i]}、{name}") for i, (k, name) in enumerate(zip(keys, names, strict=True))]
    preamble = (f"根据《中华人民共和国政府信息公开条例》（以下简称《条例》）规定，特向社会公布{year}年度"
                f"{agency}政府信息公开工作年度报告。全文包括{'，'.join(names)}等{len(keys)}部分。"
                f"本报告中所列数据的统计期限自{year}年1月1日起至{year}年12月31日止。"
                f"如对本报告有任何疑问，请与{agency}办公室联系。")
    lead = rng.choice(_LEAD).format(up=rng.choice(_UPS))
    overview = [f"{year}年，{agency}{lead}，认真贯彻落实《条例》，{rng.choice(_PRINCIPLES)}。"]
    if not short:
        for i, (point, text) in enumerate(rng.sample(_FREE_POINTS, rng.randint(2, 4))):
            overview.append(f"（{_NUMERALS[i]}）{point}。{text}")
    n = rng.randint(15, 900)
    kinds = rng.sample(_FREE_CATEGORIES, 3)
    proactive = [(f"{year}年，我单位共主动公开政府信息{n}条，主要包括{'、'.join(kinds)}等内容，"
                  f"公开渠道有{'、'.join(rng.sample([c for c, y in _FREE_CHANNELS if y <= year], 2))}等。")]
    requests, counts = _free_requests(rng, year)
    paragraphs = {"overview": overview, "proactive": proactive, "requests": requests,
                  "fees": [rng.choice(["本年度未收取政府信息公开检索、复制、邮寄等任何费用，无减免情况。",
                                       f"{year}年，本单位政府信息公开无收费及减免情况。"])],
                  "review_litigation": [f"{year}年，未发生因政府信息公开申请行政复议、提起行政诉讼的情况。"],
                  "responses": [("围绕重要政策文件和社会关注热点，通过门户网站及时发布政策解读，"
                                 "对网民留言做到及时回应。")],
                  "staff": [(f"本单位政府信息公开工作由办公室负责，配备专（兼）职工作人员{rng.randint(1, 4)}名，"
                             "工作经费纳入年度预算。")],
                  "problems": [rng.choice(_FREE_PROBLEMS), rng.choice(_FREE_IMPROVE).format(**fmt)],
                  "other": [rng.choice(_FREE_OTHER).format(**fmt)]}
    if short:   # one paragraph each: fees and reviews folded into the requests paragraph
        paragraphs["requests"] = ["".join(requests) + "无收费及减免情况，未发生行政复议、行政诉讼。"]
        paragraphs["problems"] = ["".join(paragraphs["problems"])]
    return preamble, outline, {k: paragraphs[k] for k in keys}, dict(counts, proactive=n)


def other_quantities(rng: random.Random, year: int, totals: dict[str, int]) -> list[str]:
    """Sentences real reports print beside the count of new requests that state another
    quantity with the same words (收到…申请N件): a previous year's figure, a comparison, a total
    with the carried-over requests, one channel of several, proactive and requested together,
    person-times (件次). None of them is this year's new-request count."""
    new, carried = totals["new"] or 0, totals["carried"] or 0     # "/" or blank in the table
    prev = new + rng.randint(1, 30)
    online = rng.randint(0, new + 9)
    sentences = [
        f"{year - 1}年共收到政府信息公开申请{prev}件。",
        f"较上年收到政府信息公开申请{prev}件减少{prev - new}件。",
        f"共受理政府信息公开申请{new + carried}件（含上年结转{carried}件）。",
        f"其中通过网上平台收到申请{online + 1}件。",
        f"全年共受理主动公开和依申请公开事项{new + prev}件。",
        f"共收到政府信息公开申请{new + online + 2}件次。",
        f"{year - 2}年至{year}年累计收到政府信息公开申请{new + prev + online}件。"]
    return rng.sample(sentences, rng.randint(2, 4))
