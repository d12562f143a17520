"""Measures over all visits: one small panel per measure, each a drawing of its own.

A panel has its own axis: ticks at round values (60, 70, 80 ...), or a pain scale's own steps
(0, 2, 4 ... 10) or words (none, mild, moderate, severe). Two measures never share an axis, so
a higher straight-leg raise and a lower knee-extension deficit both read "better" the right
way. A flexibility test's cut-off (the one the findings use, the women's or men's where it
follows sex) is a dashed line with its value written beside the line's end, outside the data.
A visit without a value is a gap in the line, never a zero.

Each panel is a Diagram of its own, drawn with the same shapes as the bike diagram: side by
side on a wide screen, one under another on a phone, two to a row in the PDF. Every text is
placed clear of every other text, the cut-off line, the data line and its markers; a value
that cannot be written so is left to the panel's reading in words, which has every value.
Nothing relies on colour alone: the cut-off is dashed and labelled, the better side is named,
and flexibility tests are marked with circles, pain with squares.
"""

from __future__ import annotations

import datetime as dt
import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from advisor.output.diagram import ASCENT, DESCENT, Anchor, Diagram, Shape, text_box, text_width

WIDTH = 340.0  # a panel, in the diagram's units: pixels on screen (a phone's width), 88 mm wide in the PDF
TITLE_Y, SUBTITLE_Y = 18.0, 37.0
TOP, BOTTOM = 56.0, 176.0  # the plot's top and bottom
HEIGHT = 222.0  # room under the plot for a date and a year
SIZE, TITLE_SIZE = 13.0, 14.5  # 13 units: 9.5 pt when a panel is printed 88 mm wide
INSET = 14.0  # the first and last visits stand clear of the axes
MARKER = 4.5
LINE = 15.0  # from one line of a label to the next
TICK, GAP = 4.0, 4.0
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")

Box = tuple[float, float, float, float]  # left, top, right, bottom
Segment = tuple[float, float, float, float]


@dataclass(frozen=True)
class Panel:
    """One measure over the visits."""

    title: str  # the measure, with its unit or scale: "Passive straight-leg raise (°)"
    subtitle: str  # how to read it: "Higher is better (shaded)"
    values: Sequence[float | None]  # one per visit, oldest first; None: no value that visit
    texts: Sequence[str]  # how each value reads beside its point ("": the axis says it)
    better: Literal["higher", "lower"]
    missing: str = "not measured"  # what a visit without a value is, in the panel's reading
    ticks: Sequence[tuple[float, str]] = ()  # a scale's own steps and words; empty: round ticks
    unit: str = ""  # the unit round ticks are written with
    cutoff: float | None = None
    cutoff_text: str = ""  # the cut-off as written: "23.4°"
    cutoff_whose: str = ""  # "women" or "men" when the cut-off follows sex
    marker: Literal["circle", "square"] = "circle"


@dataclass(frozen=True)
class Panels:
    """A heading, its panels, and each panel in words (for a screen reader, Markdown, a check)."""

    heading: str
    diagrams: list[Diagram]
    readings: list[str]
    note: str  # how to read the panels, under them


def panels(heading: str, dates: Sequence[dt.date], measures: Sequence[Panel], note: str) -> Panels | None:
    """The panels of the measures with a value at two visits or more; None when there is none."""
    shown = [m for m in measures if sum(v is not None for v in m.values) >= 2]
    if not shown:
        return None
    return Panels(heading, [panel(m, dates) for m in shown], [reading(m, dates) for m in shown], note)


def reading(measure: Panel, dates: Sequence[dt.date]) -> str:
    """'Passive straight-leg raise (°), higher is better, cut-off 80°: 2026-06-15 62°; ...'."""
    what = [measure.title, f"{measure.better} is better"]
    if measure.cutoff is not None:
        what.append(f"cut-off{' for ' + measure.cutoff_whose if measure.cutoff_whose else ''} {measure.cutoff_text}")
    visits = [
        f"{day.isoformat()} {measure.missing if value is None else text or _tick_words(measure, value)}"
        for day, value, text in zip(dates, measure.values, measure.texts, strict=True)
    ]
    return f"{', '.join(what)}: {'; '.join(visits)}"


