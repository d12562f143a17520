"""Every exercise has a picture of its own, in the HTML and PDF reports and as a file."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

from typer.testing import CliRunner

from advisor.cli import app
from advisor.core import answers as answers_mod
from advisor.core import knowledge
from advisor.core.pipeline import assess
from advisor.output import formats
from advisor.output.diagram import to_svg
from advisor.output.pictures import exercise_picture

KB = knowledge.load()
EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "routine-low-back-tight-hamstrings.yaml"


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
    plain = formats.render(report.__class__(**{**report.__dict__, "pictures": {}}), ".pdf")
    assert len(with_pictures) > len(plain) + 2000  # the drawing is there, as vector paths


def test_exercises_show_writes_the_picture(tmp_path: Path) -> None:
    out = tmp_path / "bird-dog.svg"
    result = CliRunner().invoke(app, ["exercises", "show", "bird-dog", "--picture", str(out)])
    assert result.exit_code == 0, result.output
    svg = out.read_text(encoding="utf-8")
    assert svg.startswith("<svg") and "Bird dog" in svg and len(re.findall(r"<line ", svg)) >= 10
