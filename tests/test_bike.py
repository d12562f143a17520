"""The bike on the report: one per discipline, each adjustment marked on its part, no mark
colliding with another whatever set of adjustments is marked, and readable in print.

The collision checks read the Diagram only (its shapes' points, kinds and roles), with
geometry of their own: a badge is a circle as large as the PDF draws it, an arrow a line
with a head at its end, a leader a thin line.
"""

from __future__ import annotations

import itertools
import math
import os
import random
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from advisor.core.rulebase import knowledge, questionnaire as qmod
from advisor.output import bike as bikes
from advisor.output.diagram import Diagram, Shape, to_svg

if TYPE_CHECKING:
    from playwright.sync_api import Browser

ROOT = Path(__file__).resolve().parent.parent
DISCIPLINES = [c.value for c in next(q for q in qmod.load("rider").questions if q.id == "discipline").choices or []]
BADGE_R = 12.5  # the PDF's badge: 2.6 mm on a bike drawn 125 mm wide, 600 units across
HEAD = 9.0  # an arrowhead's half-width, about
MARK_ROLES = ("mark", "guide", "axis")


def markable() -> list[tuple[str, str]]:
    """Every (setting, direction) the catalog marks on the bike: those with mark text, and
    the hand positions, drawn as dots."""
    kb = knowledge.load()
    keys = {(a.setting, a.direction) for a in kb.adjustments.values() if a.mark or a.setting == "hand-position"}
    return sorted(keys)


def together(keys: list[tuple[str, str]]) -> bool:
    """Whether these could be advised together: never one setting two ways."""
    settings = [s for s, _ in keys]
    return len(settings) == len(set(settings))


def diagram(keys: list[tuple[str, str]], discipline: str) -> Diagram:
    d = bikes.bike_diagram([(s, d, f"{s} {d}") for s, d in keys], discipline)
    assert d is not None
    return d


# ---------------------------------------------------------------------------- geometry


def seg_dist(p: tuple[float, ...], q: tuple[float, ...]) -> float:
    """The least distance between segments p and q (x1, y1, x2, y2); 0 when they cross."""

    def cross(o: tuple[float, float], a: tuple[float, float], b: tuple[float, float]) -> float:
        return (a[0] - o[0]) * (b[1] - o[1]) - (a[1] - o[1]) * (b[0] - o[0])

    a, b, c, d = (p[0], p[1]), (p[2], p[3]), (q[0], q[1]), (q[2], q[3])
    if cross(a, b, c) * cross(a, b, d) < 0 and cross(c, d, a) * cross(c, d, b) < 0:
        return 0.0
    return min(point_dist(a, q), point_dist(b, q), point_dist(c, p), point_dist(d, p))


def point_dist(pt: tuple[float, float], s: tuple[float, ...]) -> float:
    (x, y), (x1, y1, x2, y2) = pt, s[:4]
    dx, dy = x2 - x1, y2 - y1
    t = max(0.0, min(1.0, ((x - x1) * dx + (y - y1) * dy) / (dx * dx + dy * dy or 1.0)))
    return math.hypot(x - x1 - t * dx, y - y1 - t * dy)


def segments(shape: Shape) -> list[tuple[float, ...]]:
    p = shape.points
    if shape.kind in ("line", "arrow"):
        return [p[:4]]
    if shape.kind == "polyline":
        return [p[i : i + 4] for i in range(0, len(p) - 2, 2)]
    return []


def marks(d: Diagram) -> list[list[Shape]]:
    """The diagram's marks, each its shapes up to and including its badge."""
    groups: list[list[Shape]] = [[]]
    for s in d.shapes:
        if s.role in MARK_ROLES:
            groups[-1].append(s)
            if s.kind == "badge":
                groups.append([])
    assert not groups[-1], "every mark ends with its badge"
    return groups[:-1]


