"""Page layout from boxed text: ruled-table grids, lines, paragraphs (shared by the PDF and OCR readers)."""
from __future__ import annotations

import bisect
import re
from dataclasses import dataclass

from parsers.chars import CJK
from parsers.model import TableBlock, TextBlock

_PAGE_NUMBER = re.compile(
    r"^[-—–_·\s]*(第\s*)?\d{1,4}(\s*页)?(\s*[/／]\s*\d{1,4})?(\s*[,，]?\s*共\s*\d{1,4}\s*页)?[-—–_·\s]*$")


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
    """Items grouped into lines (vertical overlap), top to bottom, each line left to right. Text
    set one character per line down a column (a WPS vertical row header, "三\n、\n本\n年…") is
    taken out of the lines it sits beside and becomes one line of its own, at its top; alone
    (a cell of its own) it stays one character a line."""
    lines = _by_height(items)
    runs = _vertical_runs(lines)
    if not runs:
        return lines
    taken = {id(it) for run in runs for it in run}
    rest = [kept for ln in lines if (kept := [it for it in ln if id(it) not in taken])]
    if not rest:                    # nothing beside it (its own cell): one character a line, as printed
        return lines
    lines = rest
    stacked = [[Item(min(it.x0 for it in run), run[0].y0, max(it.x1 for it in run), run[-1].y1,
                     "".join(it.text for it in run))] for run in runs]
    return sorted(lines + stacked, key=lambda ln: (min(it.y0 for it in ln), ln[0].x0))


def _by_height(items: list[Item]) -> list[list[Item]]:
    lines: list[list] = []          # [top, bottom, items]
    for it in sorted(items, key=lambda t: (t.y0 + t.y1) / 2):
        cy = (it.y0 + it.y1) / 2
        if lines and lines[-1][0] <= cy <= lines[-1][1]:
            line = lines[-1]
            line[2].append(it)
        else:
            lines.append([it.y0, it.y1, [it]])
    return [sorted(ln[2], key=lambda t: t.x0) for ln in lines]


def _vertical_runs(lines: list[list[Item]], least: int = 3) -> list[list[Item]]:
    """Runs of at least `least` single characters (not digits or Latin) stacked at one x, each
    alone in its line within a character's width either side, each close below the one before."""
    singles = []
    for ln in lines:
        for k, it in enumerate(ln):
            if len(it.text) != 1 or it.text.isspace() or it.text.isascii():
                continue
            left = ln[k - 1].x1 if k else None
            right = ln[k + 1].x0 if k + 1 < len(ln) else None
            if (left is None or it.x0 - left > 0.8 * it.h) and (right is None or right - it.x1 > 0.8 * it.h):
                singles.append(it)
    runs: list[list[Item]] = []
    for it in sorted(singles, key=lambda t: t.y0):
        cx = (it.x0 + it.x1) / 2
        run = next((r for r in runs if abs((r[-1].x0 + r[-1].x1) / 2 - cx) <= 0.35 * it.h
                    and 0 <= it.y0 - r[-1].y1 <= 0.6 * it.h), None)
        if run is not None:
            run.append(it)
        else:
            runs.append([it])
    return [run for run in runs if len(run) >= least]


def join_line(line: list[Item]) -> str:
    """A line's text: a space at a word gap, two spaces at a column gap. Between Chinese and Latin
    letters or digits a word processor sets a quarter-em gap by itself ("增1"): no space there."""
    out: list[str] = []
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
                cjk = bool(CJK.match(prev.text[-1:])) + bool(CJK.match(it.text[:1]))
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
    lines = _join_wrapped_cells(group_lines(flow))
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
    if _column_gap(prev) or _column_gap(line):     # a table row drawn without rules
        return False
    top, bottom = max(it.y1 for it in prev), min(it.y0 for it in line)
    if bottom - top > 1.2 * size:
        return False
    return not any(top <= g.top <= bottom for g in grids)


def _cells(line: list[Item]) -> list[list[Item]]:
    """A line cut at its column gaps (the cells of a borderless table row)."""
    out: list[list[Item]] = []
    for it in line:
        if it.text.isspace():
            continue
        if out and it.x0 - out[-1][-1].x1 <= 1.5 * min(it.h, out[-1][-1].h):
            out[-1].append(it)
        else:
            out.append([it])
    return out


def _join_wrapped_cells(lines: list[list[Item]]) -> list[list[Item]]:
    """Header rows of a borderless table wrapped onto two lines ("本年  本年  现行有效件数" over
    "制发件数  废止件数") joined cell by cell: each piece of the line with fewer cells goes to the
    cell of the other centred on the same x. Only two close lines without digits, one of several
    cells, the other wholly made of such pieces, above a data row of as many cells; no text
    moves to another column."""
    out: list[list[Item]] = []
    for i, ln in enumerate(lines):
        joined = _joined(out[-1], ln) if out and i + 1 < len(lines) else None
        if joined is not None and len(_cells(lines[i + 1])) == len(joined) and \
                any(ch.isdigit() for it in lines[i + 1] for ch in it.text):
            out[-1] = joined        # the data row below has a cell under each header cell
        else:
            out.append(ln)
    return out


def _joined(upper: list[Item], lower: list[Item]) -> list[Item] | None:
    above, below = _cells(upper), _cells(lower)
    if any(ch.isdigit() for it in upper + lower for ch in it.text) or any(
            not any(ch.isalpha() for it in c for ch in it.text) for c in above + below):
        return None             # a number, or a cell of marks only ("/"): a data row
    size = max(it.h for it in upper + lower)
    if min(it.y0 for it in lower) - max(it.y1 for it in upper) > 0.8 * size:
        return None
    base, other = (above, below) if len(above) >= len(below) else (below, above)
    if len(base) < 2 or not other:
        return None
    pieces: dict[int, list[list[Item]]] = {}
    for cell in other:              # centred in the same column
        centre = (cell[0].x0 + cell[-1].x1) / 2
        k = next((k for k, c in enumerate(base) if abs((c[0].x0 + c[-1].x1) / 2 - centre) <= 0.2 * size), None)
        if k is None:
            return None
        pieces.setdefault(k, []).append(cell)
    out = []
    for k, cell in enumerate(base):
        parts = [cell] + pieces.get(k, [])
        text = "".join(join_line(c) for c in sorted(parts, key=lambda c: c[0].y0))
        out.append(Item(min(c[0].x0 for c in parts), cell[0].y0, max(c[-1].x1 for c in parts), cell[0].y1, text))
    return out


def _column_gap(line: list[Item]) -> bool:
    """Whether the line has a gap wider than join_line's column gap (cells of a borderless table)."""
    ink = [it for it in line if not it.text.isspace()]
    return any(b.x0 - a.x1 > 1.5 * min(a.h, b.h) for a, b in zip(ink, ink[1:], strict=False))


def _join_para(lines: list[list[Item]]) -> str:
    text = ""
    for ln in lines:
        part = join_line(ln)
        if text and not (CJK.match(text[-1]) or CJK.match(part[:1])) and text[-1].isalnum():
            text += " "
        text += part
    return text
