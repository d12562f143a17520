"""One report model that every format renders: built from an Assessment, read-only after."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from advisor.core import fitrecord
from advisor.core.actions import ACTIONS
from advisor.core.assessment import Adjustment, Assessment, Exercise, Finding, Referral, Withheld
from advisor.core.conditions import holds
from advisor.core.figures import Picture
from advisor.core.fitrecord import FitRecord
from advisor.core.knowledge import KnowledgeBase, PainChart, Tier
from advisor.core.questionnaire import Question, Questionnaire, amount
from advisor.output.chart import Panel, Panels, panels, written
from advisor.output.diagram import Diagram, bike_diagram

if TYPE_CHECKING:
    from advisor.records.history import Change
    from advisor.records.store import Consultation, Decision

PAPERS = ("a4", "letter")
# An emergency or urgent report keeps page 1 for the warning; what follows is introduced so.
FOR_THE_CLINICIAN = "For the doctor or physical therapist: your answers and the rules behind this advice."
DISCLAIMER = (
    "This report is not medical advice and is not a diagnosis. It does not replace an "
    "examination by a physical therapist or a doctor. If your symptoms change or get worse, "
    "stop and seek care."
)


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
    citation: str  # authors, year, title, journal or publisher, DOI or PMID
    link: str  # where to find it: the DOI, PubMed or the publisher's page
    locator: str  # where in the work the statement is


@dataclass(frozen=True)
class WhyLine:
    rule: str
    effect: str  # in words: 'adjustment: Raise the handlebar'
    effect_id: str  # as the rule trace names it: 'adjust: raise-handlebar'
    description: str
    sources: list[SourceRef]
    answers: dict[str, Any]  # answer id -> value, for the rule trace
    findings: list[str]
    opinion: str = ""  # the rule's reason, where it is marked expert opinion rather than sourced

    def cited(self) -> str:
        """The sources behind the line, and its expert-opinion mark where it has one."""
        ids = ", ".join(s.id for s in self.sources)
        if not self.opinion:
            return ids
        return f"{ids}; expert opinion: {self.opinion}" if ids else f"expert opinion: {self.opinion}"


@dataclass(frozen=True)
class Agreement:
    """What the client agreed to in a consultation, item by item."""

    kind: str
    id: str
    name: str
    accepted: bool
    note: str


@dataclass(frozen=True)
class FitRow:
    label: str
    before: str
    after: str
    changed: bool


@dataclass(frozen=True)
class FitStatus:
    """A recommended change to the bike, and whether the measured settings show it made."""

    adjustment: str
    status: str  # "made", "open" or "not measured"


# How each status of a recommended change reads in a report.
STATUS_WORDS = {
    "made": "made (the settings above changed)",
    "open": "still open (the settings above did not change)",
    "not measured": "not shown in the settings measured",
}


@dataclass(frozen=True)
class FitTable:
    rows: list[FitRow]
    statuses: list[FitStatus]


@dataclass(frozen=True)
class FollowUp:
    previous_date: dt.date
    rows: list[Change]
    charts: list[Panels]  # the flexibility tests, then pain, over all visits (those charted)


@dataclass(frozen=True)
class Report:
    """Everything any format shows, and nothing a renderer has to look up elsewhere."""

    assessment: Assessment  # the result itself, which the JSON format writes as it is
    client: str | None
    date: dt.date
    questionnaire: str
    studio_name: str | None
    studio_contact: str | None
    studio_logo: tuple[bytes, str] | None  # (image, MIME type) for the header
    paper: str
    referral: Referral
    stop: bool
    findings: list[Finding]
    adjustments: list[Adjustment]
    exercises: list[Exercise]
    phases: list[tuple[int, str, list[tuple[int, Adjustment]]]]  # (step, heading, numbered adjustments)
    stop_line: str  # an emergency or urgent report's last word; empty otherwise
    held_back: list[Withheld]  # held back by a safety rule (the tier's own holds are in its advice)
    pictures: dict[str, Picture]  # each exercise's key positions, by id; drawn only by formats that draw
    diagram: Diagram | None
    reassess_advice: str
    reassess_date: dt.date | None
    answers: list[AnswerGroup]
    not_assessed: list[str]
    why: list[WhyLine]
    sources: list[SourceRef]  # every source the rules above cite, in order of first use
    agreement: list[Agreement] = field(default_factory=list)
    fit: FitTable | None = None  # the bike's settings before and after, when measured
    follow_up: FollowUp | None = None
    disclaimer: str = DISCLAIMER

    @property
    def title(self) -> str:
        return f"Bike-fit and exercise report{f' for {self.client}' if self.client else ''}"


def build(
    result: Assessment,
    form: Questionnaire,
    kb: KnowledgeBase,
    settings: dict[str, str],
    paper: str = "a4",
    logo: tuple[bytes, str] | None = None,
    decisions: list[Decision] | None = None,
    earlier_visits: list[Consultation] | None = None,
    fit: FitRecord | None = None,
) -> Report:
    """The report for one assessment; ``decisions`` and ``earlier_visits`` come from a consultation."""
    stop = result.referral.stop_riding
    agreement = _agreement(result, decisions) if decisions is not None else []
    declined = {(a.kind, a.id) for a in agreement if not a.accepted}
    adjustments = [a for a in result.adjustments if ("adjustment", a.id) not in declined]
    exercises = [e for e in result.exercises if ("exercise", e.id) not in declined]
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
    # What the client declined is not in the plan, so the rules that advised it are no reason
    # for anything the report shows; the agreement table says what was declined.
    declined_effects = {f"{'adjust' if kind == 'adjustment' else 'exercise'}: {item}" for kind, item in declined}
    for t in result.trace:
        if t.effect in declined_effects:
            continue
        # An emergency or urgent result rests on its reasons alone: the rules it overrode
        # (a lower tier, exercises, bike changes) would read as advice to a doctor.
        if stop and t.rule not in result.referral.rules:
            continue
        rule = kb.rules.get(t.rule)
        sources = [
            SourceRef(s, kb.sources[s].citation(), kb.sources[s].link(), kb.sources[s].locator)
            for s in t.source
            if s in kb.sources
        ]
        why.append(
            WhyLine(
                t.rule,
                _effect_words(t.effect, kb),
                t.effect,
                rule.description if rule else "",
                sources,
                dict(t.answers),
                list(t.findings),
                rule.expert_opinion.strip() if rule else "",
            )
        )
    return Report(
        assessment=result,
        client=result.client,
        date=result.date,
        questionnaire=form.title,
        studio_name=settings.get("studio.name"),
        studio_contact=settings.get("studio.contact"),
        studio_logo=logo,
        paper=paper,
        referral=result.referral,
        stop=stop,
        findings=list(result.findings),
        adjustments=adjustments,
        exercises=[] if stop else exercises,
        phases=_phases(adjustments, kb.tiers[result.referral.urgency]),
        stop_line=kb.tiers[result.referral.urgency].stop_line if stop else "",
        # What safety held back, and at a tier that allows some exercise what the tier holds
        # back for now (a progression reached earlier, waiting for the physical therapist).
        held_back=[w for w in result.withheld if w.rule is not None or not stop],
        pictures={e.id: kb.exercises[e.id].picture for e in exercises if e.id in kb.exercises},
        diagram=None if stop else _bike(adjustments, kb, result.answers.get("discipline")),
        reassess_advice=result.reassess.advice,
        reassess_date=result.reassess.date,
        answers=groups,
        not_assessed=[] if stop else list(result.not_assessed),
        why=why,
        sources=list({s.id: s for w in why for s in w.sources}.values()),
        agreement=agreement,
        follow_up=_follow_up(result, form, earlier_visits, kb) if earlier_visits else None,
        fit=_fit_table(fit, adjustments, kb) if fit is not None and not fit.is_empty() else None,
    )


def _bike(adjustments: list[Adjustment], kb: KnowledgeBase, discipline: Any) -> Diagram | None:
    """The rider's bike with each change marked; the legend gives its direction and step."""
    marked = []
    for a in adjustments:
        entry = kb.adjustments.get(a.id)
        if entry is not None:
            label = f"{a.name}: {entry.mark}" if entry.mark else a.name
            marked.append((entry.setting, entry.direction, label))
    return bike_diagram(marked, discipline if isinstance(discipline, str) else None)


