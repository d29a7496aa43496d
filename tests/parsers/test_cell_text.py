"""parsers.html.cell_text reads a one-line cell without walking it: whatever the cell's markup, its
lines equal those the general walker gives (property test over generated cells)."""
from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st
from lxml import etree

from parsers import html
from parsers.model import TextBlock

TEXT = st.sampled_from(["", " ", "\u3000", "12", "合计", " 3 ", "\n", "a b"])
INLINE = st.sampled_from(["span", "font", "b", "a", "sup"])
BLOCK = st.sampled_from(["p", "div", "li"])
OTHER = st.sampled_from(["<br>", "<br/>", "<!-- note -->", "<script>x=1</script>",
                         "<table><tr><td>9</td></tr></table>"])


@st.composite
def fragment(draw, depth=0):
    parts = []
    for _ in range(draw(st.integers(0, 3))):
        kind = draw(st.sampled_from(["text", "inline", "block", "other"] if depth < 2 else ["text", "other"]))
        if kind == "text":
            parts.append(draw(TEXT))
        elif kind == "other":
            parts.append(draw(OTHER))
        else:
            tag = draw(INLINE if kind == "inline" else BLOCK)
            parts.append(f"<{tag}>{draw(fragment(depth + 1))}</{tag}>")
    return "".join(parts)


def walked(td) -> str:
    """The general path: the walker's blocks, a nested table row by row."""
    lines = []
    for block in html._Walker().blocks(td):
        lines.extend([block.text] if isinstance(block, TextBlock)
                     else [" ".join(v for v in r if v) for r in block.rows])
    return "\n".join(lines)


@settings(max_examples=400, deadline=None)
@given(cells=st.lists(fragment(), min_size=1, max_size=3), tail=TEXT)
def test_cell_text_equals_the_walkers_lines(cells, tail):
    row = "".join(f"<td>{c}</td>{tail}" for c in cells)
    root = etree.fromstring(f"<html><body><table><tr>{row}</tr></table></body></html>", html._PARSER)
    for td in root.iter("td"):
        if td.getparent().getparent().getparent().tag == "body":       # the outer table's cells
            assert html.cell_text(td) == walked(td)


def test_a_cell_with_one_paragraph_is_read_without_the_walker(monkeypatch):
    root = etree.fromstring("<table><tr><td><p><span> 12 </span></p></td><td>a<p>b</p></td></tr></table>",
                            html._PARSER)
    walks = []
    monkeypatch.setattr(html._Walker, "blocks",
                        lambda self, el: walks.append(el.tag) or [TextBlock("a"), TextBlock("b")])
    assert [html.cell_text(td) for td in root.iter("td")] == ["12", "a\nb"]
    assert walks == ["td"]          # only the cell with text beside its paragraph was walked
