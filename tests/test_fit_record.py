"""The fit record: the bike's settings before and after, stored with each visit, compared in
`history` and shown in the report, where a recommended change not made stays open."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import yaml
from pypdf import PdfReader

from advisor.core.intake import fitrecord
from advisor.core.rulebase import questionnaire as qmod
from advisor.core.rulebase.conditions import holds
from advisor.records.store import Store
from tests.spec_ids import SAFETY
from tests.test_consult import folders, run  # noqa: F401  (the studio's folders, autouse)

ROOT = Path(__file__).resolve().parent.parent
FIRST = ROOT / "examples" / "routine-low-back-tight-hamstrings.yaml"


def visit(tmp_path: Path, name: str, date: str, fit: dict) -> Path:
    doc = yaml.safe_load(FIRST.read_text(encoding="utf-8"))
    doc["date"], doc["fit"] = date, fit
    path = tmp_path / name
    path.write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")
    return path


def test_two_visits_record_the_bike_and_show_what_changed_and_what_is_open(tmp_path: Path) -> None:
    first = visit(
        tmp_path,
        "one.yaml",
        "2026-11-24",
        {
            "before": {"saddle_height_mm": 720, "bar_drop_mm": 80, "saddle_tilt_deg": 0, "cleat_left": "neutral"},
            "after": {"saddle_height_mm": 720, "bar_drop_mm": 65, "saddle_tilt_deg": 0, "cleat_left": "neutral"},
        },
    )
    second = visit(
        tmp_path,
        "two.yaml",
        "2027-01-10",
        {"before": {"bar_drop_mm": 65, "saddle_tilt_deg": 0}, "after": {"bar_drop_mm": 65, "saddle_tilt_deg": -1.5}},
    )
    for path in (first, second):
        assert run("consult", "--consent", "--client", "Zoë", "--answers", str(path), "--accept-all").exit_code == 0

    history = run("history", "Zoë")
    assert "bike: bar drop 80 mm -> 65 mm (\u221215 mm)" in history.stdout
    assert "bike: saddle tilt 0° -> -1.5° (\u22121.5°)" in history.stdout
    data = json.loads(run("history", "Zoë", "--format", "json").stdout)
    assert data[0]["fit"]["changed"] == ["bar_drop_mm"] and data[1]["fit"]["changed"] == ["saddle_tilt_deg"]

    # Visit 1: the bars came down 15 mm (raise-handlebar made); the tilt did not change (open).
    assert run("report", "--consultation", "1", "--out", "one.md").exit_code == 0
    md = (tmp_path / "one.md").read_text(encoding="utf-8")
    assert "## Fit record: the bike before and after" in md
    assert "| Bar drop | 80 mm | 65 mm | \u221215 mm |" in md and "| Saddle height | 720 mm | 720 mm |  |" in md
    assert "Raise the handlebar: made" in md
    assert "Trial a slightly nose-down saddle: still open" in md
    # Visit 2: the tilt was made; the bars were measured and left.
    assert run("report", "--consultation", "2", "--out", "two.html").exit_code == 0
    html = (tmp_path / "two.html").read_text(encoding="utf-8")
    assert "Fit record: the bike before and after" in html
    assert '<li class="made">Trial a slightly nose-down saddle: made' in html
    assert '<li class="open">Raise the handlebar: still open' in html
    assert run("report", "--consultation", "2", "--out", "two.pdf").exit_code == 0
    pages = [page.extract_text() for page in PdfReader(tmp_path / "two.pdf").pages]
    for first, last in (("Fit record", "Saddle tilt"), ("Agreed in this consultation", "Bird dog (exercise)")):
        # A table is never split across pages: its heading and its last row share a page.
        assert any(first in page and last in page for page in pages), (first, last)


def test_a_bad_fit_record_names_the_setting_and_what_is_allowed(tmp_path: Path) -> None:
    path = visit(tmp_path, "bad.yaml", "2026-11-24", {"before": {"saddle_height_mm": 2000, "sadle_tilt_deg": 1}})
    result = run("assess", str(path))
    assert result.exit_code == 2
    assert "fit.before.saddle_height_mm: 2000 is out of range; allowed: a number from 400 to 1000 mm" in result.stderr
    assert "fit.before.sadle_tilt_deg: is not a fit-record setting" in result.stderr


def test_the_fitter_types_the_settings_after_the_advice(tmp_path: Path) -> None:
    """Before defaults to last visit's after, after to before: only what changed is typed."""
    last = {"saddle_height_mm": 720, "saddle_setback_mm": 80}
    one = visit(tmp_path, "one.yaml", "2026-11-24", {"before": last, "after": dict(last)})
    recorded = run("consult", "--consent", "--client", "Ana", "--answers", str(one), "--accept-all")
    assert recorded.exit_code == 0, recorded.output
    first = yaml.safe_load(FIRST.read_text(encoding="utf-8"))["answers"]
    lines = []
    for q in qmod.load("fitter").questions:
        if q.id in SAFETY:
            lines.append("n")
        elif holds(q.condition, {**first, **dict.fromkeys(SAFETY, False)}):
            lines.append("")  # Enter keeps last visit's answer
    form = fitrecord.form()
    count = len(form.measures())
    assert form.measures()[0].id == "saddle_height_mm"
    lines += [""]  # every recommendation agreed
    lines += ["y"] + [""] * len(form.naming())  # which bike: not given
    lines += ["1999", ""] + [""] * (count - 1)  # before: 1999 mm is refused, then Enter keeps 720
    lines += ["724"] + [""] * (count - 1)  # after: the saddle up 4 mm, the rest as before
    result = run("consult", "--consent", "--client", "Ana", input="\n".join(lines) + "\n")
    assert result.exit_code == 0, result.output[-2000:]
    assert "out of range" in result.stdout and "[720 mm]" in result.stdout
    with Store() as store:
        fit = store.history("Ana")[-1].fit
    assert fit["before"] == {"saddle_height_mm": 720, "saddle_setback_mm": 80}
    assert fit["after"] == {"saddle_height_mm": 724, "saddle_setback_mm": 80}


