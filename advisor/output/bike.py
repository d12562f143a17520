"""The rider's bike in side view, with a numbered mark on the part each adjustment changes.

One bike per riding discipline, drawn from its geometry (questionnaires/bike/bikes.yaml: a
road bike with drop bars; a gravel bike, higher at the front, on wide tyres; a hardtail
mountain bike with a suspension fork, knobbly tyres, a sloping top tube and a dropper post; an
upright city bike with a swept flat bar, mudguards and a rack; a triathlon bike with a steep
seat tube, a base bar, arm pads and extensions; the road bike on a direct-drive trainer with
its front wheel on a riser block; an e-bike with a motor at the bottom bracket and a battery
on the down tube).

Each mark is a symbol that reads without colour (an arrow for a move, a curved arrow for a
turn, a dashed ring round a part to change, dots where the hands go) and a badge with the
adjustment's number. They are placed in two greedy passes, each symbol in the first of its
places near its part that meets nothing placed before it, then each badge in the free place
nearest its symbol, with a thin leader line when it stands off: no two badges overlap, no
badge covers a symbol or a leader, and no arrow or leader crosses another mark's.

Shapes come in this order: the bike, then each mark as its symbol, its leader line (role
"axis", when it has one) and its badge last. The bike uses the roles frame, wheel, part, grid
and zone; marks use mark (arrows, curved arrows, hand dots), guide (dashed rings and the
level line) and axis (leaders).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache, lru_cache
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from advisor.core.datafiles import resources
from advisor.core.datafiles.datafile import load_model
from advisor.output.diagram import WIDTH, Diagram, Role, Shape, cropped

MM = 3.6  # millimetres of the real bike to one unit of the diagram
HEIGHT = 420  # room above the saddle for its marks; the diagram is cropped to what it draws
GROUND_Y = HEIGHT - 12.0
BADGE_R = 12.5  # a badge's radius: 11 on screen, 2.6 mm in the PDF (125 mm wide: 12.5 units)
GAP = 2.5  # the least room between two marks' shapes
Point = tuple[float, float]


# ---------------------------------------------------------------------------- the data


class _Spec(BaseModel):
    model_config = ConfigDict(defer_build=True, extra="forbid")


class FrameSpec(_Spec):
    seat_angle: float = Field(ge=65, le=85)
    head_angle: float = Field(ge=60, le=78)
    stack: float = Field(ge=400, le=800)
    reach: float = Field(ge=300, le=550)
    chainstay: float = Field(ge=350, le=550)
    bb_drop: float = Field(ge=0, le=110)
    fork_length: float = Field(ge=300, le=650)
    fork_offset: float = Field(ge=0, le=80)
    seat_tube: float = Field(ge=300, le=650)


class WheelSpec(_Spec):
    bead: float = Field(ge=300, le=700)
    tyre: float = Field(ge=18, le=120)
    rim_depth: float = Field(default=20, ge=10, le=100)
    knobs: bool = False
    brakes: Literal["rim", "disc"] = "disc"


class FitSpec(_Spec):
    saddle_height: float = Field(ge=500, le=1000)
    spacers: float = Field(ge=0, le=80)
    stem: float = Field(ge=30, le=150)
    stem_angle: float = Field(ge=-40, le=45)
    crank: float = Field(ge=140, le=185)


class DrivetrainSpec(_Spec):
    chainring: int = Field(ge=20, le=60)
    largest_cog: int = Field(ge=10, le=56)


class DropBar(_Spec):
    type: Literal["drop"]
    reach: float = Field(ge=50, le=110)
    drop: float = Field(ge=80, le=160)
    flare: float = Field(default=0, ge=0, le=35)


class FlatBar(_Spec):
    type: Literal["flat"]
    rise: float = Field(ge=0, le=100)
    width: float = Field(ge=450, le=850)
    sweep: float = Field(ge=0, le=60)
    bar_ends: bool = False


class AeroBar(_Spec):
    type: Literal["aero"]
    base_reach: float = Field(ge=40, le=200)
    base_drop: float = Field(ge=0, le=100)
    pad_stack: float = Field(ge=20, le=200)
    pad_back: float = Field(ge=-50, le=120)
    extension: float = Field(ge=200, le=450)
    extension_rise: float = Field(ge=0, le=200)


class Extras(_Spec):
    fork: Literal["rigid", "suspension"] = "rigid"
    mudguards: bool = False
    rack: bool = False
    chainguard: bool = False
    dropper: bool = False
    motor: bool = False
    battery: bool = False
    trainer: Literal["direct-drive", "wheel-on"] | None = None
    riser: float = Field(default=0, ge=0, le=120)
    ground: Literal["road", "gravel", "trail", "floor"] = "road"


class BikeSpec(_Spec):
    name: str
    frame: FrameSpec
    wheels: WheelSpec
    fit: FitSpec
    drivetrain: DrivetrainSpec
    bar: Annotated[DropBar | FlatBar | AeroBar, Field(discriminator="type")]
    extras: Extras = Extras()

    @model_validator(mode="after")
    def _fits(self) -> BikeSpec:
        if self.fit.saddle_height < self.frame.seat_tube + 60:
            raise ValueError("the saddle must stand at least 60 mm above the seat tube")
        if _head_tube(self.frame) < 60:
            raise ValueError("the stack is too low for this fork: the head tube would be under 60 mm")
        return self


class BikesFile(_Spec):
    default: str
    bikes: dict[str, BikeSpec] = Field(min_length=1)

    @model_validator(mode="after")
    def _default_known(self) -> BikesFile:
        if self.default not in self.bikes:
            raise ValueError(f"default '{self.default}' is not one of the bikes")
        return self


@cache
def bikes() -> BikesFile:
    """The bikes by discipline, read and checked once."""
    return load_model(BikesFile, resources.questionnaires_dir() / "bike" / "bikes.yaml")[0]


def _head_tube(frame: FrameSpec) -> float:
    ha = math.radians(frame.head_angle)
    return (frame.stack + frame.fork_offset * math.cos(ha) - frame.bb_drop) / math.sin(ha) - frame.fork_length


# ---------------------------------------------------------------------------- the drawing


@dataclass(frozen=True)
class Bike:
    """A bike as drawn: its shapes by part, and the points and directions its marks attach to
    (diagram units; directions are unit vectors)."""

    discipline: str
    name: str
    bar_type: str
    parts: dict[str, list[Shape]]
    at: dict[str, Point]
    hands: tuple[Point, ...]  # where the hands go, on the bar's shapes (parts["bar"])

    def shapes(self) -> list[Shape]:
        return [s for part in self.parts.values() for s in part]


def _add(a: Point, b: Point, k: float = 1.0) -> Point:
    return (a[0] + k * b[0], a[1] + k * b[1])


def _unit(angle_deg: float) -> Point:
    a = math.radians(angle_deg)
    return (math.cos(a), math.sin(a))


def _arc(centre: Point, r: float, start: float, end: float, steps: int = 16) -> list[Point]:
    """Points on a circle (mm, y up), from angle ``start`` to ``end`` in degrees."""
    return [_add(centre, _unit(start + (end - start) * i / steps), r) for i in range(steps + 1)]


def _lerp(a: Point, b: Point, t: float) -> Point:
    return (a[0] + (b[0] - a[0]) * t, a[1] + (b[1] - a[1]) * t)


def _teeth_radius(teeth: int) -> float:
    return teeth * 12.7 / (2 * math.pi)


class _Pen:
    """Draws in millimetres (x forward, y up, from the bottom bracket) into diagram units."""

    def __init__(self, x0: float, lift: float) -> None:
        self.x0, self.lift = x0, lift
        self.parts: dict[str, list[Shape]] = {}

    def p(self, pt: Point) -> Point:
        return (round(self.x0 + pt[0] / MM, 1), round(GROUND_Y - (pt[1] + self.lift) / MM, 1))

    def _put(self, part: str, shape: Shape) -> None:
        self.parts.setdefault(part, []).append(shape)

    def line(self, part: str, a: Point, b: Point, role: Role = "frame", dashed: bool = False) -> None:
        self._put(part, Shape("line", (*self.p(a), *self.p(b)), role, dashed=dashed))

    def poly(self, part: str, pts: list[Point], role: Role = "part") -> None:
        self._put(part, Shape("polyline", tuple(c for pt in pts for c in self.p(pt)), role))

    def circle(self, part: str, c: Point, r: float, role: Role = "wheel", dashed: bool = False) -> None:
        self._put(part, Shape("circle", (*self.p(c), round(r / MM, 1)), role, dashed=dashed))

    def square(self, part: str, c: Point, half: float, role: Role = "part") -> None:
        self._put(part, Shape("square", (*self.p(c), round(half / MM, 1)), role))

    def rect(self, part: str, left: float, top: float, right: float, bottom: float, role: Role = "frame") -> None:
        (x1, y1), (x2, y2) = self.p((left, top)), self.p((right, bottom))
        self._put(part, Shape("rect", (x1, y1, round(x2 - x1, 1), round(y2 - y1, 1)), role))


def _wheel(pen: _Pen, part: str, hub: Point, spec: WheelSpec, cog: float = 0.0) -> None:
    outer = spec.bead / 2 + spec.tyre
    # The tyre: a band of rings as wide as the tyre is deep; knobs as a dashed tread.
    r = outer - 5
    while r > spec.bead / 2 + 4:
        pen.circle(part, hub, r)
        r -= 8
    pen.circle(part, hub, spec.bead / 2 + 4)
    if spec.knobs:
        pen.circle(part, hub, outer - 3, "frame", dashed=True)
    # The rim, deep ones as a dark band, and the spokes.
    rim_in = spec.bead / 2 - spec.rim_depth
    if spec.rim_depth >= 40:
        r = spec.bead / 2 - 6
        while r > rim_in + 4:
            pen.circle(part, hub, r, "frame")
            r -= 12
    pen.circle(part, hub, rim_in, "grid")
    spokes = 12 if spec.rim_depth >= 40 else 16
    # All spokes in one line, out to the rim and back through the hub.
    ends = [_add(hub, _unit(360 * i / spokes + 7), rim_in) for i in range(spokes)]
    pen.poly(part, [pt for end in ends for pt in (end, hub)][:-1], "grid")
    pen.circle(part, hub, 14, "wheel")
    if spec.brakes == "disc":
        pen.circle(part, hub, 80, "wheel")
    if cog:
        pen.circle(part, hub, cog, "part")


def build(discipline: str | None) -> Bike:
    """The bike for a discipline (the default bike when it is not one of them)."""
    data = bikes()
    key = discipline if discipline in data.bikes else data.default
    return _build(key)


@cache
def _build(key: str) -> Bike:
    spec = bikes().bikes[key]
    f, w, fit, x = spec.frame, spec.wheels, spec.fit, spec.extras
    radius = w.bead / 2 + w.tyre
    ha, sa = math.radians(f.head_angle), math.radians(f.seat_angle)
    down = (math.cos(ha), -math.sin(ha))  # down the steering axis
    square = (math.sin(ha), math.cos(ha))  # square to it, forward
    up_seat = (-math.cos(sa), math.sin(sa))
    rear = (-math.sqrt(f.chainstay**2 - f.bb_drop**2), f.bb_drop)
    head_top = (f.reach, f.stack)
    head_len = _head_tube(f)
    crown = _add(head_top, down, head_len)
    front = _add(_add(crown, down, f.fork_length), square, f.fork_offset)
    seat_top = _add((0.0, 0.0), up_seat, f.seat_tube)
    saddle = _add((0.0, 0.0), up_seat, fit.saddle_height)
    clamp = _add(saddle, up_seat, -20)
    stem_start = _add(head_top, down, -(fit.spacers + 22))
    stem_dir = _unit(90 - f.head_angle + fit.stem_angle)
    bar = _add(stem_start, stem_dir, fit.stem)
    crank_dir = _unit(-32)
    pedal = _add((0.0, 0.0), crank_dir, fit.crank)
    ring_r, cog_r = _teeth_radius(spec.drivetrain.chainring), _teeth_radius(spec.drivetrain.largest_cog)
    ground = -(radius - f.bb_drop)  # the ground's height, from the bottom bracket

    lift = radius - f.bb_drop + x.riser
    left = min(rear[0] - radius, saddle[0] - 140) - 40
    right = front[0] + radius + 40
    pen = _Pen(WIDTH / 2 - (left + right) / 2 / MM, lift)
    at: dict[str, Point] = {}

    # The ground: a road, a gravel track, a trail, or a floor mat under a trainer.
    g_left, g_right = left + 10, right - 10
    if x.ground == "floor":
        pen.rect("ground", g_left, ground - x.riser, g_right, ground - x.riser - 30, "grid")
    elif x.ground == "trail":
        pts = [(g_left + i * (g_right - g_left) / 24, ground - 6 - 6 * math.sin(i * 1.3)) for i in range(25)]
        pen.poly("ground", pts, "wheel")
        pen.poly(
            "ground", [(rear[0] + 330, ground - 6), (rear[0] + 360, ground + 22), (rear[0] + 410, ground - 4)], "wheel"
        )
    else:
        pen.line("ground", (g_left, ground - 2), (g_right, ground - 2), "wheel")
        if x.ground == "gravel":
            for i in range(26):
                gx = g_left + 25 + i * (g_right - g_left - 50) / 25
                pen.circle("ground", (gx, ground - 16 - 7 * ((i * 7) % 3)), 4, "wheel")

    # The trainer, or the rear wheel.
    if x.trainer == "direct-drive":
        body = _add(rear, (-40, -radius * 0.55))
        foot = ground - x.riser
        pen.line("trainer", (body[0] + 30, foot + 40), (body[0] + 300, foot + 8))
        pen.line("trainer", (body[0] - 30, foot + 40), (body[0] - 260, foot + 8))
        pen.line("trainer", (body[0] + 260, foot + 4), (body[0] + 330, foot + 4), "part")
        pen.line("trainer", (body[0] - 290, foot + 4), (body[0] - 220, foot + 4), "part")
        pen.line("trainer", body, rear)
        pen.circle("trainer", body, 125, "frame")
        pen.circle("trainer", body, 95, "wheel")
        pen.square("trainer", body, 22, "frame")
        pen.circle("trainer", rear, cog_r, "part")
        pen.circle("trainer", rear, 16, "part")
        at["trainer"] = pen.p(body)
    else:
        _wheel(pen, "rear wheel", rear, w, cog_r)
        if x.trainer == "wheel-on":
            foot = ground - x.riser
            roller = _add(rear, _unit(-100), radius + 22)  # against the tyre, just behind its foot
            pen.line("trainer", rear, (rear[0] + 240, foot + 6))
            pen.line("trainer", rear, (rear[0] - 240, foot + 6))
            pen.circle("trainer", roller, 22, "part")
            pen.square("trainer", _add(roller, (-62, 8)), 30, "frame")  # the resistance unit
            at["trainer"] = pen.p(roller)
    _wheel(pen, "front wheel", front, w)
    if x.riser:
        pen.rect("trainer", front[0] - 90, ground, front[0] + 90, ground - x.riser, "frame")
        at["riser"] = pen.p((front[0], ground - x.riser / 2))

    if x.mudguards:
        pen.poly("mudguards", _arc(rear, radius + 14, 40, 200), "frame")
        pen.poly("mudguards", _arc(front, radius + 14, 10, 190), "frame")
    if x.rack:
        top = rear[1] + radius + 45
        pen.line("rack", (rear[0] - 190, top), (rear[0] + 110, top), "part")
        pen.line("rack", (rear[0] + 110, top), _add(seat_top, up_seat, -90), "wheel")
        pen.line("rack", (rear[0] - 170, top), rear, "wheel")
        pen.line("rack", (rear[0] - 40, top), rear, "wheel")

    # The frame.
    seat_join = _add(seat_top, up_seat, -25)
    head_low = _add(head_top, down, head_len - 25)
    pen.line("frame", (0.0, 0.0), rear)
    pen.line("frame", seat_join, rear)
    pen.line("frame", (0.0, 0.0), seat_top)
    pen.line("frame", seat_top, _add(head_top, down, 22))
    pen.line("frame", (0.0, 0.0), head_low)
    pen.line("frame", _add(head_top, down, -8), _add(crown, down, 8), "part")
    if x.battery:
        # A battery along the top of the down tube: a band of lines, thicker than any tube.
        along = math.atan2(head_low[1], head_low[0])
        for k in (24, 36, 48):
            off = (-math.sin(along) * k, math.cos(along) * k)
            pen.line("battery", _add(off, head_low, 0.2), _add(off, head_low, 0.75), "part")
        at["battery"] = pen.p(_add(head_low, (0.0, 0.0), 0.5))

    # The fork, and the brakes.
    if x.fork == "suspension":
        crown_f = _add(crown, square, f.fork_offset)
        pen.line("fork", _add(crown, square, -20), _add(crown_f, square, 25), "part")
        pen.line("fork", crown_f, _add(crown_f, down, f.fork_length * 0.6), "frame")
        for k in (-11, 0, 11):
            pen.line("fork", _add(_add(crown_f, down, f.fork_length * 0.42), square, k), _add(front, square, k), "part")
    else:
        # A straight-bladed fork, raked forward from the crown to the axle.
        pen.line("fork", _add(crown, square, 6), front, "frame")
        pen.line("fork", _add(crown, square, -14), _add(crown, square, 24), "part")
    if w.brakes == "rim":
        pen.line("brakes", _add(crown, square, 12), _add(_add(crown, square, 30), down, 35), "part")
        bridge = _add(rear, _add(seat_join, rear, -1), 0.62)
        pen.line("brakes", bridge, _add(bridge, (-25, -25)), "part")

    # The drivetrain.
    if x.motor:
        pen.square("motor", (-20, -30), 80, "frame")
        at["motor"] = pen.p((-20, -30))
    pen.line("drivetrain", (rear[0], rear[1] + cog_r), (0.0, ring_r), "wheel")
    pen.line("drivetrain", (rear[0], rear[1] - cog_r), (0.0, -ring_r), "wheel")
    pen.circle("drivetrain", (0.0, 0.0), ring_r, "part")
    if x.chainguard:
        pen.poly(
            "drivetrain",
            [_add((0.0, 0.0), _unit(a), ring_r + 22) for a in range(-20, 101, 20)]
            + [(rear[0] + cog_r + 60, rear[1] + cog_r + 22)],
            "frame",
        )
    pen.line("drivetrain", (0.0, 0.0), _add((0.0, 0.0), crank_dir, -fit.crank), "wheel")  # the far crank
    pen.line("crank", (0.0, 0.0), pedal, "part")
    pen.line("pedal", _add(pedal, (-45, 0)), _add(pedal, (45, 0)), "part")
    pen.circle("drivetrain", (0.0, 0.0), 22, "part")

    # The seatpost and saddle.
    if x.dropper:  # the dropper's collar, and its stanchion above it
        pen.line("seatpost", seat_top, _add(seat_top, up_seat, 110), "part")
        pen.line("seatpost", _add(seat_top, up_seat, 110), clamp, "frame")
        pen.square("seatpost", _add(seat_top, up_seat, 110), 14, "part")
    else:
        pen.line("seatpost", seat_top, clamp, "part")
    nose_len = 125 if spec.bar.type == "aero" else 150
    profile = [(-125, 2), (-118, 12), (-95, 12), (-45, 7), (0, 5), (60, 0), (nose_len - 20, -4), (nose_len, -8)]
    pen.poly("saddle", [_add(saddle, pt) for pt in profile], "part")
    pen.line("saddle", _add(saddle, (-60, -16)), _add(saddle, (55, -18)), "wheel")  # the rails
    at.update(
        saddle=pen.p(saddle),
        saddle_tail=pen.p(_add(saddle, (-125, 12))),
        saddle_nose=pen.p(_add(saddle, (nose_len, -8))),
        clamp=pen.p(clamp),
        seat_top=pen.p(seat_top),
        bb=pen.p((0.0, 0.0)),
        pedal=pen.p(pedal),
        crank_mid=pen.p(_add((0.0, 0.0), crank_dir, fit.crank * 0.55)),
        head_top=pen.p(head_top),
        stem_start=pen.p(stem_start),
        bar=pen.p(bar),
        rear=pen.p(rear),
        front=pen.p(front),
    )

    # Spacers, stem and bar.
    pen.line("stem", head_top, stem_start, "part")
    pen.line("stem", _add(stem_start, down, -6), _add(_add(stem_start, down, -6), stem_dir, fit.stem), "part")
    hands = _bar(pen, spec, bar, at)
    return Bike(key, spec.name, spec.bar.type, pen.parts, at, tuple(hands))


def _bar(pen: _Pen, spec: BikeSpec, clamp: Point, at: dict[str, Point]) -> list[Point]:
    """Draw the bar at its clamp; where the hands go on it."""
    b = spec.bar

    def rel(x: float, y: float) -> Point:
        return (clamp[0] + x, clamp[1] + y)

    if isinstance(b, DropBar):
        flare = math.cos(math.radians(b.flare))
        drop = b.drop * (0.85 + 0.15 * flare)
        bend = drop / 2
        tops = max(b.reach - bend, 6.0)
        centre = (tops, -bend)
        curve = [rel(*_add(centre, _unit(a), bend)) for a in range(90, -91, -15)]
        drops_end = rel(tops - 85 * flare, -drop - 8 - 20 * (1 - flare))
        pen.poly("bar", [rel(0, 0), *curve, drops_end], "part")
        hood_base = rel(*_add(centre, _unit(62), bend))
        hood = [hood_base, _add(hood_base, (30, 14)), _add(hood_base, (52, 16)), _add(hood_base, (60, 30))]
        pen.poly("bar", hood, "part")
        lever = [rel(*_add(centre, _unit(a), bend + 16)) for a in range(40, -61, -20)]
        pen.poly("lever", [_add(hood_base, (58, 10)), *lever], "frame")
        on_hood = _lerp(hood[0], hood[1], 0.85)
        on_drops = _lerp(curve[-1], drops_end, 0.6)
        at["lever"] = pen.p(_add(hood_base, (45, 12)))
        at["grip"] = pen.p(on_hood)
        return [pen.p(rel(4, 0)), pen.p(on_hood), pen.p(on_drops)]
    if isinstance(b, FlatBar):
        back = (b.width / 2 - 60) * math.sin(math.radians(b.sweep))
        grip = rel(-back, b.rise)
        grip_len = max(45.0, 130 * math.sin(math.radians(max(b.sweep, 15))))
        inner = rel(-back + grip_len * 0.5, b.rise)
        pen.poly("bar", [rel(0, 0), rel(-back * 0.15, b.rise * 0.8), inner], "part")
        for k in (-4, 0, 4):  # the grip, fatter than the bar
            pen.line("bar", _add(inner, (0, k)), rel(-back - grip_len * 0.5, b.rise + k), "part")
        pen.line("bar", _add(inner, (0, 10)), _add(inner, (0, -10)), "part")
        pen.line("lever", _add(inner, (0, 2)), _add(inner, (75, -30)), "wheel")
        hands = [pen.p(grip)]
        if b.bar_ends:
            end = rel(-back - grip_len * 0.5, b.rise)
            pen.line("bar", end, _add(end, (20, 90)), "part")
            hands.append(pen.p(_add(end, (12, 55))))
        if spec.extras.motor:
            pen.square("bar", rel(12, 40), 16, "frame")
        at["lever"] = pen.p(_add(inner, (55, -12)))
        at["grip"] = pen.p(grip)
        return hands
    # Aero bars: a base bar with its brake levers, arm pads on risers, and the extensions.
    tip = rel(b.base_reach, -b.base_drop)
    pen.poly("bar", [rel(0, 0), rel(b.base_reach * 0.55, 0), tip], "part")
    pen.line("lever", tip, _add(tip, (45, -8)), "frame")
    pad = rel(-b.pad_back, b.pad_stack)
    pen.line("bar", rel(-b.pad_back, 0), pad, "frame")
    pen.poly("bar", [_add(pad, (-55, 14)), _add(pad, (-50, 6)), _add(pad, (30, 6)), _add(pad, (36, 14))], "part")
    start = _add(pad, (-10, -4))
    mid = _add(start, (b.extension * 0.78, b.extension_rise * 0.15))
    end = _add(start, (b.extension, b.extension_rise))
    pen.poly("bar", [start, mid, end], "part")
    at["lever"] = pen.p(_add(tip, (25, -4)))
    at["grip"] = pen.p(_add(end, (-20, -20)))
    at["pad"] = pen.p(pad)
    return [pen.p(_lerp(start, mid, 0.85)), pen.p(_lerp(rel(b.base_reach * 0.55, 0), tip, 0.7))]


# ---------------------------------------------------------------------------- the marks

# Where each bike setting is marked, by (setting, direction) as the adjustment catalog names
# them: the catalog decides what changes, this table only knows where the parts are. Each
# entry makes the symbol's candidate places, best first; the order of the table is the order
# in which symbols take their places (fixed ones first), whatever the adjustments' numbers.
Vec = tuple[float, float]


def _sub(a: Point, b: Point) -> Vec:
    return (a[0] - b[0], a[1] - b[1])


def _norm(v: Vec) -> Vec:
    length = math.hypot(*v) or 1.0
    return (v[0] / length, v[1] / length)


def _dir(bike: Bike, start: str, end: str) -> Vec:
    return _norm(_sub(bike.at[end], bike.at[start]))


def _back_normal(v: Vec) -> Vec:
    """The normal of ``v`` that points to the rear (or up, for a level ``v``)."""
    n = (v[1], -v[0])
    return n if n[0] < 0 or (abs(n[0]) < 1e-9 and n[1] < 0) else (-n[0], -n[1])


def _arrow(centre: Point, v: Vec, length: float) -> Shape:
    a, b = _add(centre, v, -length / 2), _add(centre, v, length / 2)
    return Shape("arrow", (round(a[0], 1), round(a[1], 1), round(b[0], 1), round(b[1], 1)), "mark")


def _turn(centre: Point, r: float, start: float, end: float) -> list[Shape]:
    """A curved arrow round ``centre`` from angle ``start`` to ``end`` (degrees, diagram's y down)."""
    steps = max(4, int(abs(end - start) / 15))
    head = 12.0 if end > start else -12.0
    pts = [_add(centre, _unit(start + (end - head - start) * i / steps), r) for i in range(steps + 1)]
    tip = _add(centre, _unit(end), r)
    flat = tuple(round(c, 1) for pt in pts for c in pt)
    last = pts[-1]
    return [
        Shape("polyline", flat, "mark"),
        Shape("arrow", (round(last[0], 1), round(last[1], 1), round(tip[0], 1), round(tip[1], 1)), "mark"),
    ]


def _saddle_height(up: bool) -> Callable[[Bike], list[list[Shape]]]:
    def variants(bike: Bike) -> list[list[Shape]]:
        v = _dir(bike, "seat_top", "clamp")
        mid = _lerp(bike.at["seat_top"], bike.at["clamp"], 0.55)
        n = _back_normal(v)
        along = v if up else (-v[0], -v[1])
        low = _lerp(bike.at["seat_top"], bike.at["clamp"], 0.3)
        out = [[_arrow(_add(mid, n, off), along, 40)] for off in (17, 31, 45)]
        out += [[_arrow(_add(low, n, off), along, 36)] for off in (17, 31, 45)]
        out += [[_arrow(_add(bike.at["saddle"], v, off), along, 36)] for off in (38, 56)]
        return out

    return variants


def _saddle_top(bike: Bike) -> float:
    return min(bike.at["saddle_tail"][1], bike.at["saddle_nose"][1], bike.at["saddle"][1]) - 4


def _setback(both: bool) -> Callable[[Bike], list[list[Shape]]]:
    def variants(bike: Bike) -> list[list[Shape]]:
        out = []
        cx = bike.at["saddle"][0]
        for off in (12, 26, 40, 54):
            y = _saddle_top(bike) - off
            if both:
                out.append([_arrow((cx - 19, y), (-1.0, 0.0), 28), _arrow((cx + 19, y), (1.0, 0.0), 28)])
            else:
                out.append([_arrow((cx, y), (-1.0, 0.0), 40)])
        return out

    return variants


def _level(bike: Bike) -> list[list[Shape]]:
    tail, nose = bike.at["saddle_tail"], bike.at["saddle_nose"]
    out = []
    # A level laid on the saddle, longer than it; a short one within a ring round it; higher.
    for off, ends in ((3, (-14, 18)), (14, (-14, 18)), (3, (4, -4)), (28, (-14, 18)), (40, (-14, 18))):
        y = round(_saddle_top(bike) + 4 - off, 1)
        out.append(
            [Shape("line", (round(tail[0] + ends[0], 1), y, round(nose[0] + ends[1], 1), y), "guide", dashed=True)]
        )
    return out


def _nose_down(bike: Bike) -> list[list[Shape]]:
    centre, nose = bike.at["clamp"], bike.at["saddle_nose"]
    r0 = math.dist(centre, nose)
    a = math.degrees(math.atan2(nose[1] - centre[1], nose[0] - centre[0]))
    return [_turn(centre, r0 + off, a - 24, a + 14) for off in (10, 22, 34)]


def _saddle_ring(bike: Bike) -> list[list[Shape]]:
    tail, nose, saddle = bike.at["saddle_tail"], bike.at["saddle_nose"], bike.at["saddle"]
    cx, cy = (tail[0] + nose[0]) / 2, saddle[1] + 2
    a, b = (nose[0] - tail[0]) / 2 + 11, 15.0
    pts = [(cx + a * math.cos(2 * math.pi * i / 28), cy + b * math.sin(2 * math.pi * i / 28)) for i in range(29)]
    return [[Shape("polyline", tuple(round(c, 1) for pt in pts for c in pt), "guide", dashed=True)]]


def _bar_height(up: bool) -> Callable[[Bike], list[list[Shape]]]:
    def variants(bike: Bike) -> list[list[Shape]]:
        v = _dir(bike, "head_top", "stem_start")
        mid = _lerp(bike.at["head_top"], bike.at["stem_start"], 0.5)
        n = _back_normal(v)
        along = v if up else (-v[0], -v[1])
        offsets = [(n, off) for off in (16, 30, 44)] + [((-n[0], -n[1]), off) for off in (20, 34)]
        # Beside the head tube and spacers, its tip below the stem: the stem moves along it.
        return [[_arrow(_add(_add(mid, normal, off), v, -14), along, 40)] for normal, off in offsets]

    return variants


def _reach(bike: Bike) -> list[list[Shape]]:
    v = _dir(bike, "bar", "stem_start")
    length = max(math.dist(bike.at["bar"], bike.at["stem_start"]), 32)
    mid = _lerp(bike.at["bar"], bike.at["stem_start"], 0.5)
    n = (v[1], -v[0]) if v[0] < 0 else (-v[1], v[0])  # above the stem
    n = n if n[1] < 0 else (-n[0], -n[1])
    sides = [(n, off) for off in (14, 27, 40)] + [((-n[0], -n[1]), off) for off in (14, 27)] + [(n, 53)]
    return [[_arrow(_add(mid, side, off), v, length)] for side, off in sides]


def _cleats(bike: Bike) -> list[list[Shape]]:
    return [_turn(bike.at["pedal"], r, -150, 100) for r in (15, 21)]


def _crank(bike: Bike) -> list[list[Shape]]:
    v = _dir(bike, "pedal", "bb")
    length = math.dist(bike.at["pedal"], bike.at["bb"])
    mid = _lerp(bike.at["pedal"], bike.at["bb"], 0.42)
    n = (v[1], -v[0])
    out = []
    for off in (13, 24):
        for side in (1, -1):
            out.append([_arrow(_add(mid, n, side * off), v, max(length * 0.55, 24))])
    return out


def _aero(bike: Bike) -> list[list[Shape]]:
    pad = bike.at.get("pad", bike.at["grip"])
    v = _norm((-1.0, -1.0))
    starts = ((-26, -28), (-40, -40), (-10, -42), (-52, -24), (-24, -54), (-58, -50))
    return [[_arrow(_add(pad, start), v, 34)] for start in starts]


def _brake_lever(bike: Bike) -> list[list[Shape]]:
    lever = bike.at["lever"]
    return [_turn(lever, r, -70, 70) for r in (16, 24)]


def _hands(bike: Bike) -> list[list[Shape]]:
    return [[Shape("circle", (x, y, 5.0), "mark") for x, y in bike.hands]]


MARKS: dict[tuple[str, str], Callable[[Bike], list[list[Shape]]]] = {
    ("hand-position", "vary"): _hands,
    ("saddle-shape", "cutout"): _saddle_ring,
    ("saddle-width", "match"): _saddle_ring,
    ("cleats", "align"): _cleats,
    ("brake-lever-angle", "wrist-neutral"): _brake_lever,
    ("aero-position", "ease"): _aero,
    ("saddle-height", "up"): _saddle_height(up=True),
    ("saddle-height", "down"): _saddle_height(up=False),
    ("bar-height", "up"): _bar_height(up=True),
    ("bar-height", "down"): _bar_height(up=False),
    ("reach", "shorter"): _reach,
    ("saddle-tilt", "level"): _level,
    ("saddle-tilt", "nose-down"): _nose_down,
    ("saddle-setback", "check"): _setback(both=True),
    ("saddle-setback", "back"): _setback(both=False),
    ("crank-length", "shorter"): _crank,
}
_ORDER = {key: i for i, key in enumerate(MARKS)}


# ---------------------------------------------------------------------------- placing marks

# A mark's body: segments and discs with a half-width, to test what touches what.
Seg = tuple[float, float, float, float, float]  # x1, y1, x2, y2, half-width
Disc = tuple[float, float, float]  # x, y, radius
HEAD_R = 9.0  # room for an arrowhead round an arrow's tip


@dataclass
class Body:
    segs: list[Seg]
    discs: list[Disc]
    box: tuple[float, float, float, float] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        # A box round it all, widths included, to pass over what is far off at once.
        xs = [v for s in self.segs for v in (s[0] - s[4], s[2] - s[4], s[0] + s[4], s[2] + s[4])]
        ys = [v for s in self.segs for v in (s[1] - s[4], s[3] - s[4], s[1] + s[4], s[3] + s[4])]
        xs += [v for d in self.discs for v in (d[0] - d[2], d[0] + d[2])]
        ys += [v for d in self.discs for v in (d[1] - d[2], d[1] + d[2])]
        self.box = (min(xs), min(ys), max(xs), max(ys)) if xs else (math.inf, math.inf, -math.inf, -math.inf)

    def touches(self, other: Body, gap: float = GAP) -> bool:
        a, b = self.box, other.box
        if a[0] - gap > b[2] or b[0] - gap > a[2] or a[1] - gap > b[3] or b[1] - gap > a[3]:
            return False
        for d in self.discs:
            for e in other.discs:
                if math.hypot(d[0] - e[0], d[1] - e[1]) < d[2] + e[2] + gap:
                    return True
            for s in other.segs:
                if _point_seg(d[0], d[1], s) < d[2] + s[4] + gap:
                    return True
        for s in self.segs:
            for e in other.discs:
                if _point_seg(e[0], e[1], s) < e[2] + s[4] + gap:
                    return True
            for t in other.segs:
                if _seg_seg(s, t) < s[4] + t[4] + gap:
                    return True
        return False


def body_of(shapes: list[Shape]) -> Body:
    """What a mark's shapes cover."""
    segs: list[Seg] = []
    discs: list[Disc] = []
    for s in shapes:
        p = s.points
        half = {"mark": 2.5, "guide": 1.5, "axis": 1.0}.get(s.role, 2.5)
        if s.kind in ("line", "arrow"):
            segs.append((p[0], p[1], p[2], p[3], half))
            if s.kind == "arrow":
                discs.append((p[2], p[3], HEAD_R))
        elif s.kind == "polyline":
            segs += [(p[i], p[i + 1], p[i + 2], p[i + 3], half) for i in range(0, len(p) - 2, 2)]
        elif s.kind == "circle":
            discs.append((p[0], p[1], p[2] + half))
        elif s.kind == "badge":
            discs.append((p[0], p[1], BADGE_R))
    return Body(segs, discs)


def _inside(body: Body) -> bool:
    xs = [c for s in body.segs for c in (s[0], s[2])] + [d[0] for d in body.discs]
    ys = [c for s in body.segs for c in (s[1], s[3])] + [d[1] for d in body.discs]
    return min(xs) >= 4 and max(xs) <= WIDTH - 4 and min(ys) >= 4 and max(ys) <= HEIGHT - 4


def _point_seg(px: float, py: float, s: Seg) -> float:
    x1, y1, x2, y2 = s[0], s[1], s[2], s[3]
    dx, dy = x2 - x1, y2 - y1
    length2 = dx * dx + dy * dy
    t = 0.0 if length2 == 0 else max(0.0, min(1.0, ((px - x1) * dx + (py - y1) * dy) / length2))
    return math.hypot(px - x1 - t * dx, py - y1 - t * dy)


def _seg_seg(s: Seg, t: Seg) -> float:
    if _crosses(s, t):
        return 0.0
    return min(
        _point_seg(s[0], s[1], t), _point_seg(s[2], s[3], t), _point_seg(t[0], t[1], s), _point_seg(t[2], t[3], s)
    )


def _crosses(s: Seg, t: Seg) -> bool:
    def side(ax: float, ay: float, bx: float, by: float, cx: float, cy: float) -> float:
        return (bx - ax) * (cy - ay) - (by - ay) * (cx - ax)

    d1 = side(t[0], t[1], t[2], t[3], s[0], s[1])
    d2 = side(t[0], t[1], t[2], t[3], s[2], s[3])
    d3 = side(s[0], s[1], s[2], s[3], t[0], t[1])
    d4 = side(s[0], s[1], s[2], s[3], t[2], t[3])
    return (d1 > 0) != (d2 > 0) and (d3 > 0) != (d4 > 0) and d1 != 0 and d2 != 0 and d3 != 0 and d4 != 0


def _nearest(body: Body, x: float, y: float) -> Point:
    """The point of ``body`` nearest (x, y), on a segment's line or a disc's rim."""
    best, where = math.inf, (x, y)
    for s in body.segs:
        dx, dy = s[2] - s[0], s[3] - s[1]
        length2 = dx * dx + dy * dy
        t = 0.0 if length2 == 0 else max(0.0, min(1.0, ((x - s[0]) * dx + (y - s[1]) * dy) / length2))
        q = (s[0] + t * dx, s[1] + t * dy)
        if (dist := math.dist(q, (x, y))) < best:
            best, where = dist, q
    for d in body.discs:
        dist = math.hypot(x - d[0], y - d[1])
        if dist - d[2] < best:
            k = (dist - d[2] + 0.5) / dist if dist else 0
            best, where = dist - d[2], (x - (x - d[0]) * k, y - (y - d[1]) * k)
    return where


CELL = 4.0


@cache
def _crowding(discipline: str) -> dict[tuple[int, int], float]:
    """How much of the bike each 4-unit cell holds: a badge there hides it."""
    weights: dict[str, float] = {"frame": 3.0, "part": 3.0, "wheel": 1.0, "grid": 0.3}
    cells: dict[tuple[int, int], float] = {}
    for s in _build(discipline).shapes():
        w = weights.get(s.role, 0.0)
        p = s.points
        if s.kind in ("square", "rect"):
            x1, y1, x2, y2 = (
                (p[0] - p[2], p[1] - p[2], p[0] + p[2], p[1] + p[2])
                if s.kind == "square"
                else (p[0], p[1], p[0] + p[2], p[1] + p[3])
            )
            covered = [
                (i, j)
                for i in range(int(x1 // CELL), int(x2 // CELL) + 1)
                for j in range(int(y1 // CELL), int(y2 // CELL) + 1)
            ]
        else:
            covered = []
            for x1, y1, x2, y2 in _strokes(s):
                n = max(1, int(math.hypot(x2 - x1, y2 - y1) / 2))  # a point every 2 units
                dx, dy = (x2 - x1) / n, (y2 - y1) / n
                covered += [(int((x1 + dx * i) // CELL), int((y1 + dy * i) // CELL)) for i in range(n + 1)]
        for key in covered:
            if cells.get(key, 0.0) < w:
                cells[key] = w
    return cells


def _strokes(s: Shape) -> list[tuple[float, float, float, float]]:
    """A line's, polyline's or circle's straight pieces (a circle's: one a unit of its radius)."""
    p = s.points
    if s.kind in ("line", "arrow"):
        return [(p[0], p[1], p[2], p[3])]
    if s.kind == "polyline":
        return [(p[i], p[i + 1], p[i + 2], p[i + 3]) for i in range(0, len(p) - 2, 2)]
    if s.kind == "circle":
        n = max(12, int(p[2]))
        pts = [
            (p[0] + p[2] * math.cos(2 * math.pi * i / n), p[1] + p[2] * math.sin(2 * math.pi * i / n))
            for i in range(n + 1)
        ]
        return [(*pts[i], *pts[i + 1]) for i in range(n)]
    return []


def _hidden(cells: dict[tuple[int, int], float], x: float, y: float) -> float:
    """How much of the bike a badge at (x, y) would hide."""
    total = 0.0
    r2 = (BADGE_R + 1) ** 2
    reach = BADGE_R + 1
    for i in range(int((x - reach) // CELL), int((x + reach) // CELL) + 1):
        cx = (i + 0.5) * CELL - x
        for j in range(int((y - reach) // CELL), int((y + reach) // CELL) + 1):
            w = cells.get((i, j))
            if w:
                cy = (j + 0.5) * CELL - y
                if cx * cx + cy * cy < r2:
                    total += w
    return total


@cache
def _places(discipline: str, key: tuple[str, str], variant: int) -> tuple[Point, ...]:
    """Where a badge may stand for one of a mark's symbols, best first: near the symbol, over
    as little of the bike as can be."""
    shapes = _options(discipline, key)[variant]
    body = body_of(shapes)
    xs = [c for s in body.segs for c in (s[0], s[2])] + [d[0] for d in body.discs]
    ys = [c for s in body.segs for c in (s[1], s[3])] + [d[1] for d in body.discs]
    cx, cy = (min(xs) + max(xs)) / 2, (min(ys) + max(ys)) / 2
    hw, hh = (max(xs) - min(xs)) / 2, (max(ys) - min(ys)) / 2
    cells = _crowding(discipline)
    scored = []
    for k in range(16):
        a = 2 * math.pi * k / 16
        ca, sa = math.cos(a), math.sin(a)
        reach = abs(ca) * hw + abs(sa) * hh + BADGE_R + 6
        for extra in (0, 8, 17, 28, 41, 56, 74, 95, 120):
            x, y = cx + ca * (reach + extra), cy + sa * (reach + extra)
            if not (BADGE_R + 1 <= x <= WIDTH - BADGE_R - 1 and BADGE_R + 1 <= y <= HEIGHT - BADGE_R - 1):
                continue
            scored.append((extra + 4 * _hidden(cells, x, y) + 0.01 * k, (round(x, 1), round(y, 1))))
    scored.sort()
    return tuple(p for _, p in scored)


SHIFTS = [(r * math.cos(a * math.pi / 4), r * math.sin(a * math.pi / 4)) for r in (10, 20, 30) for a in range(8)]


@cache
def _options(discipline: str, key: tuple[str, str]) -> tuple[list[Shape], ...]:
    """A mark's symbols, best first: its own places, then the first two of them moved a little."""
    own = MARKS[key](_build(discipline))
    if key == ("hand-position", "vary"):  # the dots stay where the hands go
        return tuple(own)
    moved = [[_moved(s, dx, dy) for s in shapes] for dx, dy in SHIFTS for shapes in own[:2]]
    return (*own, *moved)


@cache
def _ranked(discipline: str, key: tuple[str, str]) -> tuple[int, ...]:
    """A mark's symbols in the order they are tried: by their rank in its list, and by how
    much of the bike they would lie on (crossing a tube is fine, lying along one is not)."""
    cells = _crowding(discipline)

    def covered(shapes: list[Shape]) -> float:
        seen: set[tuple[int, int]] = set()
        for x1, y1, x2, y2, _ in body_of(shapes).segs:
            n = max(1, int(math.hypot(x2 - x1, y2 - y1) / 2))
            seen |= {
                (int((x1 + (x2 - x1) * k / n) // CELL), int((y1 + (y2 - y1) * k / n) // CELL)) for k in range(n + 1)
            }
        return sum(cells.get(c, 0.0) for c in seen)

    options = _options(discipline, key)
    return tuple(sorted(range(len(options)), key=lambda v: 5 * v + covered(options[v])))


def _moved(shape: Shape, dx: float, dy: float) -> Shape:
    p = shape.points
    if shape.kind == "circle":
        return Shape(shape.kind, (round(p[0] + dx, 1), round(p[1] + dy, 1), p[2]), shape.role, dashed=shape.dashed)
    moved = tuple(round(c + (dx if i % 2 == 0 else dy), 1) for i, c in enumerate(p))
    return Shape(shape.kind, moved, shape.role, dashed=shape.dashed)


def place(discipline: str, keys: list[tuple[str, str]]) -> list[tuple[list[Shape], list[Shape]]]:
    """Each mark's symbol, and its leader and badge (with an empty text), in the order given.

    Symbols first, each in the first of its places that is clear of those placed before it
    (in the order of MARKS, so a mark's place does not depend on its number); then badges,
    each in the first of its places clear of every symbol and of the badges and leaders
    placed before it. Marks of one symbol (a ring round the saddle for its shape and its
    width) share it.
    """
    order = sorted(range(len(keys)), key=lambda i: _ORDER[keys[i]])
    symbols: dict[int, tuple[int, list[Shape], Body]] = {}
    drawn: dict[tuple[Shape, ...], tuple[int, Body]] = {}
    taken: list[Body] = []
    for i in order:
        options = _options(discipline, keys[i])
        chosen: tuple[int, list[Shape], Body] | None = None
        for v in _ranked(discipline, keys[i]):
            shapes = options[v]
            same = tuple(shapes)
            if same in drawn:
                chosen = (drawn[same][0], [], drawn[same][1])
                break
            body = body_of(shapes)
            if _inside(body) and not any(body.touches(t) for t in taken):
                chosen = (v, shapes, body)
                drawn[same] = (v, body)
                break
        if chosen is None:  # none is clear: the one that meets the fewest others
            v = min(range(len(options)), key=lambda v: sum(body_of(options[v]).touches(t) for t in taken))
            chosen = (v, options[v], body_of(options[v]))
        symbols[i] = chosen
        if chosen[1]:
            taken.append(chosen[2])

    out: dict[int, tuple[list[Shape], list[Shape]]] = {}
    badges: list[Body] = []  # each badge with its leader
    for i in order:
        v, shapes, body = symbols[i]
        others = [b for b in taken if b is not body]
        places = _places(discipline, keys[i], v)
        leader: list[Shape] = []
        x, y = places[0]  # where nothing is clear: the best place
        for px, py in places:
            badge = Body([], [(px, py, BADGE_R)])
            if badge.touches(body) or any(badge.touches(b) for b in others) or any(badge.touches(b) for b in badges):
                continue
            start = _nearest(body, px, py)
            line: list[Shape] = []
            if (far := math.dist(start, (px, py))) > BADGE_R + 6:
                start = _lerp(start, (px, py), 2.5 / far)  # a little off its symbol
                line = [Shape("line", (round(start[0], 1), round(start[1], 1), px, py), "axis")]
                # The leader runs from its symbol into its badge: only the rest must be clear.
                if any(body_of(line).touches(b, 1.0) for b in others + badges):
                    continue
            leader, x, y = line, px, py
            break
        badges.append(Body(body_of(leader).segs, [(x, y, BADGE_R)]))
        out[i] = (shapes, [*leader, Shape("badge", (x, y), "mark", "")])
    return [out[i] for i in range(len(keys))]


def bike_diagram(adjustments: list[tuple[str, str, str]], discipline: str | None = None) -> Diagram | None:
    """The diagram for these adjustments, each (setting, direction, label), numbered in this order,
    on the bike the discipline rides (the default bike when it is not known).

    None when none of them is a change with a place on the bike.
    """
    drawn = _diagram(tuple(adjustments), build(discipline).discipline)
    if drawn is None:
        return None
    return Diagram(drawn.width, drawn.height, list(drawn.shapes), list(drawn.legend))


@lru_cache(maxsize=256)
def _diagram(adjustments: tuple[tuple[str, str, str], ...], discipline: str) -> Diagram | None:
    marked = [(n, (setting, direction), label) for n, (setting, direction, label) in enumerate(adjustments, 1)]
    marked = [(n, key, label) for n, key, label in marked if key in MARKS]
    if not marked:
        return None
    shapes = _build(discipline).shapes()
    for (n, _, _), (symbol, badge) in zip(marked, place(discipline, [key for _, key, _ in marked]), strict=True):
        shapes += symbol
        shapes += [s if s.kind != "badge" else Shape("badge", s.points, "mark", str(n)) for s in badge]
    return cropped(Diagram(WIDTH, HEIGHT, shapes, [(n, label) for n, _, label in marked]))