def _phases(adjustments: list[Adjustment], tier: Tier) -> list[tuple[int, str, list[tuple[int, Adjustment]]]]:
    """The adjustments, numbered, grouped under headings: the bike changes of each step (the
    assessment lists them first), then the habits and appointments that go alongside."""
    groups: list[tuple[int, str, list[tuple[int, Adjustment]]]] = []
    for i, a in enumerate(adjustments, 1):
        key = a.phase if a.kind == "bike" else 0
        if not groups or groups[-1][0] != key:
            groups.append((key, "", []))
        groups[-1][2].append((i, a))
    titled = []
    bike_steps = any(key for key, _, _ in groups)
    for key, _, items in groups:
        if key > 1:
            title = tier.later_step.format(step=key)
        elif key == 1:
            title = tier.first_step.format(changes=amount(len(items), "changes"))
        else:
            title = "Alongside, from now on:" if bike_steps else "Start now:"
        titled.append((key or 1, title, items))
    return titled


def _fit_table(fit: FitRecord, adjustments: list[Adjustment], kb: KnowledgeBase) -> FitTable:
    form = fitrecord.form()
    rows = [
        FitRow(
            s.label,
            fitrecord.shown(s, fit.before.get(s.id)),
            fitrecord.shown(s, fit.after.get(s.id)),
            s.id in fit.changed(),
        )
        for s in form.settings
        if s.id in fit.before or s.id in fit.after
    ]
    statuses = []
    for a in adjustments:
        entry = kb.adjustments.get(a.id)
        if entry is None or entry.kind != "bike":
            continue
        both = set(fit.before) & set(fit.after)
        measured = [s.id for s in form.settings if s.shows == entry.setting and s.id in both]
        made = any(sid in fit.changed() for sid in measured)
        statuses.append(FitStatus(a.name, "not measured" if not measured else "made" if made else "open"))
    return FitTable(rows, statuses)


