"""The picture of an exercise, as data: a line figure in one to four key positions.

A side-view position gives where the hip is and the direction of each body segment (degrees,
counter-clockwise from pointing right, as on a protractor); segment lengths are fixed, so
every figure keeps human proportions whatever the angles. The figure faces right: standing,
its front is to the right; lying on its back, head to the left, its front is up; on all
fours, head to the right, its front is down. The arms hang from a shoulder joint a little in
front of the top of the spine, as a real shoulder does. An end-on position (``view: end``)
shows the body from the head end: the shoulders across, the arms from each shoulder.

Props (a strap, a band, a ball, a roller, a pad, a chair, the outline of where the head was)
and movement arrows are placed in the frame's own coordinates (160 x 100, y downward, the
floor at y = 92), or pinned to a joint by its name.

Each picture also declares the checks its exercise needs (``checks``): ``judge`` measures
them on the drawn points, so ``advisor rules check`` refuses a figure whose positions
contradict what the exercise's steps and cautions say (a bridge with the hips arched above
the shoulder-knee line, a roller under the low back, a bird dog's arm pointing up).
"""

from __future__ import annotations

import itertools
import math
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

FRAME_W, FRAME_H, FLOOR_Y = 160.0, 100.0, 92.0
LENGTHS = {"trunk": 40.0, "neck": 9.0, "upper_arm": 18.0, "forearm": 17.0, "thigh": 30.0, "shin": 28.0, "foot": 10.0}
HEAD_R = 6.0
# The trunk bends at the mid back (for the upper back extending over a roller): this far up
# from the hip, as a share of the trunk. Below it, the lower back; above it, the upper back.
MID_BACK = 0.55
# The shoulder joint (where the arms hang from) sits this far in front of the spine's top.
ARM_ROOT = 5.0
# Seen end-on: half the width of the shoulders and of the hips.
SHOULDER_HALF, HIP_HALF = 17.0, 8.0
# Where along the trunk (0 at the hip, 1 at the top of the spine, past 1 the neck) each part
# of the spine lies: a roller belongs under the thoracic spine, never the low back or neck.
SPINE = {"lumbar": (0.0, 0.45), "thoracic": (0.5, 0.95), "neck": (0.97, 1.3)}
# How close to the head an arrow or a limb that should be clear of it may come (its centre line
# to the head's centre): the head's radius and room for both strokes.
HEAD_CLEARANCE = HEAD_R + 3.5
Point = tuple[float, float]
JOINTS = (
    "hip", "mid_back", "shoulder", "arm_root", "far_arm_root", "head",
    "near_elbow", "near_hand", "far_elbow", "far_hand",
    "near_knee", "near_ankle", "near_toe", "far_knee", "far_ankle", "far_toe",
)  # fmt: skip
Limb = Literal["near_arm", "far_arm", "near_leg", "far_leg"]
# The parts a check can measure: a limb (root to end), a part of the trunk, or a movement arrow.
PARTS = (
    "near_arm", "far_arm", "near_leg", "far_leg", "near_thigh", "far_thigh",
    "trunk", "lower_trunk", "upper_trunk", "neck",
)  # fmt: skip
_LIMB_ENDS = {
    "near_arm": ("arm_root", "near_hand"),
    "far_arm": ("far_arm_root", "far_hand"),
    "near_leg": ("hip", "near_ankle"),
    "far_leg": ("hip", "far_ankle"),
    "near_thigh": ("hip", "near_knee"),
    "far_thigh": ("hip", "far_knee"),
    "trunk": ("hip", "shoulder"),
    "lower_trunk": ("hip", "mid_back"),
    "upper_trunk": ("mid_back", "shoulder"),
    "neck": ("shoulder", "head"),
}


class Prop(BaseModel):
    model_config = ConfigDict(defer_build=True, extra="forbid")
    # outline: a faint circle where the head was in the position before (a movement too small
    # to see otherwise, as a chin tuck's glide)
    kind: Literal["strap", "band", "ball", "roller", "pad", "chair", "outline"]
    # x, y pairs, or joint names standing for where that joint is in this position.
    points: list[float | str] = Field(min_length=1)
    r: float | None = None  # ball, roller and outline

    @model_validator(mode="after")
    def _points_make_sense(self) -> Prop:
        unknown = [p for p in self.points if isinstance(p, str) and p not in JOINTS]
        if unknown:
            raise ValueError(f"unknown joint {unknown[0]!r}; allowed: {', '.join(JOINTS)}")
        if self.kind in ("ball", "roller", "outline") and self.r is None:
            raise ValueError(f"a {self.kind} needs r, its radius")
        return self


