"""The rules evaluated as plain Python: the same result as experta, in a fraction of the time.

Each rule's condition is compiled once into a closure. A run evaluates the finding rules
first, in an order where every finding a rule reads is made before it (repeating only if
the rules refer to each other in a cycle), then every other rule once with all findings
known. That is the result experta reaches through its salience, because lint forbids a
triage or finding rule to ask that a finding is absent (``no_finding``, or ``finding``
inside ``none_of``): the answer would depend on the order the rules ran in. The cost is one
test per rule, so assessment time grows linearly with the rule base, where a Rete network
re-matches every new finding against every pattern. experta stays the engine of record:
tests/test_engine.py holds this engine to experta's firings on generated answer sets, and
``ADVISOR_ENGINE=experta`` runs it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from advisor.core.engines.firing import Firing, answers_behind
from advisor.core.rulebase.conditions import OPERATORS, AnswerTest, Condition, Group, HasFinding, Missing, holds
from advisor.core.rulebase.knowledge import KnowledgeBase, RuleDef

Test = Callable[[Mapping[str, Any], "set[str]"], bool]


def _compile(cond: Condition) -> Test:
    """A closure that holds exactly when ``conditions.holds`` does."""
    if isinstance(cond, AnswerTest):
        answer, arg, check = cond.answer, cond.arg, OPERATORS[cond.op][2]
        return lambda values, _f: answer in values and check(values[answer], arg)
    if isinstance(cond, Missing):
        answer, negated = cond.answer, cond.negated
        return lambda values, _f: (answer in values) == negated
    if isinstance(cond, HasFinding):
        finding, negated = cond.finding, cond.negated
        return lambda _v, findings: (finding in findings) != negated
    assert isinstance(cond, Group)
    items = [_compile(c) for c in cond.items]
    if cond.kind == "all":
        return lambda values, findings: all(t(values, findings) for t in items)
    if cond.kind == "any":
        return lambda values, findings: any(t(values, findings) for t in items)
    return lambda values, findings: not any(t(values, findings) for t in items)


def _findings_used(cond: Condition, values: Mapping[str, Any], findings: frozenset[str]) -> set[str]:
    """The findings a holding condition matched on, as experta binds them.

    experta splits an ``any`` into one activation per branch and binds the findings of that
    branch, so the findings of every branch that holds count; ``none_of`` binds nothing.
    """
    if isinstance(cond, HasFinding):
        return set() if cond.negated else {cond.finding}
    if not isinstance(cond, Group) or cond.kind == "none_of":
        return set()
    used: set[str] = set()
    for item in cond.items:
        if cond.kind == "all" or holds(item, values, findings):
            used |= _findings_used(item, values, findings)
    return used


def _reads_findings(cond: Condition) -> bool:
    if isinstance(cond, HasFinding):
        return True
    return isinstance(cond, Group) and any(_reads_findings(c) for c in cond.items)


def _needs(cond: Condition) -> set[str]:
    if isinstance(cond, HasFinding):
        return {cond.finding}
    if isinstance(cond, Group):
        return set().union(*(_needs(c) for c in cond.items))
    return set()


def _finding_order(rules: list[RuleDef]) -> list[RuleDef]:
    """Finding rules with each finding's makers before its readers, as far as the rules allow."""
    makers: dict[str, list[RuleDef]] = {}
    for rule in rules:
        makers.setdefault(rule.target, []).append(rule)
    ordered: list[RuleDef] = []
    placed: set[str] = set()
    visiting: set[str] = set()

    def place(rule: RuleDef) -> None:
        if rule.id in placed or rule.id in visiting:  # a cycle is settled by repeating the pass
            return
        visiting.add(rule.id)
        for finding in sorted(_needs(rule.condition)):
            for maker in makers.get(finding, []):
                place(maker)
        visiting.discard(rule.id)
        placed.add(rule.id)
        ordered.append(rule)

    for rule in rules:
        place(rule)
    return ordered


class DirectEngine:
    """The rule base compiled into Python closures; build once per process, run per assessment."""

    def __init__(self, kb: KnowledgeBase) -> None:
        self.kb = kb
        rules = list(kb.rules.values())
        makers = _finding_order([r for r in rules if r.action == "finding"])
        self._makers = [(rule, _compile(rule.condition)) for rule in makers]
        self._cyclic = any(_reads_findings(r.condition) for r in makers)
        self._others = [(rule, _compile(rule.condition)) for rule in rules if rule.action != "finding"]

    def run(self, answers: Mapping[str, Any]) -> list[Firing]:
        """Fire every rule the answers satisfy; firings come back in no promised order."""
        values = dict(answers)
        findings: set[str] = set()
        fired: list[RuleDef] = []
        pending = self._makers
        while pending:
            left = []
            for rule, test in pending:
                if test(values, findings):
                    fired.append(rule)
                    findings.add(rule.target)
                else:
                    left.append((rule, test))
            # Without findings read by finding rules one pass settles everything; otherwise
            # repeat until a pass makes nothing new.
            pending = left if self._cyclic and len(left) < len(pending) else []
        fired.extend(rule for rule, test in self._others if test(values, findings))
        made = frozenset(findings)
        return [
            Firing(
                rule,
                answers_behind(rule.condition, values),
                tuple(sorted(_findings_used(rule.condition, values, made))),
            )
            for rule in fired
        ]
