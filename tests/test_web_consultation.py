"""A consultation in the studio over HTTP, as a browser without the script sends it: questions
that do not apply, "none" answers, the client's draft, changing answers after review, the error
summary, the fill buttons and the visit's notes."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from starlette.testclient import TestClient
from typer.testing import CliRunner

from advisor.cli import app as cli
from advisor.records import drafts
from advisor.web.app import create_app
from tests.test_web import answers, csrf


@pytest.fixture
def studio(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> TestClient:
    monkeypatch.setenv("ADVISOR_DATA_DIR", str(tmp_path / "data"))
    return TestClient(create_app(str(tmp_path / "studio.db")), base_url="http://127.0.0.1")


def _save(studio: TestClient, client: str, **extra: str) -> str:
    data = {
        "csrf": csrf(studio.get("/consult").text),
        "client": client,
        "date": "2026-11-02",
        "consent": "yes",
        **answers(**extra),
    }
    saved = studio.post("/consult/save", data=data, follow_redirects=False)
    assert saved.status_code == 303
    return str(saved.headers["location"])


def _history(db: Path, client: str) -> list[dict[str, object]]:
    out = CliRunner().invoke(cli, ["history", client, "--db", str(db), "--format", "json"])
    assert out.exit_code == 0, out.output
    return list(json.loads(out.stdout))


def test_an_answer_whose_question_does_not_apply_is_left_out_and_said(studio: TestClient, tmp_path: Path) -> None:
    """'No back pain' with a score of 9/10 (a score left from before the answer changed), and a
    pregnancy answer for a man: neither is assessed nor saved, and the review says so."""
    token = csrf(studio.get("/consult").text)
    sent = answers(low_back_pain="none", back_pain_intensity="9", sex="male", pregnant="true")
    review = studio.post("/consult/review", data={"csrf": token, "client": "Al", **sent})
    assert review.status_code == 200
    assert "Not used, because the question does not apply" in review.text
    assert "Worst back pain last week" in review.text and "Pregnant" in review.text
    assert "9/10" not in review.text and "7/10" not in review.text
    live = studio.post("/consult/advice", data={"csrf": token, **sent}).text
    assert "Not used, because the question does not apply" in live
    _save(studio, "Al", low_back_pain="none", back_pain_intensity="9", sex="male", pregnant="true")
    saved = _history(tmp_path / "studio.db", "Al")[0]["answers"]
    assert isinstance(saved, dict)
    assert "back_pain_intensity" not in saved and "pregnant" not in saved and saved["low_back_pain"] == "none"


def test_the_follow_up_section_is_for_a_returning_client_only(studio: TestClient, tmp_path: Path) -> None:
    first = studio.get("/consult").text
    assert re.search(r'<fieldset id="section-follow_up"[^>]*hidden', first)
    _save(studio, "Bea", easy_exercises="strap-stretch")
    assert "easy_exercises" not in _history(tmp_path / "studio.db", "Bea")[0]["answers"]  # type: ignore[operator]
    again = studio.get("/consult?client=Bea").text
    assert not re.search(r'<fieldset id="section-follow_up"[^>]*hidden', again)


def test_no_knee_pain_is_an_answer(studio: TestClient, tmp_path: Path) -> None:
    _save(studio, "Cy", knee_pain="none")
    assert _history(tmp_path / "studio.db", "Cy")[0]["answers"]["knee_pain"] == []  # type: ignore[index]
    page = studio.get("/consult?client=Cy").text
    assert "Last visit: none" in page.split('id="field-knee_pain"')[1].split("</div>")[0]
    back = studio.post("/consult/form", data={"csrf": csrf(page), "client": "Cy", "knee_pain": "none"}).text
    assert re.search(r'id="q-knee_pain-none" name="knee_pain" value="none" data-none checked', back)


def test_every_answer_is_kept_in_the_clients_draft_and_resumed(studio: TestClient) -> None:
    page = studio.get("/consult").text
    fit = {"fit.before.saddle_height_mm": "721,5", "fit.before.cleat_left": "worn"}
    data = {
        "csrf": csrf(page),
        "client": "Dee",
        "date": "2026-11-02",
        "consent": "yes",
        **answers(),
        **fit,
        "notes": "new shoes\nsore",
    }
    assert studio.post("/consult/advice", data=data).status_code == 200
    draft = drafts.load("consult", "dee")  # the same draft `advisor consult --client Dee --resume` reads
    assert draft is not None and draft.answers["passive_slr_deg"] == 62 and draft.notes == "new shoes\nsore"
    resumed = studio.get("/consult?client=Dee").text
    assert "unsaved consultation of" in resumed
    assert re.search(r'name="passive_slr_deg"[^>]*value="62"', resumed)
    assert 'value="721,5"' in resumed and 'value="worn"' in resumed and "new shoes\nsore</textarea>" in resumed
    assert 'value="2026-11-02"' in resumed
    # A corrected name moves the draft with it.
    studio.post("/consult/advice", data={**data, "client": "Dee Rossi", "draft_client": "Dee"})
    assert drafts.load("consult", "Dee") is None and drafts.load("consult", "Dee Rossi") is not None
    # Discarded on request; and gone once the consultation is saved.
    studio.post("/consult/draft/discard", data={"csrf": csrf(resumed), "client": "Dee Rossi"})
    assert drafts.load("consult", "Dee Rossi") is None
    studio.post("/consult/advice", data={**data, "client": "Eve"})
    assert drafts.load("consult", "Eve") is not None
    studio.post("/consult/save", data={**data, "client": "Eve"})
    assert drafts.load("consult", "Eve") is None


def test_change_answers_after_review_keeps_everything(studio: TestClient) -> None:
    page = studio.get("/consult").text
    fit = {"fit.before.saddle_height_mm": "721,5", "fit.after.saddle_height_mm": "725", "fit.before.cleat_left": "worn"}
    sent = {"csrf": csrf(page), "client": "Flo", "date": "2026-11-02", "notes": "first fit", **fit}
    sent.update(answers(age="44", knee_pain="front", discipline="gravel"))
    review = studio.post("/consult/review", data=sent).text
    hidden = re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', review)
    fields: dict[str, list[str]] = {}
    for name, value in hidden:
        fields.setdefault(name, []).append(value)
    back = studio.post("/consult/form", data=fields).text  # the review's "Change answers"
    assert 'id="client" name="client" value="Flo"' in back and 'value="2026-11-02"' in back
    assert re.search(r'name="age"[^>]*value="44"', back) and re.search(r'name="passive_slr_deg"[^>]*value="62"', back)
    assert 'value="gravel" checked' in back and 'value="front" checked' in back
    assert 'name="fit.before.saddle_height_mm" inputmode="decimal" autocomplete="off" value="721,5"' in back
    assert re.search(r'id="fit.after.saddle_height_mm"[^>]*value="725"', back)
    assert re.search(r'id="fit.after.cleat_left"[^>]*value=""', back)  # empty stays empty
    assert ">first fit</textarea>" in back


def test_errors_are_summarised_linked_and_marked(studio: TestClient) -> None:
    page = studio.get("/consult").text
    sent = {"csrf": csrf(page), "client": "", **answers(passive_slr_deg="500", rf_chest_pain="")}
    bad = studio.post("/consult/review", data=sent)
    assert bad.status_code == 422
    summary = re.search(r'<div class="error-summary" id="error-summary" tabindex="-1"(.*?)</div>', bad.text, re.S)
    assert summary
    assert 'href="#client"' in summary.group(1)
    assert 'aria-invalid="true" aria-describedby="client-error"' in bad.text
    # The advice stays for what can be read; the title says there is something to check.
    assert "<title>Check the answers" in bad.text


def test_an_incomplete_safety_screen_is_listed_question_by_question(studio: TestClient) -> None:
    page = studio.get("/consult").text
    bad = studio.post("/consult/review", data={"csrf": csrf(page), "client": "Gil", "passive_slr_deg": "500"})
    assert bad.status_code == 422 and 'class="error-summary"' in bad.text
    assert 'href="#q-passive_slr_deg"' in bad.text
    assert re.search(r'id="q-passive_slr_deg"[^>]*aria-invalid="true"', bad.text)
    # Each unanswered safety question in words, linked to its first choice; never a list of ids.
    assert 'href="#q-rf_chest_pain-0">Chest pain or breathlessness</a>' in bad.text
    assert "safety questions need an answer" in bad.text
    assert re.search(r'id="q-rf_chest_pain-0"[^>]*aria-invalid="true"', bad.text)
    summary = bad.text.split('class="error-summary"')[1].split("</div>")[0]
    assert "rf_" not in re.sub(r'href="[^"]*"', "", summary)


def test_no_to_all_answers_only_the_safety_questions_not_yet_answered(studio: TestClient) -> None:
    page = studio.get("/consult").text
    sent = {"csrf": csrf(page), "client": "Hal", "rf_chest_pain": "true", "fill": "safety-no"}
    filled = studio.post("/consult/form", data=sent).text
    assert 'name="rf_chest_pain" value="true" checked' in filled
    assert 'name="rf_fever_or_unwell" value="false" checked' in filled
    assert 'name="crash_kind" value="minor" checked' not in filled  # a follow-on question is not guessed


def test_notes_on_a_visit_are_saved_shown_and_exported(studio: TestClient, tmp_path: Path) -> None:
    where = _save(studio, "Ida", notes="Cleats moved back 2 mm.\nCheck the left knee next time.")
    visit = studio.get(where).text
    assert "Notes on this visit" in visit and "Check the left knee next time." in visit
    listed = _history(tmp_path / "studio.db", "Ida")
    assert listed[0]["notes"] == "Cleats moved back 2 mm.\nCheck the left knee next time."
    out = tmp_path / "ida.json"
    runner = CliRunner()
    assert runner.invoke(cli, ["export", "Ida", "--db", str(tmp_path / "studio.db"), "--out", str(out)]).exit_code == 0
    other = tmp_path / "other.db"
    assert runner.invoke(cli, ["import", str(out), "--db", str(other)]).exit_code == 0
    assert _history(other, "Ida")[0]["notes"] == listed[0]["notes"]
    report = studio.get(where + "/report.html").text
    assert "Check the left knee" not in report  # the fitter's own notes stay off the rider's report


def test_a_saved_visit_says_saved_once_and_is_titled_for_itself(studio: TestClient) -> None:
    where = _save(studio, "Jo")
    first = studio.get(where).text
    assert "Saved." in first and "<h1>Jo, visit of 2026-11-02</h1>" in first
    assert "Saved." not in studio.get(where).text  # opened again later: just the visit


def test_a_mistyped_number_never_hides_the_advice_and_is_named(studio: TestClient) -> None:
    """A knee-extension deficit typed as 280 while the client mentions chest pain: the emergency
    advice shows at once, and the value left out is named and marked for the page."""
    token = csrf(studio.get("/consult").text)
    sent = {"csrf": token, **answers(active_knee_extension_deg="280", rf_chest_pain="true")}
    live = studio.post("/consult/advice", data=sent).text
    assert "EMERGENCY" in live
    assert "Left out of this advice until corrected" in live and "Active knee extension deficit: " in live
    assert "active_knee_extension_deg" in live.split('data-invalid="')[1].split('"')[0]
    calm = studio.post("/consult/advice", data={**sent, "rf_chest_pain": "false"}).text
    assert "No warning signs" in calm and "Left out of this advice" in calm


def test_another_pages_unsaved_consultation_is_never_overwritten_unseen(studio: TestClient) -> None:
    page = studio.get("/consult").text
    first = {"csrf": csrf(page), "client": "Dana Ek", **answers(age="50"), "draft_client": ""}
    assert studio.post("/consult/advice", data=first).headers["x-draft"] == "kept"
    # A new consultation, the same name typed again: the waiting one is named, not replaced.
    again = studio.post("/consult/advice", data={"csrf": csrf(page), "client": "dana ek", "draft_client": ""})
    assert again.headers["x-draft"] == "waiting" and "An unsaved consultation for Dana Ek" in again.text
    kept = drafts.load("consult", "Dana Ek")
    assert kept is not None and kept.answers["age"] == 50
    # The clients page lists it, a tap away.
    assert 'href="/consult?client=Dana%20Ek">Dana Ek</a>' in studio.get("/").text
    # "Keep these answers instead": the page says the draft is its own, and it is replaced.
    taken = studio.post("/consult/advice", data={"csrf": csrf(page), "client": "Dana Ek", "draft_client": "Dana Ek"})
    assert taken.headers["x-draft"] == "kept"
    replaced = drafts.load("consult", "Dana Ek")
    assert replaced is not None and "age" not in replaced.answers


def test_a_visit_dated_after_today_is_not_saved(studio: TestClient) -> None:
    import datetime as dt

    page = studio.get("/consult").text
    later = (dt.date.today() + dt.timedelta(days=35)).isoformat()
    bad = studio.post("/consult/review", data={"csrf": csrf(page), "client": "Kim", "date": later, **answers()})
    assert bad.status_code == 422 and f"{later} is after today" in bad.text and 'href="#date"' in bad.text
