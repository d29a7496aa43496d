"""Renders a generated report as real-world documents: HTML pages (merged-cell tables or the
flattened text styles of the seeds), plain text, DOCX, PDF through LibreOffice, and scans."""
from __future__ import annotations

import html
import io
import random
import re
import subprocess
import tempfile
from pathlib import Path

from nianbao.simulator.reports_forms import (
    Grid, appendix_grid, proactive_grid, requests_grid, review_grid)

SECTION_HEADINGS = {
    "overview": "一、总体情况", "proactive": "二、主动公开政府信息情况",
    "requests": "三、收到和处理政府信息公开申请情况",
    "review_litigation": "四、政府信息公开行政复议、行政诉讼情况",
    "problems": "五、存在的主要问题及改进情况", "other": "六、其他需要报告的事项"}
TEXT_LAYOUTS = ("pipe", "tab", "lines")
HTML_LAYOUTS = ("table",) + TEXT_LAYOUTS
SITE_STYLES = ("trs", "hanweb", "gkmlpt")
ENCODINGS = {"utf-8": "utf-8", "gbk": "gb2312", "gb18030": "gb18030"}   # codec -> <meta> charset
BODY_FONT, HEADING_FONT = "Noto Serif CJK SC", "Noto Sans CJK SC"
# (medium, layout) pairs that cannot print a blank cell (`blank_zero`) in its place, so the
# renderers refuse such a sample. HTML "lines" prints one <p> per non-empty cell with no row
# marks: a blank cell leaves no trace. HTML "tab" puts a row's cells in one <p> joined by tabs,
# and HTML whitespace makes the two tabs around a blank cell one boundary. HTML "pipe" collapses
# the two spaces of a blank "|  |" into one, so a blank last cell reads as seed 000's "| |||"
# row padding. Every other layout keeps the position: table cells (HTML, DOCX, PDF), " |  | " in
# pipe text, two tabs in tab text, and a line holding only a tab in text "lines" (the mark seed
# 004 prints for the covered part of a merged cell).
LOSSY_LAYOUTS = frozenset({("html", "tab"), ("html", "lines"), ("html", "pipe")})


# ---------------------------------------------------------------------------------------------
# The document as a sequence of blocks, shared by every renderer.
# ---------------------------------------------------------------------------------------------

def _labeler(sample):
    """Prints a form label in this report's style, wrapping it when `label_wrap` is on."""
    style, wrap = sample.style, "label_wrap" in sample.perturb
    rng = random.Random(style["wrap_seed"])
    sep = style["numbering"][1:]

    def label(text: str, kind: str) -> str:
        if style["parens"] == "half":
            text = text.replace("（", "(").replace("）", ")")
        text = re.sub(r"^(\d)\.", lambda m: m.group(1) + sep, text)
        if not wrap or kind == "caption" or text == "信息内容":
            return text
        if text == "三、本年度办理结果" and rng.random() < 0.6:
            return "\n".join(text)                      # a vertical header, one character a line
        if kind == "header" and len(text) == 4 and rng.random() < 0.4:
            return rng.choice(["\n".join(text), text[:2] + "\n" + text[2:]])
        if len(text) >= 7 and rng.random() < 0.6:
            k = rng.randint(4, 10)
            return "\n".join(text[i:i + k] for i in range(0, len(text), k))
        return text

    return label