def _agreement(result: Assessment, decisions: list[Decision]) -> list[Agreement]:
    chosen = {(d.kind, d.item): d for d in decisions}
    out = []
    for kind, items in (("adjustment", result.adjustments), ("exercise", result.exercises)):
        for item in items:
            d = chosen.get((kind, item.id))
            out.append(Agreement(kind, item.id, item.name, d.accepted if d else True, d.note if d else ""))
    return out


def _follow_up(result: Assessment, form: Questionnaire, earlier: list[Consultation], kb: KnowledgeBase) -> FollowUp:
    last = earlier[-1]
    visits = [(v.date, v.answers) for v in earlier] + [(result.date, result.answers)]
    from advisor.records.history import since_last  # noqa: PLC0415  only a follow-up needs the record's code

    return FollowUp(last.date, since_last(last.answers, result.answers), over_visits(kb, form, visits))


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


def _effect_words(effect: str, kb: KnowledgeBase) -> str:
    """'adjust: raise-handlebar' -> 'adjustment: Raise the handlebar'."""
    name, _, target = effect.partition(": ")
    action = ACTIONS.get(name)
    if action is None:
        return effect
    entry = kb.catalog_for(name).get(target)
    shown = getattr(entry, "title", None) or getattr(entry, "name", None) or target.replace("-", " ")
    return f"{action.words}: {shown}"
