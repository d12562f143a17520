"""Hypothesis strategies that build answer sets from the questionnaire definitions."""

from __future__ import annotations

import datetime as dt
from typing import Any

from hypothesis import strategies as st

from advisor.core.intake.answers import Answers
from advisor.core.rulebase import questionnaire as qmod
from advisor.core.rulebase.questionnaire import Question

# Warning signs are rare in real use; weight them so all four tiers are common.
_FLAG = st.sampled_from([False, False, False, False, False, False, False, False, True])


def value_for(q: Question) -> st.SearchStrategy[Any]:
    if q.type == "bool":
        # Every warning sign, required or not, is weighted like the required screen.
        return _FLAG if q.required or q.section == "safety" else st.booleans()
    if q.type == "int":
        assert q.min is not None and q.max is not None
        return st.integers(int(q.min), int(q.max))
    if q.type == "number":
        assert q.min is not None and q.max is not None
        return st.one_of(
            st.integers(int(q.min), int(q.max)),
            st.floats(q.min, q.max, allow_nan=False, allow_infinity=False).map(lambda x: round(x, 1)),
        )
    if q.type == "choice":
        return st.sampled_from(q.values)
    return st.lists(st.sampled_from(q.values), unique=True).map(lambda vs: [v for v in q.values if v in vs])


@st.composite
def answer_sets(draw: st.DrawFn, questionnaire: str | None = None) -> Answers:
    qid = questionnaire or draw(st.sampled_from(qmod.available()))
    form = qmod.load(qid)
    values: dict[str, Any] = {}
    for q in form.questions:
        if q.required or draw(st.booleans()):
            values[q.id] = draw(value_for(q))
    return Answers(questionnaire=qid, client=None, date=dt.date(2026, 11, 24), values=values)
