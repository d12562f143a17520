"""What an engine reports: which rules fired, with the answers and findings behind each.

Both engines (experta_engine.py, the engine of record, and direct_engine.py) return
Firings, so assemble.py never knows which one ran.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from advisor.core.rulebase.conditions import AnswerTest, Condition, Group, Missing
from advisor.core.rulebase.knowledge import RuleDef


@dataclass(frozen=True)
class Firing:
    """One rule firing: the rule, the answers that satisfied it and the findings it used."""

    rule: RuleDef
    answers: dict[str, Any]
    findings: tuple[str, ...]


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
