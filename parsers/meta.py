"""Report metadata: agency, region (via the cpca gazetteer), year, title and publication date."""
from __future__ import annotations

import re
from collections import Counter
from functools import lru_cache

from parsers.sections import heading

CHROME = re.compile(r"^\s*[【\[]?\s*(?:当前位置|您的位置|您现在的位置|首页\s*[>＞»]|发表日期|发布日期|发布时间|"
                    r"信息来源|来源\s*[:：]|作者\s*[:：]|字号|打印|关闭|分享到|扫一扫|浏览次数|访问量|点击数|"
                    r"阅读次数|无障碍|长辈版|关怀版|索\s*引\s*号)")
CHROME_ANYWHERE = re.compile(r"公网安备|ICP备|版权所有")
_DATE = r"((?:19|20)\d{2})\s*[-/年.]\s*(\d{1,2})\s*[-/月.]\s*(\d{1,2})"
PUBLISHED = re.compile(r"(?:发表|发布|公开|成文|印发)(?:日期|时间)\s*[:：]?\s*" + _DATE)
URL_DATES = [re.compile(p) for p in (r"/t((?:19|20)\d{2})(\d{2})(\d{2})_", r"/art/((?:19|20)\d{2})/(\d{1,2})/(\d{1,2})/",
                                     r"/((?:19|20)\d{2})-(\d{2})/(\d{2})/")]
TITLE_WORDS = re.compile(r"信息公开|政务公开|年度报告|年报")
TITLE_END = re.compile(r"(?:报告|年报)$")
TITLE_DECOR = re.compile(r"^[(（](?:图解|图文)[)）]|[(（](?:图片版|超链版|全文|文字版)[)）]$")
YEAR_IN_TITLE = re.compile(r"((?:19|20)\d{2})\s*年")
STATS_PERIOD = re.compile(r"统计(?:期限|时间|区间|期间|范围|周期)?[^。\n]{0,24}?((?:19|20)\d{2})\s*(?:年|\d)")
YEAR_MENTION = re.compile(r"((?:19|20)\d{2})\s*年")
AGENCY_SUFFIX = re.compile(r"(?:人民政府|政府|委员会|管委会|办公室|办事处|局|厅|委|办|中心|院|所|站|队|会|镇|乡|街道)$")
SELF_REFERENCE = re.compile(r"[我本](局|厅|委|办|中心|院|镇|乡|街道|区|县|市)")
_BODY_AGENCY_END = r"[\u4e00-\u9fff]{0,14}?(?:人民政府|政府|委员会|管委会|办公室|办事处|局|厅|中心)"


def strip_chrome(lines: list[str]) -> list[str]:
    """The lines without portal chrome (breadcrumbs, date/source bars, print links, police filing)."""
    return [line for line in lines if not CHROME.match(line) and not CHROME_ANYWHERE.search(line)]


def find_published(doc_published: str | None, lines: list[str], url: str | None) -> str | None:
    if doc_published:
        return doc_published
    for line in lines[:40]:
        m = PUBLISHED.search(line)
        if m:
            return _iso(m)
    for pattern in URL_DATES:
        m = pattern.search(url or "")
        if m:
            return _iso(m)
    return None


def _iso(m) -> str | None:
    year, month, day = (int(g) for g in m.groups())
    return f"{year:04d}-{month:02d}-{day:02d}" if 1 <= month <= 12 and 1 <= day <= 31 else None


def find_title(lines: list[str]) -> str | None:
    """The title line(s) at the head of the text, before the first section heading."""
    head = []
    for line in lines:
        if heading(line)[0]:
            break
        if line.strip():
            head.append(line.strip())
        if len(head) >= 15:
            break
    for i, line in enumerate(head):
        if len(line) > 60 or line.endswith(("。", "；")) or not TITLE_WORDS.search(line):
            continue
        parts = [line]
        if not TITLE_END.search(line) and i + 1 < len(head) and len(head[i + 1]) <= 30 \
                and TITLE_END.search(head[i + 1]):
            parts.append(head[i + 1])
        if re.match(r"^(?:19|20)\d{2}\s*年", line) and i > 0 and len(head[i - 1]) <= 30 \
                and AGENCY_SUFFIX.search(head[i - 1]):
            parts.insert(0, head[i - 1])
        return clean_title("".join(parts))
    return None


def clean_title(title: str) -> str:
    return TITLE_DECOR.sub("", re.sub(r"\s+", "", title)).strip()


def find_year(titles: list[str | None], text: str) -> int | None:
    """From a title, else the statistics period, else the year the body mentions most."""
    for title in titles:
        m = YEAR_IN_TITLE.search(title or "")
        if m:
            return int(m[1])
    m = STATS_PERIOD.search(text)
    if m:
        return int(m[1])
    counts = Counter(int(y) for y in YEAR_MENTION.findall(re.sub(r"《[^》]*》", "", text)))
    if not counts:
        return None
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
    if m and (len(m[1]) >= 4 and AGENCY_SUFFIX.search(m[1]) or _division_only(m[1])):
        return _agency_name(m[1])
    return None


def _agency_name(name: str) -> str:
    """"上海市" (a report of the government itself) → "上海市人民政府"."""
    return f"{name}人民政府" if _division_only(name) else name


def agency_from_text(text: str) -> str | None:
    """The most named agency that starts with an administrative division, matching "我局"-style hints."""
    pattern = _division_pattern()
    candidates: Counter[str] = Counter()
    first: dict[str, int] = {}
    for m in re.finditer(f"(?:{pattern})+{_BODY_AGENCY_END}", text):
        candidates[m[0]] += 1
        first.setdefault(m[0], m.start())
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


@lru_cache(maxsize=1)
def _division_pattern() -> str:
    names = sorted({a.name for a in _gazetteer().ad_2_addr_dict.values() if len(a.name) >= 2}, key=len, reverse=True)
    return "|".join(map(re.escape, names))


@lru_cache(maxsize=1)
def _gazetteer():
    import cpca    # the administrative-division gazetteer (adcodes), imported on first use

    return cpca


@lru_cache(maxsize=1)
def _name_counts() -> Counter:
    return Counter(a.name for a in _gazetteer().ad_2_addr_dict.values())


def _division_only(name: str) -> bool:
    return bool(re.fullmatch(f"(?:{_division_pattern()})+", name))


_NOT_A_CITY = {"市辖区", "县", "省直辖县级行政区划", "自治区直辖县级行政区划"}


@lru_cache(maxsize=4096)
def region_of(name: str | None) -> dict[str, str | None]:
    """{province, city, county} named by `name`; null where the gazetteer cannot say for certain."""
    empty = {"province": None, "city": None, "county": None}
    if not name:
        return empty
    row = _gazetteer().transform([name]).iloc[0]
    province, city, county = (v if isinstance(v, str) and v else None for v in (row["省"], row["市"], row["区"]))
    if province is None:
        return empty
    named = [n for n in (province, city, county) if n and _short(n) in name]
    if not named:
        return empty
    if county and _name_counts()[county] > 1 and not any(_short(n) in name for n in (province, city) if n):
        return empty          # "鼓楼区" alone: several counties share the name
    return {"province": province, "city": None if city in _NOT_A_CITY else city, "county": county}


def _short(name: str) -> str:
    for suffix in ("维吾尔自治区", "壮族自治区", "回族自治区", "自治区", "自治州", "地区", "省", "市", "盟"):
        if name.endswith(suffix) and len(name) > len(suffix) + 1:
            return name[: -len(suffix)]
    return name
