"""Reports in every format: content and order, escaping, Unicode, emergencies, page breaks."""

from __future__ import annotations

import io
import json
import re
from concurrent.futures import ThreadPoolExecutor
from html.parser import HTMLParser
from pathlib import Path

import pytest
from fontTools.ttLib import TTFont
from fpdf import FPDF
from fpdf.fonts import TTFFont
from pypdf import PdfReader
from typer.testing import CliRunner

from advisor.cli import app
from advisor.core.advice.pipeline import assess
from advisor.core.assessment import Assessment
from advisor.core.intake import answers as answers_mod
from advisor.core.intake.answers import Answers
from advisor.core.rulebase import questionnaire as qmod
from advisor.output import formats as report, pdf, pdf_layout
from advisor.output.pdf_layout import COMMON, FULL, drawable, family_for
from tests.test_report_pages import long_result

ROOT = Path(__file__).resolve().parent.parent
MAIN = ROOT / "examples" / "routine-low-back-tight-hamstrings.yaml"
EMERGENCY = ROOT / "examples" / "emergency-saddle-numbness-off-bike.yaml"
SECTIONS = [
    "Referral",  # the referral box (its headline)
    "Bike-fit adjustments",
    "Exercise plan",
    "When to re-assess",
    "Your answers",
    "Why these recommendations",
    "This report is not medical advice",
]


def rendered(result: Assessment, suffix: str, paper: str = "a4") -> bytes:
    """The report of one assessment in one format, as `advisor assess --report` writes it."""
    return report.render(report.report_for(result, paper), suffix)


@pytest.fixture(autouse=True)
def isolated_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ADVISOR_CONFIG_DIR", str(tmp_path / "config"))


def pdf_pages(data: bytes) -> list[str]:
    return [page.extract_text() for page in PdfReader(io.BytesIO(data)).pages]


def with_client(path: Path, client: str) -> Answers:
    return answers_mod.load(str(path)).model_copy(update={"client": client})


def test_pdf_has_every_section_in_order_and_page_numbers() -> None:
    result = assess(answers_mod.load(str(MAIN)))
    pages = pdf_pages(rendered(result, ".pdf"))
    text = "\n".join(pages)
    headline = result.referral.headline.split(".")[0]
    positions = [text.index(headline)] + [text.index(s) for s in SECTIONS[1:]]
    assert positions == sorted(positions)
    assert "Zoë Ødegård" in text
    assert "Raise the handlebar" in text and "Strap stretch" in text
    assert "Dose: 2-3 sets, hold 30-60 s per side" in text
    assert f"Page 1 of {len(pages)}" in pages[0]
    # The programme's page, pictures 40 mm tall on the cards and the safety net under the
    # headline: a typical report is 8 pages at most, the last ones the clinician's.
    assert len(pages) <= 8, "a typical report fits in 8 pages (one of them the programme)"
    assert "[R8]" in text or "R8" in text


def test_every_example_report_fits_in_eight_pages() -> None:
    for example in sorted((ROOT / "examples").glob("*.yaml")):
        pages = pdf_pages(rendered(assess(answers_mod.load(str(example))), ".pdf"))
        assert len(pages) <= 8, example.name


def test_emergency_report_says_so_first_and_has_no_plan() -> None:
    result = assess(answers_mod.load(str(EMERGENCY)))
    for suffix in (".pdf", ".html", ".md"):
        data = rendered(result, suffix)
        text = "\n".join(pdf_pages(data)) if suffix == ".pdf" else data.decode("utf-8")
        first = text.index("EMERGENCY")
        assert first < text.index("Stop riding until you have been assessed")
        assert "Exercise plan" not in text
        assert "Raise the handlebar" not in text
    first_page = pdf_pages(rendered(result, ".pdf"))[0]
    assert "EMERGENCY: get medical care straight away" in first_page.replace("\n", " ")


def test_unicode_names_print_and_other_scripts_degrade_visibly() -> None:
    for name in ("Zoë Ødegård", "Αλέξης Παπαδόπουλος", "Юлия Иванова"):
        text = "\n".join(pdf_pages(rendered(assess(with_client(MAIN, name)), ".pdf")))
        assert name in text, name
    text = "\n".join(pdf_pages(rendered(assess(with_client(MAIN, "王芳 Wang")), ".pdf")))
    assert "?? Wang" in text
    assert "print as '?'" in text
    html = rendered(assess(with_client(MAIN, "王芳 Wang")), ".html").decode("utf-8")
    assert "王芳 Wang" in html


