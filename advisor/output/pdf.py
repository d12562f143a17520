"""The report as a PDF, section by section, in the order of the report model.

The bundled Advisor Sans (a DejaVu Sans subset) prints Latin, Greek and Cyrillic names;
characters it lacks print as '?' and page 1 says so, so text degrades visibly instead of
printing empty boxes. Exercise cards and table rows never split across pages; a table that
goes on to another page repeats its header there; a heading always has what follows it on
its page; the exercise programme is one page of its own. No text above the footer is
smaller than 8 pt, and nothing relies on colour: the tier is written, with a symbol, dark
enough to read in greyscale.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import io
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from advisor.core.rulebase.figures import Picture
from advisor.output.chart import Panels
from advisor.output.diagram import Diagram
from advisor.output.drawn import picture_diagram
from advisor.output.pdf_layout import (
    ACCENT,
    FONT,
    INK,
    LINE,
    MUTED,
    Cell,
    Row,
    SafeText,
    Span,
    block,
    draw_diagram,
    draw_shapes,
    keep,
    line_at,
    new_pdf,
    put_text,
    rgb,
    row_height,
    table,
    table_height,
    write_footers,
)
from advisor.output.report import (
    DAYS,
    DECLINED_NOTE,
    FOR_THE_CLINICIAN,
    PROGRAMME_INTRO,
    STATUS_WORDS,
    Programme,
    Report,
)

LOGO_W = 40.0  # mm: the studio's logo at most this wide, 14 mm high
DIAGRAM_W = 125.0  # mm: the bike, wide enough to read its marks
DIAGRAM_MIN_W = 95.0  # mm: drawn no smaller, to keep a table of changes whole on page 1
PANEL_GAP = 4.0  # mm between two chart panels side by side
# mm: an exercise's picture in its card. A wide one is scaled to the card's width, but
# pictures.MAX_ASPECT keeps it at least 35 mm tall even then.
PICTURE_H = 40.0

# Each tier's colour (its box's border and the tag with its name) and the box's fill. The tier
# is written in the tag, white on the dark colour, and the headline is in body ink: both stay
# at 7:1 or more in greyscale, and the tag's words and symbol say the tier without colour.
TIER_RGB = {
    "emergency": ((153, 27, 27), (254, 242, 242)),
    "urgent": ((154, 52, 18), (255, 247, 237)),
    "soon": ((113, 63, 18), (254, 252, 232)),
    "routine": ((20, 83, 45), (240, 253, 244)),
}
TEXT_MIN = 8.0  # pt: the smallest text above the footer
ORANGE_DARK = (154, 52, 18)  # a declined item, a caution, a change still open: 7:1 on white


def warm_up() -> None:
    """Fonts and classes loaded before the first report (a batch worker renders many)."""
    new_pdf("a4")


def texts(value: Any) -> list[str]:
    """Every piece of text inside a report, to choose a font that draws all of it.

    The report's own words (headings, labels) are in this package's source, which the tests
    hold to the smaller font; everything that varies (names, notes, the advice) is in here.
    """
    found: list[str] = []
    if isinstance(value, Report):
        # The assessment itself is never printed as it is: what the PDF prints of it (the
        # referral, findings, advice) is in the report's own fields.
        _gather({k: v for k, v in vars(value).items() if k != "assessment"}, found)
    else:
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
    pdf.add_page()
    _header(pdf, report, t)
    _referral(pdf, report, t)
    # What to do now comes first: the bike (and, below, the programme); then what changed.
    _adjustments(pdf, report, t)
    if report.fit:
        _fit_record(pdf, report, t)
    if report.stop:
        # Page 1 holds the warning and the action only; the details are for the clinician.
        pdf.add_page()
        _para(pdf, FOR_THE_CLINICIAN, 9.5, MUTED)
        _reassess(pdf, report, t)
        if report.follow_up:
            _follow_up(pdf, report, t)
        if report.agreement:
            _agreement(pdf, report, t)
    else:
        # The programme is a page of its own, next after the bike. Where the bike's changes ran
        # on to a page they leave mostly empty, the exercise cards fill it and the programme
        # follows them, so no page is left nearly blank before it; not at a follow-up, where
        # what changed since the last visit comes straight after the actions.
        left = pdf.h - pdf.b_margin - pdf.get_y()
        spilled = pdf.page > 1 and left > 0.4 * (pdf.h - pdf.b_margin)
        cards_first = report.programme is not None and report.follow_up is None and spilled
        if cards_first:
            _exercises(pdf, report, t)
        if report.programme:
            _programme(pdf, report, report.programme, t)
        if report.follow_up:
            _follow_up(pdf, report, t)
        if not cards_first:
            _exercises(pdf, report, t)
        if report.agreement:
            _agreement(pdf, report, t)
        _reassess(pdf, report, t)
    _answers(pdf, report, t)
    _why(pdf, report, t)
    _disclaimer(pdf, report, t)
    write_footers(pdf, t(f"{report.client or 'Bike-fit report'} · {report.date.isoformat()} · not medical advice"))
    if t.replaced:
        # Say so on page 1, where the reader looks first.
        pdf.page = 1
        pdf.current_font_is_set_on_page = False  # page 1's stream sets its own font
        pdf.set_font(FONT, "", TEXT_MIN)
        note = "Some characters are not in this PDF's font and print as '?'; the HTML report shows them."
        put_text(pdf, pdf.l_margin + pdf.c_margin, 8.5 + 0.3 * pdf.font_size, note, ORANGE_DARK)
        pdf.page = pdf.pages_count
    return bytes(pdf.output())


HEADING_H = 12.0  # mm: a heading, its rule and the space around it


def _heading(pdf: Any, text: str, then: float = 12.0) -> None:
    """A section heading, kept on one page with ``then`` mm of what follows it (at least the
    first lines), so no heading is ever left alone at a page's foot."""
    pdf.ln(3)
    keep(pdf, HEADING_H + max(then, 12.0))
    pdf.set_font(FONT, "B", 12.5)
    pdf.set_text_color(rgb(INK))
    line_at(pdf, text, pdf.l_margin, _width(pdf), 7)
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