class Pose(BaseModel):
    model_config = ConfigDict(defer_build=True, extra="forbid")
    label: str = Field(min_length=1, max_length=20)
    # side: seen from the side (the figure faces right); end: seen from the head end, lying on
    # the back (hip is then the middle of the back on the floor, and only the arms' angles count)
    view: Literal["side", "end"] = "side"
    hip: tuple[float, float]
    trunk: float  # hip to the top of the spine (to the mid back when upper_trunk is given)
    upper_trunk: float | None = None  # mid back to the top of the spine, where the upper back bends
    neck: float
    face: float | None = None  # where the face looks: a short mark on the head
    # upper arm, forearm, and optionally how much of the arm's length shows (1: all of it; less
    # for an arm pointing partly toward the viewer, as elbows out with the hands behind the head)
    near_arm: tuple[float, float] | tuple[float, float, float]
    near_leg: tuple[float, float, float]  # thigh, shin, foot
    far_arm: tuple[float, float] | tuple[float, float, float] | None = None  # the other side, drawn lighter
    far_leg: tuple[float, float, float] | None = None
    # far-side limbs drawn solid like the near side, never faint: the ones that move into this
    # position, or that the exercise works on
    solid: list[Limb] = []
    props: list[Prop] = []
    arrows: list[tuple[float, float, float, float]] = []  # x1, y1, x2, y2: the movement

    def joints(self) -> dict[str, Point]:
        """Every joint of this position in frame coordinates."""
        if self.view == "end":
            return self._end_joints()
        at: dict[str, Point] = {"hip": self.hip}
        upper = self.trunk if self.upper_trunk is None else self.upper_trunk
        at["mid_back"] = _step(self.hip, self.trunk, LENGTHS["trunk"] * MID_BACK)
        at["shoulder"] = _step(at["mid_back"], upper, LENGTHS["trunk"] * (1 - MID_BACK))
        at["head"] = _step(at["shoulder"], self.neck, LENGTHS["neck"])
        at["arm_root"] = at["far_arm_root"] = _step(at["shoulder"], upper - 90, ARM_ROOT)
        for side, arm in (("near", self.near_arm), ("far", self.far_arm or self.near_arm)):
            root = at["arm_root"] if side == "near" else at["far_arm_root"]
            shows = arm[2] if len(arm) == 3 else 1.0
            at[f"{side}_elbow"] = _step(root, arm[0], LENGTHS["upper_arm"] * shows)
            at[f"{side}_hand"] = _step(at[f"{side}_elbow"], arm[1], LENGTHS["forearm"] * shows)
        for side, leg in (("near", self.near_leg), ("far", self.far_leg or self.near_leg)):
            at[f"{side}_knee"] = _step(self.hip, leg[0], LENGTHS["thigh"])
            at[f"{side}_ankle"] = _step(at[f"{side}_knee"], leg[1], LENGTHS["shin"])
            at[f"{side}_toe"] = _step(at[f"{side}_ankle"], leg[2], LENGTHS["foot"])
        return at

    def _end_joints(self) -> dict[str, Point]:
        """Seen from the head end: the head nearest, the shoulders across, the knees behind."""
        x, y = self.hip
        at: dict[str, Point] = {"hip": (x, y), "mid_back": (x, y), "shoulder": (x, y)}
        at["head"] = (x, round(FLOOR_Y - HEAD_R - 0.5, 1))
        at["arm_root"], at["far_arm_root"] = (x - SHOULDER_HALF, y), (x + SHOULDER_HALF, y)
        for side, arm in (
            ("near", self.near_arm),
            ("far", self.far_arm or (180 - self.near_arm[0], 180 - self.near_arm[1])),
        ):
            root = at["arm_root"] if side == "near" else at["far_arm_root"]
            at[f"{side}_elbow"] = _step(root, arm[0], LENGTHS["upper_arm"])
            at[f"{side}_hand"] = _step(at[f"{side}_elbow"], arm[1], LENGTHS["forearm"])
        # The legs are behind the body, out of sight: their joints are where the hips are.
        for side, sign in (("near", -1), ("far", 1)):
            for joint in ("knee", "ankle", "toe"):
                at[f"{side}_{joint}"] = (x + sign * HIP_HALF, y)
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