def test_the_smaller_font_draws_every_fixed_word_and_a_report_gets_the_font_it_needs() -> None:
    """Most reports embed the 394-glyph cut of the font; it must draw every word the renderers
    and the knowledge base can print, or a report would show '?' where the full font would not."""
    root = Path(__file__).resolve().parent.parent
    drawn_by_pdf = ("pdf", "pdf_layout", "report", "chart", "diagram", "pictures")
    fixed = [(root / "advisor" / "output" / f"{m}.py").read_text(encoding="utf-8") for m in drawn_by_pdf]
    fixed += [p.read_text(encoding="utf-8") for p in (root / "rules").rglob("*.yaml")]
    fixed += [p.read_text(encoding="utf-8") for p in (root / "questionnaires").rglob("*.yaml")]
    latin = [chr(c) for c in range(0x20, 0x17F) if not 0x7F <= c < 0xA0]
    missing = set("".join(fixed + latin)) - drawable(COMMON) - {"\n", "\t", "\r"}
    assert missing == set()
    assert drawable(COMMON) < drawable(FULL)
    for name, family in (("Zoë Ødegård", COMMON), ("Ștefan Țurcanu", COMMON), ("Юлия Иванова", FULL)):
        built = report.report_for(assess(with_client(MAIN, name)), "a4")
        assert family_for(pdf.texts(built)) == family, name


