"""Format readers on documents built in the test with real tools: HTML, DOCX, PDF and DOC via LibreOffice, a scan."""
import io

import pytest

from nianbao.simulator.samples import expected
from parsers.doc import convert_many, read_doc
from parsers.docx import read_docx
from parsers.html import read_html
from parsers.model import Document, ParseError, TableBlock, TextBlock
from parsers.pdf import read_pdf
from parsers.sniff import DOC, DOCX, HTML, JPEG, PDF, PNG, TEXT, TIFF, sniff
from tests.parsers.readers_samples import built, loose, tables, texts

KEYS = ["proactive", "requests", "review_litigation"]


@pytest.fixture(scope="module")
def s():
    return built()


def official(s):
    return [expected(s["grids"][k]) for k in KEYS]


# ---------------------------------------------------------------------------------------------- sniff

def test_sniff_every_built_format(s):
    assert sniff(s["docx"]) == DOCX
    assert sniff(s["pdf"]) == PDF
    assert sniff(s["doc"]) == DOC
    assert sniff(s["html"].encode("utf-8")) == HTML
    assert sniff(s["html"].encode("gb18030")) == HTML
    assert sniff("第二十条第（一）项\n规章 | 0 | 0 | 0\n".encode("gbk")) == TEXT
    from PIL import Image
    for fmt, media in (("PNG", PNG), ("JPEG", JPEG), ("TIFF", TIFF)):
        buf = io.BytesIO()
        Image.new("L", (20, 20), 255).save(buf, format=fmt)
        assert sniff(buf.getvalue()) == media


# ----------------------------------------------------------------------------------------------- HTML

def test_html_grids_rowspan_colspan_and_metadata(s):
    d = read_html(s["html"].encode("utf-8"))
    assert tables(d) == official(s)
    assert d.title == "某某市某某区司法局2021年政府信息公开工作年度报告"
    assert d.published == "2022-01-20"
    lines = texts(d)
    assert not any("栏目" in t or "首页" in t for t in lines), "page chrome leaked into the article"
    # tables in place: each heading comes right before its table
    kinds = [("T" if isinstance(b, TableBlock) else b.text[:2]) for b in d.blocks]
    assert kinds[kinds.index("二、") + 1] == "T" and kinds[kinds.index("三、") + 1] == "T"


@pytest.mark.parametrize("meta", ["utf-8", "gb2312", "iso-8859-1", None])
def test_html_gbk_bytes_decode_whatever_meta_says(meta):
    head = f'<meta http-equiv="Content-Type" content="text/html; charset={meta}">' if meta else ""
    page = (f"<html><head>{head}<title>年报</title></head><body><div id='zoom'><p>二、主动公开政府信息情况</p>"
            "<p>本年新收政府信息公开申请数量12件，依申请公开办理结果：予以公开8件。</p></div></body></html>")
    d = read_html(page.encode("gbk"))
    assert texts(d) == ["二、主动公开政府信息情况",
                        "本年新收政府信息公开申请数量12件，依申请公开办理结果：予以公开8件。"]


def test_html_utf8_bytes_with_gbk_meta():
    page = ('<html><head><meta charset="gbk"></head><body><p>行政规范性文件</p><p>第二行<br>第三行</p>'
            '<p>其他内容很多很多的文字以便正文识别其他内容很多很多的文字以便正文识别</p></body></html>')
    d = read_html(page.encode("utf-8"))
    assert texts(d)[:3] == ["行政规范性文件", "第二行", "第三行"]


def test_html_content_found_without_known_container():
    nav = "".join(f"<li><a href='/x{i}'>导航链接{i}</a></li>" for i in range(40))
    body = "".join(f"<p>第{i}段：本机关严格落实政府信息公开条例，持续推进政务公开。</p>" for i in range(8))
    page = (f"<html><body><ul class='menu'>{nav}</ul><div class='c'><h1>某局年报</h1>{body}</div>"
            f"<div class='foot'><a href='/'>网站地图</a></div></body></html>")
    d = read_html(page.encode("utf-8"))
    assert texts(d)[0] == "某局年报" and len(texts(d)) == 9
    assert d.title == "某局年报"


def test_html_tables_as_images_warn():
    page = ("<html><body><div class='TRS_Editor'><p>二、主动公开政府信息情况</p><p><img src='t1.png'></p>"
            "<p>三、收到和处理政府信息公开申请情况</p><p><img src='t2.png'></p><p>" + "正文" * 40 +
            "</p></div></body></html>")
    d = read_html(page.encode("utf-8"))
    assert not tables(d)
    assert any("<img>" in w for w in d.warnings)