def _tick_words(measure: Panel, value: float) -> str:
    return next((words for at, words in measure.ticks if at == value), written(value, measure.unit))


def panel(measure: Panel, dates: Sequence[dt.date]) -> Diagram:
    """One measure's drawing."""
    ticks = list(measure.ticks) or round_ticks(
        [v for v in measure.values if v is not None] + ([measure.cutoff] if measure.cutoff is not None else []),
        measure.unit,
    )
    if not measure.ticks and measure.cutoff is not None:
        # One step beyond a cut-off at the axis's end, so that its better side shows.
        step, unit = ticks[1][0] - ticks[0][0], measure.unit
        if measure.better == "higher" and measure.cutoff >= ticks[-1][0]:
            ticks.append((ticks[-1][0] + step, written(ticks[-1][0] + step, unit)))
        elif measure.better == "lower" and measure.cutoff <= ticks[0][0] and ticks[0][0] > 0:
            ticks.insert(0, (ticks[0][0] - step, written(ticks[0][0] - step, unit)))
    low, high = ticks[0][0], ticks[-1][0]
    tag = _cutoff_tag(measure)
    left = 4.0 + max(text_width(words, SIZE) for _, words in ticks) + TICK + GAP
    right = WIDTH - max((max(text_width(t, SIZE) for t in tag) + GAP + 4.0) if tag else 0.0, 8.0)
    dated = _date_labels(dates, right - left - 2 * INSET)
    # The first and last dates, centred on their visits, stay inside the drawing.
    if dated:
        left = max(left, max(text_width(t, SIZE) for t in dated[0][1:]) / 2 - INSET + 4.0)
        right = min(right, WIDTH - max(text_width(t, SIZE) for t in dated[-1][1:]) / 2 + INSET - 4.0)
    n = len(dates)

    def x(i: int) -> float:
        return left + INSET + (right - left - 2 * INSET) * (i / (n - 1) if n > 1 else 0.5)

    def y(value: float) -> float:
        return BOTTOM - (BOTTOM - TOP) * (value - low) / (high - low)

    shapes: list[Shape] = []
    texts: list[Shape] = []
    segments: list[Segment] = []

    if measure.cutoff is not None:
        cut = y(measure.cutoff)
        top, bottom = (TOP, cut) if measure.better == "higher" else (cut, BOTTOM)
        shapes.append(Shape("rect", (left, top, right - left, bottom - top), "zone"))
    for value, words in ticks:
        at = y(value)
        if value != low:  # the x axis is drawn there
            shapes.append(Shape("line", (left, at, right, at), "grid"))
        shapes.append(Shape("line", (left - TICK, at, left, at), "axis"))
        texts.append(_text(left - TICK - GAP, at + _middle(SIZE), words, "frame", anchor="end"))
    shapes += [
        Shape("line", (left, TOP, left, BOTTOM), "axis"),
        Shape("line", (left, BOTTOM, right, BOTTOM), "axis"),
    ]
    segments += [(left, TOP, left, BOTTOM), (left, BOTTOM, right, BOTTOM)]
    for i in range(n):
        shapes.append(Shape("line", (x(i), BOTTOM, x(i), BOTTOM + TICK), "axis"))
    for i, *lines in dated:
        for row, words in enumerate(lines):
            if words:
                texts.append(_text(x(i), BOTTOM + TICK + LINE + row * LINE, words, "frame"))

    title, size = _fitted(measure.title, TITLE_SIZE, WIDTH - 16.0, bold=True)
    texts.append(_text(8.0, TITLE_Y, title, "part", anchor="start", size=size, bold=True))
    subtitle, size = _fitted(measure.subtitle, SIZE, WIDTH - 16.0)
    texts.append(_text(8.0, SUBTITLE_Y, subtitle, "frame", anchor="start"))
    if measure.cutoff is not None:
        cut = y(measure.cutoff)
        shapes.append(Shape("line", (left, cut, right, cut), "guide", dashed=True))
        segments.append((left, cut, right, cut))
        texts += _tag(tag, right + GAP, cut + _middle(SIZE), [text_box(t) for t in texts])

    points = [(x(i), y(v)) if v is not None else None for i, v in enumerate(measure.values)]
    for run in _runs(points):
        if len(run) > 1:
            shapes.append(Shape("polyline", tuple(c for p in run for c in p), "data"))
            segments += [(a[0], a[1], b[0], b[1]) for a, b in itertools.pairwise(run)]
    markers: list[Box] = []
    for p in points:
        if p is not None:
            shapes.append(Shape(measure.marker, (p[0], p[1], MARKER), "data"))
            markers.append((p[0] - MARKER - 1, p[1] - MARKER - 1, p[0] + MARKER + 1, p[1] + MARKER + 1))

    placed = [text_box(t) for t in texts]
    bounds = (left + 2.0, TOP - 8.0, WIDTH - 2.0, BOTTOM - 2.0)
    for i, p in enumerate(points):
        if p is None or not measure.texts[i]:
            continue
        label = _value_label(measure.texts[i], p, points, i, bounds, placed, markers, segments)
        if label is not None:
            texts.append(label)
            placed.append(text_box(label))
    return Diagram(int(WIDTH), int(HEIGHT), shapes + texts, [], numbered=False)