class _Collector(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def test_html_is_self_contained_escaped_and_printable() -> None:
    hostile = "<script>alert(1)</script>"
    html = rendered(assess(with_client(MAIN, hostile)), ".html").decode("utf-8")
    parser = _Collector()
    parser.feed(html)
    assert "script" not in parser.tags
    assert hostile in "".join(parser.text)  # printed as text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<svg" in html and "@page" in html and "size: A4" in html
    assert "<link" not in html and "src=" not in html  # nothing loaded from outside
    text = "".join(parser.text)
    for section in SECTIONS[1:]:
        assert section in text, section
    letter = rendered(assess(answers_mod.load(str(MAIN))), ".html", "letter").decode("utf-8")
    assert "size: letter" in letter


def test_markdown_has_the_same_content_as_text() -> None:
    md = rendered(assess(with_client(MAIN, "<b>Bold</b> *star*")), ".md").decode("utf-8")
    for section in SECTIONS[1:]:
        assert section in md, section
    assert "\\<b\\>Bold\\</b\\> \\*star\\*" in md
    assert "Dose:** 2-3 sets, hold 30-60 s per side" in md
    assert "R1: CTS (Carmichael Training Systems), TrainRight (n.d., accessed 2026-11)" in md


def test_json_report_is_the_json_result() -> None:
    result = assess(answers_mod.load(str(MAIN)))
    assert json.loads(rendered(result, ".json")) == result.to_json_dict()


def test_long_report_breaks_pages_without_splitting_cards() -> None:
    # Every symptom at once: many adjustments and every exercise a routine tier allows.
    result = long_result()
    assert len(result.exercises) >= 8
    pages = pdf_pages(rendered(result, ".pdf"))
    assert len(pages) >= 3
    # Numbered in the programme's order: the few to do now, then those to add later.
    for i, ex in enumerate(report.report_for(result).exercises, 1):
        title = f"{i}. {ex.name} ·"  # the card's title, not its line in the programme's week
        holding = [p for p in pages if title in p]
        assert holding, title
        page = holding[0]
        # The card's last line (its reasons) is on the same page as its title.
        assert "Why: " + ex.because[0][:30] in page.replace("\n", " "), title


def test_studio_settings_appear_in_the_header(tmp_path: Path) -> None:
    runner = CliRunner()
    assert runner.invoke(app, ["config", "set", "studio.name", "Velo Physio Ålesund"]).exit_code == 0
    assert runner.invoke(app, ["config", "set", "studio.contact", "+47 555 0100 · hello@velo.example"]).exit_code == 0
    listing = runner.invoke(app, ["config", "list"])
    assert "studio.name = Velo Physio Ålesund" in listing.stdout
    got = runner.invoke(app, ["config", "get", "studio.name"])
    assert got.stdout.strip() == "Velo Physio Ålesund"
    result = assess(answers_mod.load(str(MAIN)))
    first = pdf_pages(rendered(result, ".pdf"))[0]
    assert first.index("Velo Physio Ålesund") < first.index("Bike-fit and exercise report")
    assert "hello@velo.example" in rendered(result, ".html").decode("utf-8")
    bad = runner.invoke(app, ["config", "set", "studio.nmae", "x"])
    assert bad.exit_code == 2 and "did you mean 'studio.name'" in bad.stderr


@pytest.mark.parametrize("suffix", [".pdf", ".html", ".md", ".json"])
def test_assess_writes_each_format(tmp_path: Path, suffix: str) -> None:
    target = tmp_path / f"report{suffix}"
    result = CliRunner().invoke(app, ["assess", str(MAIN), "--report", str(target), "--paper", "letter"])
    assert result.exit_code == 0, result.output
    assert target.exists() and target.stat().st_size > 500
    assert f"Report written to {target}" in result.stdout
    assert not list(tmp_path.glob(".*.tmp"))
    if suffix == ".pdf":
        box = PdfReader(str(target)).pages[0].mediabox
        assert round(float(box.width)) == 612  # US letter, in points


def test_unwritable_report_path_is_a_clear_error(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("x")
    result = CliRunner().invoke(app, ["assess", str(MAIN), "--report", str(blocker / "r.pdf")])
    assert result.exit_code == 2
    assert "cannot be written" in result.stderr and "Traceback" not in result.output


def test_unknown_report_format_is_refused_before_work() -> None:
    result = CliRunner().invoke(app, ["assess", str(MAIN), "--report", "report.docx"])
    assert result.exit_code == 2
    assert "allowed: .pdf, .html, .md, .json" in result.stderr
    assert result.stdout == ""


def test_a_failed_write_leaves_no_half_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "r.pdf"
    target.write_bytes(b"previous report")
    import advisor.core.datafiles.files as files

    def broken_replace(src: str, dst: str) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(files.os, "replace", broken_replace)
    with pytest.raises(answers_mod.AdvisorError) as err:
        report.write(report.report_for(assess(answers_mod.load(str(MAIN)))), str(target))
    assert "No space left on device" in str(err.value)
    assert target.read_bytes() == b"previous report"
    assert [p.name for p in tmp_path.iterdir()] == ["r.pdf"]


def test_a_first_step_without_bike_changes_does_not_promise_any() -> None:
    """The first step's heading speaks of changes to the bike only when it has some."""
    safety = {q.id: False for q in qmod.load("rider").questions if q.id.startswith("rf_")}
    answers = answers_mod.validate(
        {"questionnaire": "rider", "answers": {**safety, "sex": "female", "pregnant": True}}, "<test>"
    )
    result = assess(answers)
    assert {a.kind for a in result.adjustments} == {"habit"}
    md = rendered(result, ".md").decode("utf-8")
    assert "Start now:" in md and "changes to the bike" not in md


@pytest.mark.parametrize("locale_name,size", [("en_US.UTF-8", (612, 792)), ("de_DE.UTF-8", (595, 842))])
def test_the_paper_follows_the_locale_unless_chosen(tmp_path: Path, locale_name: str, size: tuple[int, int]) -> None:
    out = tmp_path / "r.pdf"
    result = CliRunner().invoke(app, ["assess", str(MAIN), "--report", str(out)], env={"LC_ALL": locale_name})
    assert result.exit_code == 0, result.output
    box = PdfReader(out).pages[0].mediabox
    assert (round(float(box.width)), round(float(box.height))) == size
    chosen = CliRunner().invoke(
        app, ["assess", str(MAIN), "--report", str(out), "--paper", "a4"], env={"LC_ALL": locale_name}
    )
    assert chosen.exit_code == 0
    box = PdfReader(out).pages[0].mediabox
    assert (round(float(box.width)), round(float(box.height))) == (595, 842)


PNG_1X1 = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360f8cfc0f01f0005000201a5f1e1"
    "bd0000000049454e44ae426082"
)


def test_the_studio_logo_prints_in_pdf_and_html(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ADVISOR_CONFIG_DIR", str(tmp_path / "config"))
    runner = CliRunner()
    (tmp_path / "not-an-image.png").write_text("hello", encoding="utf-8")
    refused = runner.invoke(app, ["config", "set", "studio.logo", str(tmp_path / "not-an-image.png")])
    assert refused.exit_code == 2 and "not a PNG or JPEG" in refused.stderr
    logo = tmp_path / "logo.png"
    logo.write_bytes(PNG_1X1)
    assert runner.invoke(app, ["config", "set", "studio.logo", str(logo)]).exit_code == 0
    logo.unlink()  # the report keeps its copy
    for suffix in (".pdf", ".html"):
        out = tmp_path / f"r{suffix}"
        assert runner.invoke(app, ["assess", str(MAIN), "--report", str(out)]).exit_code == 0
    assert list(PdfReader(tmp_path / "r.pdf").pages[0].images)
    assert 'src="data:image/png;base64,' in (tmp_path / "r.html").read_text(encoding="utf-8")


# The PDF's fonts: parsed once per process and embedded without fontTools' subsetter, through
# fpdf2 internals (pyproject.toml pins fpdf2 to 2.8). These fail loudly if those change.


def embedded_fonts(data: bytes) -> dict[str, tuple[bytes, bytes, dict[int, str]]]:
    """Each font of a PDF by name: its font file, its CIDToGIDMap and its codes' text."""
    fonts = {}
    for page in PdfReader(io.BytesIO(data)).pages:
        for ref in page["/Resources"]["/Font"].values():
            font = ref.get_object()
            cid = font["/DescendantFonts"][0].get_object()
            to_unicode = font["/ToUnicode"].get_object().get_data().decode("latin-1")
            codes = {
                int(code, 16): bytes.fromhex(text).decode("utf-16-be")
                for code, text in re.findall(r"<([0-9A-F]{4})> <([0-9A-F]+)>", to_unicode.split("endcodespacerange")[1])
                if code != "0000" or text != "0000"
            }
            file = cid["/FontDescriptor"].get_object()["/FontFile2"].get_object().get_data()
            fonts[str(font["/BaseFont"]).lstrip("/")] = (file, cid["/CIDToGIDMap"].get_object().get_data(), codes)
    return fonts


def outline(font: TTFont, name: str) -> tuple[list[tuple[int, int]], list[int], list[int], tuple[int, int]]:
    coordinates, ends, flags = font["glyf"][name].getCoordinates(font["glyf"])
    return list(coordinates), list(ends), list(flags), font["hmtx"][name]


@pytest.mark.parametrize(("client", "family"), [("Zoë Ødegård", COMMON), ("Юлия Иванова", FULL)])
def test_the_embedded_fonts_draw_each_character_with_the_bundled_fonts_glyph(client: str, family: str) -> None:
    data = rendered(assess(with_client(MAIN, client)), ".pdf")
    fonts = embedded_fonts(data)
    assert sorted(fonts) == ["MPDFAA+AdvisorSansBold", "MPDFAA+AdvisorSansBook"]
    for name, (file, cid_to_gid, codes) in fonts.items():
        path = pdf_layout.FONTS / f"{family}{'-Bold' if name.endswith('Bold') else ''}.ttf"
        bundled = TTFont(path)
        embedded = TTFont(io.BytesIO(file), checkChecksums=2)  # a wrong checksum raises
        # Cut here, not by fontTools' subsetter: the glyph ids are the file's, the outlines
        # only those the report draws.
        assert len(embedded.getGlyphOrder()) == len(bundled.getGlyphOrder())
        assert len(file) < path.stat().st_size / 2
        assert client.split()[0][0] in codes.values()
        for code, text in codes.items():
            gid = int.from_bytes(cid_to_gid[2 * code : 2 * code + 2], "big")
            glyph = bundled.getBestCmap()[ord(text)]
            assert gid == bundled.getGlyphID(glyph), text
            assert outline(embedded, embedded.getGlyphName(gid)) == outline(bundled, glyph), text
    again = embedded_fonts(rendered(assess(with_client(MAIN, client)), ".pdf"))
    assert again == fonts  # nothing of one document's font is left for the next


def test_a_documents_font_is_what_fpdf2s_add_font_makes() -> None:
    reference = FPDF()
    for style, suffix in (("", ""), ("B", "-Bold")):
        reference.add_font(pdf_layout.FONT, style, str(pdf_layout.FONTS / f"{COMMON}{suffix}.ttf"))
    document, _ = pdf_layout.new_pdf("a4")
    for key, theirs in reference.fonts.items():
        ours = document.fonts[key]
        slots = {slot for cls in type(theirs).__mro__ for slot in getattr(cls, "__slots__", ())}
        # _add_font() copies a parsed font and renews what a document changes; a new attribute
        # in fpdf2 must be looked at before it is copied along.
        assert slots == {
            *("i", "type", "ttffile", "fontkey", "name", "up", "ut", "sp", "ss", "scale", "emphasis"),
            *("desc", "cw", "cmap", "glyph_ids", "subset", "missing_glyphs", "ttfont", "biggest_size_pt"),
            *("is_compressed", "is_cff", "is_cid_keyed", "is_symbol", "cff_ros", "collection_font_number"),
            *("color_font", "palette_index", "unicode_range", "_hbfont"),
        }
        for slot in slots - {"ttfont", "subset", "desc"}:
            assert getattr(ours, slot, None) == getattr(theirs, slot, None), slot
        assert vars(ours.desc) == vars(theirs.desc)
        assert list(ours.subset.items()) == list(theirs.subset.items())


def test_a_line_is_encoded_as_fpdf2_encodes_it() -> None:
    reference = FPDF()
    reference.add_font(pdf_layout.FONT, "", str(pdf_layout.FONTS / f"{COMMON}.ttf"))
    theirs = reference.fonts[pdf_layout.FONT]
    ours = pdf_layout.new_pdf("a4")[0].fonts[pdf_layout.FONT]
    lines = ["Raise the handlebar (1-2 cm)", "", "Zoë Ødegård \\ (Ștefan) · • – ’", "王芳 Wang", "Raise"]
    assert [ours.encode_text(line) for line in lines] == [TTFFont.encode_text(theirs, line) for line in lines]
    assert list(ours.subset.items()) == list(theirs.subset.items())  # the same codes, in the same order
    assert ours.missing_glyphs == theirs.missing_glyphs == [ord("王"), ord("芳")]


def test_documents_leave_the_parsed_font_as_it_was() -> None:
    parsed, _ = pdf_layout._parsed(COMMON, "")

    def state() -> tuple[object, ...]:
        return dict(parsed.cw), list(parsed.subset.items()), list(parsed.missing_glyphs), dict(vars(parsed.desc))

    before = state()
    rendered(assess(with_client(MAIN, "Zoë Ødegård")), ".pdf")
    rendered(assess(answers_mod.load(str(EMERGENCY))), ".pdf")
    font = pdf_layout.new_pdf("a4")[0].fonts[pdf_layout.FONT]
    font.encode_text("王 (a character the font lacks)")
    assert font.cw[ord("王")] and font.missing_glyphs == [ord("王")]
    assert state() == before


def test_reports_rendered_in_threads_are_those_rendered_one_at_a_time() -> None:
    """The parsed fonts and the wrapped blocks are shared by every document of a process."""
    results = [assess(with_client(MAIN, name)) for name in ("Zoë Ødegård", "Ana Łukasik", "Юлия Иванова", "Jo Smith")]

    def drawn(result: Assessment) -> tuple[object, ...]:
        data = rendered(result, ".pdf")
        return embedded_fonts(data), [page.get_contents().get_data() for page in PdfReader(io.BytesIO(data)).pages]

    alone = [drawn(result) for result in results]
    with ThreadPoolExecutor(max_workers=4) as pool:
        assert list(pool.map(drawn, results * 3)) == alone * 3


def _rider(**given: object) -> Answers:
    safety = {q.id: False for q in qmod.load("rider").questions if q.id.startswith("rf_")}
    return answers_mod.validate({"questionnaire": "rider", "answers": {**safety, **given}}, "<test>")


def test_the_why_page_marks_expert_opinion_and_a_minor_reads_the_parent_line_first() -> None:
    result = assess(_rider(age=15, low_back_pain="long_rides", back_pain_intensity=3, back_pain_weeks=2))
    for suffix in (".md", ".html", ".pdf"):
        data = rendered(result, suffix)
        text = " ".join(("\n".join(pdf_pages(data)) if suffix == ".pdf" else data.decode("utf-8")).split())
        # Promise 16: the parent or guardian line comes with the referral, before the plan.
        assert text.index("parent or guardian") < text.index("Bike-fit adjustments")
        # Promise 19: a rule no source states is marked on the why page, with its reason.
        assert "expert opinion: A safeguarding default for minors" in text


def test_an_urgent_reports_why_page_holds_only_its_reasons() -> None:
    """The page a doctor reads lists the reasons for the tier, not the rules it overrode."""
    result = assess(_rider(rf_fever_or_unwell=True, low_back_pain="most_rides", hamstring_tightness="marked"))
    assert result.referral.urgency == "urgent"
    md = rendered(result, ".md").decode("utf-8")
    why = md[md.index("## Why these recommendations") :]
    assert "triage-fever" in why
    for overridden in ("triage-routine", "ex-strap-tight-hamstrings", "fnd-low-back-pain-on-bike"):
        assert overridden not in why
    assert "Not assessed" not in md


def test_the_now_step_holds_bike_changes_only_and_counts_them() -> None:
    result = assess(
        _rider(
            perineal_numbness="during_rides",
            saddle_cutout=False,
            saddle_tilt="level",
            hand_numbness="during_rides",
            bar_drop_cm=4,
        )
    )
    kinds = [a.kind for a in result.adjustments]
    assert "bike" in kinds and "habit" in kinds
    # Bike changes first, then the habits and appointments that go alongside.
    assert kinds == sorted(kinds, key=lambda k: k != "bike")
    md = rendered(result, ".md").decode("utf-8")
    bikes = sum(1 for a in result.adjustments if a.kind == "bike" and a.phase == 1)
    assert f"Now: {bikes} change{'s' if bikes > 1 else ''} to the bike" in md
    assert md.index("Alongside, from now on:") > md.index("Now:")


@pytest.mark.parametrize("kind", ["device", "fifo", "huge"])
def test_a_logo_that_is_a_device_a_pipe_or_huge_never_stops_a_report(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, kind: str
) -> None:
    """A hand-edited config naming /dev/zero, a FIFO or a 2 GB file: the report is made without
    the logo, at once."""
    import os

    config_dir = tmp_path / "config"
    config_dir.mkdir()
    monkeypatch.setenv("ADVISOR_CONFIG_DIR", str(config_dir))
    if kind == "device":
        where = "/dev/zero"
    elif kind == "fifo":
        where = str(tmp_path / "pipe.png")
        os.mkfifo(where)
    else:
        where = str(tmp_path / "huge.png")
        with open(where, "wb") as handle:
            handle.write(b"\x89PNG\r\n\x1a\n")
            handle.truncate(2 * 1024**3)  # sparse: 2 GB on paper, nothing on disk
    (config_dir / "config.yaml").write_text(f"studio.logo: {where}\n", encoding="utf-8")
    out = tmp_path / "r.pdf"
    result = CliRunner().invoke(app, ["assess", str(MAIN), "--report", str(out)])
    assert result.exit_code == 0, result.output
    assert out.read_bytes().startswith(b"%PDF")


@pytest.mark.parametrize("example", ["urgent-pain-after-crash.yaml", "emergency-saddle-numbness-off-bike.yaml"])
def test_every_format_keeps_the_safety_net_until_the_doctor(example: str) -> None:
    """At emergency and urgent the last word is what to do until a doctor has examined the
    rider (at urgent: when to go to an emergency department at once), on paper as on screen."""
    result = assess(answers_mod.load(str(ROOT / "examples" / example)))
    line = report.report_for(result).stop_line
    assert line.startswith("Until a doctor has examined you")
    flat = " ".join(line.split())
    pdf = " ".join(" ".join(pdf_pages(rendered(result, ".pdf"))[:1]).split())
    assert flat[:60] in pdf and flat[-40:] in pdf
    for suffix in (".html", ".md"):
        assert flat in " ".join(rendered(result, suffix).decode("utf-8").split()).replace("**", ""), suffix