def test_html_layout_table_is_walked_not_gridded():
    inner = "<table border=1><tr><td>规章</td><td>3</td></tr><tr><td>行政规范性文件</td><td>5</td></tr></table>"
    page = (f"<html><body><table><tr><td><p>年报正文第一段，文字足够长，用于识别正文区域。</p>{inner}"
            "</td></tr></table></body></html>")
    d = read_html(page.encode("utf-8"))
    assert tables(d) == [[["规章", "3"], ["行政规范性文件", "5"]]]
    assert texts(d) == ["年报正文第一段，文字足够长，用于识别正文区域。"]


# ----------------------------------------------------------------------------------------------- DOCX

def test_docx_merged_cells_expanded(s):
    d = read_docx(s["docx"])
    assert tables(d) == official(s)
    t = texts(d)
    assert t[0] == "某某市某某区司法局2021年政府信息公开工作年度报告"
    assert t.index("二、主动公开政府信息情况") < t.index("三、收到和处理政府信息公开申请情况")
    kinds = ["T" if isinstance(b, TableBlock) else b.text for b in d.blocks]
    assert kinds[kinds.index("三、收到和处理政府信息公开申请情况") + 1] == "T"


def test_docx_line_breaks_tabs_and_tab_stops():
    import docx
    from docx.enum.text import WD_BREAK
    from docx.shared import Cm

    d = docx.Document()
    p = d.add_paragraph("第一行")
    p.paragraph_format.tab_stops.add_tab_stop(Cm(3))     # a tab stop is not a tab character
    p.add_run().add_break()
    p.add_run("第二行\t尾")
    p.add_run().add_break(WD_BREAK.PAGE)                  # a page break does not split the line
    p.add_run("同段")
    buf = io.BytesIO()
    d.save(buf)
    assert texts(read_docx(buf.getvalue())) == ["第一行", "第二行\t尾同段"]


# ------------------------------------------------------------------------------------------------ PDF

def _tables_by_section(d: Document) -> dict[str, list]:
    """Rows of every table under each section heading, continuation tables concatenated."""
    out: dict[str, list] = {}
    current = None
    for b in d.blocks:
        if isinstance(b, TextBlock) and b.text[:2] in ("二、", "三、", "四、", "五、"):
            current = b.text[:2]
        elif isinstance(b, TableBlock) and current:
            out.setdefault(current, []).extend(b.rows)
    return out


def test_pdf_from_docx_grids(s):
    d = read_pdf(s["pdf"])
    assert d.pages >= 3 and not d.warnings
    got = _tables_by_section(d)
    for heading, truth in zip(("二、", "三、", "四、"), official(s), strict=True):
        assert loose(got[heading]) == loose(truth), heading
    # the vertical row header is printed one character per line, and keeps its line breaks
    header = next(r[0] for r in got["三、"] if r[0].startswith("三"))
    assert header.replace("\n", "") == "三、本年度办理结果" and header.count("\n") >= 5
    # page footers ("- 2 -") are not text of the report, even where they fall mid-table
    assert not any(t.strip("- ").isdigit() for t in texts(d))
    # narrative lines wrapped by the page are joined into paragraphs
    assert any(len(t) > 150 for t in texts(d))


def test_pdf_table_split_by_page_break_stays_in_order(s):
    d = read_pdf(s["pdf"])
    heading = next(i for i, b in enumerate(d.blocks) if isinstance(b, TextBlock) and b.text.startswith("二、"))
    following = []
    for b in d.blocks[heading + 1:]:
        if isinstance(b, TextBlock):
            break
        following.append(b)
    assert len(following) >= 2, "the sample's first table is expected to cross a page break"
    assert loose([r for t in following for r in t.rows]) == loose(expected(s["grids"]["proactive"]))


@pytest.mark.slow
@pytest.mark.timeout(300)
def test_scan_read_through_ocr(s):
    d = read_pdf(s["scan"])
    assert any("OCR used" in w for w in d.warnings)
    got = _tables_by_section(d)
    truth = official(s)[1]
    rows = got["三、"]
    assert len(rows) == len(truth) and all(len(r) == len(truth[0]) for r in rows)
    numbers = [(r, c) for r, row in enumerate(truth) for c, v in enumerate(row) if v.isdigit()]
    right = sum(rows[r][c] == truth[r][c] for r, c in numbers)
    assert right >= 0.95 * len(numbers), f"{right}/{len(numbers)} numeric cells read right"


