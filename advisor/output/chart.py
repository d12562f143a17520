"""The flexibility tests over all visits: one small panel per test, as diagram shapes.

Each panel has its own axis and unit, the cut-off the findings use as a dashed line, and the
better side shaded and labelled, so two tests whose "better" runs opposite ways (a higher
straight-leg raise, a lower knee-extension deficit) never share an axis. Drawn with the same
shapes as the bike diagram, so the HTML report shows it as SVG and the PDF with its own lines.
"""

from __future__ import annotations

from dataclasses import dataclass

from advisor.output.diagram import Diagram, Shape

PANEL_W, PANEL_H, GAP = 290.0, 200.0, 20.0
LEFT, RIGHT, TOP, BOTTOM = 46.0, 270.0, 34.0, 160.0  # the plot inside a panel


@dataclass(frozen=True)
class Panel:
    label: str
    unit: str
    points: list[tuple[str, float]]  # (date, value), oldest first
    cutoff: float
    better: str  # "higher" or "lower"


def flexibility_chart(panels: list[Panel]) -> Diagram | None:
    """None when no test was measured at two visits or more."""
    panels = [p for p in panels if len(p.points) >= 2]
    if not panels:
        return None
    shapes: list[Shape] = []
    for i, panel in enumerate(panels):
        shapes += _panel(panel, i * (PANEL_W + GAP))
    width = len(panels) * PANEL_W + (len(panels) - 1) * GAP
    legend = [
        (i + 1, f"{p.label}: {p.better} is better; dashed line: cut-off {_v(p.cutoff, p.unit)}")
        for i, p in enumerate(panels)
    ]
    return Diagram(int(width), int(PANEL_H), shapes, legend, numbered=False)


def _panel(panel: Panel, x0: float) -> list[Shape]:
    values = [v for _, v in panel.points] + [panel.cutoff]
    pad = max(5.0, (max(values) - min(values)) * 0.2)
    low, high = min(values) - pad, max(values) + pad
    dates = [d for d, _ in panel.points]

    def x(n: int) -> float:
        return x0 + LEFT + (RIGHT - LEFT) * (n / (len(dates) - 1))

    def y(value: float) -> float:
        return BOTTOM - (BOTTOM - TOP) * (value - low) / (high - low)

    cut = y(panel.cutoff)
    zone_top, zone_bottom = (TOP, cut) if panel.better == "higher" else (cut, BOTTOM)
    shapes = [
        Shape("rect", (x0 + LEFT, zone_top, RIGHT - LEFT, zone_bottom - zone_top), "zone"),
        Shape("text", (x0 + RIGHT - 28, (zone_top + zone_bottom) / 2 + 4), "frame", "better"),
        Shape("text", (x0 + PANEL_W / 2, 18), "part", f"{panel.label} ({panel.unit})"),
        Shape("line", (x0 + LEFT, BOTTOM, x0 + RIGHT, BOTTOM), "wheel"),
        Shape("line", (x0 + LEFT, TOP, x0 + LEFT, BOTTOM), "wheel"),
        Shape("text", (x0 + LEFT - 20, TOP + 4), "frame", _v(high, panel.unit)),
        Shape("text", (x0 + LEFT - 20, BOTTOM + 4), "frame", _v(low, panel.unit)),
        Shape("line", (x0 + LEFT, cut, x0 + RIGHT, cut), "guide", dashed=True),
        Shape("text", (x0 + LEFT + 36, cut - 5), "guide", f"cut-off {_v(panel.cutoff, panel.unit)}"),
    ]
    coords: list[float] = []
    for n, (date, value) in enumerate(panel.points):
        coords += [x(n), y(value)]
        shapes.append(Shape("circle", (x(n), y(value), 4.5), "mark"))
        shapes.append(Shape("text", (x(n), y(value) - 10), "mark", _v(value, panel.unit)))
        shapes.append(Shape("text", (x(n), BOTTOM + 20), "frame", date))
    shapes.append(Shape("polyline", tuple(coords), "mark"))
    return shapes


def _v(value: float, unit: str) -> str:
    number = f"{value:.0f}" if abs(value - round(value)) < 0.05 else f"{value:.1f}"
    return f"{number}{unit}" if unit == "°" else f"{number} {unit}".rstrip()
