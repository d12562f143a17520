"""An exercise's picture: its key positions drawn side by side as a line figure.

Built from the catalog's data (core/figures.py) as diagram shapes, so the HTML report draws
it as inline SVG, the PDF with its own primitives, and `advisor exercises show --picture`
writes it to a file: one drawing, three places.
"""

from __future__ import annotations

import math

from advisor.core.rulebase.figures import FLOOR_Y, HEAD_R, Picture, Pose
from advisor.output.diagram import Diagram, Shape, text_width

GAP = 10.0  # between two positions
MARGIN = 5.0  # around each position's drawing
CAPTION = 12.0  # a caption's size (the SVG's default text size), its baseline this far under the floor
LINE = 0.75  # the figure's strokes, as a share of a bike diagram's
# Never wider than this many times its height: at the PDF card's width (175 mm) a picture is
# then at least 35 mm tall, however flat its positions (lying ones are).
MAX_ASPECT = 4.3
END_VIEW_NOTE = "(seen from the head end)"


# Drawn pictures by the catalog entry they were drawn from: a report draws the same few
# pictures each time, and a server draws them for every report. Holding the entry keeps its id
# from being reused by another; the dict is emptied when it grows past any catalog's size.
_DRAWN: dict[int, tuple[Picture, Diagram]] = {}


def exercise_picture(picture: Picture) -> Diagram:
    """The picture's positions side by side, each on its own stretch of floor with its caption."""
    hit = _DRAWN.get(id(picture))
    if hit is not None and hit[0] is picture:
        return hit[1]
    diagram = _draw(picture)
    if len(_DRAWN) >= 256:
        _DRAWN.clear()
    _DRAWN[id(picture)] = (picture, diagram)
    return diagram


def _draw(picture: Picture) -> Diagram:
    drawn = [_frame(pose, n if len(picture.frames) > 1 else None) for n, pose in enumerate(picture.frames, 1)]
    extents = [_extent(shapes) for shapes in drawn]
    width = sum(right - left for left, right in extents) + GAP * (len(drawn) - 1)
    top = min(_top(s) for shapes in drawn for s in shapes if s.kind != "text") - MARGIN
    bottom = max(s.points[1] for shapes in drawn for s in shapes if s.kind == "text") + 5
    height = max(bottom - top, width / MAX_ASPECT)
    top = bottom - height  # room left above a flat picture is sky
    placed: list[Shape] = []
    x = 0.0
    for shapes, (left, right) in zip(drawn, extents, strict=True):
        placed += [_moved(s, x - left, -top) for s in shapes]
        x += right - left + GAP
    return Diagram(math.ceil(width), math.ceil(height), placed, [], numbered=False, line=LINE)


