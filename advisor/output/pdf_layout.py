"""Layout for the PDF report on top of fpdf2: fonts, fast word wrap, blocks that never split.

fpdf2 draws; this module decides where. Text is wrapped here, one measured word at a
time, because fpdf2's own multi_cell re-measures the growing line for every character.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from functools import cache
from pathlib import Path
from typing import Any

from fontTools.ttLib import TTFont
from fpdf import FPDF

from advisor.output.diagram import Diagram

FONTS = Path(__file__).parent / "fonts"
FONT = "dejavu"
INK, MUTED, LINE, ACCENT = (15, 23, 42), (71, 85, 105), (203, 213, 225), (194, 65, 12)
GUIDE = (37, 99, 235)


class SafeText:
    """Replaces characters the font cannot draw, and remembers that it did."""

    def __init__(self, chars: frozenset[str]) -> None:
        self.chars = chars | {"\n", "\t"}
        self.replaced = False

    def __call__(self, text: str) -> str:
        if self.chars.issuperset(text):  # nearly always: no character to look at one by one
            return text
        out = []
        for ch in text:
            if ch in self.chars:
                out.append(ch)
            else:
                out.append("?")
                self.replaced = True
        return "".join(out)


# fpdf2 parses and subsets the whole embedded font for every document, so a font of 2,500
# glyphs costs a report most of its time. Nearly every report needs only Latin text: it
# gets a cut of the same font with 394 glyphs (AdvisorSansCommon), about four times faster
# to embed; a report with any other character (a Greek or Cyrillic name, say) gets the
# full font. fonts/README.md says how both were made.
COMMON, FULL = "AdvisorSansCommon", "AdvisorSans"


@cache
def drawable(family: str) -> frozenset[str]:
    """The characters a bundled font family can draw (both weights cover the same)."""
    return frozenset(map(chr, TTFont(FONTS / f"{family}.ttf", lazy=True).getBestCmap()))


def family_for(text: Iterable[str]) -> str:
    """The smallest bundled font family that draws every character of ``text``."""
    return COMMON if drawable(COMMON).issuperset(set("".join(text)) - {"\n", "\t"}) else FULL


def new_pdf(paper: str, text: Iterable[str] = ()) -> tuple[Any, SafeText]:
    """A page-numbered PDF with a bundled font that draws ``text``, and the text filter for it."""
    family = family_for(text)
    pdf = _pdf_class()(format="A4" if paper == "a4" else "letter")
    pdf.set_margins(15, 12, 15)
    pdf.set_auto_page_break(True, margin=15)
    pdf.add_font(FONT, "", str(FONTS / f"{family}.ttf"))
    pdf.add_font(FONT, "B", str(FONTS / f"{family}-Bold.ttf"))
    for style in ("", "B"):
        # The bundled fonts' glyph boxes are right already; recomputing them on embedding
        # decodes and re-encodes every glyph, a fifth of a report's time.
        pdf.fonts[FONT + style].ttfont.recalcBBoxes = False
    return pdf, SafeText(drawable(family))


@cache
def _pdf_class() -> Any:
    class ReportPDF(FPDF):
        footer_text = ""

        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self.wrapped: dict[tuple[str, str, float, float], list[str]] = {}

        def footer(self) -> None:
            self.set_y(-12)
            self.set_font(FONT, "", 8)
            self.set_text_color(*MUTED)
            self.cell(0, 5, self.footer_text, align="L")
            self.set_x(self.l_margin)
            self.cell(0, 5, f"Page {self.page_no()} of {{nb}}", align="R")

    return ReportPDF


# Word widths in font units, per bundled font file: the knowledge base's texts hold a few
# thousand distinct words, and every report repeats them.
_word_widths: dict[str, dict[str, int]] = {}


def wrap(pdf: Any, text: str, width: float) -> list[str]:
    """Greedy word wrap with the current font, in linear time.

    fpdf2's own multi_cell re-measures the growing line for every character, which made a
    report take most of a second; measuring each word once keeps it to a few milliseconds.
    """
    cw = pdf.current_font.cw  # code point -> width in 1/1000 em, the font's default for others
    scale = pdf.font_size_pt * 0.001 / pdf.k
    # The same words come back on every line and in every report: each is measured once.
    known = _word_widths.setdefault(str(pdf.current_font.ttffile), {})
    if len(known) > 50_000:  # names and notes add words without end in a long-running studio
        known.clear()

    def char_width(c: str) -> float:
        return float(cw[ord(c)] * scale)

    def width_of(s: str) -> float:
        units = known.get(s)
        if units is None:
            units = sum(map(cw.__getitem__, map(ord, s)))
            if len(s) <= 64:  # words; not the pieces of an unbroken run of text being cut up
                known[s] = units
        return float(units * scale)

    space = width_of(" ")
    lines: list[str] = []
    for paragraph in text.split("\n"):
        line, used = "", 0.0
        for word in paragraph.split(" "):
            w = width_of(word)
            if line and used + space + w > width:
                lines.append(line)
                line, used = "", 0.0
            while w > width:  # a word longer than the line: break it where it fills the line
                cut, filled = 0, 0.0
                while cut < len(word) and filled + char_width(word[cut]) <= width:
                    filled += char_width(word[cut])
                    cut += 1
                cut = max(cut, 1)
                lines.append(word[:cut])
                word = word[cut:]
                w = width_of(word)
            line, used = (f"{line} {word}", used + space + w) if line else (word, w)
        lines.append(line)
    return lines


def block(
    pdf: Any,
    text: str,
    size: float,
    *,
    bold: bool = False,
    colour: tuple[int, int, int] = INK,
    x: float | None = None,
    width: float | None = None,
    line_h: float | None = None,
    align: str = "L",
    draw: bool = True,
) -> float:
    """Write (or, with draw=False, only measure) a wrapped block; returns its height in mm."""
    style = "B" if bold else ""
    if pdf.font_style != style or pdf.font_size_pt != size or pdf.font_family != FONT:
        pdf.set_font(FONT, style, size)
    left = pdf.l_margin if x is None else x
    avail = (pdf.w - pdf.r_margin - left) if width is None else width
    step = line_h or size * 0.45
    # A block is usually measured (to keep it on one page) and then drawn: wrap it once.
    key = (text, style, size, avail)
    lines = pdf.wrapped.get(key)
    if lines is None:
        lines = pdf.wrapped[key] = wrap(pdf, text, avail)
    if draw:
        pdf.set_text_color(*colour)
        for line in lines:
            line_at(pdf, line, left, avail, step, align)
    return len(lines) * step


def line_at(pdf: Any, line: str, left: float, width: float, height: float, align: str = "L") -> None:
    """One line of text where ``cell(width, height, line, align)`` would put it, then the next line.

    fpdf2's cell() lays out styled fragments for every call, half a report's time; a
    wrapped line needs only its position, so it is placed with text(), as cell() would.
    """
    if pdf.will_page_break(height):
        pdf.add_page()
    cw = pdf.current_font.cw
    used = sum(map(cw.__getitem__, map(ord, line))) * pdf.font_size_pt * 0.001 / pdf.k
    if align == "R":
        dx = width - pdf.c_margin - used
    elif align == "C":
        dx = (width - used) / 2
    else:
        dx = pdf.c_margin
    if line:
        pdf.text(left + dx, pdf.y + 0.5 * height + 0.3 * pdf.font_size, line)
    pdf.set_xy(pdf.l_margin, pdf.y + height)


def keep(pdf: Any, height: float) -> None:
    """Start a new page unless ``height`` mm still fit on this one (so blocks never split)."""
    if pdf.will_page_break(height):
        pdf.add_page()


Cell = Any  # (text, size, bold, colour) or a list of them stacked in one cell


def table_height(pdf: Any, widths: tuple[float, ...], rows: list[list[Cell]], t: Any = str) -> float:
    """How tall these rows will be, so a short table can be kept whole on one page."""
    return sum(table_row(pdf, widths, cells, t, draw=False) for cells in rows)


def table_row(pdf: Any, widths: tuple[float, ...], cells: list[Cell], t: Any = str, *, draw: bool = True) -> float:
    """One table row that never splits: cells wrap, the row is as tall as its tallest cell."""
    pad = 1.2

    def parts(cell: Cell) -> list[tuple[str, float, bool, tuple[int, int, int]]]:
        return cell if isinstance(cell, list) else [cell]

    def height(cell: Cell, w: float) -> float:
        return sum(block(pdf, t(p[0]), p[1], bold=p[2], width=w - 2 * pad, draw=False) for p in parts(cell))

    row_h = max(height(c, w) for c, w in zip(cells, widths, strict=True)) + 2 * pad
    if not draw:
        return row_h
    keep(pdf, row_h)
    y = pdf.get_y()
    x = pdf.l_margin
    for cell, w in zip(cells, widths, strict=True):
        pdf.set_xy(x + pad, y + pad)
        for text, size, bold, colour in parts(cell):
            block(pdf, t(text), size, bold=bold, colour=colour, x=x + pad, width=w - 2 * pad)
        x += w
    pdf.set_draw_color(*LINE)
    pdf.set_line_width(0.2)
    pdf.line(pdf.l_margin, y + row_h, pdf.l_margin + sum(widths), y + row_h)
    pdf.set_xy(pdf.l_margin, y + row_h)
    return row_h


def draw_diagram(pdf: Any, diagram: Diagram, t: SafeText, box_w: float = 86.0) -> None:
    """Draw a diagram (bike or chart) centred, with its legend, on one page."""
    scale = box_w / diagram.width
    box_h = diagram.height * scale
    legend_h = 6 * ((len(diagram.legend) + 2) // 3)
    keep(pdf, box_h + legend_h + 6)
    x0 = (pdf.w - box_w) / 2
    y0 = pdf.get_y() + 2
    draw_shapes(pdf, diagram, t, x0, y0, box_w)
    pdf.set_y(y0 + box_h + 2)
    block(pdf, t("     ".join(diagram.legend_text())), 8.5, align="C", line_h=4.5)


def draw_shapes(pdf: Any, diagram: Diagram, t: SafeText, x0: float, y0: float, box_w: float) -> None:
    """The diagram's shapes only, ``box_w`` mm wide with its top left corner at (x0, y0)."""
    scale = box_w / diagram.width

    def pt(x: float, y: float) -> tuple[float, float]:
        return x0 + x * scale, y0 + y * scale

    colours = {
        "frame": (51, 65, 85),
        "wheel": (148, 163, 184),
        "part": INK,
        "mark": ACCENT,
        "guide": GUIDE,
        "zone": (220, 252, 231),
    }
    widths = {"frame": 1.3, "wheel": 0.8, "part": 1.3, "mark": 1.0, "guide": 0.6, "zone": 0.1}
    for s in diagram.shapes:
        colour = colours[s.role]
        pdf.set_draw_color(*colour)
        pdf.set_fill_color(*colour)
        pdf.set_line_width(widths[s.role] * (box_w / 86.0) ** 0.5)
        if s.dashed:
            pdf.set_dash_pattern(dash=1.6, gap=1.1)
        else:
            pdf.set_dash_pattern()
        p = s.points
        if s.kind == "rect":
            ax, ay = pt(p[0], p[1])
            pdf.rect(ax, ay, p[2] * scale, p[3] * scale, style="F")
        elif s.kind in ("line", "arrow"):
            (ax, ay), (bx, by) = pt(p[0], p[1]), pt(p[2], p[3])
            pdf.line(ax, ay, bx, by)
            if s.kind == "arrow":
                arrowhead(pdf, ax, ay, bx, by)
        elif s.kind == "polyline":
            pdf.polyline([pt(p[i], p[i + 1]) for i in range(0, len(p), 2)])
        elif s.kind == "circle":
            cx, cy = pt(p[0], p[1])
            filled = s.role == "mark" or (s.role == "guide" and not s.dashed)
            pdf.circle(cx, cy, p[2] * scale, style="F" if filled else "D")
        elif s.kind == "text":
            cx, cy = pt(p[0], p[1])
            pdf.set_font(FONT, "", 7)
            pdf.set_text_color(*colour)
            pdf.set_xy(cx - 15, cy - 2.8)
            pdf.cell(30, 3.5, t(s.text), align="C")
        elif s.kind == "badge":
            cx, cy = pt(p[0], p[1])
            pdf.set_dash_pattern()
            pdf.circle(cx, cy, 2.6, style="F")
            pdf.set_font(FONT, "B", 8)
            pdf.set_text_color(255, 255, 255)
            pdf.set_xy(cx - 2.6, cy - 2.2)
            pdf.cell(5.2, 4.4, s.text, align="C")
    pdf.set_dash_pattern()


def arrowhead(pdf: Any, ax: float, ay: float, bx: float, by: float) -> None:

    angle = math.atan2(by - ay, bx - ax)
    size = 2.6
    left = (bx - size * math.cos(angle - 0.45), by - size * math.sin(angle - 0.45))
    right = (bx - size * math.cos(angle + 0.45), by - size * math.sin(angle + 0.45))
    pdf.polygon([(bx, by), left, right], style="F")