def test_a_database_from_before_fit_records_is_migrated(tmp_path: Path) -> None:
    db = tmp_path / "old.db"
    shutil.copy(ROOT / "tests" / "data" / "store-v1.sqlite3", db)  # written by the release before fit records
    with Store(db) as store:
        assert [v.fit for v in store.history("Zoë Ødegård")] == [{}, {}]


# --- the change column, the bike, the positions from the bottom bracket, the fitter ---------------

MINUS = "\u2212"
# A road bike measured with its positions from the bottom bracket, before and after the fit.
MEASURED = {
    "fitter": None,
    "before": {
        "bike_make": "Canyon",
        "bike_model": "Endurace CF",
        "bike_size": "M",
        "saddle_height_mm": 720,
        "saddle_setback_mm": 62,
        "saddle_tilt_deg": 0,
        "handlebar_stack_mm": 590,
        "handlebar_reach_mm": 480,
        "hood_stack_mm": 600,
        "hood_reach_mm": 555.5,
        "cleat_left": "neutral",
    },
    "after": {
        "bike_make": "Canyon",
        "bike_model": "Endurace CF",
        "bike_size": "M",
        "saddle_height_mm": 724,
        "saddle_setback_mm": 62,
        "saddle_tilt_deg": -1.5,
        "handlebar_stack_mm": 605,
        "handlebar_reach_mm": 470,
        "hood_stack_mm": 615,
        "hood_reach_mm": 545,
        "cleat_left": "2° heel in",
    },
}
POSITIONS = ("Handlebar stack", "Handlebar reach", "Hood stack", "Hood reach")


@pytest.mark.parametrize(
    ("sid", "before", "after", "change"),
    [
        ("saddle_height_mm", 720, 724, "+4 mm"),
        ("saddle_tilt_deg", 0, -1.5, f"{MINUS}1.5°"),
        ("handlebar_reach_mm", 480, 470, f"{MINUS}10 mm"),
        ("saddle_setback_mm", -5, 5, "+10 mm"),
        ("saddle_height_mm", 720.1, 720.3, "+0.2 mm"),  # not +0.199999999
        ("hood_reach_mm", 555.5, 545, f"{MINUS}10.5 mm"),
        ("saddle_height_mm", 720, 720, ""),
        ("saddle_height_mm", None, 720, ""),  # not measured before: no change to give
        ("saddle_height_mm", 720, None, ""),
        ("cleat_left", "neutral", "2° heel in", "changed"),
        ("cleat_left", "neutral", "neutral", ""),
    ],
)
def test_the_change_is_signed_with_its_unit(sid: str, before: object, after: object, change: str) -> None:
    setting = fitrecord.form().setting(sid)
    assert setting is not None
    assert fitrecord.change(setting, before, after) == change  # type: ignore[arg-type]