def _value_label(
    words: str,
    p: tuple[float, float],
    points: list[tuple[float, float] | None],
    i: int,
    bounds: Box,
    placed: list[Box],
    markers: list[Box],
    segments: list[Segment],
) -> Shape | None:
    """The value's label by its point: on the side away from its neighbours, else the other
    side, else to the right or left, else a line further off; None when every place is taken."""
    px, py = p
    neighbours = [q[1] for q in (points[i - 1] if i else None, points[i + 1] if i + 1 < len(points) else None) if q]
    above_first = not neighbours or sum(neighbours) / len(neighbours) >= py
    above, below = py - MARKER - 4.0 - DESCENT * SIZE, py + MARKER + 4.0 + ASCENT * SIZE
    near = [above, below] if above_first else [below, above]
    far = [above - LINE, below + LINE] if above_first else [below + LINE, above - LINE]
    beside = py + _middle(SIZE)
    candidates = [_text(px + dx, row, words, "data", anchor=anchor) for row in near for dx, anchor in ALIGNED]
    candidates += [
        _text(px + MARKER + 5.0, beside, words, "data", anchor="start"),
        _text(px - MARKER - 5.0, beside, words, "data", anchor="end"),
    ]
    # A line further off, where the lines to the neighbours take the places next to the point.
    candidates += [_text(px + dx, row, words, "data", anchor=anchor) for row in far for dx, anchor in ALIGNED]
    for label in candidates:
        box = text_box(label)
        inside = bounds[0] <= box[0] and box[2] <= bounds[2] and bounds[1] <= box[1] and box[3] <= bounds[3]
        if not inside or any(overlaps(box, other) for other in placed + markers):
            continue
        if any(crosses(seg, box) for seg in segments):
            continue
        return label
    return None


# Above or below its point: centred on it, starting at it, or ending at it.
ALIGNED: tuple[tuple[float, Anchor], ...] = ((0.0, "middle"), (-MARKER, "start"), (MARKER, "end"))


def _cutoff_tag(measure: Panel) -> list[str]:
    """The cut-off line's label, a word a row, its value last: ["women's", "cut-off", "23.4°"]."""
    if measure.cutoff is None:
        return []
    return ([f"{measure.cutoff_whose}'s"] if measure.cutoff_whose else []) + ["cut-off", measure.cutoff_text]


def _tag(rows: list[str], x: float, baseline: float, placed: list[Box]) -> list[Shape]:
    """The cut-off's label beside the line's end, outside the data: its value at the line's
    height and the words above it, moved up or down only as far as it must to keep clear of
    the title and the dates."""
    for shift in sorted(range(-80, 81, 2), key=abs):
        tag = [
            _text(x, baseline + shift + (row - len(rows) + 1) * LINE, words, "guide", anchor="start")
            for row, words in enumerate(rows)
        ]
        boxes = [text_box(t) for t in tag]
        if (
            boxes[0][1] >= 0
            and boxes[-1][3] <= BOTTOM + TICK
            and not any(overlaps(a, b) for a in boxes for b in placed)
        ):
            return tag
    return tag


