"""The engines agree with the plain reading of every condition, and with each other."""

from __future__ import annotations

import dataclasses
import warnings
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings, strategies as st

from advisor.core.advice.assemble import assemble
from advisor.core.datafiles.yamlio import parse
from advisor.core.engines import engine, experta_engine, rete
from advisor.core.engines._experta import Fact, ReteMatcher, prepare_rule
from advisor.core.engines.experta_engine import ExpertaEngine
from advisor.core.engines.firing import Firing
from advisor.core.errors import AdvisorError
from advisor.core.intake.answers import Answers, load, validate
from advisor.core.rulebase import knowledge, questionnaire as qmod
from advisor.core.rulebase.conditions import AnswerTest, Group, HasFinding, Missing, holds
from advisor.core.rulebase.followup import derive, form_for
from tests.scenario_files import EXAMPLES
from tests.strategies import answer_sets

KB = knowledge.load()
DIRECT = engine.build(KB, "direct")
EXPERTA = engine.build(KB, "experta")


class _ExpertaOwnMatcher(ExpertaEngine):
    """The rules on experta's own ReteMatcher, the reference for rete.AdvisorMatcher."""

    def __init__(self, kb: knowledge.KnowledgeBase) -> None:
        original = experta_engine._AdvisorEngine.__matcher__
        experta_engine._AdvisorEngine.__matcher__ = ReteMatcher
        try:
            super().__init__(kb)
        finally:
            experta_engine._AdvisorEngine.__matcher__ = original


EXPERTA_OWN_MATCHER = _ExpertaOwnMatcher(KB)


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
    monkeypatch.setenv("ADVISOR_ENGINE", "direct")
    assert type(engine.shared()).__name__ == "DirectEngine"
    monkeypatch.setenv("ADVISOR_ENGINE", "")
    assert type(engine.shared()).__name__ == "ExpertaEngine"
    monkeypatch.delenv("ADVISOR_ENGINE")
    assert type(engine.shared()).__name__ == "ExpertaEngine"
    assert type(engine.shared("direct")).__name__ == "DirectEngine"
    monkeypatch.setenv("ADVISOR_ENGINE", "clips")
    with pytest.raises(AdvisorError, match="unknown engine 'clips'; allowed: experta, direct"):
        engine.shared()


@settings(max_examples=100, deadline=None)
@given(answer_sets(), st.one_of(st.none(), answer_sets("fitter")))
def test_the_advisor_matcher_fires_what_experta_s_own_matcher_fires(answers: Answers, previous: Answers | None) -> None:
    """rete.py changes how experta's matcher walks its network, never what matches: the same
    rules fire, as often, on the same facts as with experta's ReteMatcher. (The order of
    rules of one salience is not compared: experta builds its network from a set of rules,
    so two of its own engines already order those differently.)"""
    values = _values(answers, previous)

    def fired(firings: list[Firing]) -> list[str]:
        return sorted(repr((f.rule.id, sorted(f.answers.items()), f.findings)) for f in firings)

    assert fired(EXPERTA.run(values)) == fired(EXPERTA_OWN_MATCHER.run(values))


def test_every_rule_is_prepared_as_experta_prepares_it() -> None:
    """rete.py puts rules in experta's prepared form in one pass: for every rule of the rule
    base, the same rule experta's own prepare_rule makes."""
    for rule in KB.rules.values():
        compiled = experta_engine._compile_rule(rule)
        assert _strict(rete._prepared(compiled)) == _strict(prepare_rule(compiled)), rule.id


def _strict(element: Any) -> Any:
    """A prepared rule as nested (kind, parts): experta's own == would take AND(a, b) for
    OR(a, b), both being tuples."""
    if isinstance(element, Fact):
        return (type(element).__name__, sorted((str(k), repr(v)) for k, v in element.items()))
    if isinstance(element, tuple):
        return (type(element).__name__, [_strict(e) for e in element])
    return repr(element)


_LEAVES = st.one_of(
    st.builds(AnswerTest, st.sampled_from(["a", "b", "c"]), st.just("equals"), st.sampled_from([1, 2]), st.just(1)),
    st.builds(Missing, st.sampled_from(["a", "b", "c"]), st.just(1), st.booleans()),
    st.builds(HasFinding, st.sampled_from(["f", "g"]), st.booleans(), st.just(1)),
)
_CONDITIONS = st.recursive(
    _LEAVES,
    lambda inner: st.one_of(
        st.builds(
            Group, st.sampled_from(["all", "any"]), st.lists(inner, min_size=1, max_size=3).map(tuple), st.just(1)
        ),
        st.builds(Group, st.just("none_of"), st.lists(_LEAVES, min_size=1, max_size=3).map(tuple), st.just(1)),
    ),
    max_leaves=8,
)


@settings(max_examples=300, deadline=None)
@given(st.lists(_CONDITIONS, min_size=1, max_size=4))
def test_generated_conditions_are_prepared_and_matched_as_experta_does(items: list[Any]) -> None:
    """Conditions of every shape the rule files allow (all, any, none_of, nested, negated
    findings and missing answers): the prepared rule is the one experta's prepare_rule makes."""
    template = next(iter(KB.rules.values()))
    rule = template.model_copy(update={"id": "generated", "condition": Group("all", tuple(items), 1)})
    compiled = experta_engine._compile_rule(rule)
    assert _strict(rete._prepared(compiled)) == _strict(prepare_rule(compiled))


@settings(max_examples=150, deadline=None)
@given(
    st.lists(_CONDITIONS, min_size=1, max_size=4),
    st.lists(_CONDITIONS, min_size=1, max_size=4),
    st.fixed_dictionaries({}, optional={"a": st.sampled_from([1, 2]), "b": st.sampled_from([1, 2]), "c": st.just(1)}),
)
def test_generated_rules_fire_as_on_experta_s_own_matcher(
    finding_when: list[Any], advice_when: list[Any], values: dict[str, Any]
) -> None:
    """Rules of generated conditions, one making finding f and one reading it: the network
    rete.py builds fires them as the network experta builds does."""
    finding = next(r for r in KB.rules.values() if r.action == "finding")
    advice = next(r for r in KB.rules.values() if r.action != "finding" and r.stage != finding.stage)
    rules = {
        "made-f": finding.model_copy(
            update={"id": "made-f", "then": {"finding": "f"}, "condition": Group("all", tuple(finding_when), 1)}
        ),
        "uses-f": advice.model_copy(update={"id": "uses-f", "condition": Group("all", tuple(advice_when), 1)}),
    }
    kb = dataclasses.replace(KB, rules=rules)
    ours, reference = ExpertaEngine(kb), _ExpertaOwnMatcher(kb)

    def fired(firings: list[Firing]) -> list[str]:
        return sorted(repr((f.rule.id, sorted(f.answers.items()), f.findings)) for f in firings)

    assert fired(ours.run(values)) == fired(reference.run(values))


def test_the_advisor_matcher_indexes_the_literal_tests() -> None:
    """Each finding id is found through one index, not tested one by one."""
    network = EXPERTA._engine.matcher
    indexes = [node for node in rete._nodes(network.root_node) if isinstance(node, rete._LiteralIndex)]
    assert any(index.field == "id" and len(index.by_value) >= 20 for index in indexes)
