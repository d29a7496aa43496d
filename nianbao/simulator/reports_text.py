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
    "依托政府门户网站、政务新媒体和公开栏等渠道，全年主动公开各类政府信息{n}条，"
    "内容涵盖机构职能、工作动态、财政预决算、重点领域信息等。",
    "{year}年，通过门户网站“政府信息公开”专栏主动公开信息{n}条，及时更新工作动态、"
    "通知公告和政策解读，切实保障公众的知情权、参与权和监督权。",
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
