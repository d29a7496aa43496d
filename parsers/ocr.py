"""OCR for scans (optional extra nianbao[ocr]): rapidocr text boxes rebuilt into lines and ruled table grids."""
from __future__ import annotations

import functools
import io

from parsers.chars import CJK
from parsers.layout import Item, cell_at, layout_blocks, ruled_tables
from parsers.limits import MAX_IMAGE_PIXELS, MAX_OCR_PAGES, OCR_MAX_SIDE, check_size
from parsers.model import Document, ParseError
from parsers.values import is_value

INSTALL_HINT = "OCR not installed: pip install nianbao[ocr]"
REREAD_SCORE = 0.5            # least recognition score for the text of a re-read cell


class OcrUnavailable(RuntimeError):
    """rapidocr-onnxruntime (the optional extra) is not importable."""


@functools.lru_cache(maxsize=1)
def engine():
    """The shared RapidOCR engine (models ship in the pip package; runs offline)."""
    try:
        from rapidocr_onnxruntime import RapidOCR
    except ImportError:
        raise OcrUnavailable(INSTALL_HINT) from None
    return RapidOCR()


def read_image(data: bytes) -> Document:
    """OCR a PNG/JPEG/TIFF scan (every frame of a multi-page TIFF, up to MAX_OCR_PAGES)."""
    check_size(data)
    from PIL import Image, UnidentifiedImageError

    try:
        engine()
    except OcrUnavailable as exc:
        raise ParseError(str(exc)) from None
    Image.MAX_IMAGE_PIXELS = MAX_IMAGE_PIXELS
    warnings: list[str] = []
    blocks: list = []
    try:
        image = Image.open(io.BytesIO(data))
        frames = getattr(image, "n_frames", 1)
        if frames > MAX_OCR_PAGES:
            warnings.append(f"image has {frames} frames; OCR ran on the first {MAX_OCR_PAGES} only")
        for k in range(min(frames, MAX_OCR_PAGES)):
            image.seek(k)
            blocks.extend(ocr_page(image))
    except (UnidentifiedImageError, Image.DecompressionBombError, OSError, ValueError) as exc:
        raise ParseError(f"unreadable image: {str(exc).splitlines()[0] if str(exc) else type(exc).__name__}") from None
    warnings.append("text read by OCR")
    media = {"PNG": "image/png", "JPEG": "image/jpeg", "TIFF": "image/tiff"}.get(image.format or "", "image/png")
    return Document(blocks=blocks, media_type=media, pages=min(frames, MAX_OCR_PAGES), warnings=warnings)


def ocr_page(image) -> list:
    """Blocks of one page image: ruled tables as grids, everything else as lines of text."""
    import numpy as np

    image = image.convert("L")
    if max(image.size) > OCR_MAX_SIDE:            # memory of text detection grows with the pixel count
        image.thumbnail((OCR_MAX_SIDE, OCR_MAX_SIDE))
    gray = np.asarray(image)
    result, _ = engine()(gray, use_cls=False)   # the angle classifier turns lone "6" into "9"
    items, scores = [], []
    for box, text, score in result or []:
        xs = [p[0] for p in box]
        ys = [p[1] for p in box]
        text = text.strip()
        if text:
            items.append(Item(min(xs), min(ys), max(xs), max(ys), text))
            scores.append(float(score))
    if not items:
        return []
    heights = sorted(it.h for it in items)
    char = heights[len(heights) // 2]
    ink, rules = _ink(gray, char)
    grids = ruled_tables(*_segments(rules, char), tol=max(2.0, char / 8))
    items = _reread_cells(gray, ink, grids, items, scores, char)
    return layout_blocks(items, grids, page_height=float(gray.shape[0]), drop_page_numbers=True)


def _ink(gray, char: float):
    """(text ink, (horizontal, vertical) rule candidates) as binary images: rules are long straight
    runs of ink; the text ink is the rest."""
    import cv2

    ink = cv2.threshold(gray, 0, 255, cv2.THRESH_BINARY_INV | cv2.THRESH_OTSU)[1]
    horizontal = cv2.morphologyEx(ink, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_RECT, (int(char * 2.5), 1)))
    # short enough for the rules of a one-line row; glyph strokes are dropped later (_segments)
    vertical = cv2.morphologyEx(ink, cv2.MORPH_OPEN,
                                cv2.getStructuringElement(cv2.MORPH_RECT, (1, max(8, int(char * 0.5)))))
    long = cv2.morphologyEx(vertical, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_RECT, (1, int(char * 1.3))))
    # dilate by OpenCV's default kernel (what a None kernel means), written out
    square = cv2.getStructuringElement(cv2.MORPH_RECT, (3, 3))
    text = cv2.bitwise_and(ink, cv2.bitwise_not(cv2.dilate(cv2.bitwise_or(horizontal, long), square)))
    return text, (horizontal, vertical)


