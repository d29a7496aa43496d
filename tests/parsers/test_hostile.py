"""Hostile input: each reader ends in a one-line ParseError or a Document with a warning; no traceback, no hang."""
import io
import os
import random
import zipfile

import pypdfium2 as pdfium
import pytest

from parsers import limits
from parsers.doc import read_doc
from parsers.docx import read_docx
from parsers.html import read_html
from parsers.model import Document, ParseError
from parsers.ocr import read_image
from parsers.pdf import read_pdf
from parsers.sniff import sniff
from tests.parsers.readers_samples import built, tables, texts

READERS = [sniff, read_html, read_pdf, read_docx, read_doc, read_image]
BINARY_READERS = [sniff, read_pdf, read_docx, read_doc, read_image]

pytestmark = pytest.mark.timeout(120)


def one_line_error(reader, data) -> str:
    with pytest.raises(ParseError) as info:
        reader(data)
    message = str(info.value)
    assert message and "\n" not in message and "Traceback" not in message
    return message


@pytest.mark.parametrize("reader", READERS, ids=lambda r: r.__name__)
def test_empty_file(reader):
    assert "empty" in one_line_error(reader, b"")


@pytest.mark.parametrize("reader", BINARY_READERS, ids=lambda r: r.__name__)
def test_random_bytes(reader):
    data = random.Random(3).randbytes(50_000)
    one_line_error(reader, data)


def test_random_bytes_as_html_gives_a_document():
    d = read_html(random.Random(4).randbytes(20_000))
    assert isinstance(d, Document)


@pytest.mark.parametrize("reader", READERS, ids=lambda r: r.__name__)
def test_file_over_max_bytes(reader):
    data = b"%PDF-1.4\n" + b"\0" * limits.MAX_BYTES
    assert "too large" in one_line_error(reader, data)


@pytest.mark.parametrize("fraction", [0.1, 0.5, 0.95])
def test_truncated_pdf(fraction):
    pdf = built()["pdf"]
    cut = pdf[: int(len(pdf) * fraction)]
    try:
        d = read_pdf(cut)
    except ParseError as exc:
        assert "\n" not in str(exc) and "PDF" in str(exc)
    else:                        # pdfium may recover part of it: then it must say so
        assert any("truncated" in w for w in d.warnings)


def test_encrypted_pdf():
    assert "encrypted" in one_line_error(read_pdf, built()["encrypted"])


