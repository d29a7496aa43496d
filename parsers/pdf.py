"""PDF reader: pypdfium2 text and character boxes; table grids rebuilt from the ruling lines; OCR for scans."""
from __future__ import annotations

import bisect
import ctypes
import re
import time
from dataclasses import dataclass

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c

from parsers.limits import MAX_OCR_PAGES, MAX_PAGES, OCR_DPI, TIME_BUDGET, check_size
from parsers.model import Document, ParseError, TableBlock, TextBlock

_PAGE_NUMBER = re.compile(
    r"^[-—–_·\s]*(第\s*)?\d{1,4}(\s*页)?(\s*[/／]\s*\d{1,4})?(\s*[,，]?\s*共\s*\d{1,4}\s*页)?[-—–_·\s]*$")
_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")


@dataclass
class Item:
    """A piece of text with its box, y growing downwards (a PDF character or an OCR text box)."""

    x0: float
    y0: float
    x1: float
    y1: float
    text: str

    @property
    def h(self) -> float:
        return max(self.y1 - self.y0, 1e-6)


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
        from parsers import ocr
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
    if len(text) >= 20 and not _CJK.search(text):
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


# ---------------------------------------------------------------------------------------------
# Ruled tables: segments -> grids (shared with parsers.ocr, which finds segments in images).
# ---------------------------------------------------------------------------------------------

@dataclass
class Grid:
    xs: list[float]                 # column boundaries, left to right
    ys: list[float]                 # row boundaries, top to bottom
    anchor: list[list[tuple]]       # anchor[i][j] = (row, col) of the merged cell covering (i, j)

    @property
    def top(self) -> float:
        return self.ys[0]

    def contains(self, it: Item) -> bool:
        cx, cy = (it.x0 + it.x1) / 2, (it.y0 + it.y1) / 2
        return self.xs[0] <= cx <= self.xs[-1] and self.ys[0] <= cy <= self.ys[-1]


def ruled_tables(hsegs: list, vsegs: list, *, tol: float) -> list[Grid]:
    """Tables formed by crossing horizontal and vertical rules, merged cells found from missing rules."""
    hs = _merge_segments(hsegs, tol)
    vs = _merge_segments(vsegs, tol)
    if len(hs) < 2 or len(vs) < 2:
        return []
    parent = list(range(len(hs) + len(vs)))

    def find(a):
        while parent[a] != a:
            parent[a] = parent[parent[a]]
            a = parent[a]
        return a

    for i, (hy, hx0, hx1) in enumerate(hs):
        for j, (vx, vy0, vy1) in enumerate(vs):
            if vy0 - tol <= hy <= vy1 + tol and hx0 - tol <= vx <= hx1 + tol:
                parent[find(i)] = find(len(hs) + j)
    groups: dict[int, tuple[list, list]] = {}
    for i, h in enumerate(hs):
        groups.setdefault(find(i), ([], []))[0].append(h)
    for j, v in enumerate(vs):
        groups.setdefault(find(len(hs) + j), ([], []))[1].append(v)
    grids = []
    for gh, gv in groups.values():
        if len(gh) >= 2 and len(gv) >= 2:
            grid = _grid(gh, gv, tol)
            if grid is not None:
                grids.append(grid)
    return sorted(grids, key=lambda g: g.top)


def _merge_segments(segs: list, tol: float) -> list:
    """Join collinear, touching segments: [(pos, a0, a1)] sorted by position."""
    out: list = []
    for pos, a0, a1 in sorted(segs, key=lambda s: (round(s[0] / tol), s[1])):
        for k in range(len(out) - 1, max(-1, len(out) - 4), -1):
            p, b0, b1 = out[k]
            if abs(p - pos) <= tol and a0 <= b1 + tol and a1 >= b0 - tol:
                out[k] = ((p + pos) / 2, min(a0, b0), max(a1, b1))
                break
        else:
            out.append((pos, a0, a1))
    return out


def _cluster(values: list[float], tol: float) -> list[float]:
    out: list[float] = []
    for v in sorted(values):
        if out and v - out[-1] <= tol * 2:
            continue
        out.append(v)
    return out


def _grid(hs: list, vs: list, tol: float) -> Grid | None:
    ys = _cluster([h[0] for h in hs], tol)
    xs = _cluster([v[0] for v in vs], tol)
    nr, nc = len(ys) - 1, len(xs) - 1
    if nr < 1 or nc < 2 or nr * nc > 20000:
        return None

    def has_v(x, y):        # a vertical rule at x crossing height y
        return any(abs(vx - x) <= tol * 2 and vy0 - tol <= y <= vy1 + tol for vx, vy0, vy1 in vs)

    def has_h(y, x):
        return any(abs(hy - y) <= tol * 2 and hx0 - tol <= x <= hx1 + tol for hy, hx0, hx1 in hs)

    parent = {(i, j): (i, j) for i in range(nr) for j in range(nc)}

    def find(a):
        while parent[a] != a:
            a = parent[a]
        return a

    def union(a, b):
        ra, rb = find(a), find(b)
        if ra != rb:
            first, second = min(ra, rb), max(ra, rb)
            parent[second] = first

    for i in range(nr):
        ym = (ys[i] + ys[i + 1]) / 2
        for j in range(nc - 1):
            if not has_v(xs[j + 1], ym):
                union((i, j), (i, j + 1))
    for j in range(nc):
        xm = (xs[j] + xs[j + 1]) / 2
        for i in range(nr - 1):
            if not has_h(ys[i + 1], xm):
                union((i, j), (i + 1, j))
    anchor = [[find((i, j)) for j in range(nc)] for i in range(nr)]
    if len({a for row in anchor for a in row}) < 2:
        return None                                    # a frame around text, not a table
    return Grid(xs, ys, anchor)


