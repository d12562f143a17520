"""The engines agree with the plain reading of every condition, and with each other."""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from advisor.core import engine, knowledge
from advisor.core import questionnaire as qmod
from advisor.core.answers import Answers, load, validate
from advisor.core.assemble import assemble
from advisor.core.conditions import holds
from advisor.core.errors import AdvisorError
from advisor.core.firing import Firing
from advisor.core.followup import derive, form_for
from advisor.core.yamlio import parse
from tests.scenario_files import EXAMPLES
from tests.strategies import answer_sets

KB = knowledge.load()
DIRECT = engine.build(KB, "direct")
EXPERTA = engine.build(KB, "experta")


def _values(answers: Answers, previous: Answers | None) -> dict[str, Any]:
    values = dict(answers.values)
    if previous is not None:
        values.update(derive(previous.values, values))
    return values


def _merged(firings: list[Firing]) -> dict[str, tuple[dict[str, Any], set[str]]]:
    """Per rule, what its firings matched (experta fires an ``any`` once per branch)."""
    out: dict[str, tuple[dict[str, Any], set[str]]] = {}
    for f in firings:
        answers, findings = out.setdefault(f.rule.id, ({}, set()))
        answers.update(f.answers)
        findings.update(f.findings)
    return out


@settings(max_examples=200, deadline=None)
@given(answer_sets(), st.one_of(st.none(), answer_sets("fitter")))
def test_a_rule_fires_exactly_when_its_condition_holds(answers: Answers, previous: Answers | None) -> None:
    values = _values(answers, previous)
    firings = DIRECT.run(values)
    fired = {f.rule.id for f in firings}
    findings = frozenset(f.rule.target for f in firings if f.rule.action == "finding")
    for rule in KB.rules.values():
        assert (rule.id in fired) == holds(rule.condition, values, findings), rule.id
    for f in firings:  # every answer named behind a firing was given, with its value
        for qid, value in f.answers.items():
            assert values[qid] == value


@settings(max_examples=150, deadline=None)
@given(answer_sets(), st.one_of(st.none(), answer_sets("fitter")))
def test_the_direct_engine_gives_experta_s_result(answers: Answers, previous: Answers | None) -> None:
    """experta is the engine of record: the fast engine must match it rule for rule."""
    values = _values(answers, previous)
    direct, reference = DIRECT.run(values), EXPERTA.run(values)
    assert _merged(direct) == _merged(reference)
    form = form_for(answers.questionnaire, values)
    assert assemble(KB, form, answers, direct) == assemble(KB, form, answers, reference)


@settings(max_examples=100, deadline=None)
@given(answer_sets(), st.one_of(st.none(), answer_sets("fitter")))
def test_the_result_is_what_validation_would_make(answers: Answers, previous: Answers | None) -> None:
    """assemble makes its models without validating them: validating what it made changes
    nothing (no field of a wrong type, nothing left out), and the JSON dump warns of nothing."""
    values = _values(answers, previous)
    form = form_for(answers.questionnaire, values)
    made = assemble(KB, form, answers, DIRECT.run(values))
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # pydantic warns when a value does not fit its field's type
        dumped = made.model_dump()
        made.to_json_dict()
    assert type(made).model_validate(dumped) == made


ODD_BUT_VALID = """
questionnaire: rider
client: 1234
date: '2026-11-24'
answers: {%s, age: 52, low_back_pain: most_rides}
fit:
  before: {saddle_height_mm: 721, saddle_tilt_deg: -1.5, bar_drop_mm: 80, cleat_left: neutral}
  after: {saddle_height_mm: 715.5, saddle_tilt_deg: 0}
"""


def test_an_answer_file_with_a_fit_record_and_a_number_for_a_name_is_what_validation_would_make() -> None:
    safe = ", ".join(f"{q.id}: false" for q in qmod.load("rider").questions if q.id.startswith("rf_"))
    loaded = validate(parse(ODD_BUT_VALID % safe, "odd.yaml"), "odd.yaml")
    assert loaded.client == "1234" and loaded.fit.before["saddle_height_mm"] == 721.0
    assert Answers.model_validate(loaded.model_dump()) == loaded
    assert type(loaded.fit).model_validate(loaded.fit.model_dump()) == loaded.fit


@pytest.mark.parametrize("example", sorted(EXAMPLES.glob("*.yaml")), ids=lambda p: p.stem)
def test_a_loaded_answer_file_is_what_validation_would_make(example: Path) -> None:
    """answers.load makes Answers (and the fit record) without validating them again."""
    loaded = load(str(example))
    assert Answers.model_validate(loaded.model_dump()) == loaded
    assert type(loaded.fit).model_validate(loaded.fit.model_dump()) == loaded.fit


def test_advisor_engine_chooses_the_engine(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ADVISOR_ENGINE", "experta")
    assert type(engine.shared()).__name__ == "ExpertaEngine"
    monkeypatch.setenv("ADVISOR_ENGINE", "")
    assert type(engine.shared()).__name__ == "DirectEngine"
    monkeypatch.setenv("ADVISOR_ENGINE", "clips")
    with pytest.raises(AdvisorError, match="unknown engine 'clips'; allowed: direct, experta"):
        engine.shared()