CheckKind = Literal[
    "bridge_line", "roller_under", "direction", "on_floor", "clear_of_head", "touching", "neck_in_line",
    "head_glides_back", "straight",
]  # fmt: skip


class FigureCheck(BaseModel):
    """One thing the exercise's positions must show, measured on the drawn points.

    - bridge_line: the hips are not above the line from the top of the spine to the knee by more
      than ``within`` degrees (default 5): shoulders, hips and knees in one line, no arched back.
    - roller_under: the roller lies under the part of the spine ``spine`` names (thoracic: the
      upper back), touching the back.
    - direction: each part in ``parts`` (a limb from its root to its end, a part of the trunk,
      or ``arrow1``, ``arrow2``... for the position's arrows) points within ``within`` degrees
      (default 12) of ``degrees``.
    - on_floor: each joint in ``parts`` is at most ``within`` units (default 4) above the floor.
    - clear_of_head: no segment of the limbs in ``parts`` comes near the head.
    - touching: the two joints in ``parts`` are at most ``within`` units apart (default 4).
    - neck_in_line: the neck is within ``within`` degrees (default 15) of the upper back: not
      tipped back (extended) nor dropped forward.
    - head_glides_back: from the first frame to the second, the head moves back (away from where
      the face looks) by at least ``within`` units (default 3) and stays level (within 1.5),
      the face level in both (no nodding).
    - straight: each limb in ``parts`` is straight at its knee or elbow, within ``within``
      degrees (default 12).
    """

    model_config = ConfigDict(defer_build=True, extra="forbid")
    check: CheckKind
    frames: list[int] = []  # 1-based; none: every frame
    parts: list[str] = []
    degrees: float | None = None
    within: float | None = None
    spine: Literal["lumbar", "thoracic", "neck"] | None = None

    @model_validator(mode="after")
    def _complete(self) -> FigureCheck:
        joints_named = self.check in ("on_floor", "touching")
        limbs_named = self.check in ("clear_of_head", "straight")
        for part in self.parts:
            known = JOINTS if joints_named else PARTS[:4] if limbs_named else PARTS
            if part not in known and not (self.check == "direction" and _arrow_index(part) is not None):
                raise ValueError(f"{self.check}: unknown part {part!r}; allowed: {', '.join(known)}")
        needs_parts = ("direction", "on_floor", "clear_of_head", "touching", "straight")
        if self.check in needs_parts and not self.parts:
            raise ValueError(f"{self.check} needs parts")
        if self.check == "touching" and len(self.parts) != 2:
            raise ValueError("touching needs two joints in parts")
        if self.check == "direction" and self.degrees is None:
            raise ValueError("direction needs degrees")
        if self.check == "roller_under" and self.spine is None:
            raise ValueError("roller_under needs spine")
        if self.check == "head_glides_back" and len(self.frames) != 2:
            raise ValueError("head_glides_back needs two frames: before and after")
        return self


class Picture(BaseModel):
    model_config = ConfigDict(defer_build=True, extra="forbid")
    frames: list[Pose] = Field(min_length=1, max_length=4)
    checks: list[FigureCheck] = []

    @model_validator(mode="after")
    def _frames_exist(self) -> Picture:
        for c in self.checks:
            wrong = [n for n in c.frames if not 1 <= n <= len(self.frames)]
            if wrong:
                raise ValueError(f"{c.check}: there is no frame {wrong[0]} (frames are 1 to {len(self.frames)})")
        return self


def judge(picture: Picture) -> list[str]:
    """What in the picture contradicts its exercise: its declared checks, and for every position
    that no movement arrow lies over the head or face."""
    problems = []
    for n, pose in enumerate(picture.frames, 1):
        at = pose.joints()
        for i, arrow in enumerate(pose.arrows, 1):
            gap = _distance_to_segment(at["head"], (arrow[0], arrow[1]), (arrow[2], arrow[3]))
            if gap < HEAD_CLEARANCE:
                problems.append(f"frame {n}: arrow {i} lies over the head ({gap:.1f} from its centre, keep it clear)")
    for c in picture.checks:
        problems += [f"{c.check}: {p}" for p in _judge_one(picture, c)]
    return problems


