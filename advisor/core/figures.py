"""The picture of an exercise, as data: a line figure in one to four key positions.

A position gives where the hip is and the direction of each body segment (degrees, counter-
clockwise from pointing right, as on a protractor); segment lengths are fixed, so every
figure keeps human proportions whatever the angles. Props (a strap, a band, a ball, a
roller, a pad, a chair) and movement arrows are placed in the frame's own coordinates
(160 x 100, y downward, the floor at y = 92), or pinned to a joint by its name.
"""

from __future__ import annotations

import math
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

FRAME_W, FRAME_H, FLOOR_Y = 160.0, 100.0, 92.0
LENGTHS = {"trunk": 40.0, "neck": 9.0, "upper_arm": 18.0, "forearm": 17.0, "thigh": 25.0, "shin": 24.0, "foot": 8.0}
HEAD_R = 6.0
Point = tuple[float, float]
JOINTS = (
    "hip", "shoulder", "head",
    "near_elbow", "near_hand", "far_elbow", "far_hand",
    "near_knee", "near_ankle", "near_toe", "far_knee", "far_ankle", "far_toe",
)  # fmt: skip


class Prop(BaseModel):
    model_config = ConfigDict(defer_build=True, extra="forbid")
    kind: Literal["strap", "band", "ball", "roller", "pad", "chair"]
    # x, y pairs, or joint names standing for where that joint is in this position.
    points: list[float | str] = Field(min_length=1)
    r: float | None = None  # ball and roller

    @model_validator(mode="after")
    def _points_make_sense(self) -> Prop:
        unknown = [p for p in self.points if isinstance(p, str) and p not in JOINTS]
        if unknown:
            raise ValueError(f"unknown joint {unknown[0]!r}; allowed: {', '.join(JOINTS)}")
        if self.kind in ("ball", "roller") and self.r is None:
            raise ValueError(f"a {self.kind} needs r, its radius")
        return self


class Pose(BaseModel):
    model_config = ConfigDict(defer_build=True, extra="forbid")
    label: str = Field(min_length=1, max_length=20)
    hip: tuple[float, float]
    trunk: float
    neck: float
    face: float | None = None  # where the face looks: a short mark on the head
    near_arm: tuple[float, float]  # upper arm, forearm
    near_leg: tuple[float, float, float]  # thigh, shin, foot
    far_arm: tuple[float, float] | None = None  # the other side, drawn lighter, where it differs
    far_leg: tuple[float, float, float] | None = None
    props: list[Prop] = []
    arrows: list[tuple[float, float, float, float]] = []  # x1, y1, x2, y2: the movement

    def joints(self) -> dict[str, Point]:
        """Every joint of this position in frame coordinates."""
        at: dict[str, Point] = {"hip": self.hip}
        at["shoulder"] = _step(self.hip, self.trunk, LENGTHS["trunk"])
        at["head"] = _step(at["shoulder"], self.neck, LENGTHS["neck"])
        for side, arm in (("near", self.near_arm), ("far", self.far_arm or self.near_arm)):
            at[f"{side}_elbow"] = _step(at["shoulder"], arm[0], LENGTHS["upper_arm"])
            at[f"{side}_hand"] = _step(at[f"{side}_elbow"], arm[1], LENGTHS["forearm"])
        for side, leg in (("near", self.near_leg), ("far", self.far_leg or self.near_leg)):
            at[f"{side}_knee"] = _step(self.hip, leg[0], LENGTHS["thigh"])
            at[f"{side}_ankle"] = _step(at[f"{side}_knee"], leg[1], LENGTHS["shin"])
            at[f"{side}_toe"] = _step(at[f"{side}_ankle"], leg[2], LENGTHS["foot"])
        return at

    def prop_points(self, prop: Prop) -> list[Point]:
        at = self.joints()
        out: list[Point] = []
        numbers: list[float] = []
        for p in prop.points:
            if isinstance(p, str):
                out.append(at[p])
            else:
                numbers.append(float(p))
                if len(numbers) == 2:
                    out.append((numbers[0], numbers[1]))
                    numbers = []
        return out


class Picture(BaseModel):
    model_config = ConfigDict(defer_build=True, extra="forbid")
    frames: list[Pose] = Field(min_length=1, max_length=4)


def _step(start: Point, degrees: float, length: float) -> Point:
    """From ``start``, ``length`` along ``degrees`` (y grows downward in the frame)."""
    a = math.radians(degrees)
    return (round(start[0] + length * math.cos(a), 1), round(start[1] - length * math.sin(a), 1))
