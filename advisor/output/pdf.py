"""The report as a PDF, section by section, in the order of the report model.

The bundled Advisor Sans (a DejaVu Sans subset) prints Latin, Greek and Cyrillic names;
characters it lacks print as '?' and page 1 says so, so text degrades visibly instead of
printing empty boxes. Exercise cards and table rows never split across pages.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import io
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from advisor.core.figures import Picture
from advisor.output.chart import Panels
from advisor.output.diagram import Diagram
from advisor.output.pdf_layout import (
    ACCENT,
    FONT,
    INK,
    LINE,
    MUTED,
    SafeText,
    block,
    draw_diagram,
    draw_shapes,
    keep,
    new_pdf,
    rgb,
    table_height,
    table_row,
)
from advisor.output.pictures import exercise_picture
from advisor.output.report import FOR_THE_CLINICIAN, STATUS_WORDS, Report

LOGO_W = 40.0  # mm: the studio's logo at most this wide, 14 mm high
DIAGRAM_W = 125.0  # mm: the bike, wide enough to read its marks
PANEL_GAP = 4.0  # mm between two chart panels side by side
# mm: an exercise's picture in its card. A wide one is scaled to the card's width, but
# pictures.MAX_ASPECT keeps it at least 35 mm tall even then.
PICTURE_H = 40.0

TIER_RGB = {
    "emergency": ((185, 28, 28), (254, 242, 242)),
    "urgent": ((194, 65, 12), (255, 247, 237)),
    "soon": ((161, 98, 7), (254, 252, 232)),
    "routine": ((21, 128, 61), (240, 253, 244)),
}


def warm_up() -> None:
    """Fonts and classes loaded before the first report (a batch worker renders many)."""
    new_pdf("a4")


def texts(value: Any) -> list[str]:
    """Every piece of text inside a report, to choose a font that draws all of it.

    The report's own words (headings, labels) are in this package's source, which the tests
    hold to the smaller font; everything that varies (names, notes, the advice) is in here.
    """
    found: list[str] = []
    _gather(value, found)
    return found


# Numbers and dates print as digits, which every font draws; a logo or a path is never printed.
_NO_TEXT = (int, float, dt.date, bytes, Path, type(None))


def _gather(value: Any, found: list[str]) -> None:
    # Appends to one list rather than yielding: a report nests many levels deep, and every
    # string yielded would climb back up through each level's generator.
    if isinstance(value, str):
        found.append(value)
    elif isinstance(value, _NO_TEXT):
        return
    elif isinstance(value, dict):
        for key, item in value.items():
            _gather(key, found)
            _gather(item, found)
    elif isinstance(value, (list, tuple, set, frozenset)):
        for item in value:
            _gather(item, found)
    elif isinstance(value, Picture):  # angles and lengths, and a caption under each frame
        found.extend(frame.label for frame in value.frames)
    elif isinstance(value, BaseModel) or dataclasses.is_dataclass(value):
        _gather(vars(value), found)
    else:
        found.append(str(value))  # an enum or the like, as it would be printed


def render(report: Report) -> bytes:
    pdf, t = new_pdf(report.paper, texts(report))
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
    if report.fit:
        _fit_record(pdf, report, t)
    if not report.stop:
        _exercises(pdf, report, t)
    else:
        # Page 1 holds the warning and the action only; the details are for the clinician.
        pdf.add_page()
        _para(pdf, FOR_THE_CLINICIAN, 9, MUTED)
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


def _heading(pdf: Any, text: str, room: float = 24) -> None:
    pdf.ln(3)
    keep(pdf, max(room, 24))  # a heading never ends a page alone: it stays with what follows
    pdf.set_font(FONT, "B", 12.5)
    pdf.set_text_color(*INK)
    pdf.cell(0, 7, text, new_x="LMARGIN", new_y="NEXT")
    pdf.set_draw_color(*LINE)
    pdf.set_line_width(0.4)
    pdf.line(pdf.l_margin, pdf.get_y(), pdf.w - pdf.r_margin, pdf.get_y())
    pdf.ln(2)


def _para(
    pdf: Any,
    text: str,
    size: float = 10,
    colour: tuple[int, int, int] = INK,
    bold: bool = False,
    width: float | None = None,
) -> None:
    block(pdf, text, size, bold=bold, colour=colour, line_h=size * 0.5, width=width)


def _header(pdf: Any, report: Report, t: SafeText) -> None:
    width = None
    if report.studio_logo:
        # At the top right, beside the studio's name; the header's text keeps clear of it.
        with contextlib.suppress(Exception):  # a logo fpdf2 cannot read must never cost the report
            x = pdf.w - pdf.r_margin - LOGO_W
            pdf.image(io.BytesIO(report.studio_logo[0]), x=x, y=pdf.t_margin, w=LOGO_W, h=14, keep_aspect_ratio=True)
            width = pdf.w - pdf.l_margin - pdf.r_margin - LOGO_W - 4
    if report.studio_name:
        _para(pdf, t(report.studio_name), 11, bold=True, width=width)
    if report.studio_contact:
        _para(pdf, t(report.studio_contact), 9, MUTED, width=width)
    _para(pdf, t(report.title), 17, bold=True, width=width)
    _para(pdf, t(report.meta), 9.5, MUTED, width=width)
    pdf.ln(2)


def _referral(pdf: Any, report: Report, t: SafeText) -> None:
    border, fill = TIER_RGB.get(report.referral.urgency, (INK, (255, 255, 255)))
    ref = report.referral
    width = pdf.w - pdf.l_margin - pdf.r_margin
    pad = 4
    headline_size = 19 if report.stop else 13
    parts: list[tuple[str, float, bool]] = [(ref.headline, headline_size, True)]
    parts += [(note, 10.5, True) for note in ref.notes]
    parts.append((ref.advice, 10, False))
    if report.stop:
        for reasons, todo, tell in report.referral.action_groups():
            parts.append(("\n".join(f"• {r}" for r in reasons), 10.5, True))
            parts.append((f"What to do: {todo}", 10.5, False))
            parts.append((f"Tell the doctor: {tell}", 10, False))
    else:
        parts += [("Why:", 10, True), ("\n".join(f"• {r}" for r in ref.reasons), 9.5, False)]

    def body(draw: bool) -> float:
        height = 0.0
        for text, size, bold in parts:
            colour = border if text is ref.headline else INK
            height += block(
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
    keep(pdf, height)
    y = pdf.get_y()
    pdf.set_draw_color(*border)
    pdf.set_fill_color(*fill)
    pdf.set_line_width(0.9)
    pdf.rect(pdf.l_margin, y, width, height, style="DF", round_corners=True, corner_radius=2.5)
    pdf.set_y(y + pad)
    body(draw=True)
    pdf.set_y(y + height + 2)


def _table(
    pdf: Any, title: str, widths: tuple[float, ...], heads: tuple[str, ...], rows: list[list[Any]], t: SafeText
) -> None:
    """A heading and a table, kept whole on one page when it fits on a page at all."""
    header = [(h, 8.5, True, MUTED) for h in heads]
    height = table_height(pdf, widths, [header, *rows], t)
    usable = pdf.h - pdf.t_margin - pdf.b_margin - 20
    _heading(pdf, title, room=height + 12 if height < usable else 40)
    table_row(pdf, widths, header)
    for cells in rows:
        table_row(pdf, widths, cells, t)


def _agreement(pdf: Any, report: Report, t: SafeText) -> None:
    rows = []
    for a in report.agreement:
        decision = ("Agreed", 9, True, (21, 128, 61)) if a.accepted else ("Declined", 9, True, (154, 52, 18))
        rows.append([(f"{a.name} ({a.kind})", 9, False, INK), decision, (a.note or "-", 9, False, INK)])
    _table(pdf, "Agreed in this consultation", (90.0, 25.0, 65.0), ("Recommendation", "Decision", "Note"), rows, t)
    if any(not a.accepted for a in report.agreement):
        pdf.ln(1)
        _para(pdf, "Declined items are left out of the plan below.", 8.5, MUTED)


FIT_WIDTHS = (68.0, 34.0, 34.0, 34.0)  # mm: setting, before, after, change


def _fit_record(pdf: Any, report: Report, t: SafeText) -> None:
    """Which bike, then its settings before and after with the change ('+4 mm', 'changed'),
    the bike's line and the table kept with the heading on one page where they fit."""
    fit = report.fit
    assert fit is not None
    rows = []
    for row in fit.rows:
        after = (row.after, 9, True, ACCENT) if row.changed else (row.after, 9, False, INK)
        rows.append([(row.label, 9, False, INK), (row.before, 9, False, MUTED), after, (row.change, 9, True, INK)])
    header = [(h, 8.5, True, MUTED) for h in ("Setting", "Before", "After", "Change")]
    height = table_height(pdf, FIT_WIDTHS, [header, *rows], t) if rows else 0.0
    bike = block(pdf, t(fit.bike_line), 10, bold=True, line_h=5, draw=False) + 1 if fit.bike_line else 0.0
    usable = pdf.h - pdf.t_margin - pdf.b_margin - 20
    _heading(pdf, "Fit record: the bike before and after", room=bike + height + 12 if height < usable else 40)
    if fit.bike_line:
        _para(pdf, t(fit.bike_line), 10, bold=True)
        pdf.ln(1)
    if rows:
        table_row(pdf, FIT_WIDTHS, header)
        for cells in rows:
            table_row(pdf, FIT_WIDTHS, cells, t)
    for s in fit.statuses:
        colour = (154, 52, 18) if s.status == "open" else INK
        _para(pdf, f"{s.adjustment}: {STATUS_WORDS[s.status]}", 9, colour)


