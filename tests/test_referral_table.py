"""The referral table of knowledge-spec section 4, written out here on its own, held against
the rules over generated answer sets: no answer set gets a lower tier than a row it meets,
and none reaches emergency or urgent without a row (or a follow-up rule) that says so.

The oracle below is the spec's table in Python, kept apart from rules/triage.yaml on purpose:
a rule that drifts from the table fails here even when its own scenario was edited with it.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, strategies as st

from advisor.core.advice.pipeline import assess
from advisor.core.intake import answers as answers_mod
from advisor.core.intake.answers import Answers
from advisor.core.rulebase import knowledge, questionnaire as qmod
from tests.strategies import answer_sets

KB = knowledge.load()
RANK = {t.id: t.rank for t in KB.tiers.values()}
PAIN = ("long_rides", "most_rides", "daily_life")


def _yes(v: dict[str, Any], qid: str) -> bool:
    return v.get(qid) is True


def _back_pain(v: dict[str, Any]) -> bool:
    return v.get("low_back_pain") in PAIN or (v.get("back_pain_intensity") or 0) >= 1 or _yes(v, "thoracic_pain")


def _spinal_pain(v: dict[str, Any]) -> bool:
    return _back_pain(v) or v.get("neck_shoulder_pain") in ("mild", "moderate", "severe")


def _ces_pain(v: dict[str, Any]) -> bool:
    """Back (low or thoracic) or leg pain; in the saddle-area rows a skipped question counts."""
    skipped = any(q not in v for q in ("low_back_pain", "thoracic_pain", "pain_below_knee"))
    return _back_pain(v) or _yes(v, "pain_below_knee") or skipped


def expected(v: dict[str, Any]) -> tuple[str, list[str]]:
    """The tier the table gives (at least), and the rows that give it."""
    rows: dict[str, list[str]] = {"emergency": [], "urgent": [], "soon": []}
    neuro = _yes(v, "pain_below_knee") or _yes(v, "unsteady_walking") or _yes(v, "hand_weakness_or_clumsiness")
    for qid in ("rf_saddle_numbness_off_bike", "rf_bladder_bowel_change", "rf_leg_weakness_or_both_legs"):
        if _yes(v, qid):
            rows["emergency"].append(qid)
    if _yes(v, "rf_chest_pain"):
        rows["emergency"].append("chest pain")
    if _yes(v, "rf_sexual_dysfunction_new") and _ces_pain(v):
        rows["emergency"].append("sexual dysfunction with pain")
    if v.get("perineal_numbness") == "lasts_after_rides" and _ces_pain(v):
        rows["emergency"].append("lasting saddle numbness with pain")
    cancer_pain = _spinal_pain(v) or ("low_back_pain" not in v and "neck_shoulder_pain" not in v)
    if _yes(v, "rf_cancer_history") and neuro and cancer_pain:
        rows["emergency"].append("cancer, nerve sign and spinal pain")
    if _yes(v, "rf_crash_or_fall") and (_yes(v, "crash_head_injury") or v.get("crash_kind") == "serious"):
        rows["emergency"].append("serious crash or head injury")

    alone = (
        "rf_crash_or_fall",
        "rf_fever_or_unwell",
        "rf_weight_loss",
        "rf_night_pain",
        "thoracic_pain",
        "pain_worse_cough_sneeze",
        "back_deformity",
        "unsteady_walking",
        "hand_weakness_or_clumsiness",
        "immunosuppressed_or_injects_drugs",
        "rf_sexual_dysfunction_new",
    )
    rows["urgent"] += [qid for qid in alone if _yes(v, qid)]
    back_or_leg = _back_pain(v) or _yes(v, "pain_below_knee")
    if _yes(v, "rf_cancer_history") and (_spinal_pain(v) or _yes(v, "pain_below_knee")):
        rows["urgent"].append("cancer with spinal pain")
    if _yes(v, "rf_steroids_or_osteoporosis") and back_or_leg:
        rows["urgent"].append("weak bones with back pain")
    if _yes(v, "recent_infection_or_spine_procedure") and back_or_leg:
        rows["urgent"].append("recent infection with back pain")
    if _yes(v, "sudden_pain_minor_strain") and (_yes(v, "rf_steroids_or_osteoporosis") or (v.get("age") or 0) >= 70):
        rows["urgent"].append("possible fragility fracture")
    # For cancer and weak bones, pain questions all skipped are read as pain (section 4).
    pain_skipped = all(q not in v for q in ("low_back_pain", "neck_shoulder_pain", "back_pain_intensity"))
    if (_yes(v, "rf_cancer_history") or _yes(v, "rf_steroids_or_osteoporosis")) and pain_skipped:
        rows["urgent"].append("cancer or weak bones, pain not answered")

    if _yes(v, "pain_below_knee") or _yes(v, "arm_pain_radiating"):
        rows["soon"].append("radiating pain")
    if v.get("low_back_pain") == "daily_life" or (v.get("back_pain_intensity") or 0) >= 7:
        rows["soon"].append("daily-life or severe back pain")
    if "lasts_after_rides" in (v.get("hand_numbness"), v.get("perineal_numbness")):
        rows["soon"].append("lasting numbness")
    if v.get("neck_shoulder_pain") == "severe":
        rows["soon"].append("severe neck pain")
    if (v.get("age") or 99) < 20 and _back_pain(v):
        rows["soon"].append("back pain under 20")
    if (v.get("age") or 0) >= 50 and _back_pain(v) and v.get("back_pain_first_episode") is not False:
        rows["soon"].append("first back pain at 50 or over")
    if (
        (v.get("back_pain_weeks") or 0) >= 6
        and "change_back_pain_intensity" not in v
        and "change_low_back_pain" not in v
    ):
        rows["soon"].append("back pain 6 weeks or more (no earlier visit to show it improving)")
    signs = set(v.get("back_pain_inflammatory") or [])
    onset_before_45 = (v.get("age") or 0) < 45 or "started_before_35" in signs
    if (v.get("back_pain_weeks") or 0) >= 12 and len(signs) >= 4 and onset_before_45:
        rows["soon"].append("inflammatory back pain (NICE NG65)")
    for tier in ("emergency", "urgent", "soon"):
        if rows[tier]:
            return tier, rows[tier]
    return "routine", []


SCREEN = sorted(q.id for q in qmod.load("fitter").questions if q.section == "safety" and q.type == "bool")


@st.composite
def quiet_answer_sets(draw: st.DrawFn) -> Answers:
    """Answer sets with at most two warning signs, so each row is also met on its own."""
    answers = draw(answer_sets())
    chosen = set(draw(st.lists(st.sampled_from(SCREEN), max_size=2)))
    values = {k: (k in chosen if k in SCREEN else v) for k, v in answers.values.items()}
    values.update({k: True for k in chosen})
    return answers.model_copy(update={"values": values})


@given(st.one_of(answer_sets(), quiet_answer_sets()))
def test_no_answer_set_gets_less_than_its_row_of_the_table(answers: Answers) -> None:
    result = assess(answers)
    tier, rows = expected(result.answers)
    assert RANK[result.referral.urgency] >= RANK[tier], (result.referral.urgency, tier, rows)


@given(st.one_of(answer_sets(), quiet_answer_sets()))
def test_emergency_and_urgent_come_only_from_a_row_of_the_table(answers: Answers) -> None:
    """No over-triage to the tiers that stop riding: each such result meets a row of its tier."""
    result = assess(answers)
    tier, _rows = expected(result.answers)
    if result.referral.urgency in ("emergency", "urgent"):
        assert RANK[tier] >= RANK[result.referral.urgency], (result.referral.urgency, tier, result.referral.rules)


@given(answer_sets(), st.sampled_from(["low_back_pain", "thoracic_pain", "pain_below_knee"]))
def test_a_skipped_pain_question_never_lowers_a_possible_cauda_equina(answers: Answers, skipped: str) -> None:
    values = {k: v for k, v in answers.values.items() if k != skipped}
    values["rf_sexual_dysfunction_new"] = True
    result = assess(answers.model_copy(update={"values": values}))
    assert result.referral.urgency == "emergency"


# Every row of the table, met on its own by the fewest answers that meet it (the rest of the
# safety screen answered no, no pain unless the row needs it).
NO_PAIN = {"low_back_pain": "none", "thoracic_pain": False, "pain_below_knee": False, "neck_shoulder_pain": "none"}
ROWS: list[tuple[str, dict[str, Any]]] = [
    ("emergency", {"rf_saddle_numbness_off_bike": True}),
    ("emergency", {"rf_bladder_bowel_change": True}),
    ("emergency", {"rf_leg_weakness_or_both_legs": True}),
    ("emergency", {"rf_chest_pain": True}),
    ("emergency", {"rf_sexual_dysfunction_new": True, "low_back_pain": "long_rides"}),
    ("emergency", {"rf_sexual_dysfunction_new": True, "thoracic_pain": True, "low_back_pain": "none"}),
    ("emergency", {"rf_sexual_dysfunction_new": True, "pain_below_knee": True, "low_back_pain": "none"}),
    ("emergency", {"rf_sexual_dysfunction_new": True, "rf_bladder_bowel_change": True}),
    ("emergency", {"perineal_numbness": "lasts_after_rides", "low_back_pain": "most_rides"}),
    ("emergency", {"perineal_numbness": "lasts_after_rides", "thoracic_pain": True, "low_back_pain": "none"}),
    ("emergency", {"perineal_numbness": "lasts_after_rides", "pain_below_knee": True, "low_back_pain": "none"}),
    ("emergency", {"rf_cancer_history": True, "pain_below_knee": True, "low_back_pain": "long_rides"}),
    ("emergency", {"rf_cancer_history": True, "unsteady_walking": True, "neck_shoulder_pain": "mild"}),
    ("emergency", {"rf_cancer_history": True, "hand_weakness_or_clumsiness": True, "thoracic_pain": True}),
    ("emergency", {"rf_crash_or_fall": True, "crash_head_injury": True}),
    ("emergency", {"rf_crash_or_fall": True, "crash_kind": "serious"}),
    ("urgent", {"rf_crash_or_fall": True, "crash_kind": "minor", "crash_head_injury": False}),
    ("urgent", {"rf_fever_or_unwell": True}),
    ("urgent", {"rf_weight_loss": True}),
    ("urgent", {"rf_night_pain": True}),
    ("urgent", {"thoracic_pain": True, "low_back_pain": "none", "pain_below_knee": False}),
    ("urgent", {"pain_worse_cough_sneeze": True}),
    ("urgent", {"back_deformity": True}),
    ("urgent", {"unsteady_walking": True}),
    ("urgent", {"hand_weakness_or_clumsiness": True}),
    ("urgent", {"immunosuppressed_or_injects_drugs": True}),
    ("urgent", {"rf_cancer_history": True, "low_back_pain": "long_rides"}),
    ("urgent", {"rf_cancer_history": True, "thoracic_pain": True, "low_back_pain": "none"}),
    ("urgent", {"rf_cancer_history": True, "neck_shoulder_pain": "mild"}),
    ("urgent", {"rf_steroids_or_osteoporosis": True, "low_back_pain": "most_rides"}),
    ("urgent", {"recent_infection_or_spine_procedure": True, "low_back_pain": "long_rides"}),
    ("urgent", {"sudden_pain_minor_strain": True, "rf_steroids_or_osteoporosis": True}),
    ("urgent", {"sudden_pain_minor_strain": True, "age": 70}),
    ("urgent", {"rf_sexual_dysfunction_new": True}),
    ("soon", {"pain_below_knee": True, "low_back_pain": "none"}),
    ("soon", {"arm_pain_radiating": True, "neck_shoulder_pain": "mild"}),
    ("soon", {"low_back_pain": "daily_life"}),
    ("soon", {"low_back_pain": "long_rides", "back_pain_weeks": 6, "back_pain_intensity": 3}),
    ("soon", {"low_back_pain": "long_rides", "back_pain_intensity": 7}),
    ("soon", {"hand_numbness": "lasts_after_rides"}),
    ("soon", {"perineal_numbness": "lasts_after_rides"}),
    ("soon", {"neck_shoulder_pain": "severe"}),
    ("soon", {"age": 17, "low_back_pain": "long_rides", "back_pain_intensity": 2}),
    ("soon", {"age": 55, "low_back_pain": "long_rides", "back_pain_intensity": 2}),
    (
        "soon",
        {
            "age": 30,
            "low_back_pain": "long_rides",
            "back_pain_intensity": 3,
            "back_pain_weeks": 12,
            "back_pain_inflammatory": ["buttock_pain", "better_with_movement", "better_with_nsaids", "psoriasis"],
        },
    ),
    ("routine", {"recent_infection_or_spine_procedure": True}),
    ("routine", {"sudden_pain_minor_strain": True, "age": 40}),
    ("routine", {"rf_steroids_or_osteoporosis": False, "low_back_pain": "long_rides", "back_pain_intensity": 2}),
]


@pytest.mark.parametrize("tier,given_answers", ROWS, ids=[f"{t}-{'-'.join(g)}"[:80] for t, g in ROWS])
def test_each_row_of_the_referral_table_on_its_own(tier: str, given_answers: dict[str, Any]) -> None:
    safety = {q.id: False for q in qmod.load("rider").questions if q.section == "safety" and q.type == "bool"}
    values = {**safety, **NO_PAIN, "age": 40, **given_answers}
    if "crash_head_injury" in values and not values.get("rf_crash_or_fall"):
        del values["crash_head_injury"]  # only asked after a crash
    result = assess(answers_mod.validate({"questionnaire": "rider", "answers": values}, "<row>"))
    assert result.referral.urgency == tier, (given_answers, result.referral.rules)
    assert expected(result.answers)[0] == tier  # the oracle above agrees with the row
