"""How a client has done since the last visit: each measure then and now with its trend, and
the flexibility and pain charts over every visit. Only a follow-up report and the studio's
client page need it, so the charts and the record's history load with it alone."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from advisor.core.assessment import Assessment
from advisor.core.rulebase.conditions import holds
from advisor.core.rulebase.knowledge import KnowledgeBase, PainChart
from advisor.core.rulebase.questionnaire import Question, Questionnaire, amount
from advisor.output.chart import Panel, Panels, panels, written
from advisor.records.history import Change, since_last
from advisor.records.model import Consultation


@dataclass(frozen=True)
class ChangeRow:
    """A measure at the last visit and now, and which way it went, in words and an arrow."""

    label: str
    before: str
    now: str
    trend: str  # "better", "worse", "same", "changed" (no better side) or "new" (not given last time)
    change: str  # "↑ 14° better", "↓ 2 points better", "= same": readable without colour


@dataclass(frozen=True)
class FollowUp:
    previous_date: dt.date
    rows: list[ChangeRow]
    charts: list[Panels]  # the flexibility tests, then pain, over all visits (those charted)


def follow_up(result: Assessment, form: Questionnaire, earlier: list[Consultation], kb: KnowledgeBase) -> FollowUp:
    """What changed since the last of ``earlier`` (each measure, which way and how much) and
    the charts over every visit."""
    last = earlier[-1]
    visits = [(v.date, v.answers) for v in earlier] + [(result.date, result.answers)]
    rows = [_change_row(c, form, kb) for c in since_last(last.answers, result.answers)]
    return FollowUp(last.date, rows, over_visits(kb, form, visits))


def _better_side(qid: str, form: Questionnaire, kb: KnowledgeBase) -> str | None:
    """Which way a measure is better: a charted test's own side; lower for pain on a rating,
    and for a choice that runs from "none" up (how much pain, how tight, how often)."""
    for chart in kb.charts.values():
        if chart.answer == qid:
            return chart.better
    q = form.get(qid)
    if q is None:
        return None
    if any(p.answer == qid and p.scale == "rating" for p in kb.pain_charts.values()):
        return "lower"
    if q.type == "choice" and q.choices and q.choices[0].value == "none":
        return "lower"
    return None


def _change_row(c: Change, form: Questionnaire, kb: KnowledgeBase) -> ChangeRow:
    if c.before is None:
        return ChangeRow(c.label, c.before_text, c.after_text, "new", "new this visit")
    if c.before == c.after:
        return ChangeRow(c.label, c.before_text, c.after_text, "same", "= same")
    q = form.get(c.id)
    if q is not None and q.type == "choice":
        order = [ch.value for ch in q.choices]
        delta = float(order.index(c.after) - order.index(c.before)) if {c.before, c.after} <= set(order) else 0.0
        size = ""
    elif isinstance(c.before, (int, float)) and isinstance(c.after, (int, float)):
        delta = float(c.after - c.before)
        unit = q.unit if q is not None else ""
        size = (amount(abs(delta), "points") if unit == "/10" else written(abs(delta), unit)) + " "
    else:
        return ChangeRow(c.label, c.before_text, c.after_text, "changed", "changed")
    better = _better_side(c.id, form, kb)
    arrow = "↑" if delta > 0 else "↓" if delta < 0 else "="
    judged = better is not None and delta != 0
    trend = ("better" if (delta > 0) == (better == "higher") else "worse") if judged else "changed"
    words = "" if trend == "changed" else trend
    return ChangeRow(c.label, c.before_text, c.after_text, trend, f"{arrow} {size}{words}".strip())


Visits = Sequence[tuple[dt.date, Mapping[str, Any]]]
FLEXIBILITY_NOTE = (
    "Each test has its own axis. Dashed line: the cut-off the findings use; shaded: its better side. "
    "A gap: not measured at that visit. Visits are evenly spaced, whatever the time between them."
)
PAIN_NOTE = (
    "Lower is better on every panel; each has its own scale. No back pain counts as 0. "
    "A gap: not answered at that visit. Visits are evenly spaced, whatever the time between them."
)


def over_visits(kb: KnowledgeBase, form: Questionnaire, visits: Visits) -> list[Panels]:
    """The charts of a client's visits, oldest first: the flexibility tests, then pain."""
    return [c for c in (flexibility_over_visits(kb, form, visits), pain_over_visits(kb, form, visits)) if c]