def test_the_new_settings_keep_the_old_ids_and_say_where_they_are_measured_from() -> None:
    form = fitrecord.form()
    old = ["saddle_height_mm", "saddle_setback_mm", "saddle_tilt_deg", "bar_drop_mm", "spacers_mm", "saddle_to_bar_mm"]
    old += ["stem_length_mm", "stem_angle_deg", "frame_stack_mm", "frame_reach_mm", "crank_length_mm"]
    old += ["cleat_left", "cleat_right", "shim_left_mm", "shim_right_mm"]
    assert all(form.setting(sid) is not None for sid in old)
    assert [s.id for s in form.naming()] == ["bike_make", "bike_model", "bike_size"]
    assert all(s.type == "text" for s in form.naming())
    for sid in ("handlebar_stack_mm", "handlebar_reach_mm", "hood_stack_mm", "hood_reach_mm"):
        setting = form.setting(sid)
        assert setting is not None and setting.unit == "mm" and setting.min is not None and setting.max is not None
        assert "centre of the bottom bracket" in setting.help and "bike level" in setting.help
        assert setting.shows == ("bar-height" if "stack" in sid else "reach")


def _pdf_text(path: Path) -> list[str]:
    return [page.extract_text() for page in PdfReader(path).pages]


def test_the_reports_show_the_change_the_bike_and_the_positions_when_measured(tmp_path: Path) -> None:
    assert run("config", "set", "studio.fitter", "Ana Lind").exit_code == 0
    first = visit(tmp_path, "one.yaml", "2026-11-24", MEASURED)
    recorded = run(
        "consult", "--consent", "--client", "Zoë", "--answers", str(first), "--accept-all", "--report", "one.pdf"
    )
    assert recorded.exit_code == 0, recorded.output
    for name in ("one.md", "one.html"):
        assert run("report", "--consultation", "1", "--out", name).exit_code == 0

    md = (tmp_path / "one.md").read_text(encoding="utf-8")
    assert "2026-11-24 · Fitter questionnaire · Fitted by Ana Lind" in md
    assert "**Bike: Canyon Endurace CF, size M**" in md
    assert "| Setting | Before | After | Change |" in md
    for row in (
        "| Saddle height | 720 mm | 724 mm | +4 mm |",
        "| Saddle setback | 62 mm | 62 mm |  |",
        f"| Saddle tilt | 0° | -1.5° | {MINUS}1.5° |",
        "| Handlebar stack | 590 mm | 605 mm | +15 mm |",
        f"| Handlebar reach | 480 mm | 470 mm | {MINUS}10 mm |",
        "| Hood stack | 600 mm | 615 mm | +15 mm |",
        f"| Hood reach | 555.5 mm | 545 mm | {MINUS}10.5 mm |",
        "| Left cleat | neutral | 2° heel in | changed |",
    ):
        assert row in md, row
    assert "| Bike make" not in md and "| Frame size" not in md  # the bike is named above, not a row

    html = (tmp_path / "one.html").read_text(encoding="utf-8")
    assert "2026-11-24 · Fitter questionnaire · Fitted by Ana Lind" in html
    assert '<p class="fit-bike"><strong>Bike: Canyon Endurace CF, size M</strong></p>' in html
    assert '<th scope="col">Change</th>' in html
    assert (
        '<tr class="changed"><td>Handlebar stack</td><td>590 mm</td><td><strong>605 mm</strong></td>'
        '<td class="change"><strong>+15 mm</strong></td></tr>'
    ) in html
    assert f'<td class="change"><strong>{MINUS}10.5 mm</strong></td>' in html
    assert '<tr><td>Saddle setback</td><td>62 mm</td><td>62 mm</td><td class="change"></td></tr>' in html

    pages = _pdf_text(tmp_path / "one.pdf")
    assert "Fitted by Ana Lind" in pages[0]
    text = "\n".join(pages)
    assert "Bike: Canyon Endurace CF, size M" in text
    assert "Change" in text and "+15 mm" in text and f"{MINUS}10.5 mm" in text and "changed" in text
    for label in POSITIONS:
        assert label in text, label
    # The table stays whole, the bike's line and heading with it.
    assert any("Fit record" in page and "Bike: Canyon" in page and "Left cleat" in page for page in pages)

    # A visit that measured none of the positions and named no bike shows neither.
    plain = {"before": {"saddle_height_mm": 724}, "after": {"saddle_height_mm": 726}}
    second = visit(tmp_path, "two.yaml", "2027-01-10", plain)
    recorded = run(
        "consult", "--consent", "--client", "Zoë", "--answers", str(second), "--accept-all", "--report", "two.pdf"
    )
    assert recorded.exit_code == 0, recorded.output
    for name in ("two.md", "two.html"):
        assert run("report", "--consultation", "2", "--out", name).exit_code == 0
    texts = [(tmp_path / n).read_text(encoding="utf-8") for n in ("two.md", "two.html")]
    texts.append("\n".join(_pdf_text(tmp_path / "two.pdf")))
    for shown in texts:
        assert "Saddle height" in shown and "+2 mm" in shown
        assert not any(label in shown for label in POSITIONS)
        assert "Bike:" not in shown


