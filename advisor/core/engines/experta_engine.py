"""The engine of record: the rules compiled into an experta engine, run per assessment.

Each rule entry becomes one experta rule. The answers are declared as one ``AnswerFact``
whose fields are the answer ids (one fact, not one per answer: experta's alpha network
tests every fact against every distinct test, so one fact is several times faster). A
finding rule declares ``Finding(id)``, on which fit and exercise rules match, so answers
chain into findings and findings into recommendations. Salience follows the stage
(triage, findings, fit, exercises, safety) so every finding exists before any rule asks
whether it is absent. The engine only records which rules fired, with the answers and
findings behind them; assemble.py turns that into an Assessment.

experta is the reference: direct_engine.py evaluates the same rules as plain Python and the
tests hold it to experta's result on generated answer sets.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping
from typing import Any

from advisor.core.engines._experta import AND, AS, NOT, OR, Fact, KnowledgeEngine, P, Rule, W
from advisor.core.engines.firing import Firing, answers_behind
from advisor.core.engines.rete import AdvisorMatcher
from advisor.core.rulebase.actions import STAGE_ORDER
from advisor.core.rulebase.conditions import OPERATORS, AnswerTest, Condition, Group, HasFinding, Missing
from advisor.core.rulebase.knowledge import KnowledgeBase, RuleDef


class AnswerFact(Fact):
    """All the answers of one assessment: one field per answer id."""


class FindingFact(Fact):
    """A finding a rule has made."""


class _Binder:
    """Names each positive finding pattern so the rule's action receives the matched facts."""

    def __init__(self, active: bool = True) -> None:
        self.count = 0
        self.active = active

    def bind(self, pattern: Any) -> Any:
        if not self.active:  # patterns under NOT match nothing to report
            return pattern
        name = f"b{self.count}"
        self.count += 1
        return getattr(AS, name) << pattern


# Equal tests share one predicate object, so experta can share alpha-network nodes.
_PREDICATES: dict[tuple[str, str], Any] = {}


def _predicate(test: AnswerTest) -> Any:
    key = (test.op, repr(test.arg))
    pred = _PREDICATES.get(key)
    if pred is None:
        check = OPERATORS[test.op][2]
        arg = tuple(test.arg) if isinstance(test.arg, list) else test.arg

        def pred_fn(value: Any, _check: Callable[[Any, Any], bool] = check, _arg: Any = arg) -> bool:
            if isinstance(value, tuple):  # lists travel as tuples inside facts
                value = list(value)
            return _check(value, _arg)

        pred = _PREDICATES[key] = P(pred_fn)
    return pred


def _field(cond: AnswerTest | Missing) -> dict[str, Any]:
    """The field test that makes ``cond`` hold (for Missing: the answer being present)."""
    if isinstance(cond, AnswerTest):
        return {cond.answer: _predicate(cond)}
    return {cond.answer: W()}


def _patterns(cond: Condition, binder: _Binder) -> list[Any]:
    """The experta conditional elements for one condition (joined by AND)."""
    if isinstance(cond, AnswerTest) or (isinstance(cond, Missing) and cond.negated):
        return [AnswerFact(**_field(cond))]
    if isinstance(cond, Missing):
        return [NOT(AnswerFact(**_field(cond)))]
    if isinstance(cond, HasFinding):
        if cond.negated:
            return [NOT(FindingFact(id=cond.finding))]
        return [binder.bind(FindingFact(id=cond.finding))]
    assert isinstance(cond, Group)
    if cond.kind == "all":
        # Tests on the answers all go into one pattern on the one AnswerFact.
        fields: dict[str, Any] = {}
        rest: list[Any] = []
        for item in cond.items:
            if isinstance(item, AnswerTest) or (isinstance(item, Missing) and item.negated):
                if item.answer in fields:  # two tests of one answer: keep them as two patterns
                    rest.append(AnswerFact(**_field(item)))
                else:
                    fields.update(_field(item))
            else:
                rest.extend(_patterns(item, binder))
        return ([AnswerFact(**fields)] if fields else []) + rest
    if cond.kind == "none_of":
        out = []
        for item in cond.items:
            inner = _patterns(item, _Binder(active=False))
            if len(inner) != 1:
                raise ValueError("none_of takes simple conditions only")
            out.append(NOT(inner[0]))
        return out
    branches = []
    for item in cond.items:
        inner = _patterns(item, binder)
        branches.append(inner[0] if len(inner) == 1 else AND(*inner))
    return [OR(*branches)]


_ACTION_SIGNATURE = inspect.Signature(
    [
        inspect.Parameter("self", inspect.Parameter.POSITIONAL_OR_KEYWORD),
        inspect.Parameter("bound", inspect.Parameter.VAR_KEYWORD),
    ]
)


def _compile_rule(rule: RuleDef) -> Any:
    patterns = _patterns(rule.condition, _Binder())
    if patterns and all(isinstance(p, NOT) for p in patterns):
        # A rule of negations alone is matched against experta's InitialFact, and two such
        # rules on different answers were seen to share one outcome (a note on a missing bar
        # drop firing with the bar drop given): anchor it on the one answers fact instead.
        patterns = [AnswerFact(), *patterns]

    def action(self: Any, **bound: Any) -> None:
        self.record(rule, bound)

    action.__name__ = rule.id.replace("-", "_")
    # experta reads the action's signature each time it rewrites the rule (several times
    # while building the network); a signature given once spares it inspecting the function.
    action.__signature__ = _ACTION_SIGNATURE  # type: ignore[attr-defined]
    salience = 100 - 10 * STAGE_ORDER[rule.stage]
    return Rule(*patterns, salience=salience)(action)


class _AdvisorEngine(KnowledgeEngine):
    __matcher__ = AdvisorMatcher
    firings: list[Firing]
    values: dict[str, Any]

    def record(self, rule: RuleDef, bound: dict[str, Any]) -> None:
        findings = sorted(str(f["id"]) for f in bound.values() if isinstance(f, FindingFact))
        self.firings.append(Firing(rule, answers_behind(rule.condition, self.values), tuple(findings)))
        if rule.action == "finding":
            self.declare(FindingFact(id=rule.target))


class ExpertaEngine:
    """The rule base compiled into experta; build once per process, run once per assessment."""

    def __init__(self, kb: KnowledgeBase) -> None:
        methods = {f"rule_{i}": _compile_rule(rule) for i, rule in enumerate(kb.rules.values())}
        cls = type("CompiledRules", (_AdvisorEngine,), methods)
        self._engine = cls()
        self.kb = kb

    def run(self, answers: Mapping[str, Any]) -> list[Firing]:
        """Fire every rule the answers satisfy; firings come back in no promised order."""
        engine = self._engine
        engine.reset()
        engine.firings = []
        engine.values = dict(answers)
        engine.declare(AnswerFact(**{qid: tuple(v) if isinstance(v, list) else v for qid, v in answers.items()}))
        engine.run()
        return list(engine.firings)
