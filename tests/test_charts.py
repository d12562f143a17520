"""The charts over all visits: the flexibility tests and pain, one panel per measure.

Each panel has its own axis with round ticks (or a pain scale's own steps and words), the
flexibility tests their cut-off (the women's or men's where it follows sex) as a dashed,
labelled line, and a visit without a value is a gap. The geometry is checked on the Diagram
model itself: every text's box (measured with the bundled font) against every other text,
the cut-off line, the data line and its markers, and the drawing's edges.
"""

from __future__ import annotations

import datetime as dt
import itertools
import math
import random
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest
import yaml
from pypdf import PdfReader
from typer.testing import CliRunner

from advisor.cli import app
from advisor.core.errors import Problem
from advisor.core.rulebase import knowledge, questionnaire as qmod
from advisor.core.rulebase.lint import check
from advisor.output.chart import Panel, Panels, panel, panels, reading, round_ticks
from advisor.output.diagram import ASCENT, DESCENT, Diagram, Shape, text_box, text_width, to_svg
from advisor.output.progress import flexibility_over_visits, over_visits, pain_over_visits

KB = knowledge.load()
FORM = qmod.load("fitter")
ROOT = Path(__file__).resolve().parent.parent
FIRST = ROOT / "examples" / "routine-low-back-tight-hamstrings.yaml"
Box = tuple[float, float, float, float]


def days(n: int, start: dt.date = dt.date(2026, 6, 15), every: int = 30) -> list[dt.date]:
    return [start + dt.timedelta(days=every * i) for i in range(n)]


def visits(
    *answers: Mapping[str, Any], start: dt.date = dt.date(2026, 6, 15)
) -> list[tuple[dt.date, Mapping[str, Any]]]:
    return list(zip(days(len(answers), start), answers, strict=True))


# --- reading the drawing -------------------------------------------------------------------------


def texts(d: Diagram) -> list[Shape]:
    return [s for s in d.shapes if s.kind == "text"]


def words(d: Diagram) -> list[str]:
    return [s.text for s in texts(d)]


def cutoff_line(d: Diagram) -> Shape | None:
    found = [s for s in d.shapes if s.kind == "line" and s.role == "guide" and s.dashed]
    assert len(found) <= 1
    return found[0] if found else None


def markers(d: Diagram) -> list[Shape]:
    return [s for s in d.shapes if s.kind in ("circle", "square") and s.role == "data"]


def axis(d: Diagram) -> dict[str, float]:
    """The y axis: each tick's words -> the height of its tick mark."""
    ticks = [s for s in d.shapes if s.kind == "line" and s.role == "axis" and s.points[1] == s.points[3]]
    labels = [s for s in texts(d) if s.anchor == "end" and s.role == "frame"]
    out = {}
    for label in labels:
        middle = label.points[1] - (ASCENT - DESCENT) * label.size / 2
        tick = min(ticks, key=lambda t: abs(t.points[1] - middle))
        assert abs(tick.points[1] - middle) < 0.01, label.text
        out[label.text] = tick.points[1]
    return out


def visit_tick(s: Shape) -> bool:
    """A short upright mark under the x axis, one for each visit."""
    x1, y1, x2, y2 = s.points
    return x1 == x2 and 0 < y2 - y1 < 10


def value_at(d: Diagram, marker: Shape) -> str:
    """The axis words level with a marker."""
    found = [w for w, y in axis(d).items() if abs(y - marker.points[1]) < 0.01]
    assert found, marker
    return found[0]


def segments(d: Diagram, role: str) -> list[tuple[float, float, float, float]]:
    out = []
    for s in d.shapes:
        if s.role != role or s.kind not in ("line", "polyline"):
            continue
        p = s.points
        out += [(p[i], p[i + 1], p[i + 2], p[i + 3]) for i in range(0, len(p) - 2, 2)]
    return out


def hits(seg: tuple[float, float, float, float], box: Box) -> bool:
    """Whether a segment passes through a box: sampled finely, independent of the chart's own test."""
    x1, y1, x2, y2 = seg
    steps = max(2, int(math.hypot(x2 - x1, y2 - y1) * 4))
    for k in range(steps + 1):
        x, y = x1 + (x2 - x1) * k / steps, y1 + (y2 - y1) * k / steps
        if box[0] < x < box[2] and box[1] < y < box[3]:
            return True
    return False