def _para_h(pdf: Any, text: str, size: float = 10, bold: bool = False) -> float:
    return block(pdf, text, size, bold=bold, line_h=size * 0.5, draw=False)


def _width(pdf: Any) -> float:
    return float(pdf.w - pdf.l_margin - pdf.r_margin)


def _widths(pdf: Any, *mm: float) -> tuple[float, ...]:
    """Column widths given for A4's 180 mm, stretched to the page's text width."""
    scale = _width(pdf) / sum(mm)
    return tuple(w * scale for w in mm)


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
    if report.amended:
        _para(pdf, t(report.amended), 9.5, bold=True, width=width)
    pdf.ln(2)


def _referral(pdf: Any, report: Report, t: SafeText) -> None:
    border, fill = TIER_RGB.get(report.referral.urgency, (INK, (255, 255, 255)))
    ref = report.referral
    width = _width(pdf)
    pad = 4
    tag_size = 10.5 if report.stop else 9.5
    tag_h = tag_size * 0.5 + 2.6
    headline_size = 19 if report.stop else 13
    parts: list[tuple[str, float, bool]] = [(ref.headline, headline_size, True)]
    parts += [(note, 10.5, True) for note in ref.notes]
    parts.append((ref.advice, 10, False))
    if report.stop:
        for reasons, todo, tell in report.referral.action_groups():
            parts.append(("\n".join(f"• {r}" for r in reasons), 10.5, True))
            parts.append((f"What to do: {todo}", 10.5, False))
            parts.append((f"Tell the doctor: {tell}", 10, False))
        # The safety net until the doctor is seen, on paper as on screen.
        parts.append((report.stop_line, 10.5, True))
    else:
        parts += [("Why:", 10, True), ("\n".join(f"• {r}" for r in ref.reasons), 9.5, False)]

    def body(draw: bool) -> float:
        height = 0.0
        for text, size, bold in parts:
            height += block(
                pdf,
                t(text),
                size,
                bold=bold,
                colour=INK,
                x=pdf.l_margin + pad,
                width=width - 2 * pad,
                line_h=size * 0.5,
                draw=draw,
            )
            height += 1.5
            if draw:
                pdf.ln(1.5)
        return height

    height = tag_h + 2 + body(draw=False) + 2 * pad
    keep(pdf, height)
    y = pdf.get_y()
    pdf.set_draw_color(*border)
    pdf.set_fill_color(*fill)
    pdf.set_line_width(0.9)
    pdf.rect(pdf.l_margin, y, width, height, style="DF", round_corners=True, corner_radius=2.5)
    # The tier's tag: its symbol and name, white on the tier's dark colour.
    pdf.set_font(FONT, "B", tag_size)
    tag_w = pdf.get_string_width(report.tier_label) + 6
    pdf.set_fill_color(*border)
    pdf.rect(pdf.l_margin + pad, y + pad, tag_w, tag_h, style="F", round_corners=True, corner_radius=1.2)
    pdf.set_text_color(255, 255, 255)
    put_text(pdf, pdf.l_margin + pad + 3, y + pad + tag_h / 2 + tag_size * 0.35 * 25.4 / 72, report.tier_label)
    pdf.set_y(y + pad + tag_h + 2)
    body(draw=True)
    pdf.set_y(y + height + 2)