def _zip(entries: dict[str, bytes | int]) -> bytes:
    """A zip; an int entry is that many zero bytes, streamed so the test stays small in memory."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as z:
        for name, content in entries.items():
            if isinstance(content, int):
                with z.open(name, "w", force_zip64=True) as f:
                    chunk = b"\0" * (1 << 20)
                    for _ in range(content >> 20):
                        f.write(chunk)
            else:
                z.writestr(name, content)
    return buf.getvalue()


def test_docx_zip_bomb_by_size():
    bomb = _zip({"[Content_Types].xml": b"<x/>", "word/document.xml": limits.MAX_UNCOMPRESSED + (1 << 20)})
    assert "zip bomb" in one_line_error(read_docx, bomb)


def test_docx_zip_bomb_by_ratio():
    bomb = _zip({"[Content_Types].xml": b"<x/>", "word/document.xml": 40 << 20})
    assert len(bomb) * limits.MAX_RATIO < 40 << 20
    assert "zip bomb" in one_line_error(read_docx, bomb)


def test_docx_with_broken_xml():
    data = _zip({"[Content_Types].xml": b"<Types", "word/document.xml": b"<w:document"})
    one_line_error(read_docx, data)


def test_pdf_with_many_pages_is_bounded():
    src = pdfium.PdfDocument(built()["pdf"])
    big = pdfium.PdfDocument.new()
    while len(big) < 200:
        big.import_pages(src)
    buf = io.BytesIO()
    big.save(buf)
    d = read_pdf(buf.getvalue())
    assert d.pages >= 200
    assert any(f"first {limits.MAX_PAGES}" in w for w in d.warnings)
    assert len(tables(d)) >= limits.MAX_PAGES // len(src)


def test_html_page_that_is_not_a_report():
    page = ("<html><head><title>首页 - 某某市人民政府</title></head><body><div class='nav'>"
            + "".join(f"<a href='/n{i}'>新闻{i}</a>" for i in range(50))
            + "</div><div class='news'><p>市长主持召开常务会议，研究部署近期重点工作。</p></div></body></html>")
    d = read_html(page.encode("utf-8"))
    assert not tables(d) and d.title == "首页 - 某某市人民政府"
    assert "市长主持召开常务会议，研究部署近期重点工作。" in texts(d)


def test_html_absurd_spans_are_clamped():
    page = ('<html><body><table><tr><td colspan="100000000" rowspan="99999">规章</td><td>1</td></tr>'
            "<tr><td>行政规范性文件</td><td>2</td></tr></table></body></html>")
    d = read_html(page.encode("utf-8"))
    assert all(len(r) <= 102 for t in tables(d) for r in t)


def test_html_deep_nesting():
    page = "<html><body>" + "<div>" * 50_000 + "正文" + "</div>" * 50_000 + "</body></html>"
    d = read_html(page.encode("utf-8"))
    assert isinstance(d, Document)


def test_image_decompression_bomb():
    from PIL import Image

    buf = io.BytesIO()
    Image.new("1", (9000, 9000)).save(buf, format="PNG")
    assert "image" in one_line_error(read_image, buf.getvalue())


def test_doc_that_libreoffice_cannot_read():
    ole = built()["doc"]
    broken = ole[:4096] + os.urandom(len(ole) - 4096)
    try:
        d = read_doc(broken)
    except ParseError as exc:
        assert "\n" not in str(exc)
    else:
        assert isinstance(d, Document)


def _text_pdf(lines: list[str]) -> bytes:
    """A one-page PDF written with pdfium: Helvetica text objects, one per line."""
    import ctypes

    import pypdfium2.raw as pdfium_c

    doc = pdfium.PdfDocument.new()
    page = doc.new_page(595, 842)
    for k, line in enumerate(lines):
        obj = pdfium_c.FPDFPageObj_NewTextObj(doc.raw, b"Helvetica", ctypes.c_float(12))
        text = ctypes.create_string_buffer((line + "\0").encode("utf-16-le"))
        pdfium_c.FPDFText_SetText(obj, ctypes.cast(text, ctypes.POINTER(pdfium_c.FPDF_WCHAR)))
        pdfium_c.FPDFPageObj_Transform(obj, 1, 0, 0, 1, 72, 760 - 20 * k)
        pdfium_c.FPDFPage_InsertObject(page.raw, obj)
    pdfium_c.FPDFPage_GenerateContent(page.raw)
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()


@pytest.fixture
def no_ocr(monkeypatch):
    from parsers import ocr

    def unavailable():
        raise ocr.OcrUnavailable(ocr.INSTALL_HINT)
    monkeypatch.setattr(ocr, "engine", unavailable)


def test_garbage_text_layer_without_ocr_warns(no_ocr):
    d = read_pdf(_text_pdf(["Xk#qz Vbnm plok wert yuio", "asdf ghjk lzxc vbnm qwer tyui"]))
    assert d.blocks == []
    assert any("no usable text layer" in w and "pip install nianbao[ocr]" in w for w in d.warnings)


def test_readable_text_layer_is_not_sent_to_ocr(no_ocr):
    d = read_pdf(_text_pdf(["2021 12 0 3 5"] + [""] * 34 + ["- 1 -"]))
    assert texts(d) == ["2021 12 0 3 5"] and d.warnings == []


def test_scan_without_ocr_warns(no_ocr):
    from PIL import Image

    buf = io.BytesIO()
    Image.new("L", (600, 800), 255).save(buf, format="PDF")
    d = read_pdf(buf.getvalue())
    assert any("OCR not installed" in w for w in d.warnings)
    png = io.BytesIO()
    Image.new("L", (60, 80), 255).save(png, format="PNG")
    assert "OCR not installed" in one_line_error(read_image, png.getvalue())


def test_doc_without_libreoffice(monkeypatch):
    import parsers.doc

    monkeypatch.setattr(parsers.doc.shutil, "which", lambda name: None)
    assert "apt-get install libreoffice-writer-nogui" in one_line_error(read_doc, built()["doc"])