def apart(a: Box, b: Box) -> bool:
    return a[2] <= b[0] or b[2] <= a[0] or a[3] <= b[1] or b[3] <= a[1]


def assert_readable(d: Diagram) -> None:
    """No text overlaps another text, the cut-off line, the data line or a marker, or leaves
    the drawing; no text is smaller than the panels' 13 units."""
    boxes = [(s.text, text_box(s)) for s in texts(d)]
    for (a, box_a), (b, box_b) in itertools.combinations(boxes, 2):
        assert apart(box_a, box_b), (a, b)
    lines = segments(d, "guide") + segments(d, "data")
    dots = [
        (m.points[0] - m.points[2], m.points[1] - m.points[2], m.points[0] + m.points[2], m.points[1] + m.points[2])
        for m in markers(d)
    ]
    for text, box in boxes:
        assert all(not hits(seg, box) for seg in lines), text
        assert all(apart(box, dot) for dot in dots), text
        assert box[0] >= 0 and box[2] <= d.width and box[1] >= 0 and box[3] <= d.height, text
    assert all(s.size >= 13 for s in texts(d))


def charted(n: int, sex: str | None, seed: int) -> list[Panels]:
    """A client's charts over n visits of random answers, some questions left unanswered."""
    rng = random.Random(seed)
    answers = []
    for _ in range(n):
        a: dict[str, Any] = {"sex": sex} if sex else {}
        if rng.random() < 0.9:
            a["passive_slr_deg"] = rng.choice([rng.randint(40, 110), round(rng.uniform(40, 110), 1)])
        if rng.random() < 0.9:
            a["active_knee_extension_deg"] = rng.randint(0, 60)
        a["low_back_pain"] = rng.choice(["none", "long_rides", "most_rides", "daily_life", None])
        if a["low_back_pain"] not in ("none", None) and rng.random() < 0.85:
            a["back_pain_intensity"] = rng.randint(0, 10)
        a["neck_shoulder_pain"] = rng.choice(["none", "mild", "moderate", "severe", None])
        if rng.random() < 0.85:
            a["knee_pain"] = rng.sample(["front", "back", "inside", "outside"], rng.randint(0, 4))
        answers.append({k: v for k, v in a.items() if v is not None})
    return over_visits(KB, FORM, visits(*answers))


# --- the flexibility tests ------------------------------------------------------------------------


def test_every_charted_test_gets_its_own_panel_with_cut_off_and_better_side() -> None:
    chart = flexibility_over_visits(
        KB,
        FORM,
        visits(
            {"sex": "female", "passive_slr_deg": 62, "active_knee_extension_deg": 36},
            {"passive_slr_deg": 83, "active_knee_extension_deg": 22},
        ),
    )
    assert chart is not None and chart.heading == "Flexibility tests over all visits"
    slr, ake = chart.diagrams
    for d, better in ((slr, "higher"), (ake, "lower")):
        (zone,) = [s for s in d.shapes if s.kind == "rect" and s.role == "zone"]
        cut = cutoff_line(d)
        assert cut is not None
        if better == "higher":  # the shaded side ends at the cut-off line, or starts there
            assert zone.points[1] + zone.points[3] == pytest.approx(cut.points[1])
        else:
            assert zone.points[1] == pytest.approx(cut.points[1])
        assert f"{better.capitalize()} is better (shaded)" in words(d)
    assert "Passive straight-leg raise (°)" in words(slr) and "Active knee extension deficit (°)" in words(ake)
    # Circles mark the flexibility tests; every text says what colour alone would not.
    assert {m.kind for d in chart.diagrams for m in markers(d)} == {"circle"}
    svg = to_svg(slr, chart.readings[0], sized=True, css_class="panel")
    assert 'width="340"' in svg and "cut-off" in svg and "80°" in svg and "stroke-dasharray" in svg
    assert chart.readings[0] == (
        "Passive straight-leg raise (°), higher is better, cut-off 80°: 2026-06-15 62°; 2026-07-15 83°"
    )