def test_the_fitter_recorded_with_a_visit_stays_on_its_report(tmp_path: Path) -> None:
    """The name is kept with the visit: a new name in the settings is the next visit's."""
    assert run("config", "set", "studio.fitter", "Ana Lind").exit_code == 0
    assert "studio.fitter = Ana Lind" in run("config", "list").stdout
    first = visit(tmp_path, "one.yaml", "2026-11-24", {"before": {"saddle_height_mm": 720}})
    assert run("consult", "--consent", "--client", "Zoë", "--answers", str(first), "--accept-all").exit_code == 0
    assert run("config", "set", "studio.fitter", "Ben Roy").exit_code == 0
    second = visit(tmp_path, "two.yaml", "2027-01-10", {})
    assert run("consult", "--consent", "--client", "Zoë", "--answers", str(second), "--accept-all").exit_code == 0
    named = visit(tmp_path, "three.yaml", "2027-02-10", {"fitter": "Cleo Park"})  # the file names its fitter
    assert run("consult", "--consent", "--client", "Zoë", "--answers", str(named), "--accept-all").exit_code == 0
    assert run("config", "set", "studio.fitter", "").exit_code == 0
    none = visit(tmp_path, "four.yaml", "2027-03-10", {})
    assert run("consult", "--consent", "--client", "Zoë", "--answers", str(none), "--accept-all").exit_code == 0

    with Store() as store:
        assert [v.fit.get("fitter") for v in store.history("Zoë")] == ["Ana Lind", "Ben Roy", "Cleo Park", None]
    for cid, fitter in (("1", "Ana Lind"), ("2", "Ben Roy"), ("3", "Cleo Park")):
        assert run("report", "--consultation", cid, "--out", f"{cid}.md").exit_code == 0
        assert f"Fitted by {fitter}" in (tmp_path / f"{cid}.md").read_text(encoding="utf-8")
    assert run("report", "--consultation", "4", "--out", "4.md").exit_code == 0
    assert "Fitted by" not in (tmp_path / "4.md").read_text(encoding="utf-8")
    history = run("history", "Zoë").stdout
    assert "fitted by: Ana Lind" in history and "fitted by: Ben Roy" in history
    assert json.loads(run("history", "Zoë", "--format", "json").stdout)[0]["fit"]["fitter"] == "Ana Lind"


def test_export_import_and_fhir_keep_the_bike_and_the_fitter(tmp_path: Path) -> None:
    one = visit(tmp_path, "one.yaml", "2026-11-24", {**MEASURED, "fitter": "Ana Lind"})
    assert run("consult", "--consent", "--client", "Zoë", "--answers", str(one), "--accept-all").exit_code == 0
    assert run("export", "Zoë", "--out", "zoe.json").exit_code == 0
    assert run("export", "Zoë", "--format", "fhir", "--out", "zoe.fhir.json").exit_code == 0
    bundle = json.loads((tmp_path / "zoe.fhir.json").read_text(encoding="utf-8"))
    [response] = [e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == "QuestionnaireResponse"]
    assert response["author"] == {"display": "Ana Lind"}
    for source, db in (("zoe.json", "own.db"), ("zoe.fhir.json", "fhir.db")):
        imported = run("import", source, "--db", str(tmp_path / db), "--consent")
        assert imported.exit_code == 0, imported.output
        with Store(tmp_path / db) as store:
            [back] = store.history("Zoë")
        assert back.fit["fitter"] == "Ana Lind"
        assert back.fit["before"]["bike_model"] == "Endurace CF" and back.fit["after"]["hood_reach_mm"] == 545


