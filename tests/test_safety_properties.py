"""The safety promises of knowledge-spec section 5, over the whole answer space."""

from __future__ import annotations

import json
import random

from hypothesis import HealthCheck, given, settings, strategies as st

from advisor.core.advice.pipeline import assess
from advisor.core.intake.answers import Answers
from advisor.core.rulebase import knowledge
from advisor.core.rulebase.actions import CONFLICT_RULE, PROFESSIONAL_FIT, STOP_RIDING
from advisor.output import formats, terminal
from advisor.output.screen import Screen
from tests.strategies import answer_sets

# The number of examples comes from the Hypothesis profile (tests/conftest.py): a quick
# one for development, a thorough one (300, each assessed twice) that CI selects.
SETTINGS = settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])
KB = knowledge.load()
ENGINE_RULES = {CONFLICT_RULE}
JUDGE = KB.adjustments[PROFESSIONAL_FIT].in_fitter_consultation


@SETTINGS
@given(answer_sets(), st.one_of(st.none(), answer_sets("fitter")))
def test_safety_promises(answers: Answers, previous: Answers | None) -> None:
    # Half the time with a previous visit, so the follow-up rules are held to the same promises.
    prev = previous.values if previous is not None else None
    result = assess(answers, prev)
    ref = result.referral
    v = result.answers

    # 1. Exactly one referral, naming a physical therapist.
    assert ref.urgency in KB.tiers
    assert "physical therapist" in ref.advice
    assert ref.reasons

    # 2. Emergency or urgent: no exercises, and the fit advice is exactly stop riding.
    assert ref.stop_riding == (ref.urgency in ("emergency", "urgent"))
    if ref.urgency in ("emergency", "urgent"):
        assert result.exercises == []
        assert [a.id for a in result.adjustments] == [STOP_RIDING]
    else:
        assert STOP_RIDING not in [a.id for a in result.adjustments]

    # 3. Soon: only gentle exercises, no progressions, no lifting.
    if ref.urgency == "soon":
        for ex in result.exercises:
            assert KB.exercises[ex.id].level == "gentle", ex.id
            assert ex.id != "braced-deadbug"
            assert ex.progression is not None and "band" not in ex.progression.lower()

    # An exercise never appears beside the harder version that replaces it.
    given_ids = {e.id for e in result.exercises}
    for ex_id in given_ids:
        assert not set(KB.exercises[ex_id].replaces) & given_ids, ex_id

    # 4. Pain below the knee: no strap stretch.
    if v.get("pain_below_knee") is True:
        assert "strap-stretch" not in [e.id for e in result.exercises]

    # 5 and 18. Never two adjustments pulling one setting opposite ways, whether directly or
    # through another setting their step moves (shorter cranks come with the saddle raised);
    # such a pair becomes one judgement that states both readings.
    seen: dict[str, str] = {}
    for a in result.adjustments:
        entry = KB.adjustments[a.id]
        if entry.kind != "bike":
            continue
        for setting, direction in {entry.setting: entry.direction, **entry.also_moves}.items():
            assert seen.get(setting, direction) == direction, a.id
            seen[setting] = direction
    fired = {t.rule for t in result.trace}
    if ref.urgency not in ("emergency", "urgent") and {"fit-lower-saddle", "fit-raise-saddle"} <= fired:
        judgement = JUDGE if answers.questionnaire == "fitter" else PROFESSIONAL_FIT
        pro = next(a for a in result.adjustments if a.id == judgement)
        assert any("point two ways" in b for b in pro.because)

    # 6. Every line names its rule(s) and the answers behind it.
    for item in [*result.findings, *result.adjustments, *result.exercises]:
        assert item.because and item.rules and item.answers, item.id
        for rule in item.rules:
            assert rule in KB.rules or rule in ENGINE_RULES, rule
        for qid in item.answers:
            assert qid in v
    # What is held back names the safety rule, or else the referral tier, that held it.
    for w in result.withheld:
        assert (w.rule in KB.rules) if w.rule is not None else (w.tier == ref.urgency), w

    # 7. Same answers, same result, whatever order they come in.
    shuffled = list(v.items())
    random.Random(len(shuffled)).shuffle(shuffled)
    shuffled = [(k, val) for k, val in shuffled if k in answers.values]
    again = assess(answers.model_copy(update={"values": dict(shuffled)}), prev)
    assert json.dumps(again.to_json_dict(), sort_keys=False) == json.dumps(result.to_json_dict(), sort_keys=False)

    # 8. Missing answers never break anything; what could not be judged is listed.
    for area in KB.areas.values():
        from advisor.core.rulebase.conditions import holds

        if not holds(area.condition, v):
            assert any(n.startswith(area.name + ":") for n in result.not_assessed)

    adjusted = [a.id for a in result.adjustments]
    # 9. A static knee angle inside 25-35° means no saddle-height change from knee pain.
    angle, method = v.get("knee_angle_bdc_deg"), v.get("knee_angle_method")
    if method == "static" and angle is not None and 25 <= angle <= 35:
        assert "raise-saddle" not in adjusted and "lower-saddle" not in adjusted
        assert not {"fnd-saddle-low-front-knee", "fnd-saddle-high-back-knee", "fnd-saddle-high-hip-rocking"} & fired

    # 10. A finding needs its own evidence: no tight hamstrings from a straight-leg raise with
    # pain below the knee; no hamstring stretch without tight hamstrings (not for the pelvis).
    if v.get("pain_below_knee") is True:
        assert "fnd-hamstrings-pslr" not in fired
    if "strap-stretch" in [e.id for e in result.exercises]:
        assert "tight-hamstrings" in [f.id for f in result.findings]

    # 11. Never advise a change the bike already shows.
    drop = v.get("bar_drop_cm")
    if drop is not None and drop <= 0:
        assert "raise-handlebar" not in adjusted
    if angle is not None and ((method == "static" and angle >= 25) or (method == "dynamic" and angle >= 30)):
        assert "lower-saddle" not in adjusted

    # 12. Rider-facing text names things in words, never by an answer or rule id.
    screen = Screen(100)
    terminal.render(formats.report_for(result), screen)
    text = screen.render()
    for qid in v:
        if "_" in qid:  # one-word ids ("age", "pregnant") are plain words too
            assert qid not in text, qid
    for t in result.trace:
        assert t.rule not in text, t.rule

    # 13. Emergency or urgent: the reason and the action first, and almost nothing else.
    if ref.stop_riding:
        for absent in ("What your answers show", "Not assessed", "Exercise plan", "Held back"):
            assert absent not in text
        # Notes under the headline (a parent for a minor) and the pain to mention take a few lines more.
        extra = 3 * len(ref.notes) + (3 if ref.reported else 0)
        # Each sign adds its reason and its words for the doctor under its group's action.
        assert len(text.splitlines()) <= 12 + 10 * len(ref.action_groups()) + 4 * len(ref.actions) + extra
        assert all(a.what_to_do and a.tell_doctor for a in ref.actions)

    # The referral comes first, in the terminal and in JSON.
    fit_heading = "do not ride, exercise or change your bike" if ref.stop_riding else "Bike-fit adjustments"
    assert text.index(ref.headline) < text.index(fit_heading)
    keys = list(result.to_json_dict())
    assert keys.index("referral") < keys.index("findings") < keys.index("adjustments")