def collisions(d: Diagram) -> list[str]:
    """What overlaps or crosses what among the diagram's marks."""
    found = []
    groups = marks(d)
    badge = {i: next(s for s in g if s.kind == "badge") for i, g in enumerate(groups)}
    for i, g in enumerate(groups):
        bx, by = badge[i].points
        if not (BADGE_R <= bx <= d.width - BADGE_R and BADGE_R <= by <= d.height - BADGE_R):
            found.append(f"badge {badge[i].text} is cut off at the diagram's edge")
        for s in g:  # a badge covers none of its own symbol (its leader runs into it)
            if s.role == "mark" and s.kind != "badge":
                if any(point_dist((bx, by), q) < BADGE_R + 2 for q in segments(s)):
                    found.append(f"badge {badge[i].text} covers its own {s.kind}")
                if s.kind == "circle" and math.dist((bx, by), s.points[:2]) < BADGE_R + s.points[2]:
                    found.append(f"badge {badge[i].text} covers its own dot")
    for i, j in itertools.combinations(range(len(groups)), 2):
        a, b = badge[i], badge[j]
        pair = f"{a.text} and {b.text}"
        if math.dist(a.points, b.points) < 2 * BADGE_R + 1:
            found.append(f"badges {pair} overlap")
        for mine, other, theirs in ((groups[i], groups[j], b), (groups[j], groups[i], a)):
            for s in mine:
                if s.kind == "badge":
                    continue
                for q in segments(s):
                    if point_dist(theirs.points, q) < BADGE_R + 1:
                        found.append(f"badge {theirs.text} covers the {s.kind} of {pair}")
                if s.kind == "circle" and math.dist(theirs.points, s.points[:2]) < BADGE_R + s.points[2]:
                    found.append(f"badge {theirs.text} covers a dot of {pair}")
                for t in other:
                    if t.kind == "badge":
                        continue
                    shared = s.kind == t.kind == "polyline" and s.points == t.points
                    for q in segments(s):
                        for r in segments(t):
                            if seg_dist(q, r) == 0 and not shared:
                                found.append(f"the {s.kind} and {t.kind} of {pair} cross")
                    # An arrowhead keeps clear of the other mark's lines.
                    if s.kind == "arrow":
                        tip = s.points[2:4]
                        if any(point_dist(tip, r) < HEAD for r in segments(t)):
                            found.append(f"an arrowhead of {pair} touches the other's {t.kind}")
    return sorted(set(found))


# ---------------------------------------------------------------------------- the tests


def test_every_discipline_has_its_own_bike() -> None:
    data = bikes.bikes()
    assert set(DISCIPLINES) == set(data.bikes), "one bike for each answer to the discipline question"
    svgs = {d: to_svg(diagram([("hand-position", "vary")], d)) for d in DISCIPLINES}
    assert len(set(svgs.values())) == len(DISCIPLINES), "no two disciplines share a drawing"
    for d in DISCIPLINES:
        assert bikes.build(d).discipline == d
    assert bikes.build(None).discipline == data.default
    assert bikes.build("unicycle").discipline == data.default


def test_each_bike_has_the_parts_that_make_it_recognisable() -> None:
    def has(d: str, part: str) -> bool:
        return bool(bikes.build(d).parts.get(part))

    assert {bikes.build(d).bar_type for d in ("road", "gravel", "indoor")} == {"drop"}
    assert {bikes.build(d).bar_type for d in ("mountain", "commuting", "e_bike")} == {"flat"}
    assert bikes.build("triathlon").bar_type == "aero"
    assert has("indoor", "trainer") and not has("indoor", "rear wheel"), "a direct-drive trainer in the wheel's place"
    assert all(not has(d, "trainer") for d in DISCIPLINES if d != "indoor")
    assert has("e_bike", "motor") and has("e_bike", "battery")
    assert all(has(d, "mudguards") and has(d, "rack") for d in ("commuting", "e_bike"))
    spec = bikes.bikes().bikes
    assert spec["mountain"].extras.fork == "suspension" and spec["mountain"].wheels.knobs
    assert spec["triathlon"].frame.seat_angle > spec["road"].frame.seat_angle + 3
    assert spec["gravel"].wheels.tyre > spec["road"].wheels.tyre + 10
    assert spec["gravel"].frame.stack > spec["road"].frame.stack
    assert spec["commuting"].frame.stack > spec["gravel"].frame.stack
    # The ground: a road outside, a floor mat under the trainer.
    grounds = {d: spec[d].extras.ground for d in DISCIPLINES}
    assert grounds["indoor"] == "floor" and "floor" not in {g for d, g in grounds.items() if d != "indoor"}


