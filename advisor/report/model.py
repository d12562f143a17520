"""One report model that every format renders: built from an Assessment, read-only after."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from advisor.assessment import Adjustment, Assessment, Exercise, Finding, Referral
from advisor.knowledge import KnowledgeBase
from advisor.questionnaire import Questionnaire
from advisor.report.diagram import Diagram, bike_diagram

PAPERS = ("a4", "letter")
DISCLAIMER = (
    "This report is not medical advice and is not a diagnosis. It does not replace an "
    "examination by a physical therapist or a doctor. If your symptoms change or get worse, "
    "stop and seek care."
)
STOP_URGENCIES = ("emergency", "urgent")


@dataclass(frozen=True)
class AnswerLine:
    label: str
    value: str


@dataclass(frozen=True)
class AnswerGroup:
    title: str
    lines: list[AnswerLine]


@dataclass(frozen=True)
class SourceRef:
    id: str
    title: str
    url: str


@dataclass(frozen=True)
class WhyLine:
    rule: str
    effect: str
    description: str
    sources: list[SourceRef]


@dataclass(frozen=True)
class Report:
    client: str | None
    date: dt.date
    questionnaire: str
    studio_name: str | None
    studio_contact: str | None
    paper: str
    referral: Referral
    stop: bool
    findings: list[Finding]
    adjustments: list[Adjustment]
    exercises: list[Exercise]
    diagram: Diagram | None
    reassess_advice: str
    reassess_date: dt.date | None
    answers: list[AnswerGroup]
    not_assessed: list[str]
    why: list[WhyLine]
    sources: list[SourceRef]  # every source the rules above cite, in order of first use
    disclaimer: str = DISCLAIMER
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def title(self) -> str:
        return f"Bike-fit and exercise report{f' for {self.client}' if self.client else ''}"


def build(
    result: Assessment, form: Questionnaire, kb: KnowledgeBase, settings: dict[str, str], paper: str = "a4"
) -> Report:
    stop = result.referral.urgency in STOP_URGENCIES
    groups: list[AnswerGroup] = []
    for section in form.sections:
        lines = [
            AnswerLine(q.label, q.format_value(result.answers[q.id]))
            for q in section.questions
            if q.id in result.answers
        ]
        if lines:
            groups.append(AnswerGroup(section.title, lines))
    why = []
    for t in result.trace:
        rule = kb.rules.get(t.rule)
        sources = [SourceRef(s, kb.sources[s].title, kb.sources[s].url) for s in t.source if s in kb.sources]
        why.append(WhyLine(t.rule, _effect_words(t.effect, kb), rule.description if rule else "", sources))
    return Report(
        client=result.client,
        date=result.date,
        questionnaire=form.title,
        studio_name=settings.get("studio.name"),
        studio_contact=settings.get("studio.contact"),
        paper=paper,
        referral=result.referral,
        stop=stop,
        findings=list(result.findings),
        adjustments=list(result.adjustments),
        exercises=[] if stop else list(result.exercises),
        diagram=None if stop else bike_diagram([a.id for a in result.adjustments]),
        reassess_advice=result.reassess.advice,
        reassess_date=result.reassess.date,
        answers=groups,
        not_assessed=list(result.not_assessed),
        why=why,
        sources=list({s.id: s for w in why for s in w.sources}.values()),
    )


def _effect_words(effect: str, kb: KnowledgeBase) -> str:
    """'adjust: raise-handlebar' -> 'adjustment: Raise the handlebar'."""
    action, _, target = effect.partition(": ")
    names = {
        "refer": ("referral", kb.tiers.get(target) and kb.tiers[target].title),
        "finding": ("finding", kb.findings.get(target) and kb.findings[target].name),
        "adjust": ("adjustment", kb.adjustments.get(target) and kb.adjustments[target].name),
        "exercise": ("exercise", kb.exercises.get(target) and kb.exercises[target].name),
        "withhold_exercise": ("held back", kb.exercises.get(target) and kb.exercises[target].name),
        "withhold_adjustment": ("held back", kb.adjustments.get(target) and kb.adjustments[target].name),
    }
    kind, name = names.get(action, (action, target))
    return f"{kind}: {name or target}"