def _segments(rules, char: float) -> tuple[list, list]:
    """Ruling lines as segments in pixel coordinates. A vertical run shorter than a line of text
    counts only when it runs into a horizontal rule at both ends (the rule of a one-line row);
    a glyph's stroke stops short of the rules."""
    import cv2

    horizontal, vertical = rules

    def touches(top: int, bottom: int, x: int, w: int) -> bool:
        return bool(horizontal[max(0, top):bottom, max(0, x - 1):x + w + 1].any())

    hsegs: list[tuple[float, float, float]] = []
    vsegs: list[tuple[float, float, float]] = []
    for mask, out, is_h in ((horizontal, hsegs, True), (vertical, vsegs, False)):
        n, _, stats, _ = cv2.connectedComponentsWithStats(mask, connectivity=8)
        for x, y, w, h, _area in stats[1:n]:
            if is_h and h <= char / 2:
                out.append((y + h / 2, float(x), float(x + w)))
            elif not is_h and w <= char / 2 and (
                    h >= char * 1.3 or touches(y - 1, y + 3, x, w) and touches(y + h - 3, y + h + 1, x, w)):
                out.append((x + w / 2, float(y), float(y + h)))
    return hsegs, vsegs


def _reread_cells(gray, ink, grids, items: list[Item], scores: list[float], char: float) -> list[Item]:
    """The page's items with ruled cells read again, alone: cells where detection found no text
    though ink is printed (a lone "0" or "/" in a narrow cell is often missed), cells whose
    numbers detection joined with their neighbours' into one box across the rules ("00100"), and
    cells holding one short text that is no value ("O" for "0"), which the new reading replaces if
    it is surer. The cell's ink is cropped with a margin and recognised without detection."""
    out: list[Item | None] = list(items)
    inset = max(2, int(char / 8))
    least = max(4, int(char / 4))                  # fewer ink pixels than this are specks
    for grid in grids:
        held: dict[tuple, list[int]] = {}
        for k, it in enumerate(items):
            if grid.contains(it):
                if not CJK.search(it.text) and len(_cells_across(grid, it, char)) > 1:
                    out[k] = None
                else:
                    i, j = cell_at(grid, it)
                    held.setdefault(grid.anchor[i][j], []).append(k)
        spans: dict[tuple, list[int]] = {}
        for i, row in enumerate(grid.anchor):
            for j, a in enumerate(row):
                box = spans.setdefault(a, [i, j, i, j])
                box[2], box[3] = max(box[2], i), max(box[3], j)
        for a, (i0, j0, i1, j1) in spans.items():
            ks = held.get(a, [])
            if len(ks) > 1 or ks and (len(items[ks[0]].text) > 2 or is_value(items[ks[0]].text)):
                continue
            x0, x1 = int(grid.xs[j0]) + inset, int(grid.xs[j1 + 1]) - inset
            y0, y1 = int(grid.ys[i0]) + inset, int(grid.ys[i1 + 1]) - inset
            if x1 - x0 < 2 or y1 - y0 < 2:
                continue
            inked = _ink_box(ink[y0:y1, x0:x1], least, speck=max(3, int(char / 8)))
            if inked is None:
                continue
            top, bottom, left, right = inked
            read = _recognise(gray, y0 + top, y0 + bottom, x0 + left, x0 + right, char)
            if read is None:
                continue
            if not ks:
                out.append(read[0])
            elif read[1] > scores[ks[0]]:
                out[ks[0]] = read[0]
    return [it for it in out if it is not None]


def _cells_across(grid, it: Item, char: float) -> set[tuple]:
    """The (merged) cells of the item's row that its box reaches well into."""
    i, _ = cell_at(grid, it)
    cells = set()
    for j in range(len(grid.xs) - 1):
        overlap = min(it.x1, grid.xs[j + 1]) - max(it.x0, grid.xs[j])
        if overlap >= min(char / 2, (grid.xs[j + 1] - grid.xs[j]) / 2):
            cells.add(grid.anchor[i][j])
    return cells


def _ink_box(mask, least: int, speck: int) -> tuple[int, int, int, int] | None:
    """(top, bottom, left, right) around the ink of a cell, specks (left where rules cross) ignored;
    None when less than `least` pixels of ink remain."""
    import cv2

    n, _, stats, _ = cv2.connectedComponentsWithStats(mask, connectivity=8)
    parts = stats[1:n][stats[1:n, cv2.CC_STAT_AREA] >= speck]
    if not len(parts) or parts[:, cv2.CC_STAT_AREA].sum() < least:
        return None
    x, y = parts[:, cv2.CC_STAT_LEFT], parts[:, cv2.CC_STAT_TOP]
    return (int(y.min()), int((y + parts[:, cv2.CC_STAT_HEIGHT]).max()),
            int(x.min()), int((x + parts[:, cv2.CC_STAT_WIDTH]).max()))


def _recognise(gray, top: int, bottom: int, left: int, right: int, char: float) -> tuple[Item, float] | None:
    """Recognition alone on one piece of ink, padded as a detected text box would be."""
    import numpy as np

    h = max(bottom - top, char * 0.5)              # a dash is thin: pad as for a digit
    pad_y, pad_x = int(h * 0.3) + 1, int(h * 0.5) + 1
    crop = np.pad(gray[top:bottom, left:right], ((pad_y, pad_y), (pad_x, pad_x)), constant_values=255)
    result, _ = engine()(crop, use_det=False, use_cls=False, use_rec=True)
    if not result:
        return None
    text, score = result[0][0].strip(), float(result[0][1])
    if score < REREAD_SCORE or not (is_value(text) or any(ch.isalnum() for ch in text)):
        return None                                # a speck read as "." or "·" is no text
    return Item(float(left), float(top), float(right), float(bottom), text), score