def _judge_one(picture: Picture, c: FigureCheck) -> list[str]:
    frames = c.frames or list(range(1, len(picture.frames) + 1))
    out = []
    if c.check == "head_glides_back":
        (a, b), within = (picture.frames[i - 1] for i in frames), c.within or 3.0
        ha, hb = a.joints()["head"], b.joints()["head"]
        back = -1 if (a.face or 0) > 90 or (a.face or 0) < -90 else 1  # back: away from the face
        moved, rose = (ha[0] - hb[0]) * back, hb[1] - ha[1]
        if moved < within:
            out.append(f"frames {frames[0]}-{frames[1]}: the head moves back {moved:.1f}, not at least {within:g}")
        if abs(rose) > 1.5:
            out.append(f"frames {frames[0]}-{frames[1]}: the head moves {abs(rose):.1f} up or down, not level")
        for n, pose in zip(frames, (a, b), strict=True):
            if pose.face is None or abs(_turn(pose.face, 0 if back == 1 else 180)) > 5:
                out.append(f"frame {n}: the face is not level (a chin tuck glides, it does not nod)")
        return out
    for n in frames:
        pose = picture.frames[n - 1]
        at = pose.joints()
        out += [f"frame {n}: {p}" for p in _judge_pose(pose, at, c)]
    return out


def _judge_pose(pose: Pose, at: dict[str, Point], c: FigureCheck) -> list[str]:
    out = []
    if c.check == "bridge_line":
        within = 5.0 if c.within is None else c.within
        above = _above_line(at["shoulder"], at["hip"], at["near_knee"])
        if above > within:
            out.append(
                f"the hips are {above:.0f}° above the shoulder-knee line (an arched low back); "
                f"a bridge keeps shoulders, hips and knees in one line, at most {within:g}°"
            )
    elif c.check == "roller_under":
        out += _roller_problems(pose, at, c.spine or "thoracic")
    elif c.check == "direction":
        within = 12.0 if c.within is None else c.within
        for part in c.parts:
            ends = _part_ends(pose, at, part)
            if ends is None:
                out.append(f"there is no {part}")
                continue
            (x1, y1), (x2, y2) = ends
            angle = math.degrees(math.atan2(y1 - y2, x2 - x1))
            off = abs(_turn(angle, c.degrees or 0.0))
            if off > within:
                out.append(f"{part} points at {angle:.0f}°, {off:.0f}° from {c.degrees:g}° (at most {within:g})")
    elif c.check == "on_floor":
        within = 4.0 if c.within is None else c.within
        for joint in c.parts:
            height = FLOOR_Y - at[joint][1]
            if height > within or height < -1:
                out.append(f"{joint} is {height:.1f} above the floor, not on it (at most {within:g})")
    elif c.check == "clear_of_head":
        for limb in c.parts:
            chain = _limb_chain(limb, at)
            gap = min(_distance_to_segment(at["head"], p, q) for p, q in itertools.pairwise(chain))
            if gap < HEAD_CLEARANCE:
                out.append(f"{limb} goes through the head ({gap:.1f} from its centre, at least {HEAD_CLEARANCE:g})")
    elif c.check == "touching":
        within = 4.0 if c.within is None else c.within
        a, b = c.parts
        gap = math.dist(at[a], at[b])
        if gap > within:
            out.append(f"{a} is {gap:.1f} from {b}, not touching it (at most {within:g})")
    elif c.check == "neck_in_line":
        within = 15.0 if c.within is None else c.within
        upper = pose.trunk if pose.upper_trunk is None else pose.upper_trunk
        off = _turn(pose.neck, upper)
        if abs(off) > within:
            # The figure faces right, its front 90° clockwise from the upper back: turning the
            # neck anticlockwise (positive) tips the head toward the back of the body.
            way = "tipped back (neck extension)" if off > 0 else "dropped forward"
            out.append(f"the head is {way} {abs(off):.0f}° from the upper back's line (at most {within:g})")
    elif c.check == "straight":
        within = 12.0 if c.within is None else c.within
        for limb in c.parts:
            values = getattr(pose, limb) or getattr(pose, limb.replace("far", "near"))
            bend = abs(_turn(values[0], values[1]))
            if bend > within:
                out.append(f"{limb} is bent {bend:.0f}° at the {'elbow' if 'arm' in limb else 'knee'}, not straight")
    return out