def test_a_wheel_on_trainer_keeps_the_rear_wheel() -> None:
    spec = bikes.bikes().bikes["indoor"]
    wheel_on = spec.model_copy(update={"extras": spec.extras.model_copy(update={"trainer": "wheel-on"})})
    data = bikes.bikes().model_copy(update={"bikes": {**bikes.bikes().bikes, "indoor-wheel-on": wheel_on}})
    original = bikes.bikes
    bikes.bikes = lambda: data  # type: ignore[assignment]
    try:
        b = bikes._build("indoor-wheel-on")
        assert b.parts["trainer"] and b.parts["rear wheel"]
    finally:
        bikes.bikes = original  # type: ignore[assignment]
        bikes._build.cache_clear()


@pytest.mark.parametrize("discipline", DISCIPLINES)
def test_hand_dots_sit_on_the_bar(discipline: str) -> None:
    b = bikes.build(discipline)
    bar = [q for s in b.parts["bar"] for q in segments(s)]
    dots = [
        s for s in diagram([("hand-position", "vary")], discipline).shapes if s.kind == "circle" and s.role == "mark"
    ]
    assert len(dots) == len(b.hands) >= (3 if b.bar_type == "drop" else 2 if b.bar_type == "aero" else 1)
    offset = diagram([("hand-position", "vary")], discipline).height - bikes.HEIGHT  # cropped from the top
    for dot in dots:
        x, y = dot.points[0], dot.points[1] - offset
        assert min(point_dist((x, y), q) for q in bar) < 1.0, f"a hand dot off the bar at {x, y}"


def test_every_marked_adjustment_has_a_place_on_every_bike() -> None:
    for key in markable():
        assert key in bikes.MARKS, f"{key} has a mark in the catalog but no place on the bike"
        for d in DISCIPLINES:
            shapes = diagram([key], d).shapes
            assert any(s.role in ("mark", "guide") and s.kind != "badge" for s in shapes), (key, d)


def test_marks_sit_on_their_parts() -> None:
    """Each symbol stands near the part it changes, on each bike."""
    near = {
        ("saddle-height", "up"): "seatpost",
        ("saddle-height", "down"): "seatpost",
        ("saddle-setback", "check"): "saddle",
        ("saddle-setback", "back"): "saddle",
        ("saddle-tilt", "level"): "saddle",
        ("saddle-tilt", "nose-down"): "saddle",
        ("saddle-shape", "cutout"): "saddle",
        ("saddle-width", "match"): "saddle",
        ("bar-height", "up"): "stem",
        ("bar-height", "down"): "stem",
        ("reach", "shorter"): "stem",
        ("cleats", "align"): "pedal",
        ("crank-length", "shorter"): "crank",
        ("brake-lever-angle", "wrist-neutral"): "lever",
        ("hand-position", "vary"): "bar",
    }
    assert set(near) | {("aero-position", "ease")} >= set(markable())
    for d in DISCIPLINES:
        b = bikes.build(d)
        for key, part in [*near.items(), (("aero-position", "ease"), "bar")]:
            symbol = bikes.place(d, [key])[0][0]
            ours = [q for s in symbol for q in segments(s)] or [(*s.points[:2], *s.points[:2]) for s in symbol]
            theirs = [q for s in b.parts[part] for q in segments(s)]
            gap = min(seg_dist(q, r) for q in ours for r in theirs)
            assert gap < 60, f"{key} on the {d} bike is {gap:.0f} units from the {part}"


