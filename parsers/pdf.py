"""PDF reader: pypdfium2 text and character boxes; table grids rebuilt from the ruling lines; OCR for scans."""
from __future__ import annotations

import ctypes
import time

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c

from parsers import ocr
from parsers.chars import CJK
from parsers.layout import Item, layout_blocks, ruled_tables
from parsers.limits import MAX_OCR_PAGES, MAX_PAGES, OCR_DPI, TIME_BUDGET, check_size
from parsers.model import Document, ParseError


def read_pdf(data: bytes) -> Document:
    """Read a PDF into text blocks and table grids; pages without a usable text layer go to OCR."""
    check_size(data)
    try:
        pdf = pdfium.PdfDocument(data)
    except pdfium.PdfiumError as exc:
        msg = str(exc)
        if "password" in msg.lower():
            raise ParseError("encrypted PDF: a password is required to open it") from None
        raise ParseError(f"corrupt or truncated PDF: {msg.rstrip('.')}") from None
    warnings: list[str] = []
    if b"%%EOF" not in data[-2048:]:
        warnings.append("PDF looks truncated (no %%EOF at the end); read what pdfium recovered")
    try:
        n_pages = len(pdf)
        if n_pages == 0:
            raise ParseError("PDF has no pages")
        if n_pages > MAX_PAGES:
            warnings.append(f"PDF has {n_pages} pages; read only the first {MAX_PAGES}")
        blocks: list = []
        ocr_pages: list[int] = []
        start = time.monotonic()
        for i in range(min(n_pages, MAX_PAGES)):
            if time.monotonic() - start > TIME_BUDGET:
                warnings.append(f"time budget of {TIME_BUDGET:.0f} s spent; stopped after page {i}")
                break
            try:
                page = pdf[i]
            except pdfium.PdfiumError:
                warnings.append(f"page {i + 1} is unreadable; skipped")
                continue
            try:
                page_blocks = read_page(page)
                if page_blocks is None:
                    ocr_pages.append(i)
                    blocks.append(_OcrSlot(i))
                else:
                    blocks.extend(page_blocks)
            finally:
                page.close()
        if ocr_pages:
            blocks = _ocr(pdf, blocks, ocr_pages, warnings, deadline=start + TIME_BUDGET * 4)
        return Document(blocks=blocks, media_type="application/pdf", title=_title(pdf), pages=n_pages,
                        warnings=warnings)
    finally:
        pdf.close()


class _OcrSlot:
    """Where the blocks of an OCR'd page go, in page order."""

    def __init__(self, index: int):
        self.index = index


def _ocr(pdf, blocks: list, pages: list[int], warnings: list[str], *, deadline: float) -> list:
    try:
        ocr.engine()
    except ocr.OcrUnavailable as exc:
        warnings.append(f"{len(pages)} page(s) have no usable text layer; {exc}")
        return [b for b in blocks if not isinstance(b, _OcrSlot)]
    if len(pages) > MAX_OCR_PAGES:
        warnings.append(f"{len(pages)} scanned pages; OCR ran on the first {MAX_OCR_PAGES} only")
    todo = set(pages[:MAX_OCR_PAGES])
    done = 0
    out = []
    for b in blocks:
        if not isinstance(b, _OcrSlot):
            out.append(b)
        elif b.index in todo and time.monotonic() > deadline:
            warnings.append(f"OCR time budget spent; page {b.index + 1} not read")
        elif b.index in todo:
            done += 1
            page = pdf[b.index]
            try:
                image = page.render(scale=OCR_DPI / 72, grayscale=True).to_pil()
            finally:
                page.close()
            out.extend(ocr.ocr_page(image))
            del image
    warnings.append(f"OCR used on {done} page(s)")
    return out


def _title(pdf) -> str | None:
    try:
        title = (pdf.get_metadata_dict().get("Title") or "").strip()
    except Exception:  # noqa: BLE001 — broken metadata must not stop the text
        return None
    return title or None


def read_page(page) -> list | None:
    """Blocks of one page in reading order, or None when the page needs OCR."""
    width, height = page.get_size()
    items = _chars(page, height)
    if _needs_ocr(items, page):
        return None
    hsegs, vsegs = _rulings(page, height)
    grids = ruled_tables(hsegs, vsegs, tol=1.5)
    return layout_blocks(items, grids, page_height=height, drop_page_numbers=True)


