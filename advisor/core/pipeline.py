"""The one call every front end uses: validated answers in, Assessment out."""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from typing import Any

from advisor.core import followup, knowledge
from advisor.core.answers import Answers
from advisor.core.assemble import assemble
from advisor.core.assessment import Assessment
from advisor.core.engine import Engine


@cache
def engine() -> Engine:
    """The compiled rule base, built once per process and reused."""
    return Engine(knowledge.load())


def assess(answers: Answers, previous: Mapping[str, Any] | None = None) -> Assessment:
    """Assess the answers; ``previous`` (the last visit's answers) enables the follow-up rules."""
    eng = engine()
    values = dict(answers.values)
    if previous:
        values.update(followup.derive(previous, answers.values))
        answers = answers.model_copy(update={"values": values})
    firings = eng.run(values)
    return assemble(eng.kb, followup.form_for(answers.questionnaire, values), answers, firings)