def test_a_measure_with_a_value_at_one_visit_only_is_not_charted() -> None:
    once = Panel("Passive straight-leg raise (°)", "", [62.0, None], ["62°", ""], "higher", cutoff=80.0)
    assert panels("Flexibility", days(2), [once], "") is None
    assert flexibility_over_visits(KB, FORM, visits({"passive_slr_deg": 62}, {})) is None


def test_the_chart_cut_offs_are_the_findings_cut_offs() -> None:
    charts = {c.answer: c for c in KB.charts.values()}
    assert charts["passive_slr_deg"].cutoff == 80 and charts["passive_slr_deg"].better == "higher"
    ake = charts["active_knee_extension_deg"]
    assert ake.better == "lower"
    assert (ake.cutoff_for("female"), ake.cutoff_for("male"), ake.cutoff_for(None)) == (23.4, 33.0, 20)


@pytest.mark.parametrize(
    ("sex", "cutoff", "tag"),
    [
        ("female", 23.4, ["women's", "cut-off", "23.4°"]),
        ("male", 33.0, ["men's", "cut-off", "33°"]),
        ("other", 20.0, ["cut-off", "20°"]),
        (None, 20.0, ["cut-off", "20°"]),
    ],
)
def test_the_knee_extension_cut_off_follows_sex_and_says_whose_it_is(
    sex: str | None, cutoff: float, tag: list[str]
) -> None:
    first = {"active_knee_extension_deg": 36} | ({"sex": sex} if sex else {})
    chart = flexibility_over_visits(KB, FORM, visits(first, {"active_knee_extension_deg": 22}))
    assert chart is not None
    (d,) = chart.diagrams
    line = cutoff_line(d)
    assert line is not None
    heights = axis(d)
    ticks = sorted((float(w.rstrip("°")), y) for w, y in heights.items())
    (v0, y0), (v1, y1) = ticks[0], ticks[-1]
    assert line.points[1] == pytest.approx(y0 + (cutoff - v0) * (y1 - y0) / (v1 - v0))  # drawn at its value
    # Beside the line's end, outside the data area: the words above, the value level with the line.
    beside = [s for s in texts(d) if s.role == "guide"]
    assert [s.text for s in beside] == tag
    assert all(text_box(s)[0] > line.points[2] for s in beside)
    value = text_box(beside[-1])
    assert value[1] < line.points[1] < value[3]
    assert all(text_box(s)[3] < line.points[1] for s in beside[:-1])
    whose = {"female": " for women", "male": " for men"}.get(sex or "", "")
    assert f"cut-off{whose} {tag[-1]}" in chart.readings[0]
    assert_readable(d)


@pytest.mark.parametrize(
    "values",
    [[62, 83, 80], [36, 22, 23.4], [0, 1], [80, 80.5], [12.5, 118], [0, 130], [44.4, 45.1, 47.9], [3, 7, 20]],
)
def test_ticks_are_round_values(values: list[float]) -> None:
    ticks = round_ticks(values, "°")
    steps = {round(b - a, 9) for (a, _), (b, _) in itertools.pairwise(ticks)}
    assert len(steps) == 1
    step = steps.pop()
    assert step >= 1 and step / 10 ** math.floor(math.log10(step)) in (1, 2, 5)
    assert all(v % step == 0 for v, _ in ticks)
    assert 4 <= len(ticks) <= 7
    assert ticks[0][0] <= min(values) and max(values) <= ticks[-1][0]
    assert all(re.fullmatch(r"\d+°", w) for _, w in ticks)  # whole degrees, none below 0


def test_the_axis_reaches_one_step_past_a_cut_off_so_its_better_side_shows() -> None:
    chart = flexibility_over_visits(KB, FORM, visits({"passive_slr_deg": 62}, {"passive_slr_deg": 78}))
    assert chart is not None
    ticks = axis(chart.diagrams[0])
    assert list(ticks)[-2:] == ["80°", "85°"]  # 60 ... 80 would end at the cut-off, with nothing shaded above it
    (zone,) = [s for s in chart.diagrams[0].shapes if s.kind == "rect" and s.role == "zone"]
    assert zone.points[3] > 20


# --- pain ----------------------------------------------------------------------------------------


