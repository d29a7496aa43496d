"""Sample reports for the reader tests and bench/parse.py: grids with merges, rendered to DOCX/HTML/PDF."""
from __future__ import annotations

import functools
import io
import random
import shutil
import subprocess
import tempfile
from pathlib import Path

import docx
from docx.shared import Cm, Pt

# A grid is a list of rows; "<" marks a position merged with its left neighbour, "^" with the one above.
LEFT, UP = "<", "^"

_REQ_ROWS = [
    ("三、本年度办理结果", "（一）予以公开", None),
    ("^", "（二）部分公开（区分处理的，只计这一情形，不计其他情形）", None),
    ("^", "（三）不予公开", "1.属于国家秘密"),
    ("^", "^", "2.其他法律行政法规禁止公开"),
    ("^", "^", "3.危及“三安全一稳定”"),
    ("^", "^", "4.保护第三方合法权益"),
    ("^", "^", "5.属于三类内部事务信息"),
    ("^", "^", "6.属于四类过程性信息"),
    ("^", "^", "7.属于行政执法案卷"),
    ("^", "^", "8.属于行政查询事项"),
    ("^", "（四）无法提供", "1.本机关不掌握相关政府信息"),
    ("^", "^", "2.没有现成信息需要另行制作"),
    ("^", "^", "3.补正后申请内容仍不明确"),
    ("^", "（五）不予处理", "1.信访举报投诉类申请"),
    ("^", "^", "2.重复申请"),
    ("^", "^", "3.要求提供公开出版物"),
    ("^", "^", "4.无正当理由大量反复申请"),
    ("^", "^", "5.要求行政机关确认或重新出具已获取信息"),
    ("^", "（六）其他处理", None),
    ("^", "（七）总计", None),
]


def proactive_grid(rng: random.Random) -> list[list[str]]:
    n = lambda: str(rng.randint(0, 60))  # noqa: E731
    return [
        ["第二十条第（一）项", LEFT, LEFT, LEFT],
        ["信息内容", "本年制发件数", "本年废止件数", "现行有效件数"],
        ["规章", n(), n(), n()],
        ["行政规范性文件", n(), n(), n()],
        ["第二十条第（五）项", LEFT, LEFT, LEFT],
        ["信息内容", "本年处理决定数量", LEFT, LEFT],
        ["行政许可", n(), LEFT, LEFT],
        ["第二十条第（六）项", LEFT, LEFT, LEFT],
        ["信息内容", "本年处理决定数量", LEFT, LEFT],
        ["行政处罚", n(), LEFT, LEFT],
        ["行政强制", n(), LEFT, LEFT],
        ["第二十条第（八）项", LEFT, LEFT, LEFT],
        ["信息内容", "本年收费金额（单位：万元）", LEFT, LEFT],
        ["行政事业性收费", f"{rng.randint(0, 999)}.{rng.randint(0, 99):02d}", LEFT, LEFT],
    ]


def requests_grid(rng: random.Random) -> list[list[str]]:
    vals = lambda: [str(rng.randint(0, 30)) for _ in range(7)]  # noqa: E731
    grid = [
        ["（本列数据的勾稽关系为：第一项加第二项之和，等于第三项加第四项之和）", LEFT, LEFT, "申请人情况",
         LEFT, LEFT, LEFT, LEFT, LEFT, LEFT],
        [UP, UP, UP, "自然人", "法人或其他组织", LEFT, LEFT, LEFT, LEFT, "总计"],
        [UP, UP, UP, UP, "商业企业", "科研机构", "社会公益组织", "法律服务机构", "其他", UP],
        ["一、本年新收政府信息公开申请数量", LEFT, LEFT, *vals()],
        ["二、上年结转政府信息公开申请数量", LEFT, LEFT, *vals()],
    ]
    for a, b, c in _REQ_ROWS:
        grid.append([a, b, c if c is not None else LEFT, *vals()])
    grid.append(["四、结转下年度继续办理", LEFT, LEFT, *vals()])
    return grid


def review_grid(rng: random.Random) -> list[list[str]]:
    sub = ["结果维持", "结果纠正", "其他结果", "尚未审结", "总计"]
    return [
        ["行政复议", LEFT, LEFT, LEFT, LEFT, "行政诉讼", *[LEFT] * 9],
        [*sub[:4], "总计", "未经复议直接起诉", LEFT, LEFT, LEFT, LEFT, "复议后起诉", LEFT, LEFT, LEFT, LEFT],
        [UP, UP, UP, UP, UP, *sub, *sub],
        [str(rng.randint(0, 9)) for _ in range(15)],
    ]


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
    rng = random.Random(seed)
    return {"proactive": proactive_grid(rng), "requests": requests_grid(rng), "review_litigation": review_grid(rng)}


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
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.oxml import parse_xml
    from docx.oxml.ns import nsdecls

    p = d.sections[0].footer.paragraphs[0]
    p.alignment = WD_ALIGN_PARAGRAPH.CENTER
    p.add_run("- ")
    p._p.append(parse_xml(f'<w:fldSimple {nsdecls("w")} w:instr="PAGE"><w:r><w:t>1</w:t></w:r></w:fldSimple>'))
    p.add_run(" -")


