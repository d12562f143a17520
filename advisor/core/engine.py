"""Compiling the rules into an experta engine once, and running it per assessment.

Each rule entry becomes one experta rule. The answers are declared as one ``AnswerFact``
whose fields are the answer ids (one fact, not one per answer: experta's alpha network
tests every fact against every distinct test, so one fact is several times faster). A
finding rule declares ``Finding(id)``, on which fit and exercise rules match, so answers
chain into findings and findings into recommendations. Salience follows the stage
(triage, findings, fit, exercises, safety) so every finding exists before any rule asks
whether it is absent. The engine only records which rules fired, with the answers and
findings behind them; assemble.py turns that into an Assessment.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from advisor.core import knowledge, lint, resources
from advisor.core._experta import AND, AS, NOT, OR, Fact, KnowledgeEngine, P, Rule, W
from advisor.core.actions import STAGE_ORDER
from advisor.core.conditions import OPERATORS, AnswerTest, Condition, Group, HasFinding, Missing
from advisor.core.errors import AdvisorError
from advisor.core.knowledge import KnowledgeBase, RuleDef


class AnswerFact(Fact):
    """All the answers of one assessment: one field per answer id."""


class FindingFact(Fact):
    """A finding a rule has made."""


@dataclass(frozen=True)
class Firing:
    """One rule firing: the rule, the answers that satisfied it and the findings it used."""

    rule: RuleDef
    answers: dict[str, Any]
    findings: tuple[str, ...]


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


def answers_behind(cond: Condition, values: Mapping[str, Any]) -> dict[str, Any]:
    """The given answers that a positive test of ``cond`` reads and that pass it."""
    found: dict[str, Any] = {}

    def visit(c: Condition) -> None:
        if isinstance(c, AnswerTest):
            if c.answer in values and c.test(values[c.answer]):
                found[c.answer] = values[c.answer]
        elif isinstance(c, Missing):
            if c.negated and c.answer in values:
                found[c.answer] = values[c.answer]
        elif isinstance(c, Group) and c.kind != "none_of":
            for item in c.items:
                visit(item)

    visit(cond)
    return found


def _compile_rule(rule: RuleDef) -> Any:
    patterns = _patterns(rule.condition, _Binder())

    def action(self: Any, **bound: Any) -> None:
        self.record(rule, bound)

    action.__name__ = rule.id.replace("-", "_")
    salience = 100 - 10 * STAGE_ORDER[rule.stage]
    return Rule(*patterns, salience=salience)(action)


class _AdvisorEngine(KnowledgeEngine):
    firings: list[Firing]
    values: dict[str, Any]

    def record(self, rule: RuleDef, bound: dict[str, Any]) -> None:
        findings = sorted(str(f["id"]) for f in bound.values() if isinstance(f, FindingFact))
        self.firings.append(Firing(rule, answers_behind(rule.condition, self.values), tuple(findings)))
        if rule.action == "finding":
            self.declare(FindingFact(id=rule.target))


class Engine:
    """The compiled rule base; build once per process, run once per assessment."""

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


def shared() -> Engine:
    """The rule base in use, compiled once per process and reused by every assessment."""
    return _compiled(resources.rules_dir())


@cache
def _compiled(root: Path) -> Engine:
    kb = knowledge.load()
    if resources.rules_overridden():
        # The bundled rules are checked in CI; a rules folder of one's own is checked here,
        # so a broken rule stops the advice with file:line instead of advising wrongly.
        problems = lint.check(kb)
        if problems:
            raise AdvisorError(problems)
    return Engine(kb)
