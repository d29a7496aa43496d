"""Sample reports for the reader tests and bench/parse.py: grids with merges, rendered to DOCX/HTML/PDF/DOC."""
from __future__ import annotations

import io
import random
import shutil
import subprocess
import tempfile
from pathlib import Path

import docx
import pypdfium2 as pdfium
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import parse_xml
from docx.oxml.ns import nsdecls
from docx.shared import Cm, Pt

from nianbao.simulator.reports_forms import Grid, canonical_keys
from nianbao.simulator.reports_forms import proactive_grid as form_proactive
from nianbao.simulator.reports_forms import requests_grid as form_requests
from nianbao.simulator.reports_forms import review_grid as form_review

# A grid is a list of rows; "<" marks a position merged with its left neighbour, "^" with the one above.
LEFT, UP = "<", "^"


def _marked(grid: Grid) -> list[list[str]]:
    """A simulator grid (parsers/forms.yaml's layout) as a marked grid."""
    out = [[""] * grid.width for _ in range(grid.nrows)]
    for s in grid.spans:
        for r in range(s.row, s.row + s.rowspan):
            for c in range(s.col, s.col + s.colspan):
                out[r][c] = s.text if (r, c) == (s.row, s.col) else LEFT if r == s.row else UP
    return out


def _tables(rng: random.Random) -> dict[str, list[list[str]]]:
    """The three tables of a 2021 report printing (六) as one row, random numbers in printed order."""
    keys = canonical_keys("2021", single_other=True)

    def draw(key):
        if key[0] == "proactive":
            return (f"{rng.randint(0, 999)}.{rng.randint(0, 99):02d}" if key[2] == "amount_10k_yuan"
                    else str(rng.randint(0, 60)))
        return str(rng.randint(0, 30 if key[0] == "requests" else 9))
    raw = {key: draw(key) for key in keys}
    return {"proactive": _marked(form_proactive("2021", raw, None)),
            "requests": _marked(form_requests(raw, None, split_other=False, subtotal=False)),
            "review_litigation": _marked(form_review(raw, None))}


def expected(grid: list[list[str]]) -> list[list[str]]:
    """The reader convention for a marked grid: covered positions hold ""."""
    return [["" if v in (LEFT, UP) else v for v in row] for row in grid]


def spans(grid: list[list[str]]):
    """(row, col, rowspan, colspan, text) for every anchor cell of a marked grid."""
    out = []
    for r, row in enumerate(grid):
        for c, v in enumerate(row):
            if v in (LEFT, UP):
                continue
            cs = 1
            while c + cs < len(row) and row[c + cs] == LEFT:
                cs += 1
            rs = 1
            while r + rs < len(grid) and grid[r + rs][c] == UP:
                rs += 1
            out.append((r, c, rs, cs, v))
    return out


NARRATIVE = (
    "本年度，我局坚持以习近平新时代中国特色社会主义思想为指导，认真贯彻落实《中华人民共和国政府信息公开条例》，"
    "围绕中心工作，聚焦社会关切，持续深化政务公开，不断提升政府信息公开工作的规范化、标准化水平。"
    "一是加强组织领导，调整政务公开工作领导小组，明确分管领导和专职人员；二是完善制度机制，"
    "健全信息发布审核、保密审查和依申请公开办理流程；三是强化平台建设，及时更新政府网站信息公开专栏。"
)


def report_grids(seed: int = 1):
    """The three tables of a 2021 report printing (六) as one row, random numbers in printed order."""
    return _tables(random.Random(seed))


def build_docx(grids: dict, *, agency: str = "某某市某某区司法局", year: int = 2021,
               narrative_paragraphs: int = 4) -> bytes:
    """A report as DOCX: title, six sections, the three tables with real merged cells."""
    d = docx.Document()
    style = d.styles["Normal"]
    style.font.size = Pt(12)
    d.add_paragraph(f"{agency}{year}年政府信息公开工作年度报告")
    d.add_paragraph("一、总体情况")
    for _ in range(narrative_paragraphs):
        d.add_paragraph(NARRATIVE)
    d.add_paragraph("二、主动公开政府信息情况")
    _add_table(d, grids["proactive"], [Cm(5), Cm(3.5), Cm(3.5), Cm(3.5)])
    d.add_paragraph("三、收到和处理政府信息公开申请情况")
    _add_table(d, grids["requests"], [Cm(1.0), Cm(2.3), Cm(3.7)] + [Cm(1.4)] * 7)
    d.add_paragraph("四、政府信息公开行政复议、行政诉讼情况")
    _add_table(d, grids["review_litigation"], [Cm(1.05)] * 15, font=Pt(9))
    d.add_paragraph("五、存在的主要问题及改进情况")
    for _ in range(narrative_paragraphs):
        d.add_paragraph(NARRATIVE)
    d.add_paragraph("六、其他需要报告的事项")
    d.add_paragraph("本机关无其他需要报告的事项。")
    _page_footer(d)
    buf = io.BytesIO()
    d.save(buf)
    return buf.getvalue()


def _page_footer(d):
    """A centred "- N -" page number in the footer, as printed on government documents."""
    p = d.sections[0].footer.paragraphs[0]
    p.alignment = WD_ALIGN_PARAGRAPH.CENTER
    p.add_run("- ")
    p._p.append(parse_xml(f'<w:fldSimple {nsdecls("w")} w:instr="PAGE"><w:r><w:t>1</w:t></w:r></w:fldSimple>'))
    p.add_run(" -")


