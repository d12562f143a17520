"""An exercise's picture: its key positions drawn side by side as a line figure.

Built from the catalog's data (core/figures.py) as diagram shapes, so the HTML report draws
it as inline SVG, the PDF with its own primitives, and `advisor exercises show --picture`
writes it to a file: one drawing, three places.
"""

from __future__ import annotations

import math

from advisor.core.figures import FLOOR_Y, FRAME_W, HEAD_R, Picture, Pose
from advisor.output.diagram import Diagram, Shape, cropped

GAP = 12.0
LABEL_H = 16.0


def exercise_picture(picture: Picture) -> Diagram:
    shapes: list[Shape] = []
    for n, pose in enumerate(picture.frames):
        x0 = n * (FRAME_W + GAP)
        shapes += _frame(pose, x0, n + 1 if len(picture.frames) > 1 else None)
    width = len(picture.frames) * FRAME_W + (len(picture.frames) - 1) * GAP
    # Lying positions use only the lower part of a frame: crop the empty sky above them.
    return cropped(Diagram(int(width), int(FLOOR_Y + LABEL_H), shapes, [], numbered=False), margin=6)


def _frame(pose: Pose, x0: float, number: int | None) -> list[Shape]:
    at = {name: (x + x0, y) for name, (x, y) in pose.joints().items()}

    def line(a: str, b: str, role: str) -> Shape:
        return Shape("line", (*at[a], *at[b]), role)  # type: ignore[arg-type]

    shapes = [Shape("line", (x0 + 2, FLOOR_Y, x0 + FRAME_W - 2, FLOOR_Y), "wheel")]
    for prop in pose.props:
        shapes += _prop(prop.kind, [(x + x0, y) for x, y in pose.prop_points(prop)], prop.r)
    # The far side first and lighter, so the near side reads in front of it.
    if pose.far_leg is not None:
        shapes += [line("hip", "far_knee", "wheel"), line("far_knee", "far_ankle", "wheel")]
        shapes.append(line("far_ankle", "far_toe", "wheel"))
    if pose.far_arm is not None:
        shapes += [line("shoulder", "far_elbow", "wheel"), line("far_elbow", "far_hand", "wheel")]
    shapes += [
        line("hip", "shoulder", "part"),
        line("hip", "near_knee", "part"),
        line("near_knee", "near_ankle", "part"),
        line("near_ankle", "near_toe", "part"),
        line("shoulder", "near_elbow", "part"),
        line("near_elbow", "near_hand", "part"),
        Shape("circle", (*at["head"], HEAD_R), "frame"),
    ]
    if pose.face is not None:  # a short mark where the face looks
        from_head = _towards(at["head"], pose.face, HEAD_R)
        shapes.append(Shape("line", (*from_head, *_towards(at["head"], pose.face, HEAD_R + 3.5)), "frame"))
    shapes += [Shape("arrow", (x1 + x0, y1, x2 + x0, y2), "mark") for x1, y1, x2, y2 in pose.arrows]
    label = f"{number}. {pose.label}" if number is not None else pose.label
    shapes.append(Shape("text", (x0 + FRAME_W / 2, FLOOR_Y + LABEL_H - 3), "frame", label))
    return shapes


def _prop(kind: str, points: list[tuple[float, float]], r: float | None) -> list[Shape]:
    flat = tuple(c for p in points for c in p)
    if kind in ("ball", "roller"):
        x, y = points[0]
        return [Shape("circle", (x, y, r or 4.0), "guide", dashed=kind == "roller")]
    if kind in ("strap", "band"):
        return [Shape("polyline", flat, "guide", dashed=kind == "band")]
    return [Shape("polyline", flat, "wheel")]  # pad, chair


def _towards(centre: tuple[float, float], degrees: float, length: float) -> tuple[float, float]:
    a = math.radians(degrees)
    return (centre[0] + length * math.cos(a), centre[1] - length * math.sin(a))