def _frame(pose: Pose, number: int | None) -> list[Shape]:
    at = pose.joints()

    def line(a: str, b: str, role: str = "part") -> Shape:
        return Shape("line", (*at[a], *at[b]), role)  # type: ignore[arg-type]

    body: list[Shape] = []
    behind: list[Shape] = []  # props the body lies on or against
    front: list[Shape] = []  # props held, drawn over the body
    for prop in pose.props:
        drawn = _prop(prop.kind, pose.prop_points(prop), prop.r)
        (front if prop.kind in ("band", "strap") else behind).extend(drawn)
    if pose.view == "end":
        # The shoulders across, both arms alike, the head in front (the legs are out of sight).
        body.append(line("arm_root", "far_arm_root"))
        for side, root in (("near", "arm_root"), ("far", "far_arm_root")):
            body += [line(root, f"{side}_elbow"), line(f"{side}_elbow", f"{side}_hand")]
    else:
        # The far side first, lighter unless it is drawn solid (it moves, or it is what the
        # exercise works on), so the near side reads in front of it.
        if pose.far_leg is not None:
            role = "part" if "far_leg" in pose.solid else "wheel"
            body += [line("hip", "far_knee", role), line("far_knee", "far_ankle", role)]
            body.append(line("far_ankle", "far_toe", role))
        if pose.far_arm is not None:
            role = "part" if "far_arm" in pose.solid else "wheel"
            body += [line("far_arm_root", "far_elbow", role), line("far_elbow", "far_hand", role)]
        body += [
            line("hip", "mid_back"),
            line("mid_back", "shoulder"),
            line("shoulder", "arm_root"),
            line("hip", "near_knee"),
            line("near_knee", "near_ankle"),
            line("near_ankle", "near_toe"),
            line("arm_root", "near_elbow"),
            line("near_elbow", "near_hand"),
        ]
    head = [Shape("circle", (*at["head"], HEAD_R), "paper"), Shape("circle", (*at["head"], HEAD_R), "frame")]
    if pose.face is not None:  # a short mark where the face looks
        from_head = _towards(at["head"], pose.face, HEAD_R)
        head.append(Shape("line", (*from_head, *_towards(at["head"], pose.face, HEAD_R + 3.5)), "frame"))
    arrows = [Shape("arrow", (x1, y1, x2, y2), "mark") for x1, y1, x2, y2 in pose.arrows]
    label = f"{number}. {pose.label}" if number is not None else pose.label
    captions = [Shape("text", (0.0, FLOOR_Y + CAPTION + 2), "frame", label)]
    if pose.view == "end":
        captions.append(Shape("text", (0.0, FLOOR_Y + 2 * CAPTION + 4), "frame", END_VIEW_NOTE))
    drawn = behind + body + head + front + arrows
    left, right = _extent(drawn)
    floor = Shape("line", (left - 2, FLOOR_Y, right + 2, FLOOR_Y), "wheel")
    middle = (left + right) / 2
    return [floor, *drawn, *(Shape("text", (middle, c.points[1]), "frame", c.text) for c in captions)]


def _prop(kind: str, points: list[tuple[float, float]], r: float | None) -> list[Shape]:
    flat = tuple(c for p in points for c in p)
    if kind == "roller":  # seen end-on: a tube with its hollow
        x, y = points[0]
        return [Shape("circle", (x, y, r or 6.0), "guide"), Shape("circle", (x, y, (r or 6.0) * 0.35), "paper")]
    if kind == "ball":
        x, y = points[0]
        return [Shape("circle", (x, y, r or 4.0), "guide")]
    if kind == "outline":  # where the head was
        x, y = points[0]
        return [Shape("circle", (x, y, r or HEAD_R), "wheel", dashed=True)]
    if kind in ("strap", "band"):
        return [Shape("polyline", flat, "guide", dashed=kind == "band")]
    return [Shape("polyline", flat, "wheel")]  # pad, chair


def _extent(shapes: list[Shape]) -> tuple[float, float]:
    """The leftmost and rightmost x any shape reaches (a caption by its width)."""
    lefts, rights = [], []
    for s in shapes:
        p = s.points
        if s.kind == "circle":
            lefts.append(p[0] - p[2])
            rights.append(p[0] + p[2])
        elif s.kind == "text":
            half = text_width(s.text, CAPTION) / 2
            lefts.append(p[0] - half)
            rights.append(p[0] + half)
        else:
            lefts += p[0::2]
            rights += p[0::2]
    return min(lefts) - MARGIN, max(rights) + MARGIN


def _top(shape: Shape) -> float:
    p = shape.points
    return p[1] - p[2] if shape.kind == "circle" else min(p[1::2])


def _moved(shape: Shape, dx: float, dy: float) -> Shape:
    p = shape.points
    if shape.kind in ("circle", "text"):
        points = (round(p[0] + dx, 1), round(p[1] + dy, 1), *p[2:])
    else:
        points = tuple(round(v + (dx if i % 2 == 0 else dy), 1) for i, v in enumerate(p))
    return Shape(shape.kind, points, shape.role, shape.text, shape.dashed, shape.size, shape.anchor, shape.bold)


def _towards(centre: tuple[float, float], degrees: float, length: float) -> tuple[float, float]:
    a = math.radians(degrees)
    return (centre[0] + length * math.cos(a), centre[1] - length * math.sin(a))
