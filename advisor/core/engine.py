"""The engine in use: compiled once per process from the rule base, run per assessment.

Two engines read the same rules and return the same Firings: experta (experta_engine.py),
the engine of record, and the rules as plain Python (direct_engine.py), which the tests hold
to experta's result and which runs by default because it is many times faster and grows
linearly with the rule base. ``ADVISOR_ENGINE=experta`` runs experta instead, for anyone
who wants the reference engine itself behind an answer.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import Any, Protocol

from advisor.core import knowledge, resources
from advisor.core.direct_engine import DirectEngine
from advisor.core.errors import AdvisorError, Problem
from advisor.core.firing import Firing
from advisor.core.knowledge import KnowledgeBase

ENGINES = ("direct", "experta")


class Engine(Protocol):
    kb: KnowledgeBase

    def run(self, answers: Mapping[str, Any]) -> list[Firing]: ...


def build(kb: KnowledgeBase, kind: str = "direct") -> Engine:
    """Compile ``kb`` into the engine named ``kind`` (one of ENGINES)."""
    if kind == "experta":
        from advisor.core.experta_engine import ExpertaEngine  # noqa: PLC0415  experta takes ~0.1 s to load

        return ExpertaEngine(kb)
    return DirectEngine(kb)


def chosen() -> str:
    """The engine ``ADVISOR_ENGINE`` names; the direct engine when it names none."""
    kind = os.environ.get("ADVISOR_ENGINE", "").strip() or "direct"
    if kind not in ENGINES:
        raise AdvisorError([Problem("ADVISOR_ENGINE", f"unknown engine {kind!r}; allowed: {', '.join(ENGINES)}")])
    return kind


def shared() -> Engine:
    """The rule base in use, compiled once per process and reused by every assessment."""
    return _compiled(resources.rules_dir(), chosen())


@cache
def _compiled(root: Path, kind: str) -> Engine:
    kb = knowledge.load()
    if resources.rules_overridden():
        # The bundled rules are checked in CI; a rules folder of one's own is checked here,
        # so a broken rule stops the advice with file:line instead of advising wrongly.
        from advisor.core import lint  # noqa: PLC0415  only a rules folder of one's own is linted

        problems = lint.check(kb)
        if problems:
            raise AdvisorError(problems)
    return build(kb, kind)