@pytest.mark.parametrize(
    ("fit", "field", "message"),
    [
        (
            {"after": {"handlebar_stack_mm": 2000}},
            "fit.after.handlebar_stack_mm",
            "2000 is out of range; allowed: a number from 350 to 900 mm",
        ),
        (
            {"before": {"hood_reach_mm": "far"}},
            "fit.before.hood_reach_mm",
            "'far' is not a number; allowed: a number from 250 to 850 mm",
        ),
        (
            {"before": {"bike_make": "x" * 300}},
            "fit.before.bike_make",
            "is 300 characters long; a setting may be at most 200; allowed: a short text",
        ),
        ({"before": {"bike_size": ["M", "L"]}}, "fit.before.bike_size", "is not text; allowed: a short text"),
        ({"fitter": ["Ana"]}, "fit.fitter", "\"['Ana']\" is not a name; allowed: the fitter's name as text"),
        ({"fitter": "Ana\tLind"}, "fit.fitter", "holds a control character"),
        ({"fiter": "Ana"}, "fit.fiter", "unknown key; allowed: before, after, fitter"),
    ],
)
def test_a_bad_bike_position_or_fitter_is_refused_with_file_field_value_and_what_is_allowed(
    tmp_path: Path, fit: dict, field: str, message: str
) -> None:
    path = visit(tmp_path, "bad.yaml", "2026-11-24", fit)
    for command in (
        ["assess", str(path)],
        ["consult", "--consent", "--client", "Zoë", "--answers", str(path), "--accept-all"],
    ):
        result = run(*command)
        assert result.exit_code == 2, result.output
        line = next(x for x in result.stderr.splitlines() if field in x)
        assert line.startswith(f"error: {path}:") and f" {field}: " in line and message in line, line
    with Store() as store:
        assert store.client_name("Zoë") is None  # nothing was recorded


def test_consult_asks_the_bike_once_and_the_positions_before_and_after(tmp_path: Path) -> None:
    first = visit(tmp_path, "one.yaml", "2026-11-24", {})
    assert run("consult", "--consent", "--client", "Ana", "--answers", str(first), "--accept-all").exit_code == 0
    answers = yaml.safe_load(FIRST.read_text(encoding="utf-8"))["answers"]
    lines = []
    for q in qmod.load("fitter").questions:
        if q.id in SAFETY:
            lines.append("n")
        elif holds(q.condition, {**answers, **dict.fromkeys(SAFETY, False)}):
            lines.append("")  # Enter keeps last visit's answer
    form = fitrecord.form()
    lines += ["", "y"]  # every recommendation agreed; record the bike
    lines += ["x" * 300, "Canyon", "Endurace CF", "M"]  # a make too long is asked again
    typed_before = {"handlebar_stack_mm": "590", "hood_reach_mm": "555,5"}  # a decimal comma
    typed_after = {"handlebar_stack_mm": "605"}
    lines += [typed_before.get(s.id, "-") for s in form.measures()]
    lines += [typed_after.get(s.id, "") for s in form.measures()]  # Enter keeps the value before
    result = run("consult", "--consent", "--client", "Ana", input="\n".join(lines) + "\n")
    assert result.exit_code == 0, result.output[-2000:]
    assert "Bike make (a short text): " in result.stdout and "Before: Bike make" not in result.stdout
    assert "a setting may be at most 200" in " ".join(result.stdout.split()), result.stdout[-3000:]
    assert "Before: Handlebar stack (a number from 350 to 900 mm): " in result.stdout
    with Store() as store:
        fit = store.history("Ana")[-1].fit
    bike = {"bike_make": "Canyon", "bike_model": "Endurace CF", "bike_size": "M"}
    assert fit["before"] == {**bike, "handlebar_stack_mm": 590, "hood_reach_mm": 555.5}
    assert fit["after"] == {**bike, "handlebar_stack_mm": 605, "hood_reach_mm": 555.5}
    assert "bike: Canyon Endurace CF, size M; handlebar stack 590 mm -> 605 mm (+15 mm)" in run("history", "Ana").stdout