def combinations(discipline: str) -> Iterator[list[tuple[str, str]]]:
    keys = markable()
    for n in (1, 2, 3):
        for combo in itertools.combinations(keys, n):
            if together(list(combo)):
                yield list(combo)
    # Every largest set: one direction of each setting.
    by_setting: dict[str, list[tuple[str, str]]] = {}
    for k in keys:
        by_setting.setdefault(k[0], []).append(k)
    yield from (list(c) for c in itertools.product(*by_setting.values()))
    rng = random.Random(f"bike-{discipline}")
    for _ in range(120):
        sample = [rng.choice(v) for v in by_setting.values() if rng.random() < 0.6]
        if sample:
            yield rng.sample(sample, len(sample))


def every_set() -> Iterator[list[tuple[str, str]]]:
    """Every set of markable adjustments that could be advised together (about 20,000)."""
    by_setting: dict[str, list[tuple[str, str] | None]] = {}
    for k in markable():
        by_setting.setdefault(k[0], [None]).append(k)
    for choice in itertools.product(*by_setting.values()):
        if keys := [k for k in choice if k]:
            yield keys


@pytest.mark.skipif(not os.environ.get("BIKE_MARKS_EVERY_SET"), reason="BIKE_MARKS_EVERY_SET=1: about 10 minutes")
@pytest.mark.parametrize("discipline", DISCIPLINES)
def test_no_marks_collide_in_any_set(discipline: str) -> None:
    """The long run: every set of markable adjustments that could be advised together."""
    failures = [keys for keys in every_set() if collisions(diagram(keys, discipline))]
    assert not failures, f"{len(failures)} sets collide, e.g. {failures[0]}"


@pytest.mark.parametrize("discipline", DISCIPLINES)
def test_no_marks_collide_whatever_is_marked(discipline: str) -> None:
    """Every single, pair and triple of markable adjustments, every largest set, and a sample
    of others, in shuffled order: no overlapping badges, no crossing arrows or leaders."""
    failures = {}
    for keys in combinations(discipline):
        if found := collisions(diagram(keys, discipline)):
            failures[tuple(keys)] = found
    assert not failures, f"{len(failures)} sets collide, e.g. {next(iter(failures.items()))}"


def test_a_mark_stays_where_it_is_whatever_its_number() -> None:
    keys = [("saddle-height", "up"), ("bar-height", "up"), ("cleats", "align")]
    a = [s.points for s in diagram(keys, "road").shapes]
    b = [s.points for s in diagram(keys[::-1], "road").shapes]
    assert sorted(a) == sorted(b)


def test_the_marks_are_readable_in_print_and_in_grey() -> None:
    d = diagram(markable()[:6], "road")
    # Each mark is a shape (an arrow, a curved arrow, a dashed ring, dots) and a numbered
    # badge: the colour is never the only thing that tells them apart.
    for group in marks(d):
        assert [s.kind for s in group][-1] == "badge" and group[-1].text.isdigit()
        assert any(s.kind in ("arrow", "circle", "polyline", "line") for s in group)
    # Any text on the bike is 8 pt or more at the PDF's size (a badge's number is 8 pt).
    from advisor.output.pdf import DIAGRAM_W

    for s in d.shapes:
        if s.kind == "text":
            assert (s.size or 12) * DIAGRAM_W / d.width * 72 / 25.4 >= 8


