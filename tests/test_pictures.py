"""Every exercise has a picture of its own, in the HTML and PDF reports and as a file."""

from __future__ import annotations

import dataclasses
import io
import math
import re
import shutil
from collections import defaultdict
from html.parser import HTMLParser
from pathlib import Path
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any

import pytest
from pypdf import PdfReader
from typer.testing import CliRunner

from advisor.cli import app
from advisor.core.advice.pipeline import assess
from advisor.core.datafiles import resources
from advisor.core.intake import answers as answers_mod
from advisor.core.rulebase import knowledge, lint
from advisor.core.rulebase.figures import HEAD_R, FigureCheck, Picture
from advisor.output import formats, pdf as pdf_mod
from advisor.output.diagram import arrow_parts, to_svg
from advisor.output.pdf_layout import draw_shapes
from advisor.output.pictures import exercise_picture

if TYPE_CHECKING:
    from playwright.sync_api import Browser

KB = knowledge.load()
ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "routine-low-back-tight-hamstrings.yaml"


def test_every_exercise_has_a_picture_of_its_own() -> None:
    svgs = {}
    for ex in KB.exercises.values():
        picture = exercise_picture(ex.picture)
        body = [s for s in picture.shapes if s.role == "part"]
        assert len(body) >= 6, ex.id  # a whole figure: trunk, legs and arms
        assert any(s.kind == "text" for s in picture.shapes)  # each position is named
        svgs[ex.id] = to_svg(picture, ex.name)
    assert len(set(svgs.values())) == len(svgs)  # no two exercises share a picture
    # Equipment the exercise needs is drawn (a strap, a ball, a roller, a band).
    drawn = {"strap": "strap", "small_ball": "ball", "foam_roller": "roller", "resistance_band": "band"}
    for ex in KB.exercises.values():
        kinds = {p.kind for f in ex.picture.frames for p in f.props}
        for item in ex.equipment:
            if item.required and item.item in drawn:
                assert drawn[item.item] in kinds, (ex.id, item.item)


def test_a_movement_is_shown_with_its_positions_and_arrows() -> None:
    for ex in KB.exercises.values():
        frames = ex.picture.frames
        if len(frames) > 1:
            assert any(f.arrows for f in frames), ex.id
            assert len({f.model_dump_json(exclude={"label"}) for f in frames}) == len(frames), ex.id


class _Cards(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.current: str | None = None
        self.lines: dict[str, int] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs).get("data-exercise")
        if tag == "article" and found:
            self.current = found
            self.lines[found] = 0
        if tag in ("line", "polyline", "circle") and self.current:
            self.lines[self.current] += 1

    def handle_endtag(self, tag: str) -> None:
        if tag == "article":
            self.current = None


def test_each_html_exercise_card_holds_its_own_picture() -> None:
    result = assess(answers_mod.load(str(EXAMPLE)))
    html = formats.render(formats.report_for(result), ".html").decode("utf-8")
    cards = _Cards()
    cards.feed(html)
    assert set(cards.lines) == {e.id for e in result.exercises}
    assert all(n >= 8 for n in cards.lines.values()), cards.lines


def test_the_pdf_card_draws_the_same_figure() -> None:
    result = assess(answers_mod.load(str(EXAMPLE)))
    report = formats.report_for(result)
    with_pictures = formats.render(report, ".pdf")
    plain = formats.render(dataclasses.replace(report, pictures={}), ".pdf")
    assert len(with_pictures) > len(plain) + 2000  # the drawing is there, as vector paths


def test_exercises_show_writes_the_picture(tmp_path: Path) -> None:
    out = tmp_path / "bird-dog.svg"
    result = CliRunner().invoke(app, ["exercises", "show", "bird-dog", "--picture", str(out)])
    assert result.exit_code == 0, result.output
    svg = out.read_text(encoding="utf-8")
    assert svg.startswith("<svg") and "Bird dog" in svg and len(re.findall(r"<line ", svg)) >= 10


# --- each figure is held to its exercise -----------------------------------------------------
@pytest.fixture
def rules_copy(tmp_path: Path) -> Path:
    target = tmp_path / "rules"
    shutil.copytree(resources.rules_dir(), target)
    return target


