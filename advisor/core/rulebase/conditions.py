"""The closed condition language shared by rules and questionnaires.

A condition is one of:

- an answer test: ``{answer: ID, <op>: ARG}`` with exactly one operator from OPERATORS;
  it holds only when the answer was given and passes the test;
- ``{missing: ID}`` / ``{answered: ID}``: the answer was, or was not, given;
- ``{finding: ID}`` / ``{no_finding: ID}``: a finding was, or was not, made;
- ``{any: [...]}``, ``{all: [...]}`` and ``{none_of: [...]}`` to combine them.

No expressions, no templates: every condition can be listed, linted and explained.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Union

from advisor.core.datafiles.yamlio import LineDict, LineList
from advisor.core.errors import Problem, did_you_mean

Value = Any

# operator -> (description, how the argument must look, test)
_NUMBER = (int, float)


def _is_number(x: Any) -> bool:
    return isinstance(x, _NUMBER) and not isinstance(x, bool) and math.isfinite(x)


def _is_pair(x: Any) -> bool:
    return isinstance(x, list) and len(x) == 2 and all(_is_number(v) for v in x) and x[0] <= x[1]


def _is_scalar_list(x: Any) -> bool:
    return isinstance(x, list) and len(x) > 0 and all(isinstance(v, (str, bool, int)) for v in x)


OPERATORS: dict[str, tuple[str, Callable[[Any], bool], Callable[[Any, Any], bool]]] = {
    "equals": ("is", lambda a: isinstance(a, (str, bool, int)), lambda v, a: v == a),
    "one_of": ("is one of", _is_scalar_list, lambda v, a: v in a),
    "not_one_of": ("is none of", _is_scalar_list, lambda v, a: v not in a),
    "below": ("is below", _is_number, lambda v, a: _is_number(v) and v < a),
    "above": ("is above", _is_number, lambda v, a: _is_number(v) and v > a),
    "at_least": ("is at least", _is_number, lambda v, a: _is_number(v) and v >= a),
    "at_most": ("is at most", _is_number, lambda v, a: _is_number(v) and v <= a),
    "between": ("is between", _is_pair, lambda v, a: _is_number(v) and a[0] <= v <= a[1]),
    "is": ("is", lambda a: isinstance(a, bool), lambda v, a: v is a),
    "includes": (
        "includes",
        lambda a: isinstance(a, str),
        lambda v, a: isinstance(v, (list, tuple)) and a in v,
    ),
    "includes_any": (
        "includes any of",
        _is_scalar_list,
        lambda v, a: isinstance(v, (list, tuple)) and any(x in v for x in a),
    ),
    # "4 or more of" a list of criteria (NICE NG65's count of inflammatory features).
    "includes_at_least": (
        "includes at least",
        lambda a: isinstance(a, int) and not isinstance(a, bool) and a >= 1,
        lambda v, a: isinstance(v, (list, tuple)) and len(set(v)) >= a,
    ),
}
_ARG_HELP = {
    "equals": "a single value",
    "one_of": "a list of values",
    "not_one_of": "a list of values",
    "below": "a number",
    "above": "a number",
    "at_least": "a number",
    "at_most": "a number",
    "between": "a list [low, high] of two numbers",
    "is": "true or false",
    "includes": "a single value",
    "includes_any": "a list of values",
    "includes_at_least": "a whole number of 1 or more",
}


@dataclass(frozen=True)
class AnswerTest:
    answer: str
    op: str
    arg: Any
    line: int

    def test(self, value: Any) -> bool:
        return OPERATORS[self.op][2](value, self.arg)

    def describe(self) -> str:
        arg = self.arg
        if isinstance(arg, list):
            arg = f"{arg[0]}-{arg[1]}" if self.op == "between" else ", ".join(map(str, arg))
        elif isinstance(arg, bool):
            arg = "yes" if arg else "no"
        return f"{self.answer} {OPERATORS[self.op][0]} {arg}"


@dataclass(frozen=True)
class Missing:
    """``missing: ID`` (negated=False) or ``answered: ID`` (negated=True)."""

    answer: str
    line: int
    negated: bool = False

    def describe(self) -> str:
        return f"{self.answer} {'answered' if self.negated else 'not answered'}"


@dataclass(frozen=True)
class HasFinding:
    finding: str
    negated: bool
    line: int

    def describe(self) -> str:
        return f"{'no ' if self.negated else ''}finding {self.finding}"


@dataclass(frozen=True)
class Group:
    kind: str  # "all", "any" or "none_of"
    items: tuple[Condition, ...]
    line: int

    def describe(self) -> str:
        inner = [c.describe() for c in self.items]
        if self.kind == "all":
            return " and ".join(inner)
        if self.kind == "any":
            return "(" + " or ".join(inner) + ")"
        return "none of (" + "; ".join(inner) + ")"


Condition = Union[AnswerTest, Missing, HasFinding, Group]  # noqa: UP007 - a runtime alias on 3.10


class ConditionParser:
    """Turns raw YAML into conditions, collecting problems with file and line."""

    def __init__(self, file: str, problems: list[Problem]) -> None:
        self.file = file
        self.problems = problems

    def _fail(self, line: int, field: str, message: str) -> None:
        self.problems.append(Problem(self.file, message, line, field))

    def parse_list(self, raw: Any, field: str, line: int) -> Group:
        """A rule's ``when``: a list of conditions that must all hold (empty = always)."""
        if raw is None:
            return Group("all", (), line)
        if not isinstance(raw, list):
            self._fail(line, field, "must be a list of conditions")
            return Group("all", (), line)
        items = []
        for i, item in enumerate(raw):
            item_line = raw.line_of(i) if isinstance(raw, LineList) else line
            cond = self.parse(item, f"{field}[{i}]", item_line)
            if cond is not None:
                items.append(cond)
        return Group("all", tuple(items), line)

    def parse(self, raw: Any, field: str, line: int) -> Condition | None:
        if not isinstance(raw, dict):
            self._fail(line, field, f"a condition must be a mapping, got {raw!r}")
            return None
        line = raw.line if isinstance(raw, LineDict) else line
        keys = set(raw)
        for kind in ("any", "all", "none_of"):
            if kind in keys:
                if len(keys) != 1:
                    self._fail(line, field, f"'{kind}' must stand alone in its condition")
                    return None
                group = self.parse_list(raw[kind], f"{field}.{kind}", line)
                if not group.items:
                    self._fail(line, field, f"'{kind}' needs at least one condition")
                    return None
                return Group(kind, group.items, line)
        if keys in ({"missing"}, {"answered"}):
            key = next(iter(keys))
            if not self._is_id(raw[key], line, field):
                return None
            return Missing(str(raw[key]), line, key == "answered")
        if keys in ({"finding"}, {"no_finding"}):
            key = next(iter(keys))
            if not self._is_id(raw[key], line, field):
                return None
            return HasFinding(str(raw[key]), key == "no_finding", line)
        if "answer" in keys:
            ops = keys - {"answer"}
            if len(ops) != 1:
                self._fail(
                    line,
                    field,
                    f"an answer test needs exactly one operator; got {sorted(ops) or 'none'}; "
                    f"allowed: {', '.join(OPERATORS)}",
                )
                return None
            op = ops.pop()
            if op not in OPERATORS:
                self._fail(
                    line,
                    field,
                    f"unknown operator '{op}'{did_you_mean(op, OPERATORS)}; allowed: {', '.join(OPERATORS)}",
                )
                return None
            arg = raw[op]
            if not OPERATORS[op][1](arg):
                self._fail(
                    line,
                    f"{field}.{op}",
                    f"{arg!r} is not valid here; '{op}' takes {_ARG_HELP[op]}",
                )
                return None
            if not self._is_id(raw["answer"], line, field):
                return None
            return AnswerTest(str(raw["answer"]), op, list(arg) if isinstance(arg, list) else arg, line)
        self._fail(
            line,
            field,
            f"unknown condition with keys {sorted(map(str, keys))}; use answer+operator, missing, "
            "answered, finding, no_finding, any, all or none_of",
        )
        return None

    def _is_id(self, value: Any, line: int, field: str) -> bool:
        if isinstance(value, str) and value:
            return True
        self._fail(line, field, f"expected an id, got {value!r}")
        return False


def holds(cond: Condition, answers: Mapping[str, Any], findings: frozenset[str] = frozenset()) -> bool:
    """Evaluate a condition directly (questionnaire display, coverage, lint)."""
    if isinstance(cond, AnswerTest):
        return cond.answer in answers and cond.test(answers[cond.answer])
    if isinstance(cond, Missing):
        return (cond.answer in answers) == cond.negated
    if isinstance(cond, HasFinding):
        return (cond.finding in findings) != cond.negated
    if cond.kind == "all":
        return all(holds(c, answers, findings) for c in cond.items)
    if cond.kind == "any":
        return any(holds(c, answers, findings) for c in cond.items)
    return not any(holds(c, answers, findings) for c in cond.items)


def walk(cond: Condition) -> Iterator[Condition]:
    """Every condition inside this one, itself included."""
    yield cond
    if isinstance(cond, Group):
        for item in cond.items:
            yield from walk(item)


def answers_used(cond: Condition) -> list[str]:
    seen: dict[str, None] = {}
    for c in walk(cond):
        if isinstance(c, (AnswerTest, Missing)):
            seen[c.answer] = None
    return list(seen)
