"""The narrative sections (overview, problems, other), found by their numbered headings' key phrases."""
from __future__ import annotations

import re
from functools import lru_cache

from parsers.labels import norm
from parsers.model import Block, TextBlock

HEADING = re.compile(r"^\s*(?:[一二三四五六七八九十]{1,2}\s*[、.．]|第[一二三四五六七八九十]{1,2}部分)"
                     r"\s*(?P<rest>\S.*)$")

# Checked in this order; pre-2019 reports name 6-8 sections differently, so match key phrases.
SECTION_PHRASES = [(key, re.compile(pattern)) for key, pattern in [
    ("problems", r"存在的?主要问题|主要问题|问题及改进|改进措施|存在问题|不足"),
    ("other", r"其他需要报告|需要报告的|其他事项|需要说明|其他需"),
    ("review_litigation", r"行政复议|行政诉讼"),
    ("requests", r"收到和处理|依申请|申请公开"),
    ("fees", r"收费|减免"),
    ("proactive", r"主动公开"),
    ("overview", r"总体情况|概述|概况|基本情况|总体"),
]]
OUTPUT = ("overview", "problems", "other")


@lru_cache(maxsize=8192)       # the matcher and the section reader ask of the same lines
def heading(text: str) -> tuple[bool, str | None]:
    """(is a numbered top-level heading, its section key or None)."""
    m = HEADING.match(text)
    rest = m["rest"].strip() if m else ""
    if not m or len(rest) > 40 or rest.endswith(("。", "；", ";", "，", ",")):
        return False, None
    label = norm(rest)
    for key, pattern in SECTION_PHRASES:
        if pattern.search(label):
            return True, key
    return True, None


def section_of(text: str) -> str | None:
    """The section key of a heading line, else None."""
    return heading(text)[1]


def extract_sections(blocks: list[Block]) -> dict[str, str]:
    """Text of each output section: the text blocks after its heading, up to the next heading."""
    parts: dict[str, list[str]] = {}
    current = None
    for block in blocks:
        if not isinstance(block, TextBlock):
            continue
        for line in block.text.split("\n"):
            is_heading, key = heading(line)
            if is_heading:
                current = key if key in OUTPUT and key not in parts else None
                if current:
                    parts[current] = []
            elif current and line.strip():
                parts[current].append(line.strip())
    return {key: "\n".join(lines) for key, lines in parts.items() if lines}