# One broken picture per check `advisor rules check` makes: (text in exercises.yaml, what it
# becomes, words the problem must hold).
BROKEN_FIGURES = [
    # The glute bridge's top with the hips arched above the shoulder-knee line.
    ("    trunk: 201.2\n", "    trunk: 215\n", ["glute-bridge", "bridge_line", "above the shoulder-knee line"]),
    # The roller slid down under the low back.
    ("{kind: roller, points: [72.6, 86], r: 6}", "{kind: roller, points: [94, 86], r: 6}", ["roller_under", "lumbar"]),
    # The bird dog's arm pointing up instead of forward.
    ("near_arm: [-7, -7]", "near_arm: [30, 30]", ["bird-dog", "direction", "near_arm points at"]),
    # The glute bridge's feet lifted off the floor.
    ("near_leg: [50, -62, -25]", "near_leg: [50, -62, 40]", ["glute-bridge", "on_floor", "near_toe"]),
    # The deadbug's arm lowered through the head.
    ("near_arm: [138, 138]", "near_arm: [172, 172]", ["deadbug", "clear_of_head", "goes through the head"]),
    # The thoracic extension's hands off the head.
    ("near_arm: [170.2, -67.3, 0.75]", "near_arm: [100, 60]", ["thoracic-extension", "touching", "near_hand"]),
    # The head tipped back over the roller: neck extension, against its caution.
    ("neck: 180\n          near_arm: [170.2", "neck: 215\n          near_arm: [170.2", ["neck_in_line", "tipped back"]),
    # The chin tuck's head staying where it was.
    ("neck: 102", "neck: 80", ["chin-tuck", "head_glides_back", "moves back"]),
    # The strap stretch with the knee bent.
    ("near_leg: [70, 70, 160]", "near_leg: [70, 20, 160]", ["strap-stretch", "straight", "bent"]),
    # An arrow drawn over the face.
    ("- [49, 11.2, 37, 11.2]", "- [72, 11.2, 58, 11.2]", ["chin-tuck", "arrow 1 lies over the head"]),
]


@pytest.mark.parametrize("old,new,words", BROKEN_FIGURES, ids=[w[1] for *_, w in BROKEN_FIGURES])
def test_rules_check_refuses_a_figure_that_contradicts_its_exercise(
    rules_copy: Path, old: str, new: str, words: list[str]
) -> None:
    path = rules_copy / "catalog" / "exercises.yaml"
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    problems = [str(p) for p in lint.check(knowledge.load_dir(rules_copy))]
    joined = "\n".join(problems)
    for word in words:
        assert word in joined, f"{word!r} not in:\n{joined}"
    # The problem points at the broken exercise's entry: the last "- id:" line before the edit.
    before = text[: text.index(old)].splitlines()
    entry = max(i + 1 for i, line in enumerate(before) if line.lstrip().startswith("- id:"))
    assert f"catalog/exercises.yaml:{entry}:" in joined, joined


def test_a_check_names_only_parts_it_can_measure() -> None:
    with pytest.raises(ValueError, match="unknown part 'near_wing'"):
        FigureCheck(check="direction", parts=["near_wing"], degrees=0)
    with pytest.raises(ValueError, match="roller_under needs spine"):
        FigureCheck(check="roller_under")
    frames = [ex.picture.frames[0] for ex in KB.exercises.values()][:1]
    with pytest.raises(ValueError, match="there is no frame 3"):
        Picture(frames=frames, checks=[FigureCheck(check="bridge_line", frames=[3])])


# --- what a reader sees: sizes in the PDF, arrows, and the pictures kept in docs/ ------------
class _Recorder:
    """Stands in for the PDF while a picture is drawn: keeps each line with its width and
    each filled polygon, and the caption sizes."""

    def __init__(self) -> None:
        self.width = 0.0
        # What measuring a caption reads: every glyph half an em wide, at 8.5 pt, in mm.
        self.current_font = SimpleNamespace(cw=defaultdict(lambda: 500))
        self.font_size_pt, self.font_size, self.k = 8.5, 8.5 / 72 * 25.4, 72 / 25.4
        self.lines: list[tuple[float, tuple[float, ...]]] = []
        self.polygons: list[tuple[float, list[tuple[float, float]]]] = []
        self.fonts: list[float] = []

    def set_line_width(self, w: float) -> None:
        self.width = w

    def line(self, *p: float) -> None:
        self.lines.append((self.width, p))

    def polygon(self, points: list[tuple[float, float]], style: str = "") -> None:
        self.polygons.append((self.width, points))

    def set_font(self, family: str, style: str, size: float) -> None:
        self.fonts.append(size)

    def get_string_width(self, text: str) -> float:
        return len(text) * 1.5

    def __getattr__(self, name: str) -> Any:
        return lambda *a, **k: None


def _head_width(corners: list[tuple[float, float]]) -> float:
    return math.dist(corners[1], corners[2])


