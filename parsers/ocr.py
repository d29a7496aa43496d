"""OCR for scans (optional extra nianbao[ocr]): rapidocr text boxes rebuilt into lines and ruled table grids."""
from __future__ import annotations

import functools
import io

from parsers.limits import MAX_IMAGE_PIXELS, MAX_OCR_PAGES, OCR_MAX_SIDE, check_size
from parsers.model import Document, ParseError
from parsers.pdf import Item, layout_blocks, ruled_tables

INSTALL_HINT = "OCR not installed: pip install nianbao[ocr]"


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
    media = {"PNG": "image/png", "JPEG": "image/jpeg", "TIFF": "image/tiff"}.get(image.format, "image/png")
    return Document(blocks=blocks, media_type=media, pages=min(frames, MAX_OCR_PAGES), warnings=warnings)


def ocr_page(image) -> list:
    """Blocks of one page image: ruled tables as grids, everything else as lines of text."""
    import numpy as np

    image = image.convert("L")
    if max(image.size) > OCR_MAX_SIDE:            # memory of text detection grows with the pixel count
        image.thumbnail((OCR_MAX_SIDE, OCR_MAX_SIDE))
    gray = np.asarray(image)
    result, _ = engine()(gray, use_cls=False)   # the angle classifier turns lone "6" into "9"
    items = []
    for box, text, _score in result or []:
        xs = [p[0] for p in box]
        ys = [p[1] for p in box]
        text = text.strip()
        if text:
            items.append(Item(min(xs), min(ys), max(xs), max(ys), text))
    if not items:
        return []
    heights = sorted(it.h for it in items)
    char = heights[len(heights) // 2]
    hsegs, vsegs = _rules(gray, char)
    grids = ruled_tables(hsegs, vsegs, tol=max(2.0, char / 8))
    return layout_blocks(items, grids, page_height=float(gray.shape[0]), drop_page_numbers=True)


def _rules(gray, char: float) -> tuple[list, list]:
    """Ruling lines in a page image (morphological opening), as segments in pixel coordinates."""
    import cv2

    ink = cv2.threshold(gray, 0, 255, cv2.THRESH_BINARY_INV | cv2.THRESH_OTSU)[1]
    hsegs, vsegs = [], []
    horizontal = cv2.morphologyEx(ink, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_RECT, (int(char * 2.5), 1)))
    vertical = cv2.morphologyEx(ink, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_RECT, (1, int(char * 1.3))))
    for mask, out, is_h in ((horizontal, hsegs, True), (vertical, vsegs, False)):
        n, _, stats, _ = cv2.connectedComponentsWithStats(mask, connectivity=8)
        for x, y, w, h, _area in stats[1:n]:
            if is_h and h <= char / 2:
                out.append((y + h / 2, float(x), float(x + w)))
            elif not is_h and w <= char / 2:
                out.append((x + w / 2, float(y), float(y + h)))
    return hsegs, vsegs