def test_pain_is_charted_beside_the_flexibility_tests_none_is_zero_and_unanswered_is_a_gap() -> None:
    history = visits(
        {
            "low_back_pain": "long_rides",
            "back_pain_intensity": 6,
            "neck_shoulder_pain": "moderate",
            "knee_pain": ["front", "inside"],
        },
        {"low_back_pain": "none", "neck_shoulder_pain": "mild", "knee_pain": []},
        {"knee_pain": ["back"]},  # back pain and the neck not answered at this visit
        {"low_back_pain": "most_rides", "back_pain_intensity": 2, "neck_shoulder_pain": "none"},  # knees not answered
    )
    chart = pain_over_visits(KB, FORM, history)
    assert chart is not None and chart.heading == "Pain over all visits"
    back, neck, knee = chart.diagrams
    assert "Worst low-back pain last week (0–10)" in words(back)
    assert chart.readings == [
        "Worst low-back pain last week (0–10), lower is better: "
        "2026-06-15 6; 2026-07-15 no back pain; 2026-08-14 not answered; 2026-09-13 2",
        "Neck or shoulder pain, lower is better: "
        "2026-06-15 moderate; 2026-07-15 mild; 2026-08-14 not answered; 2026-09-13 none",
        "Knee pain: places that hurt, lower is better: "
        "2026-06-15 front, inside; 2026-07-15 none; 2026-08-14 back; 2026-09-13 not answered",
    ]
    # The 0-10 rating: ticks 0, 2 ... 10; 'no back pain' drawn at 0; the unanswered visit a gap.
    assert list(axis(back)) == ["0", "2", "4", "6", "8", "10"]
    assert [value_at(back, m) for m in markers(back)] == ["6", "0", "2"]
    assert "no back pain" in words(back)
    # The ordinal scale with its words on the axis, none at the bottom.
    heights = axis(neck)
    assert list(heights) == ["none", "mild", "moderate", "severe"]
    assert heights["none"] > heights["mild"] > heights["moderate"] > heights["severe"]  # lower on the page
    assert [value_at(neck, m) for m in markers(neck)] == ["moderate", "mild", "none"]
    # The places that hurt, counted, and named beside their points.
    assert [value_at(knee, m) for m in markers(knee)] == ["2", "0", "1"]
    assert {"front, inside", "back"} <= set(words(knee))
    for d in chart.diagrams:
        assert {m.kind for m in markers(d)} == {"square"}  # pain is marked with squares
        assert "Lower is better" in " ".join(words(d))
        assert_readable(d)
    # A gap is a break in the line: no line passes over the unanswered visit (its tick on the x axis).
    for d, missing in ((back, 2), (neck, 2), (knee, 3)):
        visit_ticks = sorted(s.points[0] for s in d.shapes if s.kind == "line" and s.role == "axis" and visit_tick(s))
        assert len(visit_ticks) == 4
        for x1, _, x2, _ in segments(d, "data"):
            assert not min(x1, x2) <= visit_ticks[missing] <= max(x1, x2)


def test_a_visit_that_answered_nothing_about_pain_is_a_gap_in_every_pain_panel() -> None:
    chart = pain_over_visits(
        KB,
        FORM,
        visits(
            {"low_back_pain": "daily_life", "back_pain_intensity": 8, "neck_shoulder_pain": "severe", "knee_pain": []},
            {},
            {"low_back_pain": "daily_life", "back_pain_intensity": 5, "neck_shoulder_pain": "mild", "knee_pain": []},
        ),
    )
    assert chart is not None
    for d, said in zip(chart.diagrams, chart.readings, strict=True):
        assert len(markers(d)) == 2
        assert "2026-07-15 not answered" in said
        assert not [s for s in d.shapes if s.kind == "polyline"]  # two points, a gap between: no line