def test_pdf_pictures_are_large_with_readable_captions_and_arrowheads(monkeypatch: pytest.MonkeyPatch) -> None:
    drawn: list[float] = []
    real = pdf_mod.draw_shapes

    def measuring(pdf: Any, diagram: Any, t: Any, x0: float, y0: float, box_w: float) -> None:
        drawn.append(box_w * diagram.height / diagram.width)
        real(pdf, diagram, t, x0, y0, box_w)

    monkeypatch.setattr(pdf_mod, "draw_shapes", measuring)
    result = assess(answers_mod.load(str(EXAMPLE)))
    formats.render(formats.report_for(result), ".pdf")
    assert len(drawn) >= len(result.exercises) >= 3
    assert all(h >= 35.0 for h in drawn[-len(result.exercises) :]), drawn  # each picture, in mm
    # Every exercise's picture, drawn at the size the card gives it (the card's inner width).
    card = 210 - 2 * 15 - 2 * 2.6
    for ex in KB.exercises.values():
        picture = exercise_picture(ex.picture)
        box_w = min(pdf_mod.PICTURE_H * picture.width / picture.height, card)
        assert box_w * picture.height / picture.width >= 35.0, ex.id
        pdf = _Recorder()
        draw_shapes(pdf, picture, lambda s: s, 0.0, 0.0, box_w)
        assert pdf.fonts and min(pdf.fonts) >= 8.0, (ex.id, pdf.fonts)  # captions, in points
        arrows = [s for s in picture.shapes if s.kind == "arrow"]
        assert len(pdf.polygons) == len(arrows), ex.id
        for shaft, corners in pdf.polygons:
            assert _head_width(corners) >= 2 * shaft, (ex.id, shaft, corners)


def test_svg_arrowheads_are_wider_than_their_shafts_and_clear_of_the_head() -> None:
    for ex in KB.exercises.values():
        picture = exercise_picture(ex.picture)
        svg = to_svg(picture, ex.name)
        heads = re.findall(r'<line [^>]*stroke-width="([\d.]+)"[^>]*/><polygon points="([^"]+)"', svg)
        arrows = [s for s in picture.shapes if s.kind == "arrow"]
        assert len(heads) == len(arrows), ex.id
        for width, corners in heads:
            points = [tuple(float(v) for v in c.split(",")) for c in corners.split()]
            assert _head_width(points) >= 2 * float(width), (ex.id, width, corners)  # type: ignore[arg-type]
        # No arrow, shaft or head, over a head: the heads are the picture's paper-filled circles.
        faces = [s.points for s in picture.shapes if s.kind == "circle" and s.role == "paper" and s.points[2] == HEAD_R]
        for arrow in arrows:
            shaft, head = arrow_parts(arrow.points, 4 * picture.line)
            for cx, cy, r in faces:
                assert _gap((cx, cy), shaft) > r + 2, (ex.id, arrow.points)
                assert all(math.dist((cx, cy), c) > r + 2 for c in head), (ex.id, arrow.points)


def _gap(p: tuple[float, float], seg: tuple[float, float, float, float]) -> float:
    (x1, y1, x2, y2), (px, py) = seg, p
    dx, dy = x2 - x1, y2 - y1
    t = max(0.0, min(1.0, ((px - x1) * dx + (py - y1) * dy) / ((dx * dx + dy * dy) or 1.0)))
    return math.dist(p, (x1 + t * dx, y1 + t * dy))


def test_every_figure_is_kept_as_a_png_in_docs(browser: Browser) -> None:
    """Each exercise's picture as the HTML report draws it, in docs/exercises/ for a reviewer."""
    folder = ROOT / "docs" / "exercises"
    folder.mkdir(parents=True, exist_ok=True)
    page = browser.new_page(device_scale_factor=3)
    try:
        for ex in KB.exercises.values():
            svg = to_svg(exercise_picture(ex.picture), f"{ex.name}: the key positions", sized=True)
            page.set_content(f"<!doctype html><body style='margin:8px;background:#fff'>{svg}</body>")
            out = folder / f"{ex.id}.png"
            page.locator("svg").screenshot(path=str(out), animations="disabled")
            assert out.stat().st_size > 2000, out
    finally:
        page.close()
    assert {p.stem for p in folder.glob("*.png")} == set(KB.exercises)


def test_an_exercise_card_never_splits_across_pages() -> None:
    """With its 40 mm picture a card is taller, and still starts and ends on one page."""
    result = assess(answers_mod.load(str(EXAMPLE)))
    pdf = formats.render(formats.report_for(result), ".pdf")
    pages = [" ".join(p.extract_text().split()) for p in PdfReader(io.BytesIO(pdf)).pages]
    for i, e in enumerate(result.exercises, 1):
        starts = [n for n, text in enumerate(pages) if f"{i}. {e.name} ·" in text]
        assert len(starts) == 1, (e.id, starts)
        text = pages[starts[0]]
        last = " ".join(" ".join(e.because).split()[-4:])  # the card's last line: its "Why"
        assert last in text[text.index(f"{i}. {e.name} ·") :], (e.id, last)