def _chars(page, height: float) -> list[Item]:
    textpage = page.get_textpage()
    try:
        raw = textpage.raw
        n = pdfium_c.FPDFText_CountChars(raw)
        rect = pdfium_c.FS_RECTF()
        items = []
        for i in range(n):
            u = pdfium_c.FPDFText_GetUnicode(raw, i)
            if u < 32 or u in (0xFEFF, 0xFFFE, 0xFFFF) or pdfium_c.FPDFText_IsGenerated(raw, i) == 1:
                continue
            if u in (0xA0, 0x3000):
                u = 32                                  # a printed space; join_line collapses runs
            if not pdfium_c.FPDFText_GetLooseCharBox(raw, i, rect):
                continue
            ch = chr(u) if u < 0xD800 or u > 0xDFFF else "\ufffd"
            items.append(Item(rect.left, height - rect.top, rect.right, height - rect.bottom, ch))
        return items
    finally:
        textpage.close()


def _needs_ocr(items: list[Item], page) -> bool:
    """No text layer (a scan), or a garbage one (unmapped glyphs, no CJK where words should be)."""
    text = "".join(it.text for it in items)
    if len(text) < 10:
        return any(True for _ in page.get_objects(filter=(pdfium_c.FPDF_PAGEOBJ_IMAGE,), max_depth=2))
    if "(cid:" in text:
        return True
    bad = sum(1 for ch in text if ch == "\ufffd" or "\ue000" <= ch <= "\uf8ff" or ord(ch) < 32)
    if bad > 0.3 * len(text):
        return True
    if len(text) >= 20 and not CJK.search(text):
        letters = sum(1 for ch in text if ch.isalpha())
        return letters > 0.5 * len(text)
    return False


def _rulings(page, height: float) -> tuple[list, list]:
    """Axis-aligned segments drawn on the page: ([(y, x0, x1)], [(x, y0, y1)]), y growing downwards."""
    hsegs, vsegs = [], []
    fill, stroke = ctypes.c_int(), ctypes.c_int()
    x, y = ctypes.c_float(), ctypes.c_float()
    for obj in page.get_objects(filter=(pdfium_c.FPDF_PAGEOBJ_PATH,), max_depth=3):
        raw = obj.raw
        if not pdfium_c.FPDFPath_GetDrawMode(raw, fill, stroke) or (fill.value == 0 and not stroke.value):
            continue
        left, bottom, right, top = obj.get_bounds()
        if right - left <= 3 and top - bottom > 3:          # a thin filled bar or a vertical stroke
            vsegs.append(((left + right) / 2, height - top, height - bottom))
            continue
        if top - bottom <= 3 and right - left > 3:
            hsegs.append((height - (top + bottom) / 2, left, right))
            continue
        m = obj.get_matrix()
        points: list[tuple[float, float]] = []
        start = None
        for k in range(pdfium_c.FPDFPath_CountSegments(raw)):
            seg = pdfium_c.FPDFPath_GetPathSegment(raw, k)
            pdfium_c.FPDFPathSegment_GetPoint(seg, x, y)
            px = m.a * x.value + m.c * y.value + m.e
            py = height - (m.b * x.value + m.d * y.value + m.f)
            kind = pdfium_c.FPDFPathSegment_GetType(seg)
            if kind == pdfium_c.FPDF_SEGMENT_MOVETO or not points:
                start = (px, py)
            elif kind == pdfium_c.FPDF_SEGMENT_LINETO:
                _add_segment(points[-1], (px, py), hsegs, vsegs)
            if pdfium_c.FPDFPathSegment_GetClose(seg) and start is not None:
                _add_segment((px, py), start, hsegs, vsegs)
            points.append((px, py))
    return hsegs, vsegs


def _add_segment(a, b, hsegs, vsegs, tol: float = 0.5):
    (x0, y0), (x1, y1) = a, b
    if abs(y0 - y1) <= tol and abs(x1 - x0) > tol:
        hsegs.append(((y0 + y1) / 2, min(x0, x1), max(x0, x1)))
    elif abs(x0 - x1) <= tol and abs(y1 - y0) > tol:
        vsegs.append(((x0 + x1) / 2, min(y0, y1), max(y0, y1)))