# A few marks each, as a report for a rider of that discipline might carry them.
PICTURED = {
    "road": [("saddle-height", "up"), ("bar-height", "up"), ("cleats", "align"), ("hand-position", "vary")],
    "gravel": [
        ("reach", "shorter"),
        ("bar-height", "up"),
        ("brake-lever-angle", "wrist-neutral"),
        ("hand-position", "vary"),
    ],
    "mountain": [
        ("saddle-height", "down"),
        ("crank-length", "shorter"),
        ("brake-lever-angle", "wrist-neutral"),
        ("hand-position", "vary"),
    ],
    "commuting": [
        ("saddle-setback", "check"),
        ("saddle-shape", "cutout"),
        ("saddle-width", "match"),
        ("hand-position", "vary"),
    ],
    "triathlon": [
        ("aero-position", "ease"),
        ("saddle-tilt", "nose-down"),
        ("cleats", "align"),
        ("hand-position", "vary"),
    ],
    "indoor": [("saddle-tilt", "level"), ("bar-height", "down"), ("saddle-setback", "back"), ("hand-position", "vary")],
    "e_bike": [("reach", "shorter"), ("saddle-height", "up"), ("bar-height", "up"), ("hand-position", "vary")],
}


def test_every_bike_is_pictured_for_review(tmp_path: Path, browser: Browser) -> None:
    """Each discipline's bike with a few marks, as the HTML report draws it and in grey as a
    black-and-white printer prints it: docs/bikes/<discipline>.png and <discipline>-grey.png."""
    assert set(PICTURED) == set(DISCIPLINES)
    kb = knowledge.load()
    names = {(a.setting, a.direction): f"{a.name}: {a.mark}" if a.mark else a.name for a in kb.adjustments.values()}
    out = ROOT / "docs" / "bikes"
    out.mkdir(parents=True, exist_ok=True)
    with browser.new_context(viewport={"width": 640, "height": 400}, device_scale_factor=1) as context:
        page = context.new_page()
        for discipline, keys in PICTURED.items():
            d = bikes.bike_diagram([(s, k, names[s, k]) for s, k in keys], discipline)
            assert d is not None and not collisions(d)
            legend = "".join(f"<li>{text}</li>" for text in d.legend_text())
            for suffix, style in (("", ""), ("-grey", "filter: grayscale(1);")):
                page.set_content(
                    f"<body style='margin:12px;width:600px;font:13px DejaVu Sans,sans-serif;{style}'>"
                    f"<b>{bikes.build(discipline).name}</b>{to_svg(d, sized=True)}"
                    f"<ul style='columns:2;padding-left:18px;margin:4px 0'>{legend}</ul></body>"
                )
                target = tmp_path / f"{discipline}{suffix}.png"
                page.screenshot(path=str(target), full_page=True)
                assert target.stat().st_size > 10_000
                shutil.copy(target, out / target.name)


def test_the_pdf_prints_the_bike_s_numbers_and_legend_at_8_pt_or_more(tmp_path: Path) -> None:
    from pypdf import PdfReader

    from advisor.core.advice.pipeline import assess
    from advisor.core.intake import answers
    from advisor.output import formats

    result = assess(answers.load(str(ROOT / "examples" / "routine-neck-and-shoulders.yaml")))
    report = formats.report_for(result)
    assert report.diagram is not None and len(report.diagram.legend) >= 3
    target = tmp_path / "report.pdf"
    formats.write(report, str(target))
    drawn: list[tuple[str, float, float]] = []  # text, baseline height, size in points

    def seen(text: str, cm: list[float], tm: list[float], font: object, size: float) -> None:
        if text.strip():
            drawn.append((text.strip(), tm[5], abs(size * (tm[3] or 1) * (cm[3] or 1))))

    PdfReader(target).pages[0].extract_text(visitor_text=seen)
    top = next(y for text, y, _ in drawn if text.startswith("Bike-fit adjustments"))
    bottom = next(y for text, y, _ in drawn if text.startswith("What to change"))
    on_the_bike = [(text, size) for text, y, size in drawn if bottom < y < top]
    numbers = [text for text, _ in on_the_bike if text.isdigit()]
    assert sorted(numbers) == sorted(str(n) for n, _ in report.diagram.legend)
    assert all(size >= 8 for _, size in on_the_bike), on_the_bike
