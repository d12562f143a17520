"""The printed report as a reader holds it: pages, headers, type sizes, greyscale, the programme.

Each test renders reports the way `advisor assess --report` and `advisor report` do and reads
them back: the PDF's text with pdftotext and pypdf, its type sizes from the text matrices, a
page in greyscale with pdftoppm, the HTML as Chromium prints it. pdftotext and pdftoppm come
with poppler-utils (.ci/run installs it); a test that needs it skips where it is missing.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Any

import pytest
import yaml
from PIL import Image
from pypdf import PdfReader
from typer.testing import CliRunner

from advisor.cli import app
from advisor.core.advice.pipeline import assess
from advisor.core.assessment import Assessment
from advisor.core.intake import answers as answers_mod
from advisor.core.intake.answers import Answers
from advisor.core.rulebase import questionnaire as qmod
from advisor.output import formats as report
from advisor.output.report import NOW_AT_MOST

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = sorted((ROOT / "examples").glob("*.yaml"))
MAIN = ROOT / "examples" / "routine-low-back-tight-hamstrings.yaml"
URGENT = ROOT / "examples" / "urgent-pain-after-crash.yaml"
FOOTER_MM = 15.0  # the footer sits in the bottom margin; everything above it is text the 8 pt rule holds
MM = 72 / 25.4


@pytest.fixture(autouse=True)
def isolated_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ADVISOR_CONFIG_DIR", str(tmp_path / "config"))


def rendered(result: Assessment, suffix: str, paper: str = "a4") -> bytes:
    return report.render(report.report_for(result, paper), suffix)


def rider(**given: Any) -> Answers:
    safety = {q.id: False for q in qmod.load("rider").questions if q.id.startswith("rf_")}
    return answers_mod.validate({"questionnaire": "rider", "client": "Sam", "answers": {**safety, **given}}, "<t>")


def long_result() -> Assessment:
    """Every symptom at once: many bike changes, nine exercises, a long list of answers."""
    values = {
        **{q: False for q in qmod.load("fitter").ids() if q.startswith("rf_")},
        "sex": "male",
        "strength_training": "regular",
        "equipment": ["resistance_band", "small_ball", "foam_roller"],
        "passive_slr_deg": 60,
        "thomas_test": "both",
        "pelvic_rotation": "anterior",
        "lumbar_rounding": True,
        "saddle_contact": "front_soft_tissue",
        "saddle_cutout": False,
        "saddle_tilt": "nose_down",
        "bar_drop_cm": 12,
        "last_bike_fit": "never",
        "low_back_pain": "long_rides",
        "back_pain_intensity": 3,
        "back_pain_weeks": 1,
        "neck_shoulder_pain": "moderate",
        "hand_numbness": "during_rides",
        "perineal_numbness": "during_rides",
        "knee_pain": ["outside"],
        "upper_body_fatigue": True,
    }
    return assess(Answers(questionnaire="fitter", client="Long Report", date=dt.date(2026, 11, 24), values=values))


def poppler(tool: str) -> str:
    found = shutil.which(tool)
    if found is None:
        pytest.skip(f"{tool} (poppler-utils) is not installed")
    return found


def pdftotext(data: bytes, page: int) -> str:
    """One page's text as pdftotext lays it out."""
    done = subprocess.run(
        [poppler("pdftotext"), "-layout", "-f", str(page), "-l", str(page), "-", "-"],
        input=data,
        capture_output=True,
        check=True,
    )
    return done.stdout.decode("utf-8")


def pages(data: bytes) -> list[str]:
    return [p.extract_text() for p in PdfReader(io.BytesIO(data)).pages]


def words(line: str) -> list[str]:
    return line.split()


# --- tables that go on to another page ---------------------------------------------------------


