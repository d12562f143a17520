"""The FHIR R4 mapping: every resource validates, and a Bundle gives back exactly the answers.

Resources are validated with fhir.resources' R4B models, which hold every R4 element these
resources use. The Questionnaires are validated once each: every Bundle carries them
unchanged (checked), so a Bundle's own resources are validated without them to keep the
file fast.
"""

from __future__ import annotations

import ast
import copy
import datetime as dt
import json
import sys
from collections.abc import Callable, Iterator
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.careplan import CarePlan
from fhir.resources.R4B.questionnaire import Questionnaire as FhirQuestionnaire
from fhir.resources.R4B.questionnaireresponse import QuestionnaireResponse
from fhir.resources.R4B.servicerequest import ServiceRequest
from hypothesis import given, settings, strategies as st
from typer.testing import CliRunner

from advisor.cli import app
from advisor.core.advice.pipeline import assess
from advisor.core.assessment import Assessment
from advisor.core.errors import AdvisorError
from advisor.core.intake import answers as answers_mod, fitrecord
from advisor.core.intake.answers import Answers
from advisor.core.intake.fitrecord import FitRecord
from advisor.core.rulebase import knowledge, questionnaire as qmod
from advisor.exchange import fhir
from tests import scenario_files
from tests.strategies import answer_sets

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = sorted((ROOT / "examples").glob("*.yaml"))
SCENARIOS = sorted(scenario_files.SCENARIOS.glob("*.yaml"))
MODELS: dict[str, Any] = {
    "QuestionnaireResponse": QuestionnaireResponse,
    "ServiceRequest": ServiceRequest,
    "CarePlan": CarePlan,
}


# --- helpers ----------------------------------------------------------------------------------


@cache
def _questionnaire(qid: str) -> dict[str, Any]:
    """Built once per questionnaire: tests only read it."""
    return fhir.questionnaire_resource(qmod.load(qid))


