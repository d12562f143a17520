"""The report as a PDF (fpdf2, with the bundled Advisor Sans, a DejaVu Sans subset, so Latin, Greek or Cyrillic
name prints). Characters the font lacks are replaced by '?' and the header says so, so text
degrades visibly instead of printing empty boxes. Exercise cards never split across pages.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from advisor.report.diagram import Diagram
from advisor.report.model import Report

FONTS = Path(__file__).parent / "fonts"
FONT = "dejavu"
TIER_RGB = {
    "emergency": ((185, 28, 28), (254, 242, 242)),
    "urgent": ((194, 65, 12), (255, 247, 237)),
    "soon": ((161, 98, 7), (254, 252, 232)),
    "routine": ((21, 128, 61), (240, 253, 244)),
}
INK, MUTED, LINE, ACCENT = (15, 23, 42), (71, 85, 105), (203, 213, 225), (194, 65, 12)
GUIDE = (37, 99, 235)


@cache
def _cmap() -> frozenset[int]:
    from fontTools.ttLib import TTFont  # type: ignore[import-untyped]

    font = TTFont(str(FONTS / "AdvisorSans.ttf"), lazy=True)
    return frozenset(font.getBestCmap())


class _Text:
    """Replaces characters the font cannot draw, and remembers that it did."""

    def __init__(self) -> None:
        self.replaced = False

    def __call__(self, text: str) -> str:
        cmap = _cmap()
        out = []
        for ch in text:
            if ord(ch) in cmap or ch in "\n\t":
                out.append(ch)
            else:
                out.append("?")
                self.replaced = True
        return "".join(out)


def _pdf_class() -> Any:
    from fpdf import FPDF

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


def render(report: Report) -> bytes:
    t = _Text()
    pdf = _pdf_class()(format="A4" if report.paper == "a4" else "letter")
    pdf.set_margins(15, 12, 15)
    pdf.set_auto_page_break(True, margin=15)
    pdf.add_font(FONT, "", str(FONTS / "AdvisorSans.ttf"))
    pdf.add_font(FONT, "B", str(FONTS / "AdvisorSans-Bold.ttf"))
    pdf.set_title(t(report.title))
    pdf.set_creator("bikefit-advisor")
    pdf.footer_text = t(f"{report.client or 'Bike-fit report'} · {report.date.isoformat()} · not medical advice")
    pdf.add_page()
    _header(pdf, report, t)
    _referral(pdf, report, t)
    if report.agreement:
        _agreement(pdf, report, t)
    if report.follow_up:
        _follow_up(pdf, report, t)
    _adjustments(pdf, report, t)
    if report.diagram:
        _diagram(pdf, report.diagram, t)
    if not report.stop:
        _exercises(pdf, report, t)
    _heading(pdf, "When to re-assess")
    by = f" By {report.reassess_date.isoformat()}." if report.reassess_date else ""
    _para(pdf, t(report.reassess_advice + by))
    _answers(pdf, report, t)
    _why(pdf, report, t)
    _disclaimer(pdf, report, t)
    if t.replaced:
        # Say so on page 1, where the reader looks first.
        pdf.page = 1
        pdf.set_xy(pdf.l_margin, 8)
        pdf.set_font(FONT, "", 7)
        pdf.set_text_color(*ACCENT)
        pdf.cell(0, 4, "Some characters are not in this PDF's font and print as '?'; the HTML report shows them.")
        pdf.page = pdf.pages_count
    return bytes(pdf.output())


def _wrap(pdf: Any, text: str, width: float) -> list[str]:
    """Greedy word wrap with the current font, in linear time.

    fpdf2's own multi_cell re-measures the growing line for every character, which made a
    report take most of a second; measuring each word once keeps it to a few milliseconds.
    """
    cw = pdf.current_font.cw
    scale = pdf.font_size_pt * 0.001 / pdf.k

    def width_of(s: str) -> float:
        return sum(cw[ord(c)] if ord(c) < len(cw) else 600 for c in s) * scale

    space = width_of(" ")
    lines: list[str] = []
    for paragraph in text.split("\n"):
        line, used = "", 0.0
        for word in paragraph.split(" "):
            w = width_of(word)
            if line and used + space + w > width:
                lines.append(line)
                line, used = "", 0.0
            while w > width:  # a word longer than the line: break it
                cut = len(word)
                while cut > 1 and width_of(word[:cut]) > width:
                    cut -= 1
                lines.append(word[:cut])
                word = word[cut:]
                w = width_of(word)
            line, used = (f"{line} {word}", used + space + w) if line else (word, w)
        lines.append(line)
    return lines


def _block(
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
    lines = _wrap(pdf, text, avail)
    if draw:
        pdf.set_text_color(*colour)
        for line in lines:
            pdf.set_x(left)
            pdf.cell(avail, step, line, align=align, new_x="LMARGIN", new_y="NEXT")
    return len(lines) * step


def _keep(pdf: Any, height: float) -> None:
    """Start a new page unless ``height`` mm still fit on this one (so blocks never split)."""
    if pdf.will_page_break(height):
        pdf.add_page()


def _heading(pdf: Any, text: str, keep: float = 24) -> None:
    pdf.ln(3)
    _keep(pdf, max(keep, 24))  # a heading never ends a page alone: it stays with what follows
    pdf.set_font(FONT, "B", 12.5)
    pdf.set_text_color(*INK)
    pdf.cell(0, 7, text, new_x="LMARGIN", new_y="NEXT")
    pdf.set_draw_color(*LINE)
    pdf.set_line_width(0.4)
    pdf.line(pdf.l_margin, pdf.get_y(), pdf.w - pdf.r_margin, pdf.get_y())
    pdf.ln(2)


def _para(pdf: Any, text: str, size: float = 10, colour: tuple[int, int, int] = INK, bold: bool = False) -> None:
    _block(pdf, text, size, bold=bold, colour=colour, line_h=size * 0.5)


def _header(pdf: Any, report: Report, t: _Text) -> None:
    if report.studio_name:
        _para(pdf, t(report.studio_name), 11, bold=True)
    if report.studio_contact:
        _para(pdf, t(report.studio_contact), 9, MUTED)
    _para(pdf, t(report.title), 17, bold=True)
    _para(pdf, t(f"{report.date.isoformat()} · {report.questionnaire}"), 9.5, MUTED)
    pdf.ln(2)


def _referral(pdf: Any, report: Report, t: _Text) -> None:
    border, fill = TIER_RGB.get(report.referral.urgency, (INK, (255, 255, 255)))
    ref = report.referral
    width = pdf.w - pdf.l_margin - pdf.r_margin
    pad = 4
    headline_size = 19 if report.stop else 13
    reasons = "\n".join(f"• {r}" for r in ref.reasons)

    parts = ((ref.headline, headline_size, True), (ref.advice, 10, False), ("Why:", 10, True), (reasons, 9.5, False))

    def body(draw: bool) -> float:
        height = 0.0
        for text, size, bold in parts:
            colour = border if text is ref.headline else INK
            height += _block(
                pdf,
                t(text),
                size,
                bold=bold,
                colour=colour,
                x=pdf.l_margin + pad,
                width=width - 2 * pad,
                line_h=size * 0.5,
                draw=draw,
            )
            height += 1.5
            if draw:
                pdf.ln(1.5)
        return height

    height = body(draw=False) + 2 * pad
    _keep(pdf, height)
    y = pdf.get_y()
    pdf.set_draw_color(*border)
    pdf.set_fill_color(*fill)
    pdf.set_line_width(0.9)
    pdf.rect(pdf.l_margin, y, width, height, style="DF", round_corners=True, corner_radius=2.5)
    pdf.set_y(y + pad)
    body(draw=True)
    pdf.set_y(y + height + 2)


def _agreement(pdf: Any, report: Report, t: _Text) -> None:
    _heading(pdf, "Agreed in this consultation")
    widths = (90.0, 25.0, 65.0)
    _table_row(
        pdf, widths, [("Recommendation", 8.5, True, MUTED), ("Decision", 8.5, True, MUTED), ("Note", 8.5, True, MUTED)]
    )
    for a in report.agreement:
        decision = ("Agreed", 9, True, (21, 128, 61)) if a.accepted else ("Declined", 9, True, (154, 52, 18))
        _table_row(pdf, widths, [(f"{a.name} ({a.kind})", 9, False, INK), decision, (a.note or "-", 9, False, INK)], t)
    if any(not a.accepted for a in report.agreement):
        pdf.ln(1)
        _para(pdf, "Declined items are left out of the plan below.", 8.5, MUTED)


def _follow_up(pdf: Any, report: Report, t: _Text) -> None:
    fu = report.follow_up
    assert fu is not None
    _heading(pdf, f"Since the last visit ({fu.previous_date.isoformat()})")
    widths = (80.0, 50.0, 50.0)
    _table_row(
        pdf, widths, [("Measure", 8.5, True, MUTED), ("Last visit", 8.5, True, MUTED), ("Now", 8.5, True, MUTED)]
    )
    for row in fu.rows:
        _table_row(
            pdf,
            widths,
            [(row.label, 9, False, INK), (row.before_text, 9, False, MUTED), (row.after_text, 9, True, INK)],
            t,
        )
    if fu.chart:
        pdf.ln(2)
        _diagram(pdf, fu.chart, t, box_w=120.0)


def _adjustments(pdf: Any, report: Report, t: _Text) -> None:
    _heading(pdf, "Riding and the bike: what to do now" if report.stop else "Bike-fit adjustments")
    if not report.adjustments:
        _para(pdf, "No bike changes are needed from your answers.")
        return
    if not report.stop:
        _para(pdf, "Make one change at a time, in this order, and check it before the next.", 9, MUTED)
    pdf.ln(1)
    widths = (7.0, 85.0, 44.0, 44.0)
    heads = ("#", "What to change, and why", "Step", "Check afterwards")
    _table_row(pdf, widths, [(h, 8.5, True, MUTED) for h in heads])
    for i, a in enumerate(report.adjustments, 1):
        what = [(a.name, 9, True, INK), (a.change, 9, False, INK), ("Why: " + "\n".join(a.because), 8.3, False, MUTED)]
        _table_row(
            pdf,
            widths,
            [(str(i), 9, True, ACCENT), what, (a.step, 9, False, INK), (a.check, 9, False, INK)],
            t,
        )


Cell = Any  # (text, size, bold, colour) or a list of them stacked in one cell


def _table_row(pdf: Any, widths: tuple[float, ...], cells: list[Cell], t: Any = str) -> None:
    """One table row that never splits: cells wrap, the row is as tall as its tallest cell."""
    pad = 1.2

    def parts(cell: Cell) -> list[tuple[str, float, bool, tuple[int, int, int]]]:
        return cell if isinstance(cell, list) else [cell]

    def height(cell: Cell, w: float) -> float:
        return sum(_block(pdf, t(p[0]), p[1], bold=p[2], width=w - 2 * pad, draw=False) for p in parts(cell))

    row_h = max(height(c, w) for c, w in zip(cells, widths, strict=True)) + 2 * pad
    _keep(pdf, row_h)
    y = pdf.get_y()
    x = pdf.l_margin
    for cell, w in zip(cells, widths, strict=True):
        pdf.set_xy(x + pad, y + pad)
        for text, size, bold, colour in parts(cell):
            _block(pdf, t(text), size, bold=bold, colour=colour, x=x + pad, width=w - 2 * pad)
        x += w
    pdf.set_draw_color(*LINE)
    pdf.set_line_width(0.2)
    pdf.line(pdf.l_margin, y + row_h, pdf.l_margin + sum(widths), y + row_h)
    pdf.set_xy(pdf.l_margin, y + row_h)


def _diagram(pdf: Any, diagram: Diagram, t: _Text, box_w: float = 86.0) -> None:
    """Draw a diagram (bike or chart) centred, with its legend, on one page."""
    scale = box_w / diagram.width
    box_h = diagram.height * scale
    legend_h = 6 * ((len(diagram.legend) + 2) // 3)
    _keep(pdf, box_h + legend_h + 6)
    x0 = (pdf.w - box_w) / 2
    y0 = pdf.get_y() + 2

    def pt(x: float, y: float) -> tuple[float, float]:
        return x0 + x * scale, y0 + y * scale

    colours = {"frame": (51, 65, 85), "wheel": (148, 163, 184), "part": INK, "mark": ACCENT, "guide": GUIDE}
    widths = {"frame": 1.3, "wheel": 0.8, "part": 1.3, "mark": 1.0, "guide": 0.6}
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
        if s.kind in ("line", "arrow"):
            (ax, ay), (bx, by) = pt(p[0], p[1]), pt(p[2], p[3])
            pdf.line(ax, ay, bx, by)
            if s.kind == "arrow":
                _arrowhead(pdf, ax, ay, bx, by)
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
    pdf.set_y(y0 + box_h + 2)
    _block(pdf, t("     ".join(diagram.legend_text())), 8.5, align="C", line_h=4.5)


def _arrowhead(pdf: Any, ax: float, ay: float, bx: float, by: float) -> None:
    import math

    angle = math.atan2(by - ay, bx - ax)
    size = 2.6
    left = (bx - size * math.cos(angle - 0.45), by - size * math.sin(angle - 0.45))
    right = (bx - size * math.cos(angle + 0.45), by - size * math.sin(angle + 0.45))
    pdf.polygon([(bx, by), left, right], style="F")


def _exercises(pdf: Any, report: Report, t: _Text) -> None:
    width = pdf.w - pdf.l_margin - pdf.r_margin
    cards = [_card_lines(i, e) for i, e in enumerate(report.exercises, 1)]
    pad = 2.6
    inner = width - 2 * pad

    def height(lines: list[tuple[str, float, bool, tuple[int, int, int]]]) -> float:
        return 2 * pad + sum(
            _block(pdf, t(text), size, bold=bold, width=inner, draw=False) + 0.6 for text, size, bold, _ in lines
        )

    heights = [height(lines) for lines in cards]
    _heading(pdf, "Exercise plan", keep=12 + (heights[0] if heights else 0))
    if not cards:
        _para(pdf, "No exercises are suggested from your answers.")
        return
    for lines, card_h in zip(cards, heights, strict=True):
        _keep(pdf, card_h + 3)  # a card never splits across pages
        y = pdf.get_y()
        pdf.set_draw_color(*LINE)
        pdf.set_line_width(0.3)
        pdf.rect(pdf.l_margin, y, width, card_h, round_corners=True, corner_radius=1.8)
        pdf.set_y(y + pad)
        for text, size, bold, colour in lines:
            _block(pdf, t(text), size, bold=bold, colour=colour, x=pdf.l_margin + pad, width=inner)
            pdf.ln(0.6)
        pdf.set_y(y + card_h + 3)


def _card_lines(i: int, e: Any) -> list[tuple[str, float, bool, tuple[int, int, int]]]:
    lines: list[tuple[str, float, bool, tuple[int, int, int]]] = [
        (f"{i}. {e.name} · {e.target}", 10.5, True, INK),
        (f"Dose: {e.dose}", 9.2, True, INK),
        *[(f"{n}. {step}", 8.9, False, INK) for n, step in enumerate(e.steps, 1)],
    ]
    if e.progression:
        lines.append((f"Harder: {e.progression}", 8.7, False, INK))
    lines.append((f"Easier: {e.regression}", 8.7, False, INK))
    if e.equipment:
        lines.append((f"You need: {', '.join(e.equipment)}", 8.7, False, INK))
    lines += [(f"Caution: {c}", 8.7, False, (154, 52, 18)) for c in e.cautions]
    lines.append((f"Why: {' '.join(e.because)}", 8.5, False, MUTED))
    return lines


def _answers(pdf: Any, report: Report, t: _Text) -> None:
    """The answers in two columns of label/value rows, groups kept whole where they fit."""
    _heading(pdf, "Your answers")
    gap = 6.0
    col = (pdf.w - pdf.l_margin - pdf.r_margin - gap) / 2
    entries: list[tuple[str, str]] = []  # ("", title) for a group title, else (label, value)
    for group in report.answers:
        entries.append(("", group.title))
        entries.extend((line.label, line.value) for line in group.lines)
    half = (len(entries) + 1) // 2
    # Start the right column at a group title near the middle, so no group is cut in two.
    titles = [i for i, (label, _) in enumerate(entries) if not label]
    split = min(titles, key=lambda i: abs(i - half)) if len(titles) > 1 else half
    columns = (entries[:split], entries[split:])
    for row in range(max(len(c) for c in columns)):
        cells = [c[row] if row < len(c) else None for c in columns]
        heights = [_answer_cell(pdf, cell, col, t, None, 0.0) for cell in cells]
        row_h = max(heights)
        _keep(pdf, row_h)
        y = pdf.get_y()
        for i, cell in enumerate(cells):
            _answer_cell(pdf, cell, col, t, pdf.l_margin + i * (col + gap), y)
        pdf.set_xy(pdf.l_margin, y + row_h)
    if report.not_assessed:
        pdf.ln(2)
        _keep(pdf, 6 + 4.5 * len(report.not_assessed))
        _block(pdf, "Not assessed", 9.5, bold=True, line_h=5.5)
        for item in report.not_assessed:
            _block(pdf, t(f"• {item}"), 8.6, line_h=4.3)


def _answer_cell(pdf: Any, cell: tuple[str, str] | None, width: float, t: Any, x: float | None, y: float) -> float:
    """Draw one entry of the answers grid at (x, y), or only measure it when x is None."""
    if cell is None:
        return 0.0
    label, value = cell
    draw = x is not None
    if not label:  # a group title
        if draw:
            pdf.set_xy(x, y + 1.5)
        return 1.5 + _block(pdf, t(value), 9.2, bold=True, x=x, width=width, line_h=5.0, draw=draw)
    label_w = width * 0.55
    pad = 0.7
    if x is not None:
        pdf.set_xy(x, y + pad)
    h1 = _block(pdf, t(label), 8.3, colour=MUTED, x=x, width=label_w - 1, line_h=3.8, draw=draw)
    if x is not None:
        pdf.set_xy(x + label_w, y + pad)
    h2 = _block(pdf, t(value), 8.3, x=None if x is None else x + label_w, width=width - label_w, line_h=3.8, draw=draw)
    height = max(h1, h2) + 2 * pad
    if x is not None:
        pdf.set_draw_color(*LINE)
        pdf.set_line_width(0.15)
        pdf.line(x, y + height, x + width, y + height)
    return height


def _why(pdf: Any, report: Report, t: _Text) -> None:
    _heading(pdf, "Why these recommendations")
    for i, w in enumerate(report.why, 1):
        text = t(f"{i}. {w.effect} ({w.rule}): {w.description} [{', '.join(s.id for s in w.sources)}]")
        _keep(pdf, _block(pdf, text, 7.8, line_h=3.5, draw=False))
        _block(pdf, text, 7.8, colour=INK, line_h=3.5)
        pdf.ln(0.6)
    _keep(pdf, 14)
    pdf.ln(1.5)
    _block(pdf, "Sources", 9.5, bold=True, line_h=5.0)
    # On paper a full address is of little use; the site's name is enough to find it, and
    # the HTML and Markdown reports carry the links.
    refs = []
    for src in report.sources:
        host = (urlparse(src.url).hostname or "").removeprefix("www.")
        where = f" ({host})" if host and host not in src.title else ""
        refs.append(f"[{src.id}] {src.title}{where}")
    _block(pdf, t(";  ".join(refs) + "."), 7.2, colour=MUTED, line_h=3.3)


def _disclaimer(pdf: Any, report: Report, t: _Text) -> None:
    pdf.ln(3)
    _keep(pdf, 3 + _block(pdf, t(report.disclaimer), 8.8, line_h=4.4, draw=False))
    pdf.set_draw_color(*LINE)
    pdf.set_line_width(0.5)
    pdf.line(pdf.l_margin, pdf.get_y(), pdf.w - pdf.r_margin, pdf.get_y())
    pdf.ln(2)
    _para(pdf, t(report.disclaimer), 8.8, MUTED)