@pytest.mark.parametrize("paper", ["a4", "letter"])
def test_a_table_that_goes_on_to_another_page_repeats_its_header_there(paper: str) -> None:
    data = rendered(long_result(), ".pdf", paper)
    firsts = []
    for n in range(2, len(pages(data)) + 1):
        lines = [line for line in pdftotext(data, n).splitlines() if line.strip()]
        firsts.append(lines[0].strip())
        if lines[0].strip() == "Bike-fit adjustments (continued)":
            # The page starts with the table's name and its header row, then the rows.
            assert " ".join(words(lines[1])) == "# What to change, and why Step Check afterwards", lines[:3]
    assert firsts[0] == "Bike-fit adjustments (continued)", "the long report's bike changes go on to page 2"
    # Every table that goes on to another page says so first there (where the page breaks
    # fall depends on the paper and the pictures' sizes; what a page that goes on says does not).
    for n in range(2, len(pages(data)) + 1):
        text = pdftotext(data, n)
        if "Question Answer" in " ".join(words(text.splitlines()[1] if len(text.splitlines()) > 1 else "")):
            assert text.strip().startswith("Your answers (continued)"), text[:80]


def test_the_html_print_repeats_table_headers_and_keeps_rows_whole() -> None:
    html = rendered(long_result(), ".html").decode("utf-8")
    assert "thead { display: table-header-group; }" in html
    assert "tr { break-inside: avoid; page-break-inside: avoid; }" in html
    assert html.count("<thead>") >= 3


# --- type sizes ---------------------------------------------------------------------------------


def text_sizes(data: bytes) -> list[tuple[float, int, str]]:
    """Every piece of text above the footer: (size in pt, page, text)."""
    found: list[tuple[float, int, str]] = []
    for number, page in enumerate(PdfReader(io.BytesIO(data)).pages, 1):

        def seen(text: str, cm: Any, tm: Any, font: Any, size: float, number: int = number) -> None:
            if not text.strip():
                return
            y = tm[5] * cm[3] + cm[5]  # the baseline, in points from the page's foot
            if y > FOOTER_MM * MM:
                found.append((round(size * abs(tm[0]) * abs(cm[0]), 2), number, text.strip()))

        page.extract_text(visitor_text=seen)
    return found