def flexibility_over_visits(kb: KnowledgeBase, form: Questionnaire, visits: Visits) -> Panels | None:
    """The charted tests (rules/charts.yaml) over these visits, oldest first; the cut-offs
    follow the rider's sex as last given."""
    sex = next((answers.get("sex") for _, answers in reversed(visits) if answers.get("sex")), None)
    measures = []
    for chart in kb.charts.values():
        q = form.get(chart.answer)
        if q is None:
            continue
        values = [_number(answers.get(chart.answer)) for _, answers in visits]
        cutoff = chart.cutoff_for(sex)
        measures.append(
            Panel(
                f"{q.label} ({q.unit})" if q.unit else q.label,
                f"{chart.better.capitalize()} is better (shaded)",
                values,
                [_measured(v, q.unit or "") for v in values],
                chart.better,
                unit=q.unit or "",
                cutoff=cutoff,
                cutoff_text=_measured(cutoff, q.unit or ""),
                cutoff_whose={"female": "women", "male": "men"}.get(sex, "") if sex in chart.cutoff_by_sex else "",
            )
        )
    dates = [day for day, _ in visits]
    return panels("Flexibility tests over all visits", dates, measures, FLEXIBILITY_NOTE)


def pain_over_visits(kb: KnowledgeBase, form: Questionnaire, visits: Visits) -> Panels | None:
    """The pain charts (rules/charts.yaml) over these visits, oldest first, lower being better."""
    measures = []
    for chart in kb.pain_charts.values():
        q = form.get(chart.answer)
        if q is None:
            continue
        read = [_pain(chart, q, answers) for _, answers in visits]
        values, texts = [v for v, _ in read], [t for _, t in read]
        if chart.scale == "rating":
            low, high = int(q.min or 0), int(q.max if q.max is not None else 10)
            ticks = [(float(v), str(v)) for v in range(low, high + 1, 2 if high - low > 5 else 1)]
            subtitle = f"Lower is better · {low} = no pain"
        elif chart.scale == "ordinal":
            ticks = [(float(i), c.value.replace("_", " ")) for i, c in enumerate(q.choices)]
            subtitle = "Lower is better"
        else:
            ticks = [(float(i), str(i)) for i in range(len(q.choices) + 1)]
            subtitle = "Lower is better · the places beside each point"
        measures.append(
            Panel(chart.title or q.label, subtitle, values, texts, "lower", "not answered", ticks, marker="square")
        )
    dates = [day for day, _ in visits]
    return panels("Pain over all visits", dates, measures, PAIN_NOTE)


def _pain(chart: PainChart, q: Question, answers: Mapping[str, Any]) -> tuple[float | None, str]:
    """A visit's pain on the chart's scale and how it reads beside its point; (None, '') when
    the visit did not answer."""
    if chart.condition is not None and holds(chart.condition, answers):
        return 0.0, chart.none_text
    answer = answers.get(chart.answer)
    if chart.scale == "rating":
        value = _number(answer)
        return (value, _measured(value, "")) if value is not None else (None, "")
    if chart.scale == "ordinal":
        order = [c.value for c in q.choices]
        return (float(order.index(answer)), "") if answer in order else (None, "")
    if isinstance(answer, list):
        named = [c.value.replace("_", " ") for c in q.choices if c.value in answer]
        return float(len(named)), ", ".join(named) or "none"
    return None, ""


def _number(answer: Any) -> float | None:
    return float(answer) if isinstance(answer, (int, float)) and not isinstance(answer, bool) else None


def _measured(value: float | None, unit: str) -> str:
    return "" if value is None else written(value, unit)
