"""Where the advice is decided: validated answers in, Assessment out.

Every front end (the CLI, reports, consultations, benchmarks) calls ``assess``. The flow is
one way: answers (plus what changed since the last visit) -> the compiled rules
(engine.py) -> which rules fired -> assemble.py applies the referral tier's policy, the
safety holds and the declared order -> an Assessment.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from advisor.core.advice.assemble import assemble
from advisor.core.assessment import Assessment
from advisor.core.engines import engine
from advisor.core.intake.answers import Answers
from advisor.core.rulebase import followup


def assess(
    answers: Answers, previous: Mapping[str, Any] | followup.Previous | None = None, engine_kind: str | None = None
) -> Assessment:
    """Assess the answers; ``previous`` (the last visit: its answers, or a ``Previous`` with
    the exercises its advice gave and its fit record) enables the follow-up rules.
    ``engine_kind`` names the engine (engine.ENGINES); by default the one in use."""
    eng = engine.shared(engine_kind)
    values = dict(answers.values)
    last = previous if isinstance(previous, followup.Previous) else followup.Previous(previous) if previous else None
    if last is not None and (last.answers or last.exercises is not None):
        values.update(followup.derive(last, answers.values))
        answers = answers.model_copy(update={"values": values})
    firings = eng.run(values)
    return assemble(eng.kb, followup.form_for(answers.questionnaire, values), answers, firings, last)