def _items(items: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    for item in items:
        yield item
        yield from _items(item.get("item", []))
        for answer in item.get("answer", []):
            yield from _items(answer.get("item", []))


def _question(resource: dict[str, Any], link_id: str) -> dict[str, Any]:
    return next(i for i in _items(resource["item"]) if i["linkId"] == link_id)


def _resources(bundle: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    return [e["resource"] for e in bundle.get("entry", []) if e["resource"]["resourceType"] == kind]


def _empty_anywhere(value: Any) -> bool:
    """FHIR JSON allows no null, no empty string, array or object."""
    if value is None or value == "" or value == [] or value == {}:
        return True
    if isinstance(value, dict):
        return any(_empty_anywhere(v) for v in value.values())
    if isinstance(value, list):
        return any(_empty_anywhere(v) for v in value)
    return False


def _references(value: Any) -> Iterator[str]:
    if isinstance(value, dict):
        if isinstance(value.get("reference"), str):
            yield value["reference"]
        for v in value.values():
            yield from _references(v)
    elif isinstance(value, list):
        for v in value:
            yield from _references(v)


def _validate(bundle: dict[str, Any]) -> None:
    """The Bundle with every resource in it (the Bundle model validates each entry's resource
    against its own model: see test_the_bundle_model_checks_each_resource)."""
    visits = [e for e in bundle.get("entry", []) if e["resource"]["resourceType"] != "Questionnaire"]
    for resource in _resources(bundle, "Questionnaire"):
        assert resource == _questionnaire(resource["id"])  # validated in its own test
    Bundle.model_validate({**bundle, "entry": visits} if visits else bundle)
    assert not _empty_anywhere(visits)
    urls = [e["fullUrl"] for e in bundle.get("entry", [])]
    assert len(urls) == len(set(urls))
    assert set(_references(visits)) <= set(urls)


def _typed(values: dict[str, Any]) -> list[tuple[str, str, Any]]:
    """Values with their types: 4 and 4.0 must not pass for each other."""
    return [
        (k, type(v).__name__, [(type(x).__name__, x) for x in v] if isinstance(v, list) else v)
        for k, v in values.items()
    ]


def _same(back: Answers, given: Answers) -> None:
    assert (back.questionnaire, back.client, back.date) == (given.questionnaire, given.client, given.date)
    assert _typed(back.values) == _typed(given.values)
    assert _typed(back.fit.before) == _typed(given.fit.before)
    assert _typed(back.fit.after) == _typed(given.fit.after)
    assert back.fit.fitter == given.fit.fitter


def _read_back(bundle: dict[str, Any]) -> list[Answers]:
    """The answers of a Bundle after a trip through JSON text, as a file holds it."""
    return fhir.read_bundle(json.loads(json.dumps(bundle, ensure_ascii=False)), "bundle.json")


def _round_trip(visits: list[tuple[Answers, Assessment]]) -> list[Answers]:
    return _read_back(fhir.bundle(visits))


def _load(path: Path) -> tuple[Answers, dict[str, Any] | None]:
    if path.parent == scenario_files.SCENARIOS:
        scenario = scenario_files.load(path)
        return scenario.answers, scenario.previous
    return answers_mod.load(str(path)), None


def _example(name: str, **changes: Any) -> tuple[Answers, Assessment]:
    answers = answers_mod.load(str(ROOT / "examples" / f"{name}.yaml"))
    if changes:
        answers = answers.model_copy(update=changes)
    return answers, assess(answers)


# --- the Questionnaires -----------------------------------------------------------------------


@pytest.mark.parametrize("qid", qmod.available())
def test_questionnaire_validates_and_carries_every_question(qid: str) -> None:
    form = qmod.load(qid)
    resource = _questionnaire(qid)
    FhirQuestionnaire.model_validate(resource)
    assert not _empty_anywhere(resource)
    assert resource["url"] == f"https://bikefit-advisor.org/fhir/Questionnaire/{qid}"
    assert resource["status"] == "active" and resource["version"]
    link_ids = [i["linkId"] for i in _items(resource["item"])]
    assert len(link_ids) == len(set(link_ids))
    assert [i["linkId"] for i in resource["item"]] == [s.id for s in form.sections if s.questions] + [fhir.FIT_GROUP]
    types = {"bool": "boolean", "int": "integer", "number": "decimal", "choice": "choice", "multi": "choice"}
    for q in form.questions:
        item = _question(resource, q.id)
        assert (item["text"], item["type"], item["required"]) == (q.text, types[q.type], q.required)
        assert item.get("repeats", False) == (q.type == "multi")
        helps = [c for c in item["item"] if c["type"] == "display"]
        assert [h["text"] for h in helps] == [q.help]
        codes = [o["valueCoding"]["code"] for o in item.get("answerOption", [])]
        assert codes == q.values + ([fhir.NONE_CHOSEN] if q.type == "multi" else [])
        if q.type in ("int", "number"):
            ext = {e["url"]: e for e in item["extension"]}
            key = "valueInteger" if q.type == "int" else "valueDecimal"
            assert ext[fhir.EXT_MIN][key] == q.min and ext[fhir.EXT_MAX][key] == q.max
            if q.unit:
                assert ext[fhir.EXT_UNIT]["valueCoding"]["display"] == q.unit


@pytest.mark.parametrize("qid", qmod.available())
def test_questionnaire_keeps_r4_rules(qid: str) -> None:
    """Invariants the models do not check: que-5, que-6, que-12 and earlier-question enableWhen."""
    resource = _questionnaire(qid)
    seen: list[str] = []
    for item in _items(resource["item"]):
        if item["type"] not in ("choice", "open-choice"):
            assert "answerOption" not in item, item["linkId"]
        if item["type"] == "display":
            assert "required" not in item and "repeats" not in item
        conditions = item.get("enableWhen", [])
        assert ("enableBehavior" in item) == (len(conditions) > 1), item["linkId"]
        for c in conditions:
            assert c["question"] in seen, item["linkId"]
            assert c["operator"] in ("exists", "=", "!=", ">", "<", ">=", "<=")
        seen.append(item["linkId"])


def test_units_are_ucum_where_the_unit_is_one() -> None:
    fitter = _questionnaire("fitter")
    units = {
        q: _question(fitter, q)["extension"][0]["valueCoding"]
        for q in ("passive_slr_deg", "bar_drop_cm", "weekly_hours", "age", "back_pain_weeks", "weekly_distance_km")
    }
    assert {q: (c["system"], c["code"]) for q, c in units.items()} == {
        "passive_slr_deg": (fhir.UCUM, "deg"),
        "bar_drop_cm": (fhir.UCUM, "cm"),
        "weekly_hours": (fhir.UCUM, "h"),
        "age": (fhir.UCUM, "a"),
        "back_pain_weeks": (fhir.UCUM, "wk"),
        "weekly_distance_km": (fhir.UCUM, "km"),
    }
    saddle = _question(fitter, f"{fhir.FIT_GROUP}.before.saddle_height_mm")
    assert saddle["type"] == "decimal" and saddle["extension"][0]["valueCoding"]["code"] == "mm"
    assert _question(fitter, f"{fhir.FIT_GROUP}.after.cleat_left")["type"] == "string"
    every_unit = {q.unit for f in qmod.available() for q in qmod.load(f).questions if q.unit}
    every_unit |= {s.unit for s in fitrecord.form().settings if s.unit}
    assert every_unit <= set(fhir.UCUM_CODES)


def test_enable_when_says_what_r4_can_and_nothing_else() -> None:
    rider = _questionnaire("rider")
    head = _question(rider, "crash_head_injury")
    assert head["enableWhen"] == [{"question": "rf_crash_or_fall", "operator": "=", "answerBoolean": True}]
    pregnant = _question(rider, "pregnant")
    assert pregnant["enableBehavior"] == "any"
    assert [c["answerCoding"]["code"] for c in pregnant["enableWhen"]] == ["female", "other"]
    load = _question(rider, "recent_load_increase")  # any of three tests, one on a multi-choice
    assert load["enableBehavior"] == "any"
    assert {"question": "knee_pain", "operator": "="} | {"answerCoding": load["enableWhen"][-1]["answerCoding"]} in (
        load["enableWhen"]
    )
    # Age at least 50 AND back pain of any kind mixes "and" with "or": R4 cannot say it.
    assert "enableWhen" not in _question(rider, "back_pain_first_episode")
    method = _question(_questionnaire("fitter"), "knee_angle_method")
    assert method["enableWhen"] == [{"question": "knee_angle_bdc_deg", "operator": ">=", "answerDecimal": 10}]


def test_a_multi_choice_offers_an_exclusive_none() -> None:
    knee = _question(_questionnaire("rider"), "knee_pain")
    none = knee["answerOption"][-1]
    assert none["valueCoding"]["code"] == fhir.NONE_CHOSEN
    assert none["extension"] == [{"url": fhir.EXT_OPTION_EXCLUSIVE, "valueBoolean": True}]


def test_version_follows_the_content() -> None:
    assert _questionnaire("rider")["version"] == _questionnaire("rider")["version"]
    assert _questionnaire("rider")["version"] != _questionnaire("fitter")["version"]


# --- Bundles of real consultations ------------------------------------------------------------


@pytest.mark.parametrize("path", EXAMPLES + SCENARIOS, ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_every_example_and_scenario_validates_and_round_trips(path: Path) -> None:
    answers, previous = _load(path)
    if answers.client is None:
        answers = answers.model_copy(update={"client": "Zoë Ødegård"})
    result = assess(answers, previous)
    bundle = fhir.bundle([(answers, result)])
    _validate(bundle)
    [request] = _resources(bundle, "ServiceRequest")
    assert request["priority"] == fhir.PRIORITY[result.referral.urgency]
    [back] = _read_back(bundle)
    _same(back, answers)


@pytest.mark.parametrize("kind", list(MODELS))
def test_the_bundle_model_checks_each_resource(kind: str) -> None:
    bundle = fhir.bundle([_example("routine-knee-pain")])
    [resource] = _resources(bundle, kind)
    MODELS[kind].model_validate(resource)
    resource["status"] = 123  # the models check types and elements, not value sets
    with pytest.raises(ValueError, match=r"entry\.\d+\.resource\.status"):
        Bundle.model_validate(bundle)


def test_a_clients_visits_in_one_bundle_validate_in_full() -> None:
    visits = [_example(p.stem) for p in EXAMPLES]
    bundle = fhir.bundle(visits)
    Bundle.model_validate(bundle)  # this once with the Questionnaires inside
    _validate(bundle)
    assert [r["id"] for r in _resources(bundle, "Questionnaire")] == ["rider", "fitter"]
    for back, (given_answers, _) in zip(_read_back(bundle), visits, strict=True):
        _same(back, given_answers)


def test_response_answers_carry_their_types() -> None:
    answers, result = _example(
        "routine-knee-pain", values={**_example("routine-knee-pain")[0].values, "weekly_hours": 4.5}
    )
    [response] = _resources(fhir.bundle([(answers, result)]), "QuestionnaireResponse")
    assert response["questionnaire"] == f"{fhir.canonical('fitter')}|{_questionnaire('fitter')['version']}"
    assert (response["status"], response["authored"], response["subject"]) == (
        "completed",
        "2026-11-24",
        {"display": "Jo Lindqvist"},
    )
    assert _question(response, "age")["answer"] == [{"valueInteger": 33}]
    assert _question(response, "knee_angle_bdc_deg")["answer"] == [{"valueDecimal": 28}]
    assert _question(response, "weekly_hours")["answer"] == [{"valueDecimal": 4.5}]
    assert _question(response, "hip_rocking")["answer"] == [{"valueBoolean": True}]
    knee = [a["valueCoding"]["code"] for a in _question(response, "knee_pain")["answer"]]
    assert knee == ["back", "inside"]
    assert [g["linkId"] for g in response["item"]] == ["safety", "rider", "position", "symptoms"]


def test_an_empty_multi_choice_round_trips() -> None:
    base = _example("routine-knee-pain")[0]
    answers, result = _example("routine-knee-pain", values={**base.values, "knee_pain": [], "equipment": []})
    bundle = fhir.bundle([(answers, result)])
    _validate(bundle)
    [response] = _resources(bundle, "QuestionnaireResponse")
    assert [a["valueCoding"]["code"] for a in _question(response, "knee_pain")["answer"]] == [fhir.NONE_CHOSEN]
    [back] = _round_trip([(answers, result)])
    assert back.values["knee_pain"] == [] and back.values["equipment"] == []


def test_the_fit_record_round_trips() -> None:
    fit = FitRecord(
        before={"saddle_height_mm": 724.0, "stem_angle_deg": -6.0, "cleat_left": "2° heel in, 5 mm back"},
        after={"saddle_height_mm": 719.5, "spacers_mm": 20.0, "bike_model": "Endurace CF", "hood_stack_mm": 615.0},
        fitter="Ana Lind",
    )
    answers, result = _example("routine-knee-pain", fit=fit)
    bundle = fhir.bundle([(answers, result)])
    _validate(bundle)
    [response] = _resources(bundle, "QuestionnaireResponse")
    assert response["item"][-1]["linkId"] == fhir.FIT_GROUP
    assert _question(response, "fit-record.before.cleat_left")["answer"] == [{"valueString": "2° heel in, 5 mm back"}]
    assert _question(response, "fit-record.after.saddle_height_mm")["answer"] == [{"valueDecimal": 719.5}]
    assert _question(response, "fit-record.after.bike_model")["answer"] == [{"valueString": "Endurace CF"}]
    assert response["author"] == {"display": "Ana Lind"}  # who recorded the answers: the fitter
    [back] = _round_trip([(answers, result)])
    assert back.fit == fit


def test_a_bundle_is_reproducible_and_two_visits_on_one_day_stay_two() -> None:
    visit = _example("routine-knee-pain")
    assert json.dumps(fhir.bundle([visit])) == json.dumps(fhir.bundle([visit]))
    twice = fhir.bundle([visit, visit])
    _validate(twice)
    assert len(_resources(twice, "QuestionnaireResponse")) == 2
    assert len(_round_trip([visit, visit])) == 2
    other_day = _example("routine-knee-pain", date=dt.date(2026, 12, 1))
    first = {e["fullUrl"] for e in fhir.bundle([visit])["entry"]}
    second = {e["fullUrl"] for e in fhir.bundle([other_day])["entry"]}
    assert first & second == {fhir.canonical("fitter")}


def test_no_consultations_make_an_empty_collection() -> None:
    empty = fhir.bundle([])
    assert empty == {"resourceType": "Bundle", "type": "collection"}
    Bundle.model_validate(empty)
    assert fhir.read_bundle(empty) == []


def test_an_unnamed_client_has_no_subject_in_the_response() -> None:
    answers, result = _example("routine-knee-pain", client=None)
    bundle = fhir.bundle([(answers, result)])
    _validate(bundle)
    assert "subject" not in _resources(bundle, "QuestionnaireResponse")[0]
    assert _round_trip([(answers, result)])[0].client is None


# --- the referral and the plan ----------------------------------------------------------------


def test_priority_follows_the_urgency() -> None:
    assert fhir.PRIORITY == {"emergency": "stat", "urgent": "asap", "soon": "urgent", "routine": "routine"}
    assert set(fhir.PRIORITY) == set(knowledge.load().tiers)
    for example, urgency, priority in [
        ("emergency-saddle-numbness-off-bike", "emergency", "stat"),
        ("urgent-pain-after-crash", "urgent", "asap"),
        ("soon-pain-below-knee", "soon", "urgent"),
        ("routine-low-back-tight-hamstrings", "routine", "routine"),
    ]:
        answers, result = _example(example)
        assert result.referral.urgency == urgency
        [request] = _resources(fhir.bundle([(answers, result)]), "ServiceRequest")
        assert request["priority"] == priority


def test_the_referral_names_a_physical_therapist_and_every_reason() -> None:
    answers, result = _example("emergency-saddle-numbness-off-bike")
    bundle = fhir.bundle([(answers, result)])
    [request] = _resources(bundle, "ServiceRequest")
    [response_entry] = [e for e in bundle["entry"] if e["resource"]["resourceType"] == "QuestionnaireResponse"]
    assert (request["status"], request["intent"]) == ("active", "proposal")
    assert "physiotherapy referral" in request["code"]["text"].lower()
    assert [r["text"] for r in request["reasonCode"]] == result.referral.reasons
    assert request["supportingInfo"][0]["reference"] == response_entry["fullUrl"]
    assert request["subject"] == {"display": answers.client}
    assert "emergency department" in request["note"][0]["text"]


def _plan_codes(plan: dict[str, Any]) -> list[str]:
    return [a["detail"]["code"]["coding"][0]["code"] for a in plan["activity"] if "detail" in a]


@pytest.mark.parametrize(
    "path",
    [p for p in SCENARIOS if p.stem.startswith(("emergency", "urgent"))],
    ids=lambda p: p.stem,
)
def test_an_emergency_or_urgent_plan_is_getting_care_and_nothing_else(path: Path) -> None:
    answers, previous = _load(path)
    result = assess(answers, previous)
    bundle = fhir.bundle([(answers, result)])
    [plan], [request] = _resources(bundle, "CarePlan"), _resources(bundle, "ServiceRequest")
    request_url = next(e["fullUrl"] for e in bundle["entry"] if e["resource"] is request)
    assert plan["activity"][0]["reference"]["reference"] == request_url  # get care, first
    assert _plan_codes(plan) == [fhir.STOP_RIDING]
    assert request["priority"] in ("stat", "asap")


def test_a_stop_riding_plan_holds_no_exercise_even_if_a_result_did() -> None:
    """The plan enforces the spec itself rather than trusting the result it is given."""
    answers, result = _example("emergency-saddle-numbness-off-bike")
    _, routine = _example("routine-low-back-tight-hamstrings")
    tampered = result.model_copy(
        update={"exercises": routine.exercises, "adjustments": [*routine.adjustments, *result.adjustments]}
    )
    [plan] = _resources(fhir.bundle([(answers, tampered)]), "CarePlan")
    assert _plan_codes(plan) == [fhir.STOP_RIDING]


def test_a_routine_plan_lists_each_adjustment_and_exercise_after_the_referral() -> None:
    answers, result = _example("routine-low-back-tight-hamstrings")
    [plan] = _resources(fhir.bundle([(answers, result)]), "CarePlan")
    assert (plan["status"], plan["intent"]) == ("active", "plan")
    assert "reference" in plan["activity"][0]
    assert _plan_codes(plan) == [a.id for a in result.adjustments] + [e.id for e in result.exercises]
    systems = {a["detail"]["code"]["coding"][0]["system"] for a in plan["activity"][1:]}
    assert systems == {fhir.ADVICE}
    strap = next(
        a["detail"] for a in plan["activity"][1:] if a["detail"]["code"]["coding"][0]["code"] == "strap-stretch"
    )
    assert "Dose:" in strap["description"] and strap["status"] == "not-started"


# --- any answers, round trip ------------------------------------------------------------------

_NAMES = st.text(st.characters(categories=["L", "N", "Zs"]), min_size=1, max_size=30).map(str.strip).filter(bool)
_TEXT = st.text(st.characters(categories=["L", "N"], include_characters=" °,-"), min_size=1, max_size=20)


@st.composite
def _fit_records(draw: st.DrawFn) -> FitRecord:
    parts: dict[str, dict[str, float | str]] = {}
    for when in fitrecord.WHEN:
        measured: dict[str, float | str] = {}
        for s in fitrecord.form().settings:
            if draw(st.booleans()):
                continue
            if s.type == "text":
                text = draw(_TEXT.map(str.strip).filter(bool))
                measured[s.id] = text
            else:
                assert s.min is not None and s.max is not None
                measured[s.id] = round(draw(st.floats(s.min, s.max)), 1)
        parts[when] = measured
    return FitRecord(**parts, fitter=draw(st.none() | _NAMES))


@st.composite
def _visits(draw: st.DrawFn) -> tuple[Answers, Assessment]:
    answers = draw(answer_sets())
    answers = answers.model_copy(
        update={
            "client": draw(st.none() | _NAMES),
            "date": draw(st.dates(dt.date(2000, 1, 1), dt.date(2100, 12, 31))),
            "fit": draw(st.just(FitRecord()) | _fit_records()),
        }
    )
    return answers, assess(answers)


# A fifth of the profile's count (30 while developing, 60 in CI): each example is up to three
# assessed visits, validated and read back, and the safety properties already cover the answers.
@settings(max_examples=settings().max_examples // 5)
@given(st.lists(_visits(), min_size=1, max_size=3))
def test_any_answers_round_trip_through_a_valid_bundle(visits: list[tuple[Answers, Assessment]]) -> None:
    bundle = fhir.bundle(visits)
    _validate(bundle)
    back = _read_back(bundle)
    assert len(back) == len(visits)
    for got, (given_answers, _) in zip(back, visits, strict=True):
        _same(got, given_answers)


# --- refusing what this product did not write -------------------------------------------------


def _base() -> dict[str, Any]:
    fit = FitRecord(before={"saddle_height_mm": 724.0})
    return fhir.bundle([_example("routine-knee-pain", fit=fit)])


def _response(bundle: dict[str, Any]) -> dict[str, Any]:
    return _resources(bundle, "QuestionnaireResponse")[0]


def _set_answer(link_id: str, answer: list[dict[str, Any]]) -> Callable[[dict[str, Any]], None]:
    def change(bundle: dict[str, Any]) -> None:
        _question(_response(bundle), link_id)["answer"] = answer

    return change


def _drop_item(link_id: str) -> Callable[[dict[str, Any]], None]:
    def change(bundle: dict[str, Any]) -> None:
        for group in _response(bundle)["item"]:
            group["item"] = [i for i in group["item"] if i["linkId"] != link_id]

    return change


def _coding(code: str, system: str = fhir.ANSWER_VALUES) -> dict[str, Any]:
    return {"valueCoding": {"system": system, "code": code}}


# entry[0] is the Questionnaire, entry[1] the response; its group 0 the safety screen, 1 "rider".
MALFORMED: list[tuple[str, Callable[[dict[str, Any]], None], str, str]] = [
    ("not collection", lambda b: b.update(type="transaction"), "type", "'transaction' is not 'collection'"),
    (
        "foreign resource",
        lambda b: b["entry"].append({"resource": {"resourceType": "Patient"}}),
        "entry[4].resource.resourceType",
        "'Patient' is not a resource bikefit-advisor writes",
    ),
    ("entry without resource", lambda b: b["entry"].append({}), "entry[4]", "has no resource"),
    (
        "foreign questionnaire",
        lambda b: _response(b).update(questionnaire="http://example.org/Questionnaire/phq9"),
        "entry[1].resource.questionnaire",
        "is not a questionnaire of bikefit-advisor",
    ),
    (
        "unknown questionnaire",
        lambda b: _response(b).update(questionnaire=fhir.canonical("fittr")),
        "entry[1].resource.questionnaire",
        "did you mean 'fitter'",
    ),
    (
        "foreign Questionnaire resource",
        lambda b: b["entry"][0]["resource"].update(url="http://example.org/Questionnaire/x"),
        "entry[0].resource.url",
        "is not a questionnaire of bikefit-advisor",
    ),
    ("no date", lambda b: _response(b).pop("authored"), "entry[1].resource.authored", "is not a date"),
    ("not completed", lambda b: _response(b).update(status="in-progress"), "entry[1].resource.status", "'completed'"),
    (
        "unknown section",
        lambda b: _response(b)["item"][1].update(linkId="about"),
        "entry[1].resource.item[1].linkId",
        "'about' is not a section of the 'fitter' questionnaire",
    ),
    (
        "unknown question",
        lambda b: _question(_response(b), "sex").update(linkId="gender"),
        "entry[1].resource.item[1].item[1]",
        "'gender' is not a question of the section 'rider'",
    ),
    (
        "wrong value type",
        _set_answer("rf_chest_pain", [{"valueString": "no"}]),
        "entry[1].resource.item[0].item[4].answer[0]",
        "must hold valueBoolean, found valueString",
    ),
    (
        "boolean for an integer",
        _set_answer("age", [{"valueInteger": True}]),
        "entry[1].resource.item[1].item[0].answer[0].valueInteger",
        "True is not an integer",
    ),
    (
        "out of range",
        _set_answer("age", [{"valueInteger": 300}]),
        "entry[1].resource.item[1].item[0]",
        "answer to 'age': 300 is out of range; allowed: a whole number from 10 to 100 years",
    ),
    (
        "two answers to one choice",
        _set_answer("sex", [_coding("male"), _coding("female")]),
        "entry[1].resource.item[1].item[1]",
        "has 2 answers; this question takes one",
    ),
    (
        "none with another choice",
        _set_answer("knee_pain", [_coding(fhir.NONE_CHOSEN), _coding("front")]),
        "entry[1].resource.item[3].item[5]",
        "cannot be chosen together with other values",
    ),
    (
        "unknown choice",
        _set_answer("knee_pain", [_coding("sideways")]),
        "entry[1].resource.item[3].item[5]",
        "answer to 'knee_pain': 'sideways' is not a valid choice",
    ),
    (
        "foreign code system",
        _set_answer("sex", [_coding("male", "http://snomed.info/sct")]),
        "entry[1].resource.item[1].item[1].answer[0].valueCoding.system",
        "is not the code system of the answers",
    ),
    ("no answer", _set_answer("sex", []), "entry[1].resource.item[1].item[1]", "has no answer"),
    (
        "safety screen incomplete",
        _drop_item("rf_chest_pain"),
        "entry[1].resource.item",
        "the safety screen is incomplete; answer true or false for: rf_chest_pain",
    ),
    (
        "fit setting out of range",
        _set_answer("fit-record.before.saddle_height_mm", [{"valueDecimal": 5000}]),
        "entry[1].resource.item[4].item[0].item[0]",
        "answer to 'saddle_height_mm': 5000 is out of range",
    ),
    (
        "subject without a name",
        lambda b: _response(b).update(subject={"reference": "Patient/1"}),
        "entry[1].resource.subject",
        "the client's name",
    ),
    (
        "author without a name",
        lambda b: _response(b).update(author={"reference": "Practitioner/1"}),
        "entry[1].resource.author",
        "the fitter's name",
    ),
    (
        "fitter's name of many lines",
        lambda b: _response(b).update(author={"display": "Ana\nLind"}),
        "entry[1].resource.author.display",
        "'Ana\\nLind' holds a control character",
    ),
]


@pytest.mark.parametrize(("change", "field", "message"), [m[1:] for m in MALFORMED], ids=[m[0] for m in MALFORMED])
def test_a_malformed_bundle_is_refused_with_entry_and_field(
    change: Callable[[dict[str, Any]], None], field: str, message: str
) -> None:
    bundle = copy.deepcopy(_base())
    change(bundle)
    with pytest.raises(AdvisorError) as caught:
        fhir.read_bundle(bundle, "zoe.fhir.json")
    problems = caught.value.problems
    assert any(p.field == field and message in p.message for p in problems), [str(p) for p in problems]
    assert all(p.file == "zoe.fhir.json" for p in problems)


@pytest.mark.parametrize("data", [[], "Bundle", None, {"resourceType": "Patient"}])
def test_what_is_not_a_bundle_is_refused(data: Any) -> None:
    with pytest.raises(AdvisorError, match="is not a FHIR Bundle"):
        fhir.read_bundle(data, "x.json")


def test_the_base_of_the_malformed_cases_is_read() -> None:
    assert len(fhir.read_bundle(_base())) == 1


# --- the runtime stays light ------------------------------------------------------------------


def test_the_mapping_imports_only_the_standard_library_and_the_core() -> None:
    tree = ast.parse((ROOT / "advisor" / "exchange" / "fhir.py").read_text(encoding="utf-8"))
    imported = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            imported |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            imported.add(node.module)
    outside = {m for m in imported if m.split(".")[0] not in sys.stdlib_module_names and m != "__future__"}
    assert all(m == "advisor.core" or m.startswith("advisor.core.") for m in outside), outside


# --- the command line ---------------------------------------------------------------------------


def test_assess_and_questionnaires_show_print_valid_fhir() -> None:
    runner = CliRunner()
    example = ROOT / "examples" / "urgent-pain-after-crash.yaml"
    result = runner.invoke(app, ["assess", str(example), "--format", "fhir"])
    assert result.exit_code == 0, result.output
    bundle = json.loads(result.stdout)
    _validate(bundle)
    request = next(e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == "ServiceRequest")
    assert request["priority"] == "asap"  # urgent
    (read,) = fhir.read_bundle(bundle)
    assert read.values == answers_mod.load(str(example)).values
    for qid in ("rider", "fitter"):
        shown = runner.invoke(app, ["questionnaires", "show", qid, "--format", "fhir"])
        assert shown.exit_code == 0, shown.output
        assert FhirQuestionnaire.model_validate(json.loads(shown.stdout)).url == fhir.canonical(qid)
    refused = runner.invoke(app, ["questionnaires", "show", "rider", "--format", "json"])
    assert refused.exit_code == 2
    assert "allowed: text, fhir" in refused.output


def test_a_client_goes_out_as_a_bundle_and_comes_back_into_another_store(store_at: str, tmp_path: Path) -> None:
    """export --format fhir, then import into another store (SQLite or PostgreSQL): the same
    answers and the same advice, and importing again adds nothing."""
    runner = CliRunner()
    home = tmp_path / "home.db"
    first = ROOT / "examples" / "routine-low-back-tight-hamstrings.yaml"
    second = tmp_path / "second.yaml"
    second.write_text(
        first.read_text(encoding="utf-8")
        .replace("2026-11-24", "2026-12-20")
        .replace("passive_slr_deg: 62", "passive_slr_deg: 70"),
        encoding="utf-8",
    )
    for answers in (first, second):
        args = [
            "consult",
            "--consent",
            "--client",
            "Zoë Ødegård",
            "--answers",
            str(answers),
            "--accept-all",
            "--db",
            str(home),
        ]
        assert runner.invoke(app, args).exit_code == 0
    out = tmp_path / "zoe.fhir.json"
    exported = runner.invoke(app, ["export", "Zoë Ødegård", "--out", str(out), "--format", "fhir", "--db", str(home)])
    assert exported.exit_code == 0, exported.output
    bundle = json.loads(out.read_text(encoding="utf-8"))
    _validate(bundle)
    assert len(_resources(bundle, "QuestionnaireResponse")) == 2
    refused = runner.invoke(app, ["import", str(out), "--db", store_at])  # a Bundle carries no consent
    assert refused.exit_code == 2 and "--consent" in refused.stderr and "nothing was imported" in refused.stderr
    imported = runner.invoke(app, ["import", str(out), "--db", store_at, "--consent"])
    assert imported.exit_code == 0, imported.output
    assert "Imported 2 consultations for Zoë Ødegård" in imported.output
    again = runner.invoke(app, ["import", str(out), "--db", store_at])
    assert "Imported 0 consultations for Zoë Ødegård (2 already there)" in again.output
    back_home = runner.invoke(app, ["import", str(out), "--db", str(home)])  # the studio it came from
    assert "Imported 0 consultations for Zoë Ødegård (2 already there)" in back_home.output

    def history(db: str) -> list[dict[str, Any]]:
        shown = runner.invoke(app, ["history", "Zoë Ødegård", "--format", "json", "--db", db])
        assert shown.exit_code == 0, shown.output
        visits: list[dict[str, Any]] = json.loads(shown.stdout)
        return visits

    original, copied = history(str(home)), history(store_at)
    assert [v["answers"] for v in copied] == [v["answers"] for v in original]
    assert [v["referral"] for v in copied] == [v["referral"] for v in original]
    refused = runner.invoke(app, ["export", "Zoë Ødegård", "--out", str(out), "--format", "text", "--db", str(home)])
    assert refused.exit_code == 2
    assert "allowed: json, fhir" in refused.output


def test_a_bundle_of_several_clients_or_none_is_refused_whole(tmp_path: Path) -> None:
    runner = CliRunner()
    pairs = []
    for name in ("Ana", "Ben"):
        answers = answers_mod.load(str(ROOT / "examples" / "routine-knee-pain.yaml")).model_copy(
            update={"client": name}
        )
        pairs.append((answers, assess(answers)))
    two = tmp_path / "two.json"
    two.write_text(json.dumps(fhir.bundle(pairs)), encoding="utf-8")
    db = tmp_path / "studio.db"
    result = runner.invoke(app, ["import", str(two), "--db", str(db)])
    assert result.exit_code == 2
    assert "holds several clients (Ana, Ben); import one client's Bundle at a time" in result.output
    assert not db.exists()
    empty = tmp_path / "empty.json"
    empty.write_text(json.dumps(fhir.bundle([])), encoding="utf-8")
    result = runner.invoke(app, ["import", str(empty), "--db", str(db)])
    assert result.exit_code == 2
    assert "holds no consultation" in result.output


def test_an_imported_visit_is_compared_with_the_clients_last_stored_visit(tmp_path: Path) -> None:
    """A clinic sends back only the second visit as FHIR: it is graded against the first one the
    studio holds, as `consult` grades it (worst pain up 2 points: soon), not as a first visit."""
    runner = CliRunner()
    home, clinic = tmp_path / "home.db", tmp_path / "clinic.db"
    first = ROOT / "examples" / "routine-low-back-tight-hamstrings.yaml"
    worse = tmp_path / "worse.yaml"
    worse.write_text(
        first.read_text(encoding="utf-8")
        .replace("2026-11-24", "2026-12-20")
        .replace("back_pain_intensity: 4", "back_pain_intensity: 6"),
        encoding="utf-8",
    )
    assert "back_pain_intensity: 6" in worse.read_text(encoding="utf-8")
    base = ["--client", "Zoë Ødegård", "--accept-all"]
    for db, files in ((home, (first,)), (clinic, (first, worse))):
        for f in files:
            assert (
                runner.invoke(app, ["consult", "--consent", *base, "--answers", str(f), "--db", str(db)]).exit_code == 0
            )
    consulted = json.loads(
        runner.invoke(app, ["history", "Zoë Ødegård", "--format", "json", "--db", str(clinic)]).stdout
    )
    assert consulted[-1]["referral"]["urgency"] == "soon"
    # The clinic's second visit alone, as a Bundle, into the studio that holds the first.
    out = tmp_path / "second.fhir.json"
    bundle_of = ["export", "Zoë Ødegård", "--out", str(out), "--format", "fhir", "--db", str(clinic)]
    assert runner.invoke(app, bundle_of).exit_code == 0
    bundle = json.loads(out.read_text(encoding="utf-8"))
    first_response = next(e for e in bundle["entry"] if e["resource"]["resourceType"] == "QuestionnaireResponse")
    bundle["entry"].remove(first_response)
    out.write_text(json.dumps(bundle), encoding="utf-8")
    imported = runner.invoke(app, ["import", str(out), "--db", str(home)])
    assert imported.exit_code == 0, imported.output
    visits = json.loads(runner.invoke(app, ["history", "Zoë Ødegård", "--format", "json", "--db", str(home)]).stdout)
    assert [v["referral"]["urgency"] for v in visits] == ["routine", "soon"]
