"""The one call every front end uses: validated answers in, Assessment out."""

from __future__ import annotations

from functools import cache

from advisor import knowledge
from advisor import questionnaire as qmod
from advisor.answers import Answers
from advisor.assemble import assemble
from advisor.assessment import Assessment
from advisor.engine import Engine


@cache
def engine() -> Engine:
    """The compiled rule base, built once per process and reused."""
    return Engine(knowledge.load())


def assess(answers: Answers) -> Assessment:
    eng = engine()
    firings = eng.run(answers.values)
    return assemble(eng.kb, qmod.load(answers.questionnaire), answers, firings)
