"""Clinical behaviour, one persona per file; and every rule must be exercised by one."""

from __future__ import annotations

import pytest

from advisor.core.advice.pipeline import assess
from advisor.core.rulebase import knowledge
from tests.scenario_files import SCENARIOS, all_scenarios, load

SCENARIO_PATHS = sorted(SCENARIOS.glob("*.yaml"))


@pytest.mark.parametrize("path", SCENARIO_PATHS, ids=[p.stem for p in SCENARIO_PATHS])
def test_scenario(path):
    scenario = load(path)
    result = assess(scenario.answers, scenario.previous)
    expect = scenario.expect
    got = {
        "urgency": result.referral.urgency,
        "findings": [f.id for f in result.findings],
        "adjustments": [a.id for a in result.adjustments],
        "exercises": [e.id for e in result.exercises],
        "withheld": [w.id for w in result.withheld],
    }
    for key, value in got.items():
        if key in expect:
            assert value == expect[key], f"{scenario.name}: {key}"
    fired = {t.rule for t in result.trace}
    for rule in expect.get("rules_fired", []):
        assert rule in fired, f"{scenario.name}: {rule} did not fire"
    for rule in expect.get("rules_not_fired", []):
        assert rule not in fired, f"{scenario.name}: {rule} fired"
    adjusted = [a.id for a in result.adjustments]
    for aid in expect.get("adjustments_include", []):
        assert aid in adjusted, f"{scenario.name}: {aid} not advised (got {adjusted})"
    # What the referral says to do: each reason's action and words for the doctor (with the
    # pain the rider reported), and the notes under the headline.
    said = [f"{todo} {tell}" for _, todo, tell in result.referral.action_groups()] + result.referral.notes
    exercised = [e.id for e in result.exercises]
    for eid in expect.get("exercises_include", []):
        assert eid in exercised, f"{scenario.name}: {eid} not advised (got {exercised})"
    for eid in expect.get("exercises_exclude", []):
        assert eid not in exercised, f"{scenario.name}: {eid} advised"
    actions = " ".join(said).lower()
    for words in expect.get("actions_include", []):
        assert words.lower() in actions, f"{scenario.name}: the referral's actions do not say {words!r}"
    for words in expect.get("actions_exclude", []):
        assert words.lower() not in actions, f"{scenario.name}: the referral's actions say {words!r}"
    if "phases" in expect:
        assert {a.id: a.phase for a in result.adjustments} == expect["phases"], f"{scenario.name}: phases"
    for item, words in (expect.get("notes_say") or {}).items():
        notes = {x.id: " ".join(x.notes) for x in [*result.adjustments, *result.exercises]}
        for w in words:
            assert w in notes.get(item, ""), f"{scenario.name}: the notes on {item} do not say {w!r}"
    # Words the advice must never say (a finding without its own evidence, for one): in any
    # finding, reason, note or referral text the rider reads.
    read = [result.referral.headline, result.referral.advice, *result.referral.reasons, *result.referral.notes]
    read += [f"{f.name} {f.summary} {' '.join(f.because)}" for f in result.findings]
    read += [" ".join([*x.because, *x.notes]) for x in [*result.adjustments, *result.exercises]]
    for words in expect.get("never_says", []):
        assert not [r for r in read if words.lower() in r.lower()], f"{scenario.name}: the advice says {words!r}"
    for item, count in (expect.get("notes_on") or {}).items():
        notes = {x.id: x.notes for x in [*result.adjustments, *result.exercises]}
        assert len(notes.get(item, [])) == count, f"{scenario.name}: notes on {item}"


def test_scenario_sources_exist():
    """A scenario that checks a clinical fault names the sources of the behaviour it checks."""
    kb = knowledge.load()
    for scenario in all_scenarios():
        for sid in scenario.source or []:
            assert sid in kb.sources, f"{scenario.path.name}: unknown source {sid}"


def test_scenario_names_are_sentences():
    for scenario in all_scenarios():
        assert len(scenario.name.split()) >= 5, scenario.path.name
        assert scenario.name[0].islower() or scenario.name[0].isupper()


def test_every_rule_is_fired_by_some_scenario():
    fired = set()
    for scenario in all_scenarios():
        fired |= {t.rule for t in assess(scenario.answers, scenario.previous).trace}
    never = sorted(set(knowledge.load().rules) - fired)
    assert not never, f"rules no scenario fires: {never}"


def test_scenarios_cover_every_tier_exercise_and_symptom():
    tiers, exercises, answered = set(), set(), set()
    for scenario in all_scenarios():
        result = assess(scenario.answers, scenario.previous)
        tiers.add(result.referral.urgency)
        exercises |= {e.id for e in result.exercises}
        answered |= {k for k, v in scenario.answers.values.items() if v not in (False, "none", [], 0)}
    kb = knowledge.load()
    assert tiers == set(kb.tiers)
    assert exercises == set(kb.exercises)
    symptoms = {
        "low_back_pain",
        "neck_shoulder_pain",
        "hand_numbness",
        "perineal_numbness",
        "knee_pain",
        "pain_below_knee",
        "upper_body_fatigue",
    }
    assert symptoms <= answered
