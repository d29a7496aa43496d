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
from typing import Any

from nianbao.simulator.reports_forms import Grid, appendix_grid, proactive_grid, requests_grid, review_grid

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
    style, wrap = sample.style, bool({"label_wrap", "vertical_header", "split_header"} & sample.perturb)
    vertical = "vertical_header" in sample.perturb
    split = "split_header" in sample.perturb
    rng = random.Random(style["wrap_seed"])
    sep = style["numbering"][1:]

    def label(text: str, kind: str) -> str:
        if style["parens"] == "half":
            text = text.replace("（", "(").replace("）", ")")
        text = re.sub(r"^(\d)\.", lambda m: m.group(1) + sep, text)
        if not wrap or kind == "caption" or text == "信息内容":
            return text
        if split and kind == "header":
            return _split_header(text, rng)
        if "label_wrap" not in sample.perturb:
            return "\n".join(text) if vertical and text == "三、本年度办理结果" else text
        if text == "三、本年度办理结果" and (vertical or rng.random() < 0.6):
            return "\n".join(text)                      # a vertical header, one character a line
        if kind == "header" and len(text) == 4 and rng.random() < 0.4:
            return rng.choice(["\n".join(text), text[:2] + "\n" + text[2:]])
        if len(text) >= 7 and rng.random() < 0.6:
            k = rng.randint(4, 10)
            return "\n".join(text[i:i + k] for i in range(0, len(text), k))
        return text

    return label


def _split_header(text: str, rng: random.Random) -> str:
    """A column header as real pages split it, after its 本年新/上一年/对外公开 prefix (本年新 over
    制作数量); 本年增/减 also printed with a backslash for its slash."""
    if text == "本年增/减":
        return rng.choice(["本年增\\减", "本年增\n/减", "本年\n增/减", "本年增\\\n减"])
    m = re.match(r"本年新|上一年|对外公开|本年", text)
    if m and len(text) - m.end() >= 2:
        return text[:m.end()] + "\n" + text[m.end():]
    return text


def _blocks(sample) -> list[tuple[str, Any]]:
    """[(kind, payload)]: title, para, heading, table (a Grid) and footer (a page-footer line)."""
    label = _labeler(sample)
    paragraphs = sample.style["paragraphs"]
    blocks: list[tuple[str, Any]] = []
    chrome = "page_chrome" in sample.perturb
    if chrome:      # a stale site clock, a breadcrumb glued to the title, a next-year date line
        blocks.append(("para", "2019年12月3日星期二"))
    if "no_title" not in sample.perturb:
        blocks.append(("title", ("首页/政务公开/政府信息公开年报/正文" if chrome else "") + sample.title))
    if chrome:
        blocks.append(("para", f"发布日期：{sample.published.isoformat()} 来源：{sample.agency}"))
        blocks.append(("para", ("根据《国务院办公厅政府信息与政务公开办公室关于印发〈中华人民共和国政府信息"
                                "公开工作年度报告格式〉的通知》（国办公开办函〔2021〕30号）要求编制本报告。")))
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
    grid = proactive_grid(sample.template, sample.raw, label)
    if "caption_variant" in sample.perturb:
        for span in grid.spans:
            if span.kind == "caption":
                span.text = span.text.replace("第二十条第", "第二十条", 1)
    blocks.append(("table", grid))
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

def _pipe_lines(grid: Grid, glued=()) -> list[str]:
    """Seed 000's pipe rows; a row of `glued` ((table, row) keys) prints its numbers glued to
    its label, as text flattened from HTML does."""
    out = []
    for r in range(grid.nrows):
        spans = grid.row_spans(r)
        values = [s for s in spans if s.kind == "value"]
        if values and values[0].key and values[0].key[:2] in glued:
            labels = [s.text.replace("\n", "") for s in spans if s.kind != "value"]
            out.append(" | ".join(labels[:-1] + [labels[-1] + "".join(s.text for s in values)]) + " |")
            continue
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
    glued = {tuple(k) for k in sample.style.get("glued", ())} if "glued_cells" in sample.perturb else set()
    for kind, payload in _blocks(sample):
        if kind == "table" and layout == "pipe":
            out += _pipe_lines(payload, glued)
        elif kind == "table":
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


# ---------------------------------------------------------------------------------------------
# A WPS-style PDF: text placed by position, tables with no ruling lines (reportlab).
# ---------------------------------------------------------------------------------------------

_WPS_FONT, _PAGE_W, _PAGE_H, _MARGIN = "STSong-Light", 595.3, 841.9, 62.4
_CELL_SIZE, _CELL_LEAD, _BODY_SIZE, _BODY_LEAD = 9.0, 12.0, 12.0, 20.0


