"""HTML reader: decode, find the article among the page chrome, and read text and table grids."""
from __future__ import annotations

import re

from lxml import etree

from parsers.dates import iso_date
from parsers.encoding import decode_html
from parsers.limits import MAX_TABLE_CELLS, check_size
from parsers.model import Document, ParseError, TableBlock, TextBlock

# Article containers of the CMSs that publish these reports (portals.md §5), by id and by class.
_CONTAINERS = {"zoom", "Zoom", "ivs_content", "webeditorview", "articleContent", "article"}
_CONTAINER_CLASSES = {
    "TRS_Editor", "trs_editor", "Custom_UnionStyle", "webeditorview", "article-content",
    "detail-content", "xxgk_content", "zw-content",
}
_XML_SPACE = re.compile(r"[ \t\r\n]+")     # what XPath's normalize-space() splits a class attribute on
# lxml.html's parser and text_content(), without its Python element-class lookup on every element
_PARSER = etree.HTMLParser()
_TEXT = etree.XPath("string()", smart_strings=False)

_BLOCK_TAGS = {
    "address", "article", "aside", "blockquote", "body", "caption", "center", "dd", "div", "dl", "dt",
    "fieldset", "figcaption", "figure", "footer", "form", "h1", "h2", "h3", "h4", "h5", "h6", "header",
    "hr", "li", "main", "nav", "ol", "p", "pre", "section", "td", "th", "tr", "ul", "tbody", "thead",
}
_WRAPPERS = {"div", "section", "article", "main", "td", "center", "form", "font", "span"}
_SKIP_TAGS = {"script", "style", "noscript", "template", "head", "title", "select", "option", "iframe",
              "button", "textarea", "svg", "object", "embed"}
_SPACES = re.compile(r"[ \t\r\n\f\v\u3000\xa0\u2002\u2003\u200b]+")
_PUB_LINE = re.compile(r"(?:发布|公开|成文)(?:日期|时间)\s*[:：]?\s*"
                       r"(\d{4})\s*[-年/.]\s*(\d{1,2})\s*[-月/.]\s*(\d{1,2})")
_ISO = re.compile(r"(\d{4})\s*[-年/.]\s*(\d{1,2})\s*[-月/.]\s*(\d{1,2})")


def read_html(data: bytes, *, url: str | None = None) -> Document:
    """Read an HTML page into text blocks and table grids (the article only, without chrome).

    `url`, when given, is the page's base URL (lxml resolves relative links against it).
    """
    check_size(data)
    text, _, warnings = decode_html(data)
    text = re.sub(r"^\s*<\?xml[^>]*>", "", text)
    try:
        root = etree.fromstring(text, _PARSER, base_url=url)
    except (etree.ParserError, ValueError) as exc:
        raise ParseError(f"unreadable HTML: {exc}") from None
    if root is None:
        raise ParseError("unreadable HTML: Document is empty")
    title = _title(root)
    published = _published(root)
    container = _content(root)
    blocks = _Walker().blocks(container)
    if not any(isinstance(b, TableBlock) for b in blocks):
        images = container.xpath(".//img")
        if images:
            warnings.append(f"no <table> in the article but {len(images)} <img>: tables may be images")
    if not blocks:
        warnings.append("no text found in the HTML page")
    return Document(blocks=blocks, media_type="text/html", title=title, published=published,
                    warnings=warnings)


def _title(root) -> str | None:
    for xp in ("//meta[@name='ArticleTitle']/@content", "//h1", "//title"):
        for node in root.xpath(xp):
            value = node if isinstance(node, str) else _TEXT(node)
            value = _SPACES.sub(" ", value).strip()
            if value:
                return value
    return None


def _published(root) -> str | None:
    for value in root.xpath("//meta[@name='PubDate' or @name='pubdate' or @name='publishdate']/@content"):
        m = _ISO.search(value)
        if m:
            return iso_date(*m.groups())
    body = root.find("body")
    m = _PUB_LINE.search(_SPACES.sub(" ", _TEXT(body if body is not None else root)))
    return iso_date(*m.groups()) if m else None


def _content(root):
    """The article element: a known CMS container, else the deepest element holding most of the text."""
    for node in root.xpath("//*[@id or @class]"):
        if not _container(node):
            continue
        if len(_SPACES.sub("", _TEXT(node))) >= 20 or next(node.iterdescendants("table"), None) is not None:
            return node
    body = root.find("body")
    if body is None:
        return root
    own: dict[object, int] = {}
    for el in body.iter():
        if not isinstance(el.tag, str) or el.tag in _SKIP_TAGS:
            continue
        # Non-link text directly inside el, credited to el and its ancestors below.
        n = len(_SPACES.sub("", el.text or "")) if el.tag != "a" and not _in_link(el) else 0
        parent = el.getparent()
        n_tail = len(_SPACES.sub("", el.tail or "")) if parent is not None and not _in_link(parent) else 0
        own[el] = own.get(el, 0) + n
        if parent is not None:
            own[parent] = own.get(parent, 0) + n_tail
    totals: dict[object, int] = {}
    for el in reversed(list(body.iter())):
        if isinstance(el.tag, str) and el.tag not in _SKIP_TAGS:
            totals[el] = own.get(el, 0) + sum(totals.get(c, 0) for c in el)
    goal = 0.7 * totals.get(body, 0)
    best = body
    while True:
        child = max((c for c in best if c in totals and _wrapper(c)), key=lambda c: totals[c], default=None)
        if child is None or totals[child] < goal:
            return best
        best = child