def _blocks(sample) -> list[tuple[str, object]]:
    """[(kind, payload)]: title, para, heading, table (a Grid) and footer (a page-footer line)."""
    label = _labeler(sample)
    paragraphs = sample.style["paragraphs"]
    blocks: list[tuple[str, object]] = []
    if "no_title" not in sample.perturb:
        blocks.append(("title", sample.title))
    blocks.append(("para", sample.style["preamble"]))
    if sample.template == "free":
        for key, heading in sample.style["outline"]:
            blocks.append(("heading", heading))
            blocks += [("para", p) for p in paragraphs[key]]
        if sample.style["appendix"]:
            blocks.append(("para", f"附表：{sample.year}年度政府信息公开情况统计表"))
            blocks.append(("table", appendix_grid(sample.style["appendix"], label)))
        return blocks
    blocks.append(("heading", SECTION_HEADINGS["overview"]))
    blocks += [("para", p) for p in paragraphs["overview"]]
    blocks.append(("heading", SECTION_HEADINGS["proactive"]))
    blocks.append(("table", proactive_grid(sample.template, sample.raw, label)))
    blocks.append(("heading", SECTION_HEADINGS["requests"]))
    grid = requests_grid(sample.raw, label, sample.template == "2021"
                         and "single_other" not in sample.perturb, "subtotal_col" in sample.perturb)
    if "page_footer" in sample.perturb:
        rng = random.Random(sample.style["wrap_seed"] + 1)
        top, bottom = grid.split(rng.randint(6, grid.nrows - 2))
        blocks += [("table", top), ("footer", f"- {rng.randint(2, 9)} -"), ("table", bottom)]
    else:
        blocks.append(("table", grid))
    blocks.append(("heading", SECTION_HEADINGS["review_litigation"]))
    blocks.append(("table", review_grid(sample.raw, label)))
    for key in ("problems", "other"):
        blocks.append(("heading", SECTION_HEADINGS[key]))
        blocks += [("para", p) for p in paragraphs[key]]
    return blocks


def _refuse_lossy(sample, medium: str, layout: str) -> None:
    if "blank_zero" in sample.perturb and (medium, layout) in LOSSY_LAYOUTS:
        raise ValueError(f"blank_zero cells cannot be printed in the {medium} {layout!r} layout "
                         "without losing their position")


# ---------------------------------------------------------------------------------------------
# Flattened text: the styles of seeds 000 (pipe), 001/002 (tab) and 004 (one cell per line).
# ---------------------------------------------------------------------------------------------

def _pipe_lines(grid: Grid) -> list[str]:
    out = []
    for r in range(grid.nrows):
        spans = grid.row_spans(r)
        line = "".join(s.text.replace("\n", " ") + " | " for s in spans)
        out.append((line + "|" * (grid.width - len(spans))).rstrip())
    return out


def _tab_lines(grid: Grid, space: str = " ") -> list[str]:
    """Every grid position, tab-joined. A wrapped row label spills its rest onto lines of its
    own in the same column (seed 001); headers join their pieces with `space` (seed 002's
    "结果 维持"), tall and vertical labels with nothing."""
    out = []
    for r in range(grid.nrows):
        cells, spill = [""] * grid.width, {}
        data_row = grid.has_values(r)
        for s in grid.row_spans(r):
            pieces = s.text.split("\n")
            vertical = max(map(len, pieces)) == 1
            if len(pieces) > 1 and data_row and s.kind == "label" and s.rowspan == 1 \
                    and not vertical:
                cells[s.col] = pieces[0]
                spill[s.col] = pieces[1:]
            else:
                cells[s.col] = ("" if s.rowspan > 1 or vertical else space).join(pieces)
        out.append("\t".join(cells))
        for i in range(max((len(p) for p in spill.values()), default=0)):
            extra = [""] * grid.width
            for col, pieces in spill.items():
                extra[col] = pieces[i] if i < len(pieces) else ""
            out.append("\t".join(extra))
    return out


def _cell_lines(grid: Grid) -> list[str]:
    """Seed 004: each cell on a line after a tab (a vertically merged cell repeats as an empty
    one), wrapped text continuing on lines without a tab, a blank line after each row."""
    out = []
    for r in range(grid.nrows):
        out += ["\t" + (s.text if s.row == r else "") for s in grid.covering(r)]
        out.append("")
    return out


_TABLE_LINES = {"pipe": _pipe_lines, "tab": _tab_lines, "lines": _cell_lines}


def render_text(sample, *, layout: str = "tab") -> str:
    """The report flattened to text in one of the seed styles: pipe, tab or lines."""
    if layout not in TEXT_LAYOUTS:
        raise ValueError(f"text layout must be one of {TEXT_LAYOUTS}, not {layout!r}")
    _refuse_lossy(sample, "text", layout)
    gap = [] if layout == "lines" else [""]
    out: list[str] = []
    for kind, payload in _blocks(sample):
        if kind == "table":
            out += _TABLE_LINES[layout](payload)
        elif kind == "footer":
            out += ["", payload, ""]
        else:
            out += [payload] + gap
    return "\n".join(out).rstrip("\n") + "\n"


