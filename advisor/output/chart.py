"""A small line chart of the flexibility tests over all visits, as diagram shapes.

It is drawn with the same shapes as the bike diagram (diagram.py), so the HTML report
shows it as SVG and the PDF with its own lines, from one definition.
"""

from __future__ import annotations

from advisor.output.diagram import Diagram, Role, Shape

WIDTH, HEIGHT = 600, 220
LEFT, RIGHT, TOP, BOTTOM = 70.0, 530.0, 20.0, 180.0
ROLES: tuple[tuple[Role, str], ...] = (("mark", "orange"), ("guide", "blue"))  # one colour per series


def flexibility_chart(series: list[tuple[str, str, list[tuple[str, float]]]]) -> Diagram | None:
    """``series``: (label, unit, [(date, value)]) per measure; None when there is nothing to draw."""
    series = [s for s in series if len(s[2]) >= 2]
    if not series:
        return None
    dates = sorted({d for _, _, points in series for d, _ in points})
    values = [v for _, _, points in series for _, v in points]
    low, high = min(values), max(values)
    pad = max(5.0, (high - low) * 0.15)
    low, high = max(0.0, low - pad), high + pad

    def x(date: str) -> float:
        return LEFT + (RIGHT - LEFT) * (dates.index(date) / (len(dates) - 1) if len(dates) > 1 else 0.5)

    def y(value: float) -> float:
        return BOTTOM - (BOTTOM - TOP) * (value - low) / (high - low)

    shapes = [
        Shape("line", (LEFT, BOTTOM, RIGHT, BOTTOM), "wheel"),
        Shape("line", (LEFT, TOP, LEFT, BOTTOM), "wheel"),
        Shape("text", (LEFT - 26, y(high) + 4), "frame", f"{high:.0f}°"),
        Shape("text", (LEFT - 26, y(low) + 4), "frame", f"{low:.0f}°"),
    ]
    for date in dates:
        shapes.append(Shape("text", (x(date), BOTTOM + 18), "frame", date))
    legend = []
    for i, (label, unit, points) in enumerate(series):
        role, colour = ROLES[i % len(ROLES)]
        coords: list[float] = []
        for date, value in points:
            coords += [x(date), y(value)]
            shapes.append(Shape("circle", (x(date), y(value), 4.0), role))
            shapes.append(Shape("text", (x(date), y(value) - 9), role, f"{value:g}{unit}"))
        shapes.append(Shape("polyline", tuple(coords), role))
        legend.append((i + 1, f"{colour}: {label}"))
    return Diagram(WIDTH, HEIGHT, shapes, legend, numbered=False)