def _table(
    pdf: Any,
    title: str,
    widths: tuple[float, ...],
    heads: tuple[str, ...],
    rows: list[Row],
    t: SafeText,
) -> None:
    """A heading and a table: kept whole on one page when it fits on a page at all, else
    begun with at least its first rows, the header repeated on each page it goes on to."""
    header: list[Cell] = [(h, 8.5, True, MUTED) for h in heads]
    height = table_height(pdf, widths, [header]) + sum(row_height(pdf, widths, r, t) for r in rows)
    usable = pdf.h - pdf.t_margin - pdf.b_margin - 2 * HEADING_H
    first = sum(row_height(pdf, widths, r, t) for r in rows[:2])
    _heading(pdf, title, then=height if height < usable else table_height(pdf, widths, [header]) + first)
    table(pdf, widths, header, rows, t, continued=f"{title} (continued)")


def _agreement(pdf: Any, report: Report, t: SafeText) -> None:
    rows: list[Row] = []
    for a in report.agreement:
        decision = (
            ("Not yet discussed", 9, True, INK)
            if not a.discussed
            else ("Agreed", 9, True, INK)
            if a.accepted
            else ("Declined", 9, True, ORANGE_DARK)
        )
        rows.append([(f"{a.name} ({a.kind})", 9, False, INK), decision, (a.note or "-", 9, False, INK)])
    widths = _widths(pdf, 90.0, 25.0, 65.0)
    _table(pdf, "Agreed in this consultation", widths, ("Recommendation", "Decision", "Note"), rows, t)
    if any(not a.accepted for a in report.agreement):
        pdf.ln(1)
        _para(pdf, DECLINED_NOTE, 9, MUTED)


FIT_WIDTHS = (68.0, 34.0, 34.0, 34.0)  # mm: setting, before, after, change


def _fit_record(pdf: Any, report: Report, t: SafeText) -> None:
    """Which bike, then its settings before and after with the change ('+4 mm', 'changed'),
    the bike's line and the table kept with the heading on one page where they fit."""
    fit = report.fit
    assert fit is not None
    rows: list[Row] = []
    for row in fit.rows:
        after = (row.after, 9, True, ACCENT) if row.changed else (row.after, 9, False, INK)
        rows.append([(row.label, 9, False, INK), (row.before, 9, False, MUTED), after, (row.change, 9, True, INK)])
    title = "Fit record: the bike before and after"
    widths = _widths(pdf, *FIT_WIDTHS)
    if not fit.bike_line:
        _table(pdf, title, widths, ("Setting", "Before", "After", "Change"), rows, t)
        return
    # Which bike first, kept with the heading and the table's first rows.
    bike = block(pdf, t(fit.bike_line), 10, bold=True, line_h=5, draw=False) + 1
    header: list[Cell] = [(h, 8.5, True, MUTED) for h in ("Setting", "Before", "After", "Change")]
    first = table_height(pdf, widths, [header]) + sum(row_height(pdf, widths, r, t) for r in rows[:2])
    _heading(pdf, title, then=bike + first)
    _para(pdf, t(fit.bike_line), 10, bold=True)
    pdf.ln(1)
    if rows:
        table(pdf, widths, header, rows, t, continued=f"{title} (continued)")
    for s in fit.statuses:
        colour = ORANGE_DARK if s.status == "open" else INK
        _para(pdf, f"{s.adjustment}: {STATUS_WORDS[s.status]}", 9, colour)