@pytest.mark.slow
@pytest.mark.timeout(300)
def test_image_read_through_ocr(s):
    import pypdfium2 as pdfium

    page = pdfium.PdfDocument(s["pdf"])[0]
    image = page.render(scale=2).to_pil()
    buf = io.BytesIO()
    image.crop((0, 0, image.width, image.height // 4)).save(buf, format="PNG")
    from parsers.ocr import read_image
    d = read_image(buf.getvalue())
    assert d.media_type == "image/png"
    assert any("总体情况" in t for t in texts(d))


# ------------------------------------------------------------------------------------------- DOC/WPS

@pytest.mark.slow
@pytest.mark.timeout(300)
def test_doc_through_libreoffice(s):
    d = read_doc(s["doc"])
    assert d.media_type == DOC
    assert tables(d) == official(s)


@pytest.mark.slow
@pytest.mark.timeout(300)
def test_doc_batch_in_one_run(s):
    results = convert_many([s["doc"], b"not a word file at all", s["doc"]])
    assert isinstance(results[0], Document) and isinstance(results[2], Document)
    assert isinstance(results[1], ParseError) and "\n" not in str(results[1])
    assert tables(results[2]) == official(s)


# ------------------------------------------------------------------------------------ OCR of cells

CJK_SERIF = "/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc"    # fonts-noto-cjk (scripts/setup.sh)


def _ruled_page(tables: list[tuple[str | None, list[str]]], lines: int = 2):
    """A 150 dpi page image: `lines` lines of text, then tables of one-line rows of narrow 65 px
    cells, each with an optional caption row spanning the table, as a 10.5 pt report prints them."""
    from PIL import Image, ImageDraw, ImageFont

    font = ImageFont.truetype(CJK_SERIF, 21, index=2)           # index 2: Noto Serif CJK SC
    text = ["一是公开内容的深度和广度还有待拓展；二是信息更新的时效性有待提高；三是工作",
            "人员业务能力仍需加强。下一步，我们将进一步健全工作机制，加强业务培训。"]
    image = Image.new("L", (1241, 40 + 45 * lines + 150 * len(tables)), 255)
    draw = ImageDraw.Draw(image)
    for k in range(lines):
        draw.text((131, 20 + 45 * k), text[k % 2], font=font, fill=0)
    for t, (caption, values) in enumerate(tables):
        left, top, width, height = 133, 40 + 45 * lines + 150 * t, 65, 28
        right = left + width * len(values)
        ys = [top, top + height] + ([top + 2 * height] if caption else [])
        for y in ys:
            draw.line([(left, y), (right, y)], fill=0, width=1)
        for x in (left, right):
            draw.line([(x, ys[0]), (x, ys[-1])], fill=0, width=1)
        for k in range(1, len(values)):     # a rendered rule overshoots the crossing by a pixel
            draw.line([(left + width * k, ys[-2]), (left + width * k, ys[-1] + 1)], fill=0, width=1)
        if caption:
            draw.text((left + 8, top + 3), caption, font=font, fill=0)
        for k, value in enumerate(values):
            x = left + width * k + (width - draw.textlength(value, font=font)) / 2
            draw.text((x, ys[-2] + 2), value, font=font, fill=0)
    return image


@pytest.mark.slow
@pytest.mark.timeout(300)
def test_ocr_reads_lone_glyphs_in_narrow_ruled_cells():
    """Text detection misses a lone "0" or "/" in a narrow cell, or reads "0" as "O"; a table of one
    line (a page-top continuation) has rules too short for a line of text. Each ruled cell with ink
    but no text (or a short non-value text) is recognised again alone."""
    from parsers.ocr import ocr_page

    values = ["0", "/", "2", "0", "0", "1", "/", "0", "3", "0", "0", "/", "0", "7", "0"]
    row = ["0", "0", "/", "0", "0", "0", "0", "0", "0", "0", "0", "0", "0", "0", "2"]
    blocks = ocr_page(_ruled_page([("行政复议、行政诉讼情况", values), (None, row)]))
    assert tables(Document(blocks, media_type="image/png")) == [
        [["行政复议、行政诉讼情况"] + [""] * 14, values], [row]]


@pytest.mark.slow
@pytest.mark.timeout(300)
def test_ocr_finds_a_table_of_one_line_below_much_text():
    """The rules of a one-line row are shorter than a line of text: on a page of text they are
    still rules (they run from one horizontal rule to the next), so the row is a grid."""
    from parsers.ocr import ocr_page

    row = ["0", "0", "1", "0", "0", "0", "0", "0", "0", "0", "0", "0", "0", "0", "1"]
    blocks = ocr_page(_ruled_page([(None, row)], lines=12))
    assert tables(Document(blocks, media_type="image/png")) == [[row]]


def test_pdf_line_spaces_at_word_gaps_not_at_chinese_latin_autospace():
    """Word processors set a quarter-em gap between Chinese and a digit ("增1" in a 2019 change
    cell) without a space character: no space is added there, while a word gap still is one."""
    from parsers.layout import Item, join_line

    def chars(text, x, gap, h=8.2):
        out = []
        for ch in text:
            out.append(Item(x, 0, x + h * (0.5 if ch.isascii() else 1), h, ch))
            x = out[-1].x1 + gap
        return out

    assert join_line([Item(0, 0, 8.2, 8.2, "增"), Item(10.0, 1.3, 14.1, 8.2, "1")]) == "增1"
    assert join_line(chars("2021", 0, 0.2) + chars("年", 17.5, 0)) == "2021年"
    assert join_line(chars("ab", 0, 0.2) + chars("cd", 12.0, 0.2)) == "ab cd"
    assert join_line(chars("增", 0, 0) + chars("1", 30.0, 0)) == "增  1"


@pytest.mark.parametrize("pitch", [11.0, 12.0, 14.5])          # line spacing 1.1 to 1.45
def test_pdf_vertical_row_header_is_not_read_into_the_labels_beside_it(pitch):
    """WPS sets a merged row header one character per line down the left column; lines grouped by
    height put each character into the label beside it ("理结2.其他法律…"). The stacked characters
    are one line of their own, and the labels keep their text."""
    from parsers.layout import Item, group_lines, join_line

    items = [Item(10, 100 + i * pitch, 20, 110 + i * pitch, ch) for i, ch in enumerate("三、本年度办理结果")]
    labels = [("（一）予以公开", 0), ("（二）部分公开（区分处理的，只计", 2), ("这一情形，不计其他情形）", 3),
              ("2.其他法律行政法规禁止公开", 5)]
    for text, line in labels:
        items += [Item(40 + k * 10, 100 + line * pitch, 50 + k * 10, 110 + line * pitch, ch)
                  for k, ch in enumerate(text)]
    got = [join_line(ln) for ln in group_lines(items)]
    assert got == ["三、本年度办理结果"] + [text for text, _ in labels[:2]] + [labels[2][0], labels[3][0]]
    # digits stacked in a column of values are no header
    column = [Item(100, 100 + i * pitch, 106, 110 + i * pitch, "0") for i in range(4)]
    assert [join_line(ln) for ln in group_lines(column)] == ["0"] * 4


def test_cells_one_per_paragraph_and_a_table_cut_after_its_header():
    """HTML cells flattened into paragraphs (a blank line between cells) still form the table, with
    split headers ("本年新\\n制作数量"); a table cut off after its header still tells its form."""
    import parsers

    cells = ["第二十条第(一)项", "信息内容", "本年新", "制作数量", "本年新", "公开数量", "对外公开总数量",
             "规章", "0", "0", "0", "规范性文件", "64", "24", "24"]
    report = parsers.parse(("二、主动公开政府信息情况\n\n" + "\n\n".join(cells) + "\n").encode())
    got = {(c.row, c.col): c.value for c in report.cells}
    assert report.template == "2019" and got[("normative_documents", "made")] == 64
    assert got[("normative_documents", "total_published")] == 24
    cut = "二、主动公开政府信息情况\n第二十条第(一)项 | |||\n信息内容 | 本年制发件数 | 本年废止件数 | 现行有效件数 |\n"
    report = parsers.parse(cut.encode())
    assert report.template == "2021" and report.cells == []
    assert any("taken from table headers" in w for w in report.warnings)
    # a field label that mentions a column's word is no header
    assert parsers.parse("- 废止日期: 时 效 性:有效\n一、总体情况\n".encode()).template == "free"