def _add_table(d, grid, widths, font=None):
    font = font or Pt(10)
    table = d.add_table(rows=len(grid), cols=len(grid[0]))
    table.style = "Table Grid"
    table.autofit = False
    for col, w in zip(table.columns, widths, strict=True):
        col.width = w
    for row in table.rows:
        for cell, w in zip(row.cells, widths, strict=True):
            cell.width = w
    for r, c, rs, cs, text in spans(grid):
        cell = table.cell(r, c)
        if rs > 1 or cs > 1:
            cell = cell.merge(table.cell(r + rs - 1, c + cs - 1))
        cell.text = text
        for p in cell.paragraphs:
            for run in p.runs:
                run.font.size = font
    return table


def build_html(grids: dict, *, agency: str = "某某市某某区司法局", year: int = 2021) -> str:
    """A report page as a TRS-style article with chrome, tables with rowspan/colspan."""
    parts = [f"<p>{agency}{year}年政府信息公开工作年度报告</p>", "<p>一、总体情况</p>", f"<p>{NARRATIVE}</p>"]
    for heading, key in (("二、主动公开政府信息情况", "proactive"),
                         ("三、收到和处理政府信息公开申请情况", "requests"),
                         ("四、政府信息公开行政复议、行政诉讼情况", "review_litigation")):
        parts.append(f"<p>{heading}</p>")
        rows = []
        by_row: dict[int, list] = {}
        for r, _c, rs, cs, text in spans(grids[key]):
            by_row.setdefault(r, []).append(f'<td rowspan="{rs}" colspan="{cs}">{text}</td>')
        for r in range(len(grids[key])):
            rows.append("<tr>" + "".join(by_row.get(r, [])) + "</tr>")
        parts.append('<table border="1">' + "".join(rows) + "</table>")
    parts += ["<p>五、存在的主要问题及改进情况</p>", f"<p>{NARRATIVE}</p>",
              "<p>六、其他需要报告的事项</p>", "<p>无。</p>"]
    nav = "".join(f'<li><a href="/c{i}/">栏目{i}</a></li>' for i in range(30))
    return ('<html><head><meta charset="utf-8">'
            f'<title>{agency}{year}年政府信息公开工作年度报告_政府信息公开年报</title>'
            f'<meta name="ArticleTitle" content="{agency}{year}年政府信息公开工作年度报告">'
            f'<meta name="PubDate" content="{year + 1}-01-20 09:30"></head><body>'
            f'<div class="header"><ul>{nav}</ul></div><div class="main"><div class="crumb"><a href="/">首页</a> &gt; '
            f'<a href="/zwgk/">政府信息公开</a></div><div class="TRS_Editor">{"".join(parts)}</div></div>'
            f'<div class="footer">主办单位：{agency} 发布日期：{year + 1}-01-20</div></body></html>')


def soffice_convert(files: dict[str, bytes], fmt: str, timeout: float = 300) -> dict[str, bytes]:
    """Convert {name: bytes} with ONE LibreOffice run; returns {stem: converted bytes}."""
    soffice = shutil.which("soffice") or "/usr/bin/soffice"
    with tempfile.TemporaryDirectory(prefix="nb-samples-") as tmp:
        paths = []
        for name, data in files.items():
            p = Path(tmp) / name
            p.write_bytes(data)
            paths.append(str(p))
        out = Path(tmp) / "out"
        subprocess.run([soffice, "--headless", "--norestore", f"-env:UserInstallation=file://{tmp}/profile",
                        "--convert-to", fmt, "--outdir", str(out), *paths],
                       check=True, capture_output=True, timeout=timeout)
        return {p.stem: p.read_bytes() for p in out.iterdir()}


def rasterise_pdf(pdf: bytes, dpi: int = 150, pages: list[int] | None = None) -> bytes:
    """An image-only PDF (a 'scan') made by rendering the given pages (default: all) of `pdf`."""
    doc = pdfium.PdfDocument(pdf)
    images = [doc[i].render(scale=dpi / 72).to_pil().convert("L") for i in (pages or range(len(doc)))]
    buf = io.BytesIO()
    images[0].save(buf, format="PDF", save_all=True, append_images=images[1:], resolution=dpi)
    return buf.getvalue()


def pages_with(pdf: bytes, first: str, last: str) -> list[int]:
    """Indexes of the pages from the one showing `first` to the one showing `last` (OCR is slow: scan few)."""
    doc = pdfium.PdfDocument(pdf)
    found = [i for i in range(len(doc)) for s in (first, last) if s in doc[i].get_textpage().get_text_range()]
    return list(range(min(found), max(found) + 1))


def sample_files(seed: int, *, narrative_paragraphs: int = 4) -> dict:
    """One report in every format the readers take: grids (the truth), docx, html, pdf and doc
    (LibreOffice, one run per output format), scan (the table pages of the pdf rasterised)."""
    grids = report_grids(seed)
    docx_bytes = build_docx(grids, narrative_paragraphs=narrative_paragraphs)
    pdf = soffice_convert({"report.docx": docx_bytes}, "pdf")["report"]
    doc = soffice_convert({"report.docx": docx_bytes}, "doc:MS Word 97")["report"]
    return {"grids": grids, "docx": docx_bytes, "html": build_html(grids), "pdf": pdf, "doc": doc,
            "scan": rasterise_pdf(pdf, pages=pages_with(pdf, "一、本年新收", "四、结转下年度"))}