def fill_grid(grid: Grid, items: list[Item]) -> list[list[str]]:
    """The grid's cell texts: each item goes to the merged cell under its centre."""
    cells: dict[tuple, list[Item]] = {}
    for it in items:
        i, j = cell_at(grid, it)
        cells.setdefault(grid.anchor[i][j], []).append(it)
    rows = []
    for i, arow in enumerate(grid.anchor):
        row = []
        for j, a in enumerate(arow):
            row.append("\n".join(join_line(ln) for ln in group_lines(cells.get(a, []))) if a == (i, j) else "")
        rows.append(row)
    return [r for r in rows if any(r)]


def cell_at(grid: Grid, it: Item) -> tuple[int, int]:
    """(row, column) of the grid cell under the item's centre."""
    cx, cy = (it.x0 + it.x1) / 2, (it.y0 + it.y1) / 2
    i = min(max(bisect.bisect_right(grid.ys, cy) - 1, 0), len(grid.ys) - 2)
    j = min(max(bisect.bisect_right(grid.xs, cx) - 1, 0), len(grid.xs) - 2)
    return i, j


def group_lines(items: list[Item]) -> list[list[Item]]:
    """Items grouped into lines (vertical overlap), top to bottom, each line left to right."""
    lines: list[list] = []          # [top, bottom, items]
    for it in sorted(items, key=lambda t: (t.y0 + t.y1) / 2):
        cy = (it.y0 + it.y1) / 2
        if lines and lines[-1][0] <= cy <= lines[-1][1]:
            line = lines[-1]
            line[2].append(it)
        else:
            lines.append([it.y0, it.y1, [it]])
    return [sorted(ln[2], key=lambda t: t.x0) for ln in lines]


def join_line(line: list[Item]) -> str:
    """A line's text: a space at a word gap, two spaces at a column gap. Between Chinese and Latin
    letters or digits a word processor sets a quarter-em gap by itself ("增1"): no space there."""
    out = []
    prev = None
    for it in line:
        if it.text == " ":
            if out and out[-1] not in (" ", "  "):
                out.append(" ")
            continue
        if prev is not None:
            gap = it.x0 - prev.x1
            size = min(prev.h, it.h)
            if gap > 1.5 * size:
                out[-1:] = out[-1:] if out[-1] not in (" ", "  ") else []
                out.append("  ")
            else:
                cjk = bool(_CJK.match(prev.text[-1:])) + bool(_CJK.match(it.text[:1]))
                word_gap = 0.25 * size if cjk == 0 else 0.5 * max(prev.h, it.h)
                if cjk < 2 and gap > word_gap and out[-1] != " ":
                    out.append(" ")
        out.append(it.text)
        prev = it
    return "".join(out).strip()


def layout_blocks(items: list[Item], grids: list[Grid], *, page_height: float,
                  drop_page_numbers: bool) -> list:
    """A page's blocks: table grids in place, the other lines as text joined into paragraphs."""
    in_table: dict[int, list[Item]] = {k: [] for k in range(len(grids))}
    flow = []
    for it in items:
        for k, g in enumerate(grids):
            if g.contains(it):
                in_table[k].append(it)
                break
        else:
            flow.append(it)
    placed: list[tuple[float, object]] = []
    for k, g in enumerate(grids):
        rows = fill_grid(g, in_table[k])
        if rows:
            placed.append((g.top, TableBlock(rows)))
    lines = group_lines(flow)
    if drop_page_numbers:
        lines = [ln for ln in lines if not _is_page_number(ln, page_height)]
    if lines:
        left = min(ln[0].x0 for ln in lines)
        right = max(ln[-1].x1 for ln in lines)
        para: list[list[Item]] = []
        for ln in lines:
            if para and _continues(para[-1], ln, left, right, grids):
                para.append(ln)
                continue
            if para:
                placed.append((para[0][0].y0, TextBlock(_join_para(para))))
            para = [ln]
        placed.append((para[0][0].y0, TextBlock(_join_para(para))))
    placed.sort(key=lambda p: p[0])
    return [b for _, b in placed]


def _is_page_number(line: list[Item], page_height: float) -> bool:
    y = line[0].y0
    return (y > 0.88 * page_height or y < 0.08 * page_height) and bool(_PAGE_NUMBER.match(join_line(line)))


def _continues(prev: list[Item], line: list[Item], left: float, right: float, grids: list[Grid]) -> bool:
    """Whether `line` continues the paragraph ending in `prev` (prev fills the measure, no indent)."""
    size = max(it.h for it in prev)
    if prev[-1].x1 < right - 1.5 * size or line[0].x0 > left + 0.5 * size:
        return False
    top, bottom = max(it.y1 for it in prev), min(it.y0 for it in line)
    if bottom - top > 1.2 * size:
        return False
    return not any(top <= g.top <= bottom for g in grids)


def _join_para(lines: list[list[Item]]) -> str:
    text = ""
    for ln in lines:
        part = join_line(ln)
        if text and not (_CJK.match(text[-1]) or _CJK.match(part[:1])) and text[-1].isalnum():
            text += " "
        text += part
    return text