def _follow_up(pdf: Any, report: Report, t: SafeText) -> None:
    fu = report.follow_up
    assert fu is not None
    rows: list[Row] = []
    for row in fu.rows:
        judged = row.trend in ("better", "worse")
        change = (row.change, 9, judged, ORANGE_DARK if row.trend == "worse" else INK)
        rows.append([(row.label, 9, False, INK), (row.before, 9, False, MUTED), (row.now, 9, True, INK), change])
    title = f"Since the last visit ({fu.previous_date.isoformat()})"
    widths = _widths(pdf, 66.0, 38.0, 38.0, 38.0)
    _table(pdf, title, widths, ("Measure", "Last visit", "Now", "Change"), rows, t)
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
    """The bike, large, with the table of changes: the heading, the drawing, the table's
    header and its first rows always share a page."""
    diagram = report.diagram
    title = "Riding and the bike: what to do now" if report.stop else "Bike-fit adjustments"
    if not report.adjustments:
        _heading(pdf, title)
        _para(pdf, "No bike changes are needed from your answers.")
        return
    widths = _widths(pdf, 7.0, 85.0, 44.0, 44.0)
    header: list[Cell] = [(h, 8.5, True, MUTED) for h in ("#", "What to change, and why", "Step", "Check afterwards")]
    rows: list[Row] = []
    for _phase, phase_title, items in report.phases:
        if not report.stop:
            rows.append(Span(phase_title, 9, True, ACCENT))
        for i, a in items:
            what: list[tuple[str, float, bool, tuple[int, int, int]]] = [
                (a.name, 9, True, INK),
                (a.change, 9, False, INK),
            ]
            what += [("For you: " + n, 8.5, False, INK) for n in a.notes]
            what.append(("Why: " + "\n".join(a.because), 8.5, False, MUTED))
            rows.append([(str(i), 9, True, ACCENT), what, (a.step, 9, False, INK), (a.check, 9, False, INK)])
    heights = [row_height(pdf, widths, r, t) for r in rows]
    head_h = table_height(pdf, widths, [header])
    box_w = DIAGRAM_W
    drawing = 0.0
    if diagram:
        legend_h = 6 * ((len(diagram.legend) + 2) // 3) + 9
        # Drawn smaller (down to DIAGRAM_MIN_W) where that keeps the whole table on this page,
        # rather than leave its last rows alone on the next.
        room = pdf.h - pdf.b_margin - pdf.get_y() - 3 - HEADING_H - legend_h - head_h - sum(heights) - 2
        fits = room * diagram.width / diagram.height
        if fits < DIAGRAM_W and fits >= DIAGRAM_MIN_W:
            box_w = fits
        drawing = box_w * diagram.height / diagram.width + legend_h
    _heading(pdf, title, then=drawing + head_h + sum(heights[:2]))
    if diagram:
        draw_diagram(pdf, diagram, t, box_w=box_w)
    pdf.ln(1)
    table(pdf, widths, header, rows, t, continued=f"{title} (continued)")


def _programme(pdf: Any, report: Report, prog: Programme, t: SafeText) -> None:
    """The page to pin up, on a page of its own: the exercises in order with their dose, the
    ones to add later, and a week to tick with the day's pain; as many weeks as fit."""
    pdf.add_page()
    width = _width(pdf)
    bottom = pdf.h - pdf.b_margin
    _para(pdf, "Your exercise programme", 16, bold=True)
    who = f"{report.client} · " if report.client else ""
    check = f" · next check by {prog.next_check.isoformat()}" if prog.next_check else ""
    _para(pdf, t(f"{who}from {report.date.isoformat()}{check}"), 9.5, MUTED)
    pdf.ln(1.5)
    _para(
        pdf,
        PROGRAMME_INTRO,
        9.5,
    )
    pdf.ln(2)
    _para(pdf, "Now, in this order", 11, bold=True)
    widths = _widths(pdf, 9.0, 62.0, 16.0, 29.0, 30.0, 34.0)
    header: list[Cell] = [(h, 8.5, True, MUTED) for h in ("#", "Exercise", "Sets", "Reps", "Hold", "Days a week")]
    rows: list[Row] = []
    for item in prog.now:
        rows.append(
            [
                (str(item.number), 11, True, ACCENT),
                [(item.name, 10, True, INK), (item.target, 8.5, False, MUTED)],
                (item.sets, 10, False, INK),
                (item.reps, 10, False, INK),
                (item.hold, 10, False, INK),
                [(item.days_a_week, 10, True, INK), (item.frequency, 8, False, MUTED)],
            ]
        )
    table(pdf, widths, header, rows, t)
    if prog.later:
        pdf.ln(2)
        _para(pdf, "When these are easy, add (in this order)", 11, bold=True)
        for item in prog.later:
            dose = ", ".join(
                f"{what} {value}"
                for what, value in (("sets", item.sets), ("reps", item.reps), ("hold", item.hold))
                if value != "-"
            )
            line = f"{item.number}. {item.name}: {dose}; {item.days_a_week} days a week"
            block(pdf, t(line), 9, line_h=4.6)
    pdf.ln(3)
    _para(pdf, "Your week: tick each exercise when done, and write your pain (0-10) each day", 11, bold=True)
    label_w = width * 0.3
    day_w = (width - label_w) / 7
    row_h, head_h, pain_h, gap = 7.0, 6.0, 8.0, 3.0
    week_h = head_h + row_h * len(prog.now) + pain_h + gap
    room = bottom - pdf.get_y() - 6
    wanted = min(4, prog.weeks)
    weeks = max(1, min(wanted, int(room // week_h)))
    # What every week repeats, measured once: the days' places and the exercises' names.
    pdf.set_font(FONT, "B", 9)
    days = [(day, label_w + d * day_w + day_w / 2 - pdf.get_string_width(day) / 2) for d, day in enumerate(DAYS)]
    pdf.set_font(FONT, "", 9)
    names = []
    for item in prog.now:
        name = t(f"{item.number}. {item.name}")
        while pdf.get_string_width(name) > label_w - 2 and len(name) > 4:
            name = name[:-2] + "…"
        names.append(name)
    for week in range(1, weeks + 1):
        _week(pdf, prog, week, (label_w, day_w), (head_h, row_h, pain_h), days, names)
        pdf.ln(gap)
    if weeks < wanted:
        _para(pdf, f"For week {weeks + 1} on, copy this page or print it again.", 8.5, MUTED)
    pdf.add_page()  # the page is the programme's alone, to pin up: what follows starts afresh


def _week(
    pdf: Any,
    prog: Programme,
    week: int,
    columns: tuple[float, float],
    sizes: tuple[float, float, float],
    days: list[tuple[str, float]],
    names: list[str],
) -> None:
    """One week of the log: a row per exercise with a box on each day it is planned (a dash on
    the others), and a row for the day's pain. Drawn a kind at a time (text, boxes, rules)."""
    label_w, day_w = columns
    head_h, row_h, pain_h = sizes
    x0, top = pdf.l_margin, pdf.get_y()
    right = x0 + label_w + 7 * day_w
    rows = [top + head_h + i * row_h for i in range(len(prog.now))]
    pain_y = top + head_h + len(prog.now) * row_h
    pdf.set_text_color(rgb(INK))
    pdf.set_font(FONT, "B", 9)
    put_text(pdf, x0 + 1, top + head_h - 1.8, f"Week {week}")
    for day, x in days:
        put_text(pdf, x0 + x, top + head_h - 1.8, day)
    put_text(pdf, x0 + 1, pain_y + pain_h / 2 + 1.1, "Pain today (0-10)")
    pdf.set_font(FONT, "", 9)
    for name, y in zip(names, rows, strict=True):
        put_text(pdf, x0 + 1, y + row_h / 2 + 1.1, name)
    box = 4.6
    centres = [x0 + label_w + d * day_w + day_w / 2 for d in range(7)]
    pdf.set_draw_color(rgb(INK))
    pdf.set_line_width(0.35)
    for item, y in zip(prog.now, rows, strict=True):
        for planned, cx in zip(item.days, centres, strict=True):
            if planned:
                pdf.rect(cx - box / 2, y + (row_h - box) / 2, box, box)
    for cx in centres:
        pdf.rect(cx - 5, pain_y + 1, 10, pain_h - 2)
    pdf.set_draw_color(rgb(LINE))
    pdf.set_line_width(0.3)
    for item, y in zip(prog.now, rows, strict=True):
        for planned, cx in zip(item.days, centres, strict=True):
            if not planned:
                pdf.line(cx - 1.2, y + row_h / 2, cx + 1.2, y + row_h / 2)
    pdf.set_line_width(0.2)
    for y in [*rows[1:], pain_y]:
        pdf.line(x0, y, right, y)
    pdf.set_draw_color(rgb(MUTED))
    pdf.set_line_width(0.25)
    pdf.line(x0, rows[0] if rows else pain_y, right, rows[0] if rows else pain_y)
    pdf.set_y(pain_y + pain_h)


def _exercises(pdf: Any, report: Report, t: SafeText) -> None:
    width = _width(pdf)
    cards = [_card_lines(i, e) for i, e in enumerate(report.exercises, 1)]
    pictures = [picture_diagram(report.pictures[e.id]) if e.id in report.pictures else None for e in report.exercises]
    pad = 2.6
    inner = width - 2 * pad

    def height(lines: list[tuple[str, float, bool, tuple[int, int, int]]], picture: Diagram | None) -> float:
        text_h = sum(
            block(pdf, t(text), size, bold=bold, width=inner, draw=False) + 0.6 for text, size, bold, _ in lines
        )
        return 2 * pad + text_h + (_picture_h(picture, inner) + 2 if picture else 0)

    heights = [height(lines, picture) for lines, picture in zip(cards, pictures, strict=True)]
    title = "Exercise plan: how to do each exercise" if cards else "Exercise plan"
    _heading(pdf, title, then=heights[0] + 3 if heights else 12)
    if not cards:
        _para(pdf, "No exercises are suggested from your answers.")
    later = {item.number for item in report.programme.later} if report.programme else set()
    for n, (lines, card_h, picture) in enumerate(zip(cards, heights, pictures, strict=True), 1):
        if n in later and n - 1 not in later:  # the first of those to add later
            keep(pdf, 9 + card_h + 3)
            _para(pdf, "When those are easy, add:", 10.5, bold=True)
            pdf.ln(1)
        keep(pdf, card_h + 3)  # a card never splits across pages
        y = pdf.get_y()
        pdf.set_draw_color(*LINE)
        pdf.set_line_width(0.3)
        pdf.rect(pdf.l_margin, y, width, card_h, round_corners=True, corner_radius=1.8)
        pdf.set_y(y + pad)
        for k, (text, size, bold, colour) in enumerate(lines):
            block(pdf, t(text), size, bold=bold, colour=colour, x=pdf.l_margin + pad, width=inner)
            pdf.ln(0.6)
            if k == 0 and picture is not None:  # the picture under the exercise's name
                box_w = min(PICTURE_H * picture.width / picture.height, inner)
                top = pdf.get_y()
                draw_shapes(pdf, picture, t, pdf.l_margin + (width - box_w) / 2, top, box_w)
                pdf.set_y(top + box_w * picture.height / picture.width + 2)
        pdf.set_y(y + card_h + 3)
    if report.held_back:
        held = [t(f"• {w.name}: {w.reason}") for w in report.held_back]
        _heading(pdf, "Held back for now", then=_para_h(pdf, held[0], 9.5))
        for line in held:
            _para(pdf, line, 9.5)


def _picture_h(picture: Diagram, inner: float) -> float:
    return min(PICTURE_H * picture.width / picture.height, inner) * picture.height / picture.width


def _card_lines(i: int, e: Any) -> list[tuple[str, float, bool, tuple[int, int, int]]]:
    lines: list[tuple[str, float, bool, tuple[int, int, int]]] = [
        (f"{i}. {e.name} · {e.target}", 10.5, True, INK),
        (f"Dose: {e.dose}", 9.2, True, INK),
        *[(f"{n}. {step}", 9, False, INK) for n, step in enumerate(e.steps, 1)],
    ]
    if e.progression:
        lines.append((f"Harder: {e.progression}", 9, False, INK))
    lines.append((f"Easier: {e.regression}", 9, False, INK))
    if e.equipment:
        lines.append((f"You need: {', '.join(e.equipment)}", 9, False, INK))
    lines += [(f"Caution: {c}", 9, False, ORANGE_DARK) for c in e.cautions]
    lines += [(f"For you: {n}", 9, False, INK) for n in e.notes]
    lines.append((f"Why: {' '.join(e.because)}", 8.5, False, MUTED))
    return lines


def _reassess(pdf: Any, report: Report, t: SafeText) -> None:
    by = f" By {report.reassess_date.isoformat()}." if report.reassess_date else ""
    text = t(report.reassess_advice + by)
    _heading(pdf, "When to re-assess", then=_para_h(pdf, text))
    _para(pdf, text)


def _answers(pdf: Any, report: Report, t: SafeText) -> None:
    """The answers in two columns of label/value rows, groups kept whole where they fit; a page
    they go on to starts by saying so."""
    gap = 6.0
    col = (_width(pdf) - gap) / 2
    entries: list[tuple[str, str]] = []  # ("", title) for a group title, else (label, value)
    for group in report.answers:
        entries.append(("", group.title))
        entries.extend((line.label, line.value) for line in group.lines)
    half = (len(entries) + 1) // 2
    # Start the right column at a group title near the middle, so no group is cut in two.
    titles = [i for i, (label, _) in enumerate(entries) if not label]
    split = min(titles, key=lambda i: abs(i - half)) if len(titles) > 1 else half
    columns = (entries[:split], entries[split:])
    rows = [[c[row] if row < len(c) else None for c in columns] for row in range(max(len(c) for c in columns))]
    heights = [max(_answer_cell(pdf, cell, col, t, None, 0.0) for cell in cells) for cells in rows]
    _heading(pdf, "Your answers", then=sum(heights[:3]))
    for cells, row_h in zip(rows, heights, strict=True):
        if pdf.will_page_break(row_h):
            pdf.add_page()
            block(pdf, "Your answers (continued)", 8.5, bold=True, colour=MUTED, line_h=4.6)
        y = pdf.get_y()
        for i, cell in enumerate(cells):
            _answer_cell(pdf, cell, col, t, pdf.l_margin + i * (col + gap), y)
        pdf.set_xy(pdf.l_margin, y + row_h)
    if report.not_assessed:
        pdf.ln(2)
        items = [t(f"• {item}") for item in report.not_assessed]
        keep(pdf, 6 + block(pdf, items[0], 9, line_h=4.5, draw=False))
        block(pdf, "Not assessed", 10, bold=True, line_h=5.5)
        for item in items:
            keep(pdf, block(pdf, item, 9, line_h=4.5, draw=False))
            block(pdf, item, 9, line_h=4.5)


def _answer_cell(pdf: Any, cell: tuple[str, str] | None, width: float, t: Any, x: float | None, y: float) -> float:
    """Draw one entry of the answers grid at (x, y), or only measure it when x is None."""
    if cell is None:
        return 0.0
    label, value = cell
    draw = x is not None
    if not label:  # a group title
        if draw:
            pdf.set_xy(x, y + 1.5)
        return 1.5 + block(pdf, t(value), 9.5, bold=True, x=x, width=width, line_h=5.0, draw=draw)
    label_w = width * 0.55
    pad = 0.7
    if x is not None:
        pdf.set_xy(x, y + pad)
    h1 = block(pdf, t(label), 8.5, colour=MUTED, x=x, width=label_w - 1, line_h=3.9, draw=draw)
    if x is not None:
        pdf.set_xy(x + label_w, y + pad)
    h2 = block(pdf, t(value), 8.5, x=None if x is None else x + label_w, width=width - label_w, line_h=3.9, draw=draw)
    height = max(h1, h2) + 2 * pad
    if x is not None:
        pdf.set_draw_color(rgb(LINE))
        pdf.set_line_width(0.15)
        pdf.line(x, y + height, x + width, y + height)
    return height


WHY_SIZE, SOURCE_SIZE = 8.5, 8.0


def _why(pdf: Any, report: Report, t: SafeText) -> None:
    """Every effect once, with each rule behind it: the full reasoning, for the clinician."""
    entries = []
    for i, (effect, lines) in enumerate(report.reasons, 1):
        entry = [(t(f"{i}. {effect}"), True)]
        entry += [(t(f"{w.rule}: {w.description} [{w.cited()}]"), False) for w in lines]
        entries.append(entry)
    heights = [
        sum(block(pdf, text, WHY_SIZE, bold=bold, line_h=4.0, draw=False, width=_width(pdf) - 4) for text, bold in e)
        for e in entries
    ]
    _heading(pdf, "Why these recommendations", then=heights[0] if heights else 12)
    for entry, height in zip(entries, heights, strict=True):
        keep(pdf, height + 1)
        for n, (text, bold) in enumerate(entry):
            x = pdf.l_margin + (0 if n == 0 else 4)
            block(pdf, text, WHY_SIZE, bold=bold, colour=INK, line_h=4.0, x=x, width=_width(pdf) - 4)
        pdf.ln(1)
    if report.held_by_tier:
        tier = report.referral.urgency
        held = [t(f"• {w.name} ({'bike change' if w.kind == 'adjustment' else w.kind})") for w in report.held_by_tier]
        note = t(f"Held back by the {tier} referral: {report.held_by_tier[0].reason} Not prescribed.")
        title = f"Held back by the {tier} referral (not prescribed)"
        keep(pdf, 14 + _para_h(pdf, note, 9))
        pdf.ln(1.5)
        block(pdf, title, 10, bold=True, line_h=5.5)
        _para(pdf, note, 9, MUTED)
        for line in held:
            keep(pdf, 4.5)
            block(pdf, line, 9, line_h=4.5)
    if report.order_reasons:
        first = t(report.order_reasons[0][1])
        keep(pdf, 12 + block(pdf, first, WHY_SIZE, line_h=4.0, draw=False, width=_width(pdf) - 4))
        pdf.ln(1.5)
        block(pdf, "The order of the exercises", 10, bold=True, line_h=5.5)
        for name, why in report.order_reasons:
            text = t(why)
            keep(pdf, 4.0 + block(pdf, text, WHY_SIZE, line_h=4.0, draw=False, width=_width(pdf) - 4))
            block(pdf, t(name), WHY_SIZE, bold=True, line_h=4.0)
            block(pdf, text, WHY_SIZE, colour=INK, line_h=4.0, x=pdf.l_margin + 4, width=_width(pdf) - 4)
    if report.sources:
        first = t(f"[{report.sources[0].id}] {report.sources[0].citation} ({report.sources[0].locator})")
        keep(pdf, 8 + block(pdf, first, SOURCE_SIZE, line_h=3.6, draw=False))
        pdf.ln(1.5)
        block(pdf, "Sources", 10, bold=True, line_h=5.5)
    # Each work as a citation a reader can look up (DOI or PMID, else the address), and
    # where in it the statement is.
    for src in report.sources:
        text = t(f"[{src.id}] {src.citation} ({src.locator})")
        keep(pdf, block(pdf, text, SOURCE_SIZE, line_h=3.6, draw=False))
        block(pdf, text, SOURCE_SIZE, colour=MUTED, line_h=3.6)
        pdf.ln(0.4)


def _disclaimer(pdf: Any, report: Report, t: SafeText) -> None:
    pdf.ln(3)
    keep(pdf, 3 + block(pdf, t(report.disclaimer), 9, line_h=4.5, draw=False))
    pdf.set_draw_color(*LINE)
    pdf.set_line_width(0.5)
    pdf.line(pdf.l_margin, pdf.get_y(), pdf.w - pdf.r_margin, pdf.get_y())
    pdf.ln(2)
    _para(pdf, t(report.disclaimer), 9, MUTED)
