"""Diagrams as lists of simple shapes, which the HTML report draws as SVG and the PDF report
with its own primitives, from the same data: the bike with its marks (output/bike.py), the
exercise pictures and the charts.

A diagram's space is 600 units wide (y grows downward); marks carry the adjustment's number
in the report.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from functools import cache
from pathlib import Path
from typing import Literal

WIDTH, HEIGHT = 600, 340
FONTS = Path(__file__).parent / "fonts"

# text's point is its baseline, at its middle, start or end (anchor); rect is x, y, width,
# height; square is a centre and half its side
Kind = Literal["line", "circle", "arrow", "text", "badge", "polyline", "rect", "square"]
# zone: a light shaded area; paper: the page's white (behind a text); grid, axis and data: a
# chart's light guide lines, its axes, and its measured values
Role = Literal["frame", "wheel", "part", "mark", "guide", "zone", "paper", "grid", "axis", "data"]
Anchor = Literal["start", "middle", "end"]
# A text's height above and below its baseline, in ems (the bundled font's capitals and
# descenders, with a little room).
ASCENT, DESCENT = 0.78, 0.25


@dataclass(frozen=True)
class Shape:
    kind: Kind
    points: tuple[float, ...]
    role: Role
    text: str = ""
    dashed: bool = False
    size: float = 0.0  # a text's font size in the diagram's units; 0: the renderer's default
    anchor: Anchor = "middle"
    bold: bool = False


@dataclass(frozen=True)
class Diagram:
    width: int
    height: int
    shapes: list[Shape]
    legend: list[tuple[int, str]]  # (number in the report, what the mark means)
    numbered: bool = True  # False: the legend names colours, not numbered marks
    line: float = 1.0  # every stroke's width times this (a small figure draws finer lines)

    def legend_text(self) -> list[str]:
        return [f"({n}) {label}" if self.numbered else label for n, label in self.legend]


def cropped(diagram: Diagram, margin: float = 10.0) -> Diagram:
    """The diagram without the empty band above its topmost shape."""
    top = max(0.0, min(_top_of(s) for s in diagram.shapes if s.kind != "text") - margin)
    shapes = [_shifted(s, top) for s in diagram.shapes]
    return Diagram(diagram.width, int(diagram.height - top), shapes, diagram.legend, diagram.numbered, diagram.line)


def _top_of(shape: Shape) -> float:
    p = shape.points
    if shape.kind == "circle":
        return p[1] - p[2]
    if shape.kind == "badge":
        return p[1] - 11
    if shape.kind == "rect":
        return p[1]
    return min(p[1::2])


def _shifted(shape: Shape, dy: float) -> Shape:
    p = list(shape.points)
    ys = [1] if shape.kind in ("circle", "text", "badge", "rect", "square") else range(1, len(p), 2)
    for i in ys:
        p[i] -= dy
    return replace(shape, points=tuple(p))


# An arrowhead's length and its full width, in widths of the arrow's shaft: clearly wider than
# the shaft, in proportion to the drawing's lines, and the same in SVG and in the PDF.
HEAD_LENGTH, HEAD_WIDTH = 3.4, 3.0


def arrow_parts(
    points: tuple[float, ...], shaft: float
) -> tuple[tuple[float, float, float, float], list[tuple[float, float]]]:
    """An arrow from (x1, y1) to (x2, y2) drawn ``shaft`` wide: its shaft, which stops inside
    the head so a round line end never shows past it, and the head's three corners (tip first).

    A short arrow's head is shorter (at most 60% of the arrow), never narrower than 2.5 shafts.
    """
    x1, y1, x2, y2 = points[:4]
    length = math.hypot(x2 - x1, y2 - y1) or 1.0
    ux, uy = (x2 - x1) / length, (y2 - y1) / length
    head = min(HEAD_LENGTH * shaft, 0.6 * length)
    half = max(head * HEAD_WIDTH / HEAD_LENGTH, 2.5 * shaft) / 2  # never narrower than 2.5 shafts
    bx, by = x2 - ux * head, y2 - uy * head  # the middle of the head's base
    inside = 0.25 * head
    shaft_line = (x1, y1, bx + ux * inside, by + uy * inside)
    return shaft_line, [(x2, y2), (bx - uy * half, by + ux * half), (bx + uy * half, by - ux * half)]


@cache
def _advances(bold: bool) -> dict[int, float]:
    """Each character's advance in the bundled font (the PDF's, and DejaVu Sans on screen), in ems."""
    from fontTools.ttLib import TTFont  # noqa: PLC0415  0.1 s: only a chart measures its words

    font = TTFont(FONTS / ("AdvisorSans-Bold.ttf" if bold else "AdvisorSans.ttf"), lazy=True)
    em = font["head"].unitsPerEm
    metrics = font["hmtx"].metrics
    return {code: metrics[glyph][0] / em for code, glyph in font.getBestCmap().items()}


def text_width(text: str, size: float, bold: bool = False) -> float:
    """How wide ``text`` is at ``size``, in the bundled font (a character it lacks counts 1 em)."""
    advances = _advances(bold)
    return sum(advances.get(ord(ch), 1.0) for ch in text) * size


def text_box(shape: Shape) -> tuple[float, float, float, float]:
    """A text shape's box (left, top, right, bottom) in the diagram's units."""
    x, y = shape.points[0], shape.points[1]
    size = shape.size or 12.0
    width = text_width(shape.text, size, shape.bold)
    left = x - {"start": 0.0, "middle": width / 2, "end": width}[shape.anchor]
    return (left, y - ASCENT * size, left + width, y + DESCENT * size)


def to_svg(
    diagram: Diagram,
    title: str = "Side view of the bike with the recommended adjustments",
    *,
    sized: bool = False,
    css_class: str = "bike",
) -> str:
    """Inline SVG for the HTML report (no external resources)."""
    colours = {
        "frame": "#334155",
        "wheel": "#94a3b8",
        "part": "#0f172a",
        "mark": "#c2410c",
        "guide": "#2563eb",
        "zone": "#dcfce7",
        "paper": "#ffffff",
        "grid": "#e2e8f0",
        "axis": "#475569",
        "data": "#9a3412",
    }
    widths: dict[str, float] = {"frame": 5, "wheel": 3, "part": 5, "mark": 4, "guide": 2.5, "zone": 0, "paper": 0}
    widths |= {"grid": 1, "axis": 1.5, "data": 2.5}
    # Sized: drawn at its own size in pixels, so several side by side wrap to one column on a
    # narrow screen (a style's max-width still shrinks one that is wider than the screen).
    widths = {role: w * diagram.line for role, w in widths.items()}
    size = f' width="{diagram.width}" height="{diagram.height}"' if sized else ""
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {diagram.width} {diagram.height}"{size} '
        f'role="img" aria-label="{_esc(title)}" class="{css_class}">',
        "<title>" + _esc(title) + "</title>",
    ]
    for s in diagram.shapes:
        stroke = colours[s.role]
        dash = ' stroke-dasharray="6 4"' if s.dashed else ""
        common = f'stroke="{stroke}" stroke-width="{widths[s.role]}" stroke-linecap="round"{dash}'
        p = s.points
        if s.kind == "rect":
            out.append(f'<rect x="{p[0]}" y="{p[1]}" width="{p[2]}" height="{p[3]}" fill="{stroke}"/>')
        elif s.kind == "square":
            out.append(
                f'<rect x="{p[0] - p[2]:g}" y="{p[1] - p[2]:g}" width="{2 * p[2]:g}" height="{2 * p[2]:g}" '
                f'fill="{stroke}" stroke="{stroke}" stroke-width="1"/>'
            )
        elif s.kind == "line":
            out.append(f'<line x1="{p[0]}" y1="{p[1]}" x2="{p[2]}" y2="{p[3]}" {common}/>')
        elif s.kind == "polyline":
            pts = " ".join(f"{p[i]},{p[i + 1]}" for i in range(0, len(p), 2))
            out.append(f'<polyline points="{pts}" fill="none" {common} stroke-linejoin="round"/>')
        elif s.kind == "circle":
            fill = stroke if s.role in ("mark", "data", "paper") or (s.role == "guide" and not s.dashed) else "none"
            out.append(f'<circle cx="{p[0]}" cy="{p[1]}" r="{p[2]}" fill="{fill}" {common}/>')
        elif s.kind == "text" and not s.size:
            out.append(
                f'<text x="{p[0]}" y="{p[1]}" text-anchor="middle" font-size="12" fill="{stroke}" '
                f'font-family="sans-serif">{_esc(s.text)}</text>'
            )
        elif s.kind == "text":
            # The bundled font's family first: text_box() measures with its widths.
            weight = ' font-weight="bold"' if s.bold else ""
            out.append(
                f'<text x="{p[0]:g}" y="{p[1]:g}" text-anchor="{s.anchor}" font-size="{s.size:g}"{weight} '
                f'fill="{stroke}" font-family="DejaVu Sans, sans-serif">{_esc(s.text)}</text>'
            )
        elif s.kind == "arrow":
            (ax, ay, bx, by), head = arrow_parts(p, widths[s.role])
            corners = " ".join(f"{x:.1f},{y:.1f}" for x, y in head)
            out.append(
                f'<line x1="{ax:.1f}" y1="{ay:.1f}" x2="{bx:.1f}" y2="{by:.1f}" {common}/>'
                f'<polygon points="{corners}" fill="{stroke}" stroke="{stroke}" stroke-width="{widths[s.role] / 4:g}" '
                'stroke-linejoin="round"/>'
            )
        elif s.kind == "badge":
            out.append(
                f'<circle cx="{p[0]}" cy="{p[1]}" r="11" fill="#c2410c"/>'
                f'<text x="{p[0]}" y="{p[1] + 5}" text-anchor="middle" font-size="14" font-weight="bold" '
                f'fill="#fff" font-family="sans-serif">{_esc(s.text)}</text>'
            )
    out.append("</svg>")
    return "".join(out)


def _esc(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")