def three_visits(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Three visits of one client, recorded as a fitter records them (consult --accept-all)."""
    monkeypatch.setenv("ADVISOR_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("ADVISOR_DB", str(tmp_path / "studio.db"))
    monkeypatch.chdir(tmp_path)
    doc = yaml.safe_load(MAIN.read_text(encoding="utf-8"))
    changes: list[dict[str, Any]] = [
        {"date": "2026-09-01"},
        {"date": "2026-10-13", "passive_slr_deg": 68, "back_pain_intensity": 5, "low_back_pain": "most_rides"},
        {"date": "2026-11-24", "passive_slr_deg": 78, "back_pain_intensity": 2, "neck_shoulder_pain": "mild"},
    ]
    for n, change in enumerate(changes, 1):
        visit = yaml.safe_load(yaml.safe_dump(doc))
        visit["date"] = change.pop("date")
        visit["answers"].update(change)
        (tmp_path / f"v{n}.yaml").write_text(yaml.safe_dump(visit, allow_unicode=True), encoding="utf-8")
        result = CliRunner().invoke(
            app, ["consult", "--consent", "--client", "Zoë Ødegård", "--answers", f"v{n}.yaml", "--accept-all"]
        )
        assert result.exit_code == 0, result.output


def test_no_text_is_under_8_pt_above_the_footer(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every example (A4 and Letter), the long report, an urgent one with three warning signs,
    and a third visit with its charts."""
    documents = {}
    for example in EXAMPLES:
        result = assess(answers_mod.load(str(example)))
        documents[example.stem] = rendered(result, ".pdf")
        documents[example.stem + " letter"] = rendered(result, ".pdf", "letter")
    documents["long"] = rendered(long_result(), ".pdf")
    three = rider(rf_fever_or_unwell=True, rf_night_pain=True, rf_weight_loss=True, low_back_pain="most_rides")
    documents["urgent, three signs"] = rendered(assess(three), ".pdf")
    three_visits(tmp_path, monkeypatch)
    assert CliRunner().invoke(app, ["report", "3", "--out", "v3.pdf"]).exit_code == 0
    documents["third visit"] = (tmp_path / "v3.pdf").read_bytes()
    for name, data in documents.items():
        sizes = text_sizes(data)
        assert sizes, name
        small = [s for s in sizes if s[0] < 8.0]
        assert not small, (name, small[:5])
    # The smallest text of the why page and the sources is at 8 pt or more; none smaller anywhere.
    assert min(s for s, _, _ in text_sizes(documents["long"])) >= 8.0


# --- greyscale ----------------------------------------------------------------------------------


def grey_page(data: bytes, dpi: int = 100) -> Image.Image:
    """Page 1 as it prints in greyscale."""
    tool = poppler("pdftoppm")
    with tempfile.TemporaryDirectory() as folder:
        pdf = Path(folder) / "r.pdf"
        pdf.write_bytes(data)
        subprocess.run(
            [tool, "-gray", "-r", str(dpi), "-f", "1", "-l", "1", "-png", str(pdf), f"{folder}/p"], check=True
        )
        (png,) = Path(folder).glob("p*.png")
        return Image.open(png).convert("L").copy()


def band_of(data: bytes, words_at: str, dpi: int = 100) -> tuple[int, int]:
    """The pixel rows of page 1's line that starts with ``words_at``."""
    reader = PdfReader(io.BytesIO(data))
    height = float(reader.pages[0].mediabox.height)
    found: list[tuple[float, float]] = []

    def seen(text: str, cm: Any, tm: Any, font: Any, size: float) -> None:
        if text.strip().startswith(words_at) and not found:
            found.append((tm[5] * cm[3] + cm[5], size * abs(tm[0]) * abs(cm[0])))

    reader.pages[0].extract_text(visitor_text=seen)
    assert found, words_at
    baseline, size = found[0]
    top = (height - baseline - size * 0.75) * dpi / 72
    return int(top), int((height - baseline) * dpi / 72) + 1


def ink(image: Image.Image, rows: tuple[int, int]) -> int:
    """How dark a line's text prints: the darkest pixels of its band (its glyphs' cores)."""
    band = sorted(image.crop((0, rows[0], image.width, rows[1])).tobytes())
    return int(band[len(band) // 200])


def contrast(dark: int, light: int) -> float:
    def luminance(v: int) -> float:
        c = v / 255
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    return (luminance(light) + 0.05) / (luminance(dark) + 0.05)


@pytest.mark.parametrize(
    "example", ["urgent-pain-after-crash", "emergency-saddle-numbness-off-bike", "soon-pain-below-knee"]
)
def test_the_tier_reads_in_greyscale_as_dark_as_body_text(example: str) -> None:
    result = assess(answers_mod.load(str(ROOT / "examples" / f"{example}.yaml")))
    data = rendered(result, ".pdf")
    image = grey_page(data)
    headline = band_of(data, result.referral.headline.split(":")[0].split(".")[0])
    body = band_of(data, result.referral.advice.split(" ")[0] + " " + result.referral.advice.split(" ")[1])
    label = band_of(data, report.report_for(result).tier_label)
    paper = 255
    # The headline (URGENT, EMERGENCY ...) is no lighter than the body text, and 7:1 on paper.
    assert ink(image, headline) <= ink(image, body) + 8
    assert contrast(ink(image, headline), paper) >= 7.0
    # The tag says the tier in words and a symbol, white on a fill that is dark in greyscale.
    tag = sorted(v for v in image.crop((0, label[0], image.width, label[1])).tobytes() if v < 200)
    fill = tag[len(tag) // 2]  # the tag's fill: most of the band's dark pixels (its words are white)
    assert contrast(fill, 255) >= 7.0
    assert re.search(r"[!A-Z]", report.report_for(result).tier_label)


# --- the programme ------------------------------------------------------------------------------


def programme_page(texts: list[str]) -> int:
    """The page whose title is the programme's (its only page)."""
    (found,) = [i for i, text in enumerate(texts) if "Your exercise programme" in text.splitlines()]
    return found


@pytest.mark.parametrize("paper", ["a4", "letter"])
def test_the_programme_is_one_page_with_its_order_dose_grid_week_and_log(paper: str) -> None:
    soon = ROOT / "examples" / "soon-pain-below-knee.yaml"  # two exercises, two weeks: room to spare
    for result in (assess(answers_mod.load(str(MAIN))), long_result(), assess(answers_mod.load(str(soon)))):
        built = report.report_for(result, paper)
        prog = built.programme
        assert prog is not None
        assert 1 <= len(prog.now) <= NOW_AT_MOST
        assert [i.number for i in prog.now + prog.later] == list(range(1, len(built.exercises) + 1))
        data = report.render(built, ".pdf")
        texts = pages(data)
        n = programme_page(texts)
        page = " ".join(texts[n].split())
        for words_in in ("Now, in this order", "# Exercise Sets Reps Hold Days a week", "Week 1", "Pain today (0-10)"):
            assert words_in in page, words_in
        assert "Mon Tue Wed Thu Fri Sat Sun" in page
        for item in prog.now:
            assert f"{item.number}. {item.name}" in page  # in the week's log
        for item in prog.later:
            assert f"{item.number}. {item.name}:" in page  # under "when these are easy"
        if prog.later:
            assert "When these are easy, add (in this order)" in page
        # Nothing of it on the page after, and nothing else on its page: the programme is one page.
        assert "Pain today" not in texts[n + 1] and "Week 1" not in texts[n + 1]
        assert "Exercise plan" not in texts[n] and "Since the last visit" not in texts[n]
        # After it what follows in order: what changed, the cards, or (where the cards filled the
        # page the bike's changes ran on to, before the programme) what comes after them.
        follows = ("Since the last visit", "Exercise plan", "Held back", "Agreed", "When to re-assess")
        assert texts[n + 1].startswith(follows), texts[n + 1][:60]
    md = rendered(long_result(), ".md").decode("utf-8")
    assert "| # | Exercise | Sets | Reps | Hold | Days a week |" in md
    assert "| Week 1 | Mon | Tue | Wed | Thu | Fri | Sat | Sun |" in md and "| Pain today (0-10) |" in md


def test_the_programme_order_comes_from_the_catalog_and_covers_the_findings() -> None:
    result = long_result()
    built = report.report_for(result)
    assert len(result.exercises) > NOW_AT_MOST
    prog = built.programme
    assert prog is not None and len(prog.now) == NOW_AT_MOST
    from advisor.core.rulebase import knowledge

    kb = knowledge.load()
    for group in (prog.now, prog.later):
        ranks = [kb.exercises[i.id].priority for i in group]
        assert ranks == sorted(ranks)  # each part in the catalog's order of priority
    # No exercise done now answers only findings one before it already answers.
    found = {t.rule: set(t.findings) for t in result.trace}
    covered: set[str] = set()
    for item in prog.now:
        exercise = next(e for e in result.exercises if e.id == item.id)
        answers = set().union(*(found.get(r, set()) for r in exercise.rules))
        assert answers - covered, item.id
        covered |= answers
    # The dose grid is the catalog's dose, and the week plans it on its days a week.
    for item in prog.now + prog.later:
        dose = kb.exercises[item.id].dose
        assert item.days_a_week == str(dose.days_a_week) and sum(item.days) == dose.days_a_week


def test_the_html_programme_prints_on_one_page(tmp_path: Path) -> None:
    sync_api = pytest.importorskip("playwright.sync_api")
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        pytest.skip("Debian's chromium is not installed")
    printed = {}
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium)
        main = assess(answers_mod.load(str(MAIN)))  # four to do now and none later: three weeks
        for paper in ("a4", "letter"):
            for name, result in (("long", long_result()), ("main", main)):
                html = tmp_path / f"{name}-{paper}.html"
                html.write_bytes(rendered(result, ".html", paper))
                page = browser.new_page()
                page.goto(html.as_uri())
                printed[f"{name} {paper}"] = page.pdf(prefer_css_page_size=True)
                page.close()
        browser.close()
    for paper, data in printed.items():
        texts = pages(data)
        n = programme_page(texts)
        page = " ".join(texts[n].split())
        assert "Now, in this order" in page and "Week 1" in page and "Pain today (0-10)" in page, paper
        assert "Pain today" not in texts[n + 1], paper
        # Page numbers and the client at each page's foot, from the print CSS.
        assert f"Page 1 of {len(texts)}" in " ".join(texts[0].split()), paper
        if paper.startswith("main"):
            assert "Week 3" in page and "Zoë Ødegård" in " ".join(texts[-1].split()), paper
            continue
        assert "Long Report" in texts[-1], paper
        # The bike drawing never ends a page alone: the table's header follows it on its page.
        legend = report.report_for(long_result()).diagram
        assert legend is not None
        first_mark = legend.legend[0][1]
        assert [t for t in texts if first_mark in " ".join(t.split()) and "What to change, and why" in t], paper


def test_no_programme_and_no_exercises_at_emergency_or_urgent() -> None:
    for example in ("urgent-pain-after-crash", "emergency-saddle-numbness-off-bike"):
        result = assess(answers_mod.load(str(ROOT / "examples" / f"{example}.yaml")))
        built = report.report_for(result)
        assert built.programme is None and built.exercises == []
        for suffix in (".pdf", ".html", ".md"):
            data = rendered(result, suffix)
            text = "\n".join(pages(data)) if suffix == ".pdf" else data.decode("utf-8")
            assert "Your exercise programme" not in text and "Pain today" not in text, (example, suffix)


# --- follow-up visits ---------------------------------------------------------------------------


def test_a_follow_up_opens_with_what_to_do_now_then_what_changed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    three_visits(tmp_path, monkeypatch)
    for suffix in (".pdf", ".html", ".md"):
        assert CliRunner().invoke(app, ["report", "3", "--out", f"v3{suffix}"]).exit_code == 0
    data = (tmp_path / "v3.pdf").read_bytes()
    texts = pages(data)
    first = " ".join(texts[0].split())
    # Page 1: the referral and the actions; what changed comes after the plan, never on page 1.
    tag = next(label for label in ("ROUTINE", "SOON") if label in first)
    assert first.index(tag) < first.index("Bike-fit adjustments")
    assert "Since the last visit" not in first and "Agreed in this consultation" not in first
    whole = " ".join(" ".join(texts).split())
    order = [tag, "Bike-fit adjustments", "Your exercise programme", "Since the last visit"]
    assert [whole.index(w) for w in order] == sorted(whole.index(w) for w in order)
    assert whole.index("Since the last visit") < whole.index("Exercise plan: how to do each exercise")
    assert whole.index("Since the last visit") < whole.index("Agreed in this consultation")
    # Each measure's way in an arrow and words, readable without colour.
    since = whole[whole.index("Since the last visit") :]
    assert "Measure Last visit Now Change" in since
    assert "62° 78° ↑ 16° better" not in since  # against the last visit, not the first
    assert "68° 78° ↑ 10° better" in since
    assert "5/10 2/10 ↓ 3 points better" in since
    assert "No Mild ↑ worse" in since
    for suffix in (".html", ".md"):
        text = (tmp_path / f"v3{suffix}").read_text(encoding="utf-8")
        assert text.index("Your exercise programme") < text.index("Since the last visit"), suffix
        assert "↓ 3 points better" in text and "↑ worse" in text, suffix


# --- the clinician's page at emergency and urgent -------------------------------------------------


def test_at_urgent_the_referral_is_given_once_and_held_back_items_are_labelled() -> None:
    three = rider(
        rf_fever_or_unwell=True,
        rf_night_pain=True,
        rf_weight_loss=True,
        low_back_pain="most_rides",
        hamstring_tightness="marked",
    )
    result = assess(three)
    assert result.referral.urgency == "urgent" and len(result.referral.rules) == 3
    for suffix in (".pdf", ".html", ".md"):
        data = rendered(result, suffix)
        text = " ".join(("\n".join(pages(data)) if suffix == ".pdf" else data.decode("utf-8")).split())
        why = text[text.index("Why these recommendations") :]
        why = re.sub(r"<[^>]+>|\*\*|`", "", why)
        # One referral entry, with each warning sign's rule under it.
        assert why.count("referral: Urgent") == 1, suffix
        for rule in result.referral.rules:
            assert rule in why, (suffix, rule)
        # What the tier held back is named as held back and not prescribed, never as advice.
        assert "Held back by the urgent referral (not prescribed)" in why, suffix
        for name in ("Strap stretch (exercise)", "Raise the handlebar (bike change)"):
            assert name in why, (suffix, name)
        assert "exercise: Strap stretch" not in why and "adjustment: Raise the handlebar" not in why, suffix
        # Page 1 holds the warning and stopping riding only.
        if suffix == ".pdf":
            first = pages(data)[0]
            assert "Held back" not in first and "Strap stretch" not in first


# --- words --------------------------------------------------------------------------------------

COUNTED = r"\b1 (weeks|years|steps|points|days|sets|reps|visits|changes|exercises|times)\b"


def test_no_one_weeks_anywhere_in_a_report(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """One of anything is singular: back pain of 1 week, a change of 1 step, 1 change to the bike."""
    result = long_result()
    assert result.answers["back_pain_weeks"] == 1
    texts = [rendered(result, s).decode("utf-8") for s in (".md", ".html")]
    texts.append("\n".join(pages(rendered(result, ".pdf"))))
    urgent = assess(rider(rf_crash_or_fall=True, low_back_pain="most_rides", back_pain_weeks=1))
    texts += [rendered(urgent, ".md").decode("utf-8")]
    # A follow-up whose back pain went up one step: "Change in low back pain (steps): 1 step".
    three_visits(tmp_path, monkeypatch)
    assert CliRunner().invoke(app, ["report", "2", "--out", "v2.md"]).exit_code == 0
    follow = (tmp_path / "v2.md").read_text(encoding="utf-8")
    assert "Change in low back pain (steps): 1 step" in follow
    texts.append(follow)
    for text in texts:
        assert not re.search(COUNTED, text), re.search(COUNTED, text)
    assert "1 week" in texts[0] and "1 week" in texts[-2]
    assert qmod.load("rider").question("back_pain_weeks").format_value(1) == "1 week"
    assert qmod.load("rider").question("back_pain_weeks").format_value(0) == "0 weeks"


def test_an_answered_saddle_tilt_is_never_listed_as_not_assessed() -> None:
    for tilt in ("level", "nose_up", "nose_down"):
        result = assess(rider(saddle_tilt=tilt))  # the cutout left unanswered
        listed = " ".join(result.not_assessed)
        assert "Saddle tilt" not in listed.replace("Saddle shape", ""), tilt
        assert "Saddle shape (a cutout): not assessed" in listed and "“Saddle has a cutout”" in listed
        md = rendered(result, ".md").decode("utf-8")
        assert "- Saddle tilt:" not in md[md.index("### Not assessed") :]
    # "Don't know" is an answer too: the area is not judged, and the answer is named, never asked for.
    unknown = assess(rider(saddle_tilt="unknown", saddle_cutout=True))
    (tilt,) = [n for n in unknown.not_assessed if n.startswith("Saddle tilt")]
    assert "Saddle tilt: Don't know" in tilt and "once you answer" not in tilt
    # In general: no question that was answered is ever asked for in the not-assessed list.
    for result in (assess(answers_mod.load(str(e))) for e in EXAMPLES):
        form = qmod.load(result.questionnaire)
        for line in result.not_assessed:
            asked = line.split("once you answer", 1)[1] if "once you answer" in line else ""
            for q in form.questions:
                if q.id in result.answers:
                    assert f"“{q.label}”" not in asked, (line, q.id)


# --- the PDF's fast paths -------------------------------------------------------------------------


def test_put_text_writes_what_fpdf2s_text_writes() -> None:
    """put_text() skips text()'s checks: the operators on the page must be the same."""
    from advisor.output import pdf_layout

    def page(write: Any) -> bytes:
        pdf, _ = pdf_layout.new_pdf("a4")
        pdf.add_page()
        pdf.set_font(pdf_layout.FONT, "", 9)
        write(pdf, 20, 30, "Zoë (Ødegård) \\ 1 week")  # a first text: the page's font is set with it
        pdf.set_text_color(pdf_layout.rgb(pdf_layout.MUTED))  # a colour other than the fill's
        write(pdf, 20, 40, "muted")
        pdf.set_fill_color(pdf_layout.rgb(pdf_layout.MUTED))  # the same as the fill's
        write(pdf, 20, 50, "same as the fill")
        pdf.set_font(pdf_layout.FONT, "B", 12)
        write(pdf, 20.123, 60.456, "bold")
        return bytes(pdf.pages[1].contents)

    assert page(pdf_layout.put_text) == page(lambda pdf, x, y, text: pdf.text(x, y, text))