def test_pain_scales_are_what_their_sources_state() -> None:
    pain = {c.answer: c for c in KB.pain_charts.values()}
    assert {c.scale for c in pain.values()} == {"rating", "ordinal", "places"}
    assert all(c.source for c in pain.values())
    assert "0-10" in KB.sources[pain["back_pain_intensity"].source[0]].states
    # `advisor rules check` holds a scale to its sources: an ordinal scale whose words no cited
    # source states is refused.
    neck = pain["neck_shoulder_pain"]
    unsourced = neck.model_copy(update={"source": ["R218"]})
    kb = knowledge.KnowledgeBase(**{**KB.__dict__, "pain_charts": {neck.id: unsourced}})
    problems: list[Problem] = [p for p in check(kb) if p.field and p.field.startswith(neck.id)]
    assert problems and "states the scale's words mild, moderate, severe" in problems[0].message


# --- many visits, every layout -------------------------------------------------------------------


def test_twelve_visits_have_unclipped_date_labels_within_the_drawing() -> None:
    history = visits(
        *[
            {"passive_slr_deg": 55 + 4 * i, "low_back_pain": "long_rides", "back_pain_intensity": 9 - i % 10}
            for i in range(12)
        ],
        start=dt.date(2026, 1, 5),
    )
    for chart in over_visits(KB, FORM, history):
        for d in chart.diagrams:
            dates = [s for s in texts(d) if re.fullmatch(r"\d{1,2} [A-Z][a-z]{2}", s.text)]
            years = [s for s in texts(d) if re.fullmatch(r"\d{4}", s.text)]
            assert 3 <= len(dates) < 12  # fewer labels than visits, evenly spread
            assert dates[0].text == "5 Jan" and dates[-1].text == "1 Dec"  # the first and the last always
            assert [y.text for y in years] == ["2026"]
            for s in dates + years:
                left, top, right, bottom = text_box(s)
                assert left >= 0 and right <= d.width and top >= 0 and bottom <= d.height, s.text
            assert_readable(d)


@pytest.mark.parametrize("n", [2, 3, 5, 8, 12, 20])
@pytest.mark.parametrize("sex", ["female", "male", None])
def test_no_text_overlaps_another_or_a_line_whatever_the_values(n: int, sex: str | None) -> None:
    for seed in range(4):
        for chart in charted(n, sex, seed * 100 + n):
            for d in chart.diagrams:
                assert_readable(d)


def test_a_long_title_or_words_never_leave_the_drawing() -> None:
    measure = Panel(
        "Active knee extension deficit (°)",
        "Lower is better (shaded)",
        [61.5, None, 33.0, 12.0],
        ["61.5°", "", "33°", "12°"],
        "lower",
        unit="°",
        cutoff=33.0,
        cutoff_text="33°",
        cutoff_whose="men",
    )
    d = panel(measure, days(4, dt.date(2026, 12, 1)))
    assert_readable(d)
    assert [s.text for s in texts(d) if re.fullmatch(r"\d{4}", s.text)] == ["2026", "2027"]


def test_a_title_too_long_for_its_panel_is_set_smaller_then_cut_short() -> None:
    longest = "Worst pain at the back of the left thigh"  # a question's label is at most 40 characters
    for title in (longest + " (°)", longest * 2):
        measure = Panel(title, "Lower is better", [3.0, 5.0], ["3", "5"], "lower")
        d = panel(measure, days(2))
        assert_readable(d)
        (shown,) = [s for s in texts(d) if s.bold]
        assert shown.text == title or (shown.text.endswith("…") and title.startswith(shown.text[:-1]))
        assert title in reading(measure, days(2))


def test_text_widths_are_the_bundled_fonts() -> None:
    assert text_width("", 12) == 0
    assert text_width("iiii", 12) < text_width("MMMM", 12) < text_width("MMMM", 12, bold=True)
    assert text_width("cut-off", 24) == pytest.approx(2 * text_width("cut-off", 12))


# --- printed and on a phone -----------------------------------------------------------------------


