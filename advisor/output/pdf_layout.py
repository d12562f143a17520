"""Layout for the PDF report on top of fpdf2: fonts, fast word wrap, blocks that never split.

fpdf2 draws; this module decides where. Text is wrapped here, one measured word at a
time, because fpdf2's own multi_cell re-measures the growing line for every character.
"""

from __future__ import annotations

import math
from functools import cache
from pathlib import Path
from typing import Any

from fpdf import FPDF

from advisor.output.diagram import Diagram

FONTS = Path(__file__).parent / "fonts"
FONT = "dejavu"
INK, MUTED, LINE, ACCENT = (15, 23, 42), (71, 85, 105), (203, 213, 225), (194, 65, 12)
GUIDE = (37, 99, 235)


class SafeText:
    """Replaces characters the font cannot draw, and remembers that it did."""

    def __init__(self, drawable: frozenset[int]) -> None:
        self.drawable = drawable
        self.replaced = False

    def __call__(self, text: str) -> str:
        out = []
        for ch in text:
            if ord(ch) in self.drawable or ch in "\n\t":
                out.append(ch)
            else:
                out.append("?")
                self.replaced = True
        return "".join(out)


def new_pdf(paper: str) -> tuple[Any, SafeText]:
    """A page-numbered PDF with the bundled fonts, and the text filter for those fonts."""
    pdf = _pdf_class()(format="A4" if paper == "a4" else "letter")
    pdf.set_margins(15, 12, 15)
    pdf.set_auto_page_break(True, margin=15)
    pdf.add_font(FONT, "", str(FONTS / "AdvisorSans.ttf"))
    pdf.add_font(FONT, "B", str(FONTS / "AdvisorSans-Bold.ttf"))
    # fpdf2 has read the font's character map already; the filter reuses it.
    return pdf, SafeText(frozenset(pdf.fonts[FONT].cmap))


@cache
def _pdf_class() -> Any:
    class ReportPDF(FPDF):
        footer_text = ""

        def footer(self) -> None:
            self.set_y(-12)
            self.set_font(FONT, "", 8)
            self.set_text_color(*MUTED)
            self.cell(0, 5, self.footer_text, align="L")
            self.set_x(self.l_margin)
            self.cell(0, 5, f"Page {self.page_no()} of {{nb}}", align="R")

    return ReportPDF


def wrap(pdf: Any, text: str, width: float) -> list[str]:
    """Greedy word wrap with the current font, in linear time.

    fpdf2's own multi_cell re-measures the growing line for every character, which made a
    report take most of a second; measuring each word once keeps it to a few milliseconds.
    """
    cw = pdf.current_font.cw
    scale = pdf.font_size_pt * 0.001 / pdf.k

    def char_width(c: str) -> float:
        return (cw[ord(c)] if ord(c) < len(cw) else 600) * scale

    def width_of(s: str) -> float:
        return sum(char_width(c) for c in s)

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
    pdf.set_font(FONT, "B" if bold else "", size)
    left = pdf.l_margin if x is None else x
    avail = (pdf.w - pdf.r_margin - left) if width is None else width
    step = line_h or size * 0.45
    lines = wrap(pdf, text, avail)
    if draw:
        pdf.set_text_color(*colour)
        for line in lines:
            pdf.set_x(left)
            pdf.cell(avail, step, line, align=align, new_x="LMARGIN", new_y="NEXT")
    return len(lines) * step


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