# ---------------------------------------------------------------------------------------------
# HTML pages.
# ---------------------------------------------------------------------------------------------

def _esc(text: str) -> str:
    return html.escape(text, quote=False).replace("\n", "<br/>")


def _html_table(grid: Grid, site_style: str) -> str:
    rows = []
    for r in range(grid.nrows):
        tds = []
        for s in grid.row_spans(r):
            attrs = (f' rowspan="{s.rowspan}"' if s.rowspan > 1 else "") + \
                    (f' colspan="{s.colspan}"' if s.colspan > 1 else "")
            body = _esc(s.text)
            if site_style == "trs":
                body = f'<p style="text-align:center"><span style="font-size:14px">{body}</span></p>'
            tds.append(f"<td{attrs}>{body}</td>")
        rows.append("<tr>" + "".join(tds) + "</tr>")
    return ('<table border="1" cellspacing="0" cellpadding="0" width="100%" '
            'style="border-collapse:collapse">\n<tbody>\n' + "\n".join(rows) + "\n</tbody></table>")


def _html_content(sample, layout: str, site_style: str) -> str:
    parts = []
    for kind, payload in _blocks(sample):
        if kind == "title":
            parts.append(f'<p style="text-align:center"><strong>{_esc(payload)}</strong></p>')
        elif kind == "heading":
            parts.append(f"<p><strong>{_esc(payload)}</strong></p>")
        elif kind == "para":
            parts.append(f'<p style="text-indent:2em">{_esc(payload)}</p>')
        elif kind == "footer":
            parts.append(f'<p style="text-align:center">{_esc(payload)}</p>')
        elif layout == "table":
            parts.append(_html_table(payload, site_style))
        elif layout == "lines":     # one <p> per cell, no row marks, so no empty cell to lose
            parts += [f"<p>{_esc(s.text)}</p>" for r in range(payload.nrows)
                      for s in payload.row_spans(r) if s.text]
        else:   # HTML whitespace makes a tab and a space one: keep spaces out of tab rows
            lines = _tab_lines(payload, "") if layout == "tab" else _pipe_lines(payload)
            parts += [f"<p>{html.escape(line, quote=False)}</p>" if line else "<p>&nbsp;</p>"
                      for line in lines]
    return "\n".join(parts)


def _site_name(sample) -> str:
    region = sample.region
    return f"{region.get('county') or region.get('city') or ''}人民政府"


