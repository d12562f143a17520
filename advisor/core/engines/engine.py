"""The engine in use: compiled once per process from the rule base, run per assessment.

Two engines read the same rules and return the same Firings. experta (experta_engine.py,
with the matcher of rete.py) runs the rules in every command and the studio. The rules
compiled to plain Python (direct_engine.py) are a verified accelerator: the tests hold its
firings to experta's on generated answer sets, and ``advisor batch`` uses it by default,
where thousands of riders make its speed count. ``ADVISOR_ENGINE=experta|direct`` picks the
engine anywhere; ``advisor batch --engine`` picks it for one batch.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import Any, Protocol

from advisor.core.datafiles import resources
from advisor.core.engines.direct_engine import DirectEngine
from advisor.core.engines.experta_engine import ExpertaEngine
from advisor.core.engines.firing import Firing
from advisor.core.errors import AdvisorError, Problem
from advisor.core.rulebase import knowledge
from advisor.core.rulebase.knowledge import KnowledgeBase

ENGINES = ("experta", "direct")
DEFAULT = "experta"


class Engine(Protocol):
    kb: KnowledgeBase

    def run(self, answers: Mapping[str, Any]) -> list[Firing]: ...


def build(kb: KnowledgeBase, kind: str = DEFAULT) -> Engine:
    """Compile ``kb`` into the engine named ``kind`` (one of ENGINES)."""
    if kind == "experta":
        return ExpertaEngine(kb)
    return DirectEngine(kb)


def chosen(default: str = DEFAULT) -> str:
    """The engine ``ADVISOR_ENGINE`` names; ``default`` when it names none."""
    return checked(os.environ.get("ADVISOR_ENGINE", "").strip() or default, "ADVISOR_ENGINE")


def checked(kind: str, where: str) -> str:
    """``kind`` when it names an engine; else the problem, said against ``where``."""
    if kind not in ENGINES:
        raise AdvisorError([Problem(where, f"unknown engine {kind!r}; allowed: {', '.join(ENGINES)}")])
    return kind


def shared(kind: str | None = None) -> Engine:
    """The rule base compiled into engine ``kind`` (by default the one ``chosen()`` names),
    once per process and reused by every assessment."""
    return _compiled(resources.rules_dir(), kind or chosen())


@cache
def _compiled(root: Path, kind: str) -> Engine:
    kb = knowledge.load()
    if resources.rules_overridden():
        # The bundled rules are checked in CI; a rules folder of one's own is checked here,
        # so a broken rule stops the advice with file:line instead of advising wrongly.
        from advisor.core.rulebase import lint  # noqa: PLC0415  only a rules folder of one's own is linted

        problems = lint.check(kb)
        if problems:
            raise AdvisorError(problems)
    return build(kb, kind)