def _roller_problems(pose: Pose, at: dict[str, Point], spine: str) -> list[str]:
    rollers = [pose.prop_points(p)[0] + (p.r or 0.0,) for p in pose.props if p.kind == "roller"]
    if not rollers:
        return ["there is no roller"]
    out = []
    for x, y, r in rollers:
        # Where along the spine (hip 0, top of the spine 1, the neck past it) the roller is closest.
        chain = [at["hip"], at["mid_back"], at["shoulder"], at["head"]]
        spans = [0.0, MID_BACK, 1.0, 1.0 + LENGTHS["neck"] / LENGTHS["trunk"]]
        best = min(
            (_distance_to_segment((x, y), p, q), lo + (hi - lo) * _along((x, y), p, q))
            for p, q, lo, hi in zip(chain, chain[1:], spans, spans[1:], strict=False)
        )
        gap, where = best
        lo, hi = SPINE[spine]
        part = next((name for name, (a, b) in SPINE.items() if a <= where <= b), "between parts")
        if not lo <= where <= hi:
            out.append(f"the roller is under the {part} spine ({where:.2f} of the way up), not the {spine}")
        if gap > r + 8:
            out.append(f"the roller is {gap - r:.1f} below the back, not touching it")
        if abs(FLOOR_Y - (y + r)) > 1.5:
            out.append("the roller is not on the floor")
    return out


def _part_ends(pose: Pose, at: dict[str, Point], part: str) -> tuple[Point, Point] | None:
    index = _arrow_index(part)
    if index is not None:
        if index > len(pose.arrows):
            return None
        x1, y1, x2, y2 = pose.arrows[index - 1]
        return (x1, y1), (x2, y2)
    root, end = _LIMB_ENDS[part]
    return at[root], at[end]


def _limb_chain(limb: str, at: dict[str, Point]) -> list[Point]:
    side, kind = limb.split("_")
    if kind == "arm":
        root = "arm_root" if side == "near" else "far_arm_root"
        return [at[root], at[f"{side}_elbow"], at[f"{side}_hand"]]
    return [at["hip"], at[f"{side}_knee"], at[f"{side}_ankle"], at[f"{side}_toe"]]


def _arrow_index(part: str) -> int | None:
    if part.startswith("arrow") and part[5:].isdigit() and int(part[5:]) >= 1:
        return int(part[5:])
    return None


def _above_line(a: Point, p: Point, b: Point) -> float:
    """How many degrees the path a-p-b bends at p, positive when p is above the line a-b."""
    straight = math.degrees(math.atan2(a[1] - p[1], p[0] - a[0]))  # the direction a -> p (y up)
    onward = math.degrees(math.atan2(p[1] - b[1], b[0] - p[0]))  # the direction p -> b
    # Going rightwards, a p above the line makes the path turn clockwise (negative) at p.
    turn = _turn(onward, straight)
    return -turn if b[0] >= a[0] else turn


def _turn(a: float, b: float) -> float:
    """The signed difference a - b in degrees, in -180..180."""
    return (a - b + 180.0) % 360.0 - 180.0


def _along(p: Point, a: Point, b: Point) -> float:
    dx, dy = b[0] - a[0], b[1] - a[1]
    length2 = dx * dx + dy * dy
    if length2 == 0:
        return 0.0
    return max(0.0, min(1.0, ((p[0] - a[0]) * dx + (p[1] - a[1]) * dy) / length2))


def _distance_to_segment(p: Point, a: Point, b: Point) -> float:
    t = _along(p, a, b)
    return math.dist(p, (a[0] + t * (b[0] - a[0]), a[1] + t * (b[1] - a[1])))


def _step(start: Point, degrees: float, length: float) -> Point:
    """From ``start``, ``length`` along ``degrees`` (y grows downward in the frame)."""
    a = math.radians(degrees)
    return (round(start[0] + length * math.cos(a), 1), round(start[1] - length * math.sin(a), 1))