def _follow_up(pdf: Any, report: Report, t: SafeText) -> None:
    fu = report.follow_up
    assert fu is not None
    rows = [
        [(row.label, 9, False, INK), (row.before_text, 9, False, MUTED), (row.after_text, 9, True, INK)]
        for row in fu.rows
    ]
    title = f"Since the last visit ({fu.previous_date.isoformat()})"
    _table(pdf, title, (80.0, 50.0, 50.0), ("Measure", "Last visit", "Now"), rows, t)
    for group in fu.charts:
        _panels(pdf, group, t)


def _panels(pdf: Any, group: Panels, t: SafeText) -> None:
    """A chart's heading, its panels two to a row (88 mm wide on A4, where the smallest text
    prints at 9.5 pt), and how to read them; the heading stays with the first row."""
    per_row = 2
    box_w = (pdf.w - pdf.l_margin - pdf.r_margin - PANEL_GAP * (per_row - 1)) / per_row
    rows = [group.diagrams[i : i + per_row] for i in range(0, len(group.diagrams), per_row)]
    pdf.ln(3)
    for n, row in enumerate(rows):
        height = max(d.height * box_w / d.width for d in row)
        keep(pdf, height + (9 if n == 0 else 2))
        if n == 0:
            _para(pdf, t(group.heading), 10.5, bold=True)
        top = pdf.get_y() + 1
        for k, diagram in enumerate(row):
            draw_shapes(pdf, diagram, t, pdf.l_margin + k * (box_w + PANEL_GAP), top, box_w)
        pdf.set_y(top + height + 1)
    _para(pdf, t(group.note), 8.5, MUTED)


