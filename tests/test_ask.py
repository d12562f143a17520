"""`advisor ask` through CliRunner: whole questionnaires, red-flag stops, re-asks, back, skip, resume."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from advisor.cli import app
from advisor.core.intake.interview import Draft, Interview
from advisor.core.rulebase import knowledge, questionnaire as qmod
from advisor.records import drafts, paths

SAFETY_NO = {
    "rf_saddle_numbness_off_bike": "n",
    "rf_bladder_bowel_change": "n",
    "rf_sexual_dysfunction_new": "no",
    "rf_leg_weakness_or_both_legs": "n",
    "rf_chest_pain": "n",
    "rf_crash_or_fall": "n",
    "rf_fever_or_unwell": "n",
    "rf_weight_loss": "n",
    "rf_cancer_history": "n",
    "rf_night_pain": "n",
    "rf_steroids_or_osteoporosis": "n",
}
RIDER_TYPED = {
    **SAFETY_NO,
    "age": "44",
    "sex": "female",
    "discipline": "1",
    "weekly_hours": "6.5",
    "strength_training": "none",
    "equipment": "1, mat",
    "toe_touch": "4",
    "hamstring_tightness": "marked",
    "pelvic_rotation": "posterior",
    "lumbar_rounding": "y",
    "saddle_tilt": "level",
    "bar_drop_cm": "9",
    "last_bike_fit": "never",
    "low_back_pain": "long_rides",
    "back_pain_intensity": "4",
    "back_pain_weeks": "3",
    "pain_below_knee": "n",
    "neck_shoulder_pain": "none",
    "hand_numbness": "none",
    "perineal_numbness": "none",
    "knee_pain": "none",
    "upper_body_fatigue": "n",
}


def typed_script(questionnaire: str, typed: dict[str, str]) -> list[str]:
    """The lines a person would type, in the order the questions come (Enter = skip)."""
    form = qmod.load(questionnaire)
    interview = Interview(form, knowledge.load(), Draft(questionnaire=questionnaire, date="2026-11-24"))
    lines = []
    while (q := interview.current) is not None:
        text = typed.get(q.id, "")
        lines.append(text)
        interview.record(interview.parse(q, text))
    return lines


@pytest.fixture(autouse=True)
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "data"
    monkeypatch.setenv(paths.ENV_DATA_DIR, str(folder))
    monkeypatch.chdir(tmp_path)
    return folder


def ask(*args: str, lines: list[str]):
    return CliRunner().invoke(app, ["ask", *args], input="\n".join(lines) + "\n", env={"NO_COLOR": "1"})


def test_a_complete_rider_questionnaire(tmp_path: Path) -> None:
    result = ask("--client", "Zoë Ødegård", "--out", "zoe.yaml", lines=typed_script("rider", RIDER_TYPED))
    assert result.exit_code == 0, result.output
    out = result.stdout
    first_prompt = out.index("Question 1 of")
    assert out.index("numbness or tingling in your genitals") > first_prompt
    assert "Referral: Routine (no warning signs)" in out and "Exercise plan" in out
    saved = yaml.safe_load((tmp_path / "zoe.yaml").read_text(encoding="utf-8"))
    assert saved["client"] == "Zoë Ødegård"
    answers = saved["answers"]
    assert answers["weekly_hours"] == 6.5 and answers["equipment"] == ["resistance_band", "mat"]
    assert answers["discipline"] == "road" and answers["back_pain_intensity"] == 4
    assert "longest_ride_hours" not in answers  # skipped with Enter
    assert not drafts.path().exists()
    again = CliRunner().invoke(app, ["assess", str(tmp_path / "zoe.yaml"), "-f", "json"])
    assert again.exit_code == 0


def test_conditional_questions_are_not_asked(tmp_path: Path) -> None:
    typed = {**RIDER_TYPED, "low_back_pain": "none"}
    lines = typed_script("rider", typed)
    result = ask(lines=lines)
    assert result.exit_code == 0, result.output
    assert "How bad was your back pain" not in result.stdout
    # Every question asked is counted, none that a condition left out.
    assert f"Question {len(lines)} of {len(lines)}" in result.stdout
    assert (tmp_path / "answers-{}.yaml".format(__import__("datetime").date.today())).exists()


def test_emergency_answer_stops_at_once_and_saves() -> None:
    result = ask("--out", "a.yaml", "--report", "r.json", lines=["y"])
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "EMERGENCY" in out and "stops here" in out
    assert "Question 2 of" not in out
    assert out.index("EMERGENCY") < out.index("do not ride, exercise or change your bike")
    saved = yaml.safe_load(Path("a.yaml").read_text(encoding="utf-8"))
    assert saved["answers"] == {"rf_saddle_numbness_off_bike": True}
    assert Path("r.json").exists()
    assert not drafts.path().exists()
    again = CliRunner().invoke(app, ["assess", "a.yaml", "-f", "json"])
    assert again.exit_code == 0, again.stderr
    assert '"urgency": "emergency"' in again.stdout


def test_urgent_answer_asks_only_what_could_make_it_an_emergency() -> None:
    # A crash (urgent), then: no head injury, a small topple, no cancer, no upper back pain,
    # steady walking, no hand weakness, no back pain, no leg pain, no saddle numbness. Only
    # questions that could raise the tier come after the crash.
    typed = ["n", "n", "n", "n", "n", "y", "n", "1", "n", "n", "n", "n", "1", "n", "1"]
    result = ask("--out", "a.yaml", lines=typed)
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "did you hit your head" in out and "What kind of crash" in out
    assert "Does the area you sit on" in out  # saddle numbness with back pain is an emergency
    assert "How old are you" not in out and "fever" not in out.lower()  # cannot raise it further
    assert "URGENT" in out
    saved = yaml.safe_load(Path("a.yaml").read_text(encoding="utf-8"))["answers"]
    assert saved["rf_crash_or_fall"] is True and "rf_night_pain" not in saved
    assert saved["crash_head_injury"] is False


def test_cancer_history_waits_for_the_pain_questions() -> None:
    typed = {**SAFETY_NO, "rf_cancer_history": "y", "low_back_pain": "most_rides"}
    result = ask("--out", "a.yaml", lines=typed_script("rider", typed))
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "Do you have low back pain?" in out  # it did not stop at the safety screen
    assert "URGENT" in out
    # After the pain answer settles it, only what could make it an emergency is asked.
    assert "Does the area you sit on" in out and "Do your hands go numb" not in out


def test_bad_answers_are_asked_again_without_losing_anything() -> None:
    # Eleven warning-sign answers, the optional screen questions skipped, then age and sex.
    optional_screen = sum(1 for q in qmod.load("rider").sections[0].questions if not q.required and not q.ask_when)
    lines = ["maybe", "n", *["n"] * 10, *[""] * optional_screen, "200", "44", "?", "xy", "f"]
    result = ask("--out", "a.yaml", lines=lines)  # ends early: end of input saves a draft
    out = result.stdout
    assert "Please answer y (yes) or n (no)." in out
    assert "200 is out of range; allowed: a whole number from 10 to 100 years" in out
    assert "Used only to pick the right flexibility cut-off" in out  # the help text
    assert "Please type a number from 1 to 3" in out
    assert result.exit_code == 130
    draft = drafts.load()
    assert draft is not None and draft.answers["age"] == 44 and draft.answers["sex"] == "female"


def test_a_choice_by_a_unique_start_and_back_as_an_answer() -> None:
    """'m' is male (no other choice starts so); 'back' is an answer where it is a choice."""
    form = qmod.load("rider")
    interview = Interview(form, knowledge.load(), Draft(questionnaire="rider", date=dt.date(2026, 11, 30)))
    sex, knee = form.question("sex"), form.question("knee_pain")
    assert interview.parse(sex, "m").value == "male"
    assert interview.parse(sex, "back").back
    assert interview.parse(knee, "back").value == ["back"]
    assert interview.parse(knee, "front, back").value == ["front", "back"]
    assert interview.parse(knee, "<").back


def test_back_returns_to_the_previous_question() -> None:
    lines = ["n", "back", "y"]
    result = ask("--out", "a.yaml", lines=lines)
    assert result.exit_code == 0
    assert result.stdout.count("Question 1 of") == 2
    assert "Enter keeps: no" in result.stdout
    saved = yaml.safe_load(Path("a.yaml").read_text(encoding="utf-8"))["answers"]
    assert saved == {"rf_saddle_numbness_off_bike": True}


def test_quit_saves_a_draft_like_ctrl_c() -> None:
    result = ask(lines=["n", "quit"])
    assert result.exit_code == 130
    assert "advisor ask --resume" in result.stdout
    draft = drafts.load()
    assert draft is not None and draft.answers == {"rf_saddle_numbness_off_bike": False}


def test_back_at_the_first_question() -> None:
    result = ask(lines=["back"])
    assert "This is the first question." in result.stdout


def test_required_questions_cannot_be_skipped() -> None:
    result = ask(lines=[""])
    assert "This question must be answered: true or false." in result.stdout


def test_the_fitter_questionnaire_asks_the_measured_tests(tmp_path: Path) -> None:
    typed = {
        **RIDER_TYPED,
        "passive_slr_deg": "62°",
        "active_knee_extension_deg": "31",
        "thomas_test": "negative",
        "knee_angle_bdc_deg": "31",
        "knee_angle_method": "static",
    }
    result = ask("--questionnaire", "fitter", "--out", "f.yaml", lines=typed_script("fitter", typed))
    assert result.exit_code == 0, result.output
    assert "Passive straight-leg raise" in result.stdout
    saved = yaml.safe_load((tmp_path / "f.yaml").read_text(encoding="utf-8"))
    assert saved["questionnaire"] == "fitter" and saved["answers"]["passive_slr_deg"] == 62
    assert "Not assessed" in result.stdout


def test_end_of_input_saves_a_draft_and_resume_goes_on() -> None:
    lines = typed_script("rider", RIDER_TYPED)
    first = ask("--out", "a.yaml", lines=lines[:21])
    assert first.exit_code == 130
    assert "advisor ask --resume" in first.stdout and "resume" in first.stdout.lower()
    assert "Traceback" not in first.output
    draft = drafts.load()
    assert draft is not None and draft.answers["age"] == 44
    second = CliRunner().invoke(app, ["ask", "--resume"], input="\n".join(lines[21:]) + "\n")
    assert second.exit_code == 0, second.output
    assert "Question 1 of" not in second.stdout and "Question 22 of" in second.stdout
    saved = yaml.safe_load(Path("a.yaml").read_text(encoding="utf-8"))["answers"]
    assert saved["age"] == 44 and saved["low_back_pain"] == "long_rides"
    assert not drafts.path().exists()


def test_starting_again_offers_the_waiting_draft() -> None:
    lines = typed_script("rider", RIDER_TYPED)
    ask("--out", "a.yaml", lines=lines[:3])
    result = ask(lines=["y", *lines[3:]])
    assert "Resume it? [Y/n]" in result.stdout
    assert result.exit_code == 0
    assert "Question 4 of" in result.stdout and "Question 1 of" not in result.stdout


def test_an_existing_answers_file_is_never_overwritten_without_asking(tmp_path: Path) -> None:
    Path("a.yaml").write_text("keep me\n", encoding="utf-8")
    result = ask("--out", "a.yaml", lines=["y", "n"])
    assert result.exit_code == 0
    assert "Overwrite it? [y/N]" in result.stdout
    assert Path("a.yaml").read_text(encoding="utf-8") == "keep me\n"
    assert Path("a-2.yaml").exists()


def test_bad_report_path_is_refused_before_asking() -> None:
    result = ask("--report", "report.docx", lines=["n"])
    assert result.exit_code == 2
    assert "unknown report format '.docx'" in result.stderr
    assert "Question 1" not in result.stdout


def test_resume_without_a_draft() -> None:
    result = ask("--resume", lines=[])
    assert result.exit_code == 2
    assert "no saved questionnaire to resume" in result.stderr


def test_unknown_questionnaire() -> None:
    result = ask("--questionnaire", "fiter", lines=[])
    assert result.exit_code == 2 and "did you mean 'fitter'" in result.stderr