def _follow_ups(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Three visits of one client, recorded as a fitter records them."""
    monkeypatch.setenv("ADVISOR_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("ADVISOR_CONFIG_DIR", str(tmp_path / "config"))
    monkeypatch.setenv("ADVISOR_DB", str(tmp_path / "studio.db"))
    monkeypatch.chdir(tmp_path)
    doc = yaml.safe_load(FIRST.read_text(encoding="utf-8"))
    changes: list[dict[str, Any]] = [
        {"neck_shoulder_pain": "moderate", "knee_pain": ["front", "inside"]},
        {
            "date": "2027-01-10",
            "passive_slr_deg": 71,
            "active_knee_extension_deg": 26,
            "back_pain_intensity": 2,
            "neck_shoulder_pain": "mild",
            "knee_pain": None,
        },
        {
            "date": "2027-02-21",
            "passive_slr_deg": 84,
            "active_knee_extension_deg": 21,
            "low_back_pain": "none",
            "back_pain_intensity": None,
            "back_pain_weeks": None,
            "neck_shoulder_pain": "none",
            "knee_pain": ["front"],
        },
    ]
    for n, change in enumerate(changes, 1):
        visit = yaml.safe_load(yaml.safe_dump(doc))
        visit["date"] = change.pop("date", visit["date"])
        visit["answers"].update(change)
        visit["answers"] = {k: v for k, v in visit["answers"].items() if v is not None}
        (tmp_path / f"v{n}.yaml").write_text(yaml.safe_dump(visit, allow_unicode=True), encoding="utf-8")
        result = CliRunner().invoke(
            app, ["consult", "--consent", "--client", "Zoë Ødegård", "--answers", f"v{n}.yaml", "--accept-all"]
        )
        assert result.exit_code == 0, result.output


def test_the_follow_up_pdf_prints_both_charts_at_8_pt_or_more(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _follow_ups(tmp_path, monkeypatch)
    for paper in ("a4", "letter"):
        result = CliRunner().invoke(app, ["report", "3", "--out", f"r-{paper}.pdf", "--paper", paper])
        assert result.exit_code == 0, result.output
        sizes: dict[str, float] = {}

        def seen(text: str, cm: Any, tm: Any, font: Any, size: float, sizes: dict[str, float] = sizes) -> None:
            if text.strip():
                sizes[text.strip()] = min(size * abs(tm[0]) * abs(cm[0]), sizes.get(text.strip(), 99.0))

        pages = PdfReader(tmp_path / f"r-{paper}.pdf").pages
        text = "\n".join(p.extract_text(visitor_text=seen) for p in pages)
        assert "Flexibility tests over all visits" in text and "Pain over all visits" in text
        assert text.index("Flexibility tests over all visits") < text.index("Pain over all visits")
        # Every word of the panels: titles, ticks, dates, values, the cut-off's label.
        drawn = [
            "Worst low-back pain last week (0–10)",
            "moderate",
            "severe",
            "24 Nov",
            "2027",
            "women's",
            "cut-off",
            "23.4°",
            "80°",
            "front, inside",
            "no back pain",
            "Lower is better · 0 = no pain",
            "10",
        ]
        for word in drawn:
            assert word in sizes, word
            assert sizes[word] >= 8.0, (word, sizes[word])


def test_the_client_page_stacks_the_panels_on_a_phone_and_clips_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import shutil

    sync_api = pytest.importorskip("playwright.sync_api")
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        pytest.skip("Debian's chromium is not installed")
    from tests.web_server import running

    _follow_ups(tmp_path, monkeypatch)
    with running(tmp_path / "studio.db") as base, sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium)
        for width in (390, 1280):
            page = browser.new_page(viewport={"width": width, "height": 800})
            page.goto(base + "/client?name=" + "Zo%C3%AB%20%C3%98deg%C3%A5rd")
            headings = page.locator("section.chart h2").all_inner_texts()
            assert headings == ["Flexibility tests over all visits", "Pain over all visits"]
            boxes = [page.locator("svg.panel").nth(i).bounding_box() for i in range(5)]
            assert all(b is not None for b in boxes)
            assert page.evaluate("document.documentElement.scrollWidth") <= width  # nothing wider than the screen
            for b in boxes:
                assert b is not None and b["x"] >= 0 and b["x"] + b["width"] <= width
                assert b["width"] >= min(300, width - 60)  # drawn near its own size, never shrunk to a thumbnail
            lefts = {round(b["x"]) for b in boxes if b}
            if width == 390:
                assert len(lefts) == 1  # one column
            else:
                assert len(lefts) > 1  # side by side
            page.screenshot(path=str(tmp_path / f"client-{width}.png"), full_page=True)
            page.close()
        browser.close()