def _fitted(words: str, size: float, room: float, bold: bool = False) -> tuple[str, float]:
    """Words that fit ``room``: at their size, else smaller down to the panels' smallest, else
    cut short with '…' (the panel's reading has them whole)."""
    size = max(SIZE, min(size, size * room / max(text_width(words, size, bold), 1.0)))
    while text_width(words, size, bold) > room and len(words) > 1:
        words = words[:-2].rstrip() + "…"
    return words, size


def _runs(points: list[tuple[float, float] | None]) -> list[list[tuple[float, float]]]:
    """The points split at every gap: a line joins only visits next to each other."""
    runs: list[list[tuple[float, float]]] = [[]]
    for p in points:
        if p is None:
            runs.append([])
        else:
            runs[-1].append(p)
    return [r for r in runs if r]


def _date_labels(dates: Sequence[dt.date], span: float) -> list[tuple[int, str, str]]:
    """(visit, '15 Jun', '2026' or '') for every visit, or every second, third ... where they
    would not fit side by side in ``span``: the first and the last always, the one before the
    last left out where it would crowd it. The year under the first and wherever it changes."""
    n = len(dates)
    if n == 0:
        return []
    words = [f"{d.day} {MONTHS[d.month - 1]}" for d in dates]
    need = max(text_width(w, SIZE) for w in words) + 10.0  # the widest, and room between two
    every = math.ceil(need / (span / (n - 1))) if n > 1 else 1
    chosen = [i for i in range(0, n, every) if i == 0 or n - 1 - i >= every] + ([n - 1] if n > 1 else [])
    out = []
    year = None
    for i in chosen:
        shown = str(dates[i].year) if dates[i].year != year else ""
        year = dates[i].year
        out.append((i, words[i], shown))
    return out


def round_ticks(values: Sequence[float], unit: str = "") -> list[tuple[float, str]]:
    """Ticks at round values (a step of 1, 2 or 5 times a power of ten) around ``values``, four
    to seven of them."""
    lo, hi = min(values), max(values)
    if hi - lo < 10:  # at least 10 apart, never below 0 for values that are not
        middle = (lo + hi) / 2
        lo, hi = (middle - 5, middle + 5) if middle - 5 >= 0 or lo < 0 else (0.0, 10.0)
    raw = (hi - lo) / 5
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 5, 10) if m * magnitude >= raw)
    first, last = math.floor(lo / step), math.ceil(hi / step)
    return [(k * step, written(k * step, unit)) for k in range(first, last + 1)]


def overlaps(a: Box, b: Box) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def crosses(segment: Segment, box: Box) -> bool:
    """Whether a line segment passes through a box (Liang-Barsky clipping)."""
    x1, y1, x2, y2 = segment
    dx, dy = x2 - x1, y2 - y1
    t0, t1 = 0.0, 1.0
    for p, q in ((-dx, x1 - box[0]), (dx, box[2] - x1), (-dy, y1 - box[1]), (dy, box[3] - y1)):
        if p == 0:
            if q < 0:
                return False
            continue
        t = q / p
        if p < 0:
            t0 = max(t0, t)
        else:
            t1 = min(t1, t)
        if t0 > t1:
            return False
    return True


def _text(
    x: float,
    y: float,
    words: str,
    role: Literal["frame", "part", "guide", "data"],
    *,
    anchor: Anchor = "middle",
    size: float = SIZE,
    bold: bool = False,
) -> Shape:
    return Shape("text", (x, y), role, words, size=size, anchor=anchor, bold=bold)


def _middle(size: float) -> float:
    """From a line's height to the baseline of a text centred on it."""
    return (ASCENT - DESCENT) * size / 2


def written(value: float, unit: str) -> str:
    """A measured value as a report writes it: '62°', '23.4°', '4'."""
    number = f"{value:.0f}" if abs(value - round(value)) < 0.05 else f"{value:.1f}"
    return f"{number}{unit}" if unit in ("°", "") else f"{number} {unit}"
