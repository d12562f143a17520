"""The compiled experta rules agree with the plain reading of every condition."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from advisor.core import knowledge
from advisor.core.answers import Answers
from advisor.core.conditions import holds
from advisor.core.engine import shared as engine
from tests.strategies import answer_sets


@settings(max_examples=200, deadline=None)
@given(answer_sets(), st.one_of(st.none(), answer_sets("fitter")))
def test_a_rule_fires_exactly_when_its_condition_holds(answers: Answers, previous: Answers | None) -> None:
    values = dict(answers.values)
    if previous is not None:
        from advisor.core.followup import derive

        values.update(derive(previous.values, values))
    firings = engine().run(values)
    fired = {f.rule.id for f in firings}
    findings = frozenset(f.rule.target for f in firings if f.rule.action == "finding")
    for rule in knowledge.load().rules.values():
        assert (rule.id in fired) == holds(rule.condition, values, findings), rule.id
    for f in firings:  # every answer named behind a firing was given, with its value
        for qid, value in f.answers.items():
            assert values[qid] == value