def _wrap(text: str, width: float, size: float) -> list[str]:
    """Lines of `text` (its own breaks kept) no wider than `width`, cut between characters."""
    from reportlab.pdfbase.pdfmetrics import stringWidth
    out = []
    for piece in text.split("\n"):
        line = ""
        for ch in piece:
            if line and stringWidth(line + ch, _WPS_FONT, size) > width:
                out.append(line)
                line = ""
            line += ch
        out.append(line)
    return out


def _table_rows(grid: Grid, widths: list[float]) -> tuple[list[int], dict]:
    """Row heights in lines of the document grid, and each span's wrapped lines, for a
    borderless table whose every line sits on the grid (WPS snaps text to it)."""
    lines = {id(s): _wrap(s.text, sum(widths[s.col:s.col + s.colspan]) - 4, _CELL_SIZE)
             for s in grid.spans}
    heights = [1] * grid.nrows
    for s in sorted(grid.spans, key=lambda s: s.rowspan):
        need = len(lines[id(s)]) - sum(heights[s.row:s.row + s.rowspan])
        for k in range(max(need, 0)):
            heights[s.row + k % s.rowspan] += 1
    return heights, lines


def render_wps_pdf(sample) -> bytes:
    """The report as WPS writes a PDF of the form: every character placed by position, tables
    drawn with no ruling lines, cell text centred in its merged cell (a tall label's characters
    falling on the baselines of the labels beside it). Uses reportlab's built-in STSong font."""
    from reportlab.pdfbase import pdfmetrics  # optional: only this renderer
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfgen import canvas
    pdfmetrics.registerFont(UnicodeCIDFont(_WPS_FONT))
    buf = io.BytesIO()
    pdf = canvas.Canvas(buf, pagesize=(_PAGE_W, _PAGE_H))
    pdf.setTitle(sample.title if "no_title" not in sample.perturb else "")
    measure = _PAGE_W - 2 * _MARGIN
    y = _MARGIN                                             # from the top, growing downwards

    def room(height: float) -> None:
        nonlocal y
        if y + height > _PAGE_H - _MARGIN:
            pdf.showPage()
            y = _MARGIN

    def text_at(x: float, top: float, s: str, size: float) -> None:
        pdf.setFont(_WPS_FONT, size)
        pdf.drawString(x, _PAGE_H - top - size * 0.88, s)

    for kind, payload in _blocks(sample):
        if kind == "table":
            widths = [w * 28.3465 for w in _WIDTHS_CM[payload.name + ("+subtotal" if payload.width == 11
                                                                     else "")]]
            left = (_PAGE_W - sum(widths)) / 2
            xs = [left + sum(widths[:i]) for i in range(len(widths) + 1)]
            heights, lines = _table_rows(payload, widths)
            ys = [0.0]
            for h in heights:
                ys.append(ys[-1] + h * _CELL_LEAD)
            ends = [max(s.row + s.rowspan for s in payload.spans if s.row <= r) for r in range(payload.nrows)]
            r = 0
            while r < payload.nrows:    # keep together rows a merged cell joins, and headers with a row
                end = r + 1
                while max(ends[:end]) > end or (end < payload.nrows and not payload.has_values(end - 1)):
                    end = max(max(ends[:end]), end + (not payload.has_values(end - 1)))
                room(ys[end] - ys[r])
                for s in payload.spans:
                    if r <= s.row < end:
                        top = y + ys[s.row] - ys[r]
                        tall = ys[s.row + s.rowspan] - ys[s.row]
                        body = lines[id(s)]
                        slots = round(tall / _CELL_LEAD)
                        first = top + (slots - len(body)) // 2 * _CELL_LEAD + (_CELL_LEAD - _CELL_SIZE) / 2
                        for k, line in enumerate(body):
                            w = pdfmetrics.stringWidth(line, _WPS_FONT, _CELL_SIZE)
                            cx = (xs[s.col] + xs[s.col + s.colspan]) / 2
                            text_at(cx - w / 2, first + k * _CELL_LEAD, line, _CELL_SIZE)
                y += ys[end] - ys[r]
                r = end
            y += _BODY_LEAD / 2
            continue
        size = 18.0 if kind == "title" else _BODY_SIZE
        indent = 2 * size if kind == "para" else 0.0
        for k, line in enumerate(_wrap(payload, measure - indent, size) if kind != "title"
                                 else _wrap(payload, measure, size)):
            room(_BODY_LEAD)
            w = pdfmetrics.stringWidth(line, _WPS_FONT, size)
            x = (_PAGE_W - w) / 2 if kind in ("title", "footer") else _MARGIN + (indent if k == 0 else 0)
            text_at(x, y, line, size)
            y += _BODY_LEAD * (1.5 if kind == "title" else 1)
    pdf.showPage()
    pdf.save()
    return buf.getvalue()
