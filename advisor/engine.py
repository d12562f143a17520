"""Compiling the rules into an experta engine once, and running it per assessment.

Each rule entry becomes one experta rule. Answers are declared as ``Answer(id, value)``
facts; a finding rule declares ``Finding(id)``, on which fit and exercise rules match, so
answers chain into findings and findings into recommendations. Salience follows the
stage (triage, findings, fit, exercises, safety) so every finding exists before any rule
asks whether it is absent. The engine only records which rules fired with which facts;
assemble.py turns that into an Assessment.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from advisor._experta import AND, AS, NOT, OR, Fact, KnowledgeEngine, P, Rule
from advisor.conditions import OPERATORS, AnswerTest, Condition, Group, HasFinding, Missing
from advisor.knowledge import STAGE_ORDER, KnowledgeBase, RuleDef


class Answer(Fact):
    """One answer: id and value."""


class FindingFact(Fact):
    """A finding a rule has made."""


@dataclass(frozen=True)
class Firing:
    """One rule firing: the rule and the facts that matched it."""

    rule: RuleDef
    answers: dict[str, Any]
    findings: tuple[str, ...]


class _Binder:
    """Names each positive pattern so the rule's action receives the matched facts."""

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
            if isinstance(value, tuple):  # experta freezes lists into tuples
                value = list(value)
            return _check(value, _arg)

        pred = _PREDICATES[key] = P(pred_fn)
    return pred


def _patterns(cond: Condition, binder: _Binder) -> list[Any]:
    """The experta conditional elements for one condition (joined by AND)."""
    if isinstance(cond, AnswerTest):
        return [binder.bind(Answer(id=cond.answer, value=_predicate(cond)))]
    if isinstance(cond, Missing):
        if cond.negated:
            return [binder.bind(Answer(id=cond.answer))]
        return [NOT(Answer(id=cond.answer))]
    if isinstance(cond, HasFinding):
        if cond.negated:
            return [NOT(FindingFact(id=cond.finding))]
        return [binder.bind(FindingFact(id=cond.finding))]
    assert isinstance(cond, Group)
    if cond.kind == "all":
        return [p for item in cond.items for p in _patterns(item, binder)]
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


def _compile_rule(rule: RuleDef) -> Any:
    patterns = _patterns(rule.condition, _Binder())

    def action(self: Any, **bound: Any) -> None:
        self.record(rule, bound)

    action.__name__ = rule.id.replace("-", "_")
    salience = 100 - 10 * STAGE_ORDER[rule.stage]
    return Rule(*patterns, salience=salience)(action)


class _AdvisorEngine(KnowledgeEngine):
    firings: list[Firing]

    def record(self, rule: RuleDef, bound: dict[str, Any]) -> None:
        answers: dict[str, Any] = {}
        findings: list[str] = []
        for fact in sorted(bound.values(), key=lambda f: (type(f).__name__, str(f.get("id")))):
            if isinstance(fact, Answer):
                value = fact["value"]
                answers[fact["id"]] = list(value) if isinstance(value, tuple) else value
            elif isinstance(fact, FindingFact):
                findings.append(fact["id"])
        self.firings.append(Firing(rule, answers, tuple(findings)))
        if rule.action == "finding":
            self.declare(FindingFact(id=rule.target))


class Engine:
    """The compiled rule base; build once per process, run once per assessment."""

    def __init__(self, kb: KnowledgeBase) -> None:
        methods = {f"rule_{i}": _compile_rule(rule) for i, rule in enumerate(kb.rules.values())}
        cls = type("CompiledRules", (_AdvisorEngine,), methods)
        self._engine = cls()
        self.kb = kb

    def run(self, answers: dict[str, Any]) -> list[Firing]:
        """Fire every rule the answers satisfy; firings come back in no promised order."""
        engine = self._engine
        engine.reset()
        engine.firings = []
        facts = [Answer(id=qid, value=tuple(v) if isinstance(v, list) else v) for qid, v in answers.items()]
        if facts:
            engine.declare(*facts)
        engine.run()
        return list(engine.firings)