def _adjustments(pdf: Any, report: Report, t: SafeText) -> None:
    diagram = report.diagram
    # The bike comes first, large, on the same page as the heading and the start of the list.
    room = DIAGRAM_W * diagram.height / diagram.width + 6 * ((len(diagram.legend) + 1) // 2) + 30 if diagram else 24
    _heading(pdf, "Riding and the bike: what to do now" if report.stop else "Bike-fit adjustments", room=room)
    if not report.adjustments:
        _para(pdf, "No bike changes are needed from your answers.")
        return
    if diagram:
        draw_diagram(pdf, diagram, t, box_w=DIAGRAM_W)
    pdf.ln(1)
    widths = (7.0, 85.0, 44.0, 44.0)
    heads = ("#", "What to change, and why", "Step", "Check afterwards")
    table_row(pdf, widths, [(h, 8.5, True, MUTED) for h in heads])
    for _phase, title, items in report.phases:
        if not report.stop:
            keep(pdf, 14)
            _para(pdf, t(title), 9, ACCENT, bold=True)
        for i, a in items:
            what: list[tuple[str, float, bool, tuple[int, int, int]]] = [
                (a.name, 9, True, INK),
                (a.change, 9, False, INK),
            ]
            what += [("For you: " + n, 8.5, False, INK) for n in a.notes]
            what.append(("Why: " + "\n".join(a.because), 8.3, False, MUTED))
            table_row(
                pdf,
                widths,
                [(str(i), 9, True, ACCENT), what, (a.step, 9, False, INK), (a.check, 9, False, INK)],
                t,
            )


def _exercises(pdf: Any, report: Report, t: SafeText) -> None:
    width = pdf.w - pdf.l_margin - pdf.r_margin
    cards = [_card_lines(i, e) for i, e in enumerate(report.exercises, 1)]
    pictures = [exercise_picture(report.pictures[e.id]) if e.id in report.pictures else None for e in report.exercises]
    pad = 2.6
    inner = width - 2 * pad

    def height(lines: list[tuple[str, float, bool, tuple[int, int, int]]], picture: Diagram | None) -> float:
        text_h = sum(
            block(pdf, t(text), size, bold=bold, width=inner, draw=False) + 0.6 for text, size, bold, _ in lines
        )
        return 2 * pad + text_h + (_picture_h(picture, inner) + 2 if picture else 0)

    heights = [height(lines, picture) for lines, picture in zip(cards, pictures, strict=True)]
    _heading(pdf, "Exercise plan", room=12 + (heights[0] if heights else 0))
    if not cards:
        _para(pdf, "No exercises are suggested from your answers.")
        return
    for lines, card_h, picture in zip(cards, heights, pictures, strict=True):
        keep(pdf, card_h + 3)  # a card never splits across pages
        y = pdf.get_y()
        pdf.set_draw_color(*LINE)
        pdf.set_line_width(0.3)
        pdf.rect(pdf.l_margin, y, width, card_h, round_corners=True, corner_radius=1.8)
        pdf.set_y(y + pad)
        for n, (text, size, bold, colour) in enumerate(lines):
            block(pdf, t(text), size, bold=bold, colour=colour, x=pdf.l_margin + pad, width=inner)
            pdf.ln(0.6)
            if n == 0 and picture is not None:  # the picture under the exercise's name
                box_w = min(PICTURE_H * picture.width / picture.height, inner)
                top = pdf.get_y()
                draw_shapes(pdf, picture, t, pdf.l_margin + (width - box_w) / 2, top, box_w)
                pdf.set_y(top + box_w * picture.height / picture.width + 2)
        pdf.set_y(y + card_h + 3)


def _picture_h(picture: Diagram, inner: float) -> float:
    return min(PICTURE_H * picture.width / picture.height, inner) * picture.height / picture.width


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
    lines += [(f"For you: {n}", 8.8, False, INK) for n in e.notes]
    lines.append((f"Why: {' '.join(e.because)}", 8.5, False, MUTED))
    return lines


def _answers(pdf: Any, report: Report, t: SafeText) -> None:
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
        keep(pdf, row_h)
        y = pdf.get_y()
        for i, cell in enumerate(cells):
            _answer_cell(pdf, cell, col, t, pdf.l_margin + i * (col + gap), y)
        pdf.set_xy(pdf.l_margin, y + row_h)
    if report.not_assessed:
        pdf.ln(2)
        keep(pdf, 6 + 4.5 * len(report.not_assessed))
        block(pdf, "Not assessed", 9.5, bold=True, line_h=5.5)
        for item in report.not_assessed:
            block(pdf, t(f"• {item}"), 8.6, line_h=4.3)


def _answer_cell(pdf: Any, cell: tuple[str, str] | None, width: float, t: Any, x: float | None, y: float) -> float:
    """Draw one entry of the answers grid at (x, y), or only measure it when x is None."""
    if cell is None:
        return 0.0
    label, value = cell
    draw = x is not None
    if not label:  # a group title
        if draw:
            pdf.set_xy(x, y + 1.5)
        return 1.5 + block(pdf, t(value), 9.2, bold=True, x=x, width=width, line_h=5.0, draw=draw)
    label_w = width * 0.55
    pad = 0.7
    if x is not None:
        pdf.set_xy(x, y + pad)
    h1 = block(pdf, t(label), 8.3, colour=MUTED, x=x, width=label_w - 1, line_h=3.8, draw=draw)
    if x is not None:
        pdf.set_xy(x + label_w, y + pad)
    h2 = block(pdf, t(value), 8.3, x=None if x is None else x + label_w, width=width - label_w, line_h=3.8, draw=draw)
    height = max(h1, h2) + 2 * pad
    if x is not None:
        pdf.set_draw_color(rgb(LINE))
        pdf.set_line_width(0.15)
        pdf.line(x, y + height, x + width, y + height)
    return height


def _why(pdf: Any, report: Report, t: SafeText) -> None:
    _heading(pdf, "Why these recommendations")
    for i, w in enumerate(report.why, 1):
        text = t(f"{i}. {w.effect} ({w.rule}): {w.description} [{w.cited()}]")
        keep(pdf, block(pdf, text, 7.4, line_h=3.2, draw=False))
        block(pdf, text, 7.4, colour=INK, line_h=3.2)
        pdf.ln(0.4)
    keep(pdf, 14)
    pdf.ln(1.5)
    block(pdf, "Sources", 9.5, bold=True, line_h=5.0)
    # Each work as a citation a reader can look up (DOI or PMID, else the address), and
    # where in it the statement is.
    for src in report.sources:
        text = t(f"[{src.id}] {src.citation} ({src.locator})")
        keep(pdf, block(pdf, text, 6.3, line_h=2.75, draw=False))
        block(pdf, text, 6.3, colour=MUTED, line_h=2.75)


def _disclaimer(pdf: Any, report: Report, t: SafeText) -> None:
    pdf.ln(3)
    keep(pdf, 3 + block(pdf, t(report.disclaimer), 8.8, line_h=4.4, draw=False))
    pdf.set_draw_color(*LINE)
    pdf.set_line_width(0.5)
    pdf.line(pdf.l_margin, pdf.get_y(), pdf.w - pdf.r_margin, pdf.get_y())
    pdf.ln(2)
    _para(pdf, t(report.disclaimer), 8.8, MUTED)