def render_html_page(sample, *, layout: str = "table", chrome: bool = True,
                     encoding: str = "utf-8", site_style: str = "trs") -> bytes:
    """One report page: the content in the given layout, optionally inside a portal's chrome."""
    if layout not in HTML_LAYOUTS:
        raise ValueError(f"HTML layout must be one of {HTML_LAYOUTS}, not {layout!r}")
    if site_style not in SITE_STYLES:
        raise ValueError(f"site_style must be one of {SITE_STYLES}, not {site_style!r}")
    if encoding not in ENCODINGS:
        raise ValueError(f"encoding must be one of {sorted(ENCODINGS)}, not {encoding!r}")
    _refuse_lossy(sample, "html", layout)
    content = _html_content(sample, layout, site_style)
    charset = ENCODINGS[encoding]
    if not chrome:
        page = (f'<!DOCTYPE html>\n<html><head><meta http-equiv="Content-Type" '
                f'content="text/html; charset={charset}"></head>\n<body>\n{content}\n</body></html>\n')
        return page.encode(encoding)
    has_title = "no_title" not in sample.perturb
    title = sample.title if has_title else "政府信息公开年度报告"
    site, date = _site_name(sample), sample.published.isoformat()
    meta = ""
    if site_style == "hanweb" and has_title:
        meta = (f'<meta name="ArticleTitle" content="{html.escape(title)}">\n'
                f'<meta name="PubDate" content="{date} 09:30">\n'
                f'<meta name="ContentSource" content="{html.escape(sample.agency)}">\n')
    container = {"trs": ('<div id="zoom"><div class="TRS_Editor">', "</div></div>"),
                 "hanweb": ('<div id="zoom">', "</div>"),
                 "gkmlpt": ('<div class="article-content">', "</div>")}[site_style]
    info = ""
    if site_style == "gkmlpt":
        info = ('<table class="classify"><tr><td>索引号：</td><td>'
                f'{sample.region.get("code", "")}/{sample.year}-00{sample.published.day}</td>'
                f'<td>分类：</td><td>政府信息公开年报</td></tr><tr><td>发布机构：</td>'
                f'<td>{_esc(sample.agency)}</td><td>发布日期：</td><td>{date}</td></tr></table>\n')
    heading = f'<h1 class="article-title">{_esc(title)}</h1>\n' if has_title else ""
    page = f"""<!DOCTYPE html>
<html><head><meta http-equiv="Content-Type" content="text/html; charset={charset}">
{meta}<title>{_esc(title)}_{_esc(site)}</title>
<script type="text/javascript">var _hmt = _hmt || [];</script></head>
<body>
<div class="header"><div class="logo">{_esc(site)}</div>
<ul class="nav"><li><a href="/">首页</a></li><li><a href="/zwgk/">政务公开</a></li>
<li><a href="/zwfw/">政务服务</a></li><li><a href="/hdjl/">互动交流</a></li></ul></div>
<div class="position">当前位置：<a href="/">首页</a> &gt; <a href="/zwgk/">政府信息公开</a> &gt;
<a href="/zwgk/zfxxgknb/">政府信息公开年报</a></div>
<div class="article">
{info}{heading}<div class="info">发布时间：{date} 来源：{_esc(sample.agency)}
字号：[<a href="#">大</a> <a href="#">中</a> <a href="#">小</a>]
<a href="javascript:window.print()">打印</a> <a href="#">分享</a></div>
{container[0]}
{content}
{container[1]}
</div>
<div class="footer"><p>主办：{_esc(site)}办公室 版权所有</p>
<p><a href="#">网站地图</a> | <a href="#">联系我们</a></p>
<p>网站标识码：{sample.region.get("code", "0")}0001 ICP备案号：ICP备05001234号-1
公网安备 {sample.region.get("code", "0")}02000123号</p></div>
</body></html>
"""
    return page.encode(encoding)


# ---------------------------------------------------------------------------------------------
# DOCX (python-docx, real merged cells), PDF (LibreOffice), scans (rasterised, no text layer).
# ---------------------------------------------------------------------------------------------

_WIDTHS_CM = {"proactive": [4.6, 4.0, 4.0, 4.0],
              "requests": [1.6, 2.6, 4.4] + [1.14] * 7,
              "requests+subtotal": [1.5, 2.4, 4.1] + [1.07] * 8,
              "review_litigation": [1.1] * 15,
              "appendix": [8.6, 4.0, 4.0]}


def _east_asian(element, font: str) -> None:
    from docx.oxml.ns import qn
    rpr = element.get_or_add_rPr()
    rfonts = rpr.find(qn("w:rFonts"))
    if rfonts is None:
        rfonts = rpr.makeelement(qn("w:rFonts"), {})
        rpr.insert(0, rfonts)
    for attr in ("w:ascii", "w:hAnsi", "w:eastAsia"):
        rfonts.set(qn(attr), font)


def _docx_table(doc, grid: Grid) -> None:
    from docx.enum.table import WD_TABLE_ALIGNMENT
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.oxml.ns import qn
    from docx.shared import Cm, Pt
    table = doc.add_table(rows=grid.nrows, cols=grid.width)
    table.style = "Table Grid"
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    table.autofit = False
    widths = _WIDTHS_CM[grid.name + ("+subtotal" if grid.width == 11 else "")]
    for i, column in enumerate(table.columns):
        column.width = Cm(widths[i])
    for row in table.rows:                      # a row never splits over two pages
        row._tr.get_or_add_trPr().append(row._tr.makeelement(qn("w:cantSplit"), {}))
        for i, cell in enumerate(row.cells):
            cell.width = Cm(widths[i])
    cells = table._cells    # once: table.cell() re-walks the whole table on every call
    for s in grid.spans:    # spans are disjoint, so each merge leaves the other cells intact
        cell = cells[s.row * grid.width + s.col]
        if s.rowspan > 1 or s.colspan > 1:
            far = cells[(s.row + s.rowspan - 1) * grid.width + s.col + s.colspan - 1]
            cell = cell.merge(far)
        cell.text = s.text
        for paragraph in cell.paragraphs:
            paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
            for run in paragraph.runs:
                run.font.size = Pt(9)