def _add_table(d, grid, widths, font=Pt(10)):
    table = d.add_table(rows=len(grid), cols=len(grid[0]))
    table.style = "Table Grid"
    table.autofit = False
    for col, w in zip(table.columns, widths):
        col.width = w
    for row in table.rows:
        for cell, w in zip(row.cells, widths):
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
    for heading, key in (("二、主动公开政府信息情况", "proactive"), ("三、收到和处理政府信息公开申请情况", "requests"),
                         ("四、政府信息公开行政复议、行政诉讼情况", "review_litigation")):
        parts.append(f"<p>{heading}</p>")
        rows = []
        by_row: dict[int, list] = {}
        for r, c, rs, cs, text in spans(grids[key]):
            by_row.setdefault(r, []).append(f'<td rowspan="{rs}" colspan="{cs}">{text}</td>')
        for r in range(len(grids[key])):
            rows.append("<tr>" + "".join(by_row.get(r, [])) + "</tr>")
        parts.append('<table border="1">' + "".join(rows) + "</table>")
    parts += ["<p>五、存在的主要问题及改进情况</p>", f"<p>{NARRATIVE}</p>", "<p>六、其他需要报告的事项</p>", "<p>无。</p>"]
    nav = "".join(f'<li><a href="/c{i}/">栏目{i}</a></li>' for i in range(30))
    return (f'<html><head><meta charset="utf-8"><title>{agency}{year}年政府信息公开工作年度报告_政府信息公开年报</title>'
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
    import pypdfium2 as pdfium

    doc = pdfium.PdfDocument(pdf)
    images = [doc[i].render(scale=dpi / 72).to_pil().convert("L") for i in (pages or range(len(doc)))]
    buf = io.BytesIO()
    images[0].save(buf, format="PDF", save_all=True, append_images=images[1:], resolution=dpi)
    return buf.getvalue()


@functools.cache
def built() -> dict:
    """Every sample the reader tests need, made once per test session with real tools.

    grids (the truth), docx (python-docx), html, pdf and doc (LibreOffice, one run per output
    format), scan (the pdf rasterised into an image-only PDF), encrypted (LibreOffice with a password).
    """
    grids = report_grids(7)
    docx_bytes = build_docx(grids)
    pdf = soffice_convert({"report.docx": docx_bytes}, "pdf")["report"]
    doc = soffice_convert({"report.docx": docx_bytes}, "doc:MS Word 97")["report"]
    encrypted = soffice_convert({"secret.docx": docx_bytes}, ENCRYPTED_PDF)["secret"]
    return {"grids": grids, "docx": docx_bytes, "html": build_html(grids), "pdf": pdf, "doc": doc,
            "scan": rasterise_pdf(pdf, pages=pages_with(pdf, "一、本年新收", "四、结转下年度")),
            "encrypted": encrypted}


def pages_with(pdf: bytes, first: str, last: str) -> list[int]:
    """Indexes of the pages from the one showing `first` to the one showing `last` (OCR is slow: scan few)."""
    import pypdfium2 as pdfium

    doc = pdfium.PdfDocument(pdf)
    found = [i for i in range(len(doc)) for s in (first, last) if s in doc[i].get_textpage().get_text_range()]
    return list(range(min(found), max(found) + 1))


ENCRYPTED_PDF = ('pdf:writer_pdf_Export:{"EncryptFile":{"type":"boolean","value":"true"},'
                 '"DocumentOpenPassword":{"type":"string","value":"secret"}}')


def tables(document) -> list[list[list[str]]]:
    return [b.rows for b in document.blocks if hasattr(b, "rows")]


def texts(document) -> list[str]:
    return [b.text for b in document.blocks if hasattr(b, "text")]


def loose(rows: list[list[str]]) -> list[list[str]]:
    """Rows compared as a page shows them: line breaks dropped, trailing covered cells trimmed."""
    out = []
    for row in rows:
        row = [v.replace("\n", "") for v in row]
        while row and row[-1] == "":
            row.pop()
        out.append(row)
    return out