def _container(el) -> bool:
    """Whether el is one of the CMS article containers, by id or by a class among its classes."""
    if el.get("id") in _CONTAINERS:
        return True
    classes = el.get("class")
    return bool(classes) and not _CONTAINER_CLASSES.isdisjoint(_XML_SPACE.split(classes))


def _wrapper(el) -> bool:
    """Whether el may wrap the whole article (not a paragraph, nor a data table)."""
    if el.tag in ("table", "tbody", "tr"):
        return bool(el.xpath(".//table//table | .//td//table"))
    return el.tag in _WRAPPERS


def _in_link(el) -> bool:
    while el is not None:
        if el.tag == "a":
            return True
        el = el.getparent()
    return False


class _Walker:
    """Turns an element tree into blocks: one TextBlock per paragraph or line, tables in place."""

    def __init__(self):
        self.out: list = []
        self.line: list[str] = []

    def blocks(self, el) -> list:
        line = self.line
        walk = etree.iterwalk(el, events=("start", "end", "comment", "pi"))
        for event, node in walk:
            tag = node.tag
            if event == "start":
                if tag in _SKIP_TAGS:
                    walk.skip_subtree()
                elif tag == "br" or (tag == "table" and next(node.iterdescendants("table"), None) is None):
                    if line:
                        self._flush()
                    if tag == "table":
                        self._table(node)
                    walk.skip_subtree()
                else:
                    if line and (tag in _BLOCK_TAGS or tag == "table"):
                        self._flush()
                    if text := node.text:
                        line.append(text)
                continue
            if event == "end" and line and (tag in _BLOCK_TAGS or tag == "table"):
                self._flush()
            if tail := node.tail:       # after an element's end, a comment or a processing instruction
                line.append(tail)
        if line:
            self._flush()
        return self.out

    def _flush(self):
        text = _SPACES.sub(" ", "".join(self.line)).strip()
        self.line.clear()
        if text:
            self.out.append(TextBlock(text))

    def _table(self, table):
        rows = table_grid(table)
        width = max((len(r) for r in rows), default=0)
        if not rows or width == 0:
            return
        if width == 1 or len(rows) * width == 1:       # a layout wrapper, not a data table
            for row in rows:
                for line in row[0].split("\n"):
                    if line.strip():
                        self.out.append(TextBlock(line.strip()))
            return
        self.out.append(TableBlock(rows))


def table_grid(table) -> list[list[str]]:
    """The rectangular grid of an lxml <table>, rowspan/colspan expanded (text in the top-left cell)."""
    trs = table.xpath("./tr | ./thead/tr | ./tbody/tr | ./tfoot/tr")
    grid: list[list[str | None]] = [[] for _ in trs]
    for r, tr in enumerate(trs):
        c = 0
        here = grid[r]
        for td in tr.iterchildren("td", "th"):
            while c < len(here) and here[c] is not None:
                c += 1
            colspan = _span(td.get("colspan"), 100)
            rowspan = min(_span(td.get("rowspan"), len(trs) - r), len(trs) - r)
            if (c + colspan) * len(trs) > MAX_TABLE_CELLS:
                raise ParseError(f"HTML table too large (limit {MAX_TABLE_CELLS} cells)")
            text = cell_text(td)
            for dr in range(rowspan):
                row = grid[r + dr]
                if len(row) < c + colspan:
                    row.extend([None] * (c + colspan - len(row)))
                for dc in range(colspan):
                    row[c + dc] = text if (dr == 0 and dc == 0) else ""
            c += colspan
    width = max((len(r) for r in grid), default=0)
    rows = [[v if v is not None else "" for v in row] + [""] * (width - len(row)) for row in grid]
    return [row for row in rows if any(row)] if width else []


_SPAN = re.compile(r"\s*(\d+)")


def _span(value: str | None, cap: int) -> int:
    if value is None:
        return 1
    m = _SPAN.match(value)
    n = int(m.group(1)) if m else 1
    return max(1, min(n, max(cap, 1)))


def cell_text(td) -> str:
    """A cell's text, one line per <br>/<p>/<div>, spaces collapsed within each line."""
    if not len(td) and td.tag in _BLOCK_TAGS:     # text only: the walker's two lines (text, tail), unwalked
        return "\n".join(t for t in (_SPACES.sub(" ", s).strip() for s in (td.text, td.tail) if s) if t)
    if td.tag in _BLOCK_TAGS and (line := _one_line(td)) is not None:
        return "\n".join(t for t in (line, _SPACES.sub(" ", td.tail or "").strip()) if t)
    walker = _Walker()
    lines = []
    for block in walker.blocks(td):
        if isinstance(block, TextBlock):
            lines.append(block.text)
        else:  # a nested data table inside a cell: keep its text, row by row
            lines.extend(" ".join(v for v in row if v) for row in block.rows)
    return "\n".join(lines)


def _one_line(td) -> str | None:
    """The walker's line for a cell whose text all lies in one line: no <br>, table or skipped
    element inside, and at most one block element, holding every character (<td><p><span>12</span></p>
    </td>, as CMS editors write cells). None for any other cell."""
    block = None
    for el in td.iterdescendants():
        tag = el.tag
        if tag == "br" or tag == "table" or tag in _SKIP_TAGS:
            return None
        if tag in _BLOCK_TAGS:
            if block is not None:
                return None
            block = el
    text = _TEXT(td)
    if block is not None and len(_SPACES.sub("", _TEXT(block))) != len(_SPACES.sub("", text)):
        return None                                # text beside the block: lines of its own
    return _SPACES.sub(" ", text).strip()