def _page_number_footer(section) -> None:
    """"- N -" centred in the page footer, N a PAGE field, as government documents print it."""
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.oxml.ns import qn
    paragraph = section.footer.paragraphs[0]
    paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
    paragraph.add_run("- ")
    field = paragraph._p.makeelement(qn("w:fldSimple"), {qn("w:instr"): "PAGE"})
    run = field.makeelement(qn("w:r"), {})
    text = run.makeelement(qn("w:t"), {})
    text.text = "1"
    run.append(text)
    field.append(run)
    paragraph._p.append(field)
    paragraph.add_run(" -")


def render_docx(sample) -> bytes:
    """A Word document with the official tables as real merged cells. With `page_footer` the
    表三 table breaks onto a new page (a page break between its two parts) and every page
    carries a "- N -" footer."""
    from docx import Document
    from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_BREAK
    from docx.shared import Cm, Pt
    doc = Document()
    section = doc.sections[0]
    section.page_width, section.page_height = Cm(21), Cm(29.7)
    section.left_margin = section.right_margin = Cm(2.2)
    section.top_margin, section.bottom_margin = Cm(2.5), Cm(2.2)
    normal = doc.styles["Normal"]
    normal.font.size = Pt(12)
    _east_asian(normal.element, BODY_FONT)
    if "page_footer" in sample.perturb:
        _page_number_footer(section)
    for kind, payload in _blocks(sample):
        if kind == "table":
            _docx_table(doc, payload)
        elif kind == "footer":
            doc.add_paragraph().add_run().add_break(WD_BREAK.PAGE)
        else:
            paragraph = doc.add_paragraph()
            run = paragraph.add_run(payload)
            if kind == "title":
                paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
                run.font.size, run.bold = Pt(18), True
                _east_asian(run._element, HEADING_FONT)
            elif kind == "heading":
                run.bold = True
                _east_asian(run._element, HEADING_FONT)
            else:
                paragraph.paragraph_format.first_line_indent = Pt(24)
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()


def render_pdfs(docx_blobs: list[bytes], timeout: float = 600) -> list[bytes]:
    """PDFs of the given DOCX files, converted by one LibreOffice (soffice) process."""
    if not docx_blobs:
        return []
    with tempfile.TemporaryDirectory(prefix="nianbao-pdf-") as tmp:
        tmp_path = Path(tmp)
        (tmp_path / "in").mkdir()
        names = []
        for i, blob in enumerate(docx_blobs):
            path = tmp_path / "in" / f"report{i:04d}.docx"
            path.write_bytes(blob)
            names.append(str(path))
        cmd = ["soffice", f"-env:UserInstallation={(tmp_path / 'profile').as_uri()}",
               "--headless", "--norestore", "--convert-to", "pdf",
               "--outdir", str(tmp_path / "out"), *names]
        done = subprocess.run(cmd, capture_output=True, timeout=timeout)
        pdfs = []
        for i in range(len(docx_blobs)):
            out = tmp_path / "out" / f"report{i:04d}.pdf"
            if not out.exists():
                raise RuntimeError(f"soffice made no PDF for document {i} (exit "
                                   f"{done.returncode}): {done.stderr.decode(errors='replace')[-300:]}")
            pdfs.append(out.read_bytes())
        return pdfs


def render_scan(pdf: bytes, dpi: int = 150) -> bytes:
    """An image-only PDF: every page rasterised in greyscale, as a scanner would, no text layer."""
    import pypdfium2
    document = pypdfium2.PdfDocument(pdf)
    try:
        pages = [document[i].render(scale=dpi / 72, grayscale=True).to_pil().convert("L")
                 for i in range(len(document))]
    finally:
        document.close()
    buf = io.BytesIO()
    pages[0].save(buf, "PDF", save_all=True, append_images=pages[1:], resolution=dpi)
    return buf.getvalue()
