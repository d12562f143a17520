"""One report model that every format renders: built from an Assessment, read-only after."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any

from advisor.core.assessment import Adjustment, Assessment, Exercise, Finding, Referral, Withheld
from advisor.core.intake import fitrecord
from advisor.core.intake.fitrecord import FitRecord
from advisor.core.rulebase.actions import ACTIONS
from advisor.core.rulebase.figures import Picture
from advisor.core.rulebase.knowledge import KnowledgeBase, Tier
from advisor.core.rulebase.questionnaire import Questionnaire, amount

if TYPE_CHECKING:
    from advisor.output.diagram import Diagram
    from advisor.output.progress import FollowUp
    from advisor.records.model import Consultation, Decision

PAPERS = ("a4", "letter")
# An emergency or urgent report keeps page 1 for the warning; what follows is introduced so.
FOR_THE_CLINICIAN = "For the doctor or physical therapist: your answers and the rules behind this advice."
# Said the same in every format.
PROGRAMME_INTRO = (
    "Do these exercises in this order, on the days marked below. Stop any exercise that hurts or makes "
    "pain spread, and ask your physical therapist. Each exercise's card, numbered as here, shows how to do it."
)
DECLINED_NOTE = "Declined items are left out of the plan."
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
    discussed: bool = True  # False: advised since (an amendment), not yet put to the client


@dataclass(frozen=True)
class FitRow:
    label: str
    before: str
    after: str
    changed: bool
    change: str = ""  # '+4 mm', '\u22121.5°', 'changed'; '' when unchanged or not measured both times


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
    bike: str = ""  # which bike, as it left: 'Canyon Endurace CF, size M'; '' when not named
    bike_before: str = ""  # the bike before today's changes, only where it was another

    @property
    def bike_line(self) -> str:
        """'Bike: Canyon Endurace CF, size M', as every format prints it above the table."""
        if not self.bike:
            return ""
        return f"Bike: {self.bike}" + (f" (before today's changes: {self.bike_before})" if self.bike_before else "")


DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
# The days a programme plans an exercise on, by its days a week: spread over the week, and the
# same days for every exercise done three times a week, so they make one session.
PLANNED_DAYS = {1: (0,), 2: (1, 4), 3: (0, 2, 4), 4: (0, 2, 4, 6), 5: (0, 1, 3, 4, 6), 6: (0, 1, 2, 3, 4, 5)}
# At most this many exercises are done now; the rest are added when these are easy.
NOW_AT_MOST = 4


@dataclass(frozen=True)
class ProgrammeItem:
    """One exercise of the programme: its dose as a grid row and the days it is planned on."""

    number: int  # its number in the programme and on its card
    id: str
    name: str
    target: str
    sets: str  # "2-3"; "-" where the dose has none
    reps: str  # "15-20 per side"
    hold: str  # "30-60 s per side"
    days_a_week: str  # "3"; "7" for daily
    frequency: str  # the catalog's words where they add to the days: "daily if you can, at least 3 days a week"
    days: tuple[bool, ...]  # Monday to Sunday: the days it is planned on


@dataclass(frozen=True)
class Programme:
    """The page to pin up: the exercises in order, a dose grid, the week and a log."""

    now: list[ProgrammeItem]  # in order of priority: the few that matter now
    later: list[ProgrammeItem]  # to add when these are easy, in the same order
    next_check: dt.date | None
    weeks: int  # weeks until the next check (2 when there is no date): the weeks of the log


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
    # Each bike change as (setting, direction, label), in the order of the adjustments, and the
    # rider's discipline: what the bike diagram marks (see diagram below); none when stopped.
    bike_marks: tuple[tuple[str, str, str], ...]
    discipline: str | None
    reassess_advice: str
    reassess_date: dt.date | None
    answers: list[AnswerGroup]
    not_assessed: list[str]
    why: list[WhyLine]
    sources: list[SourceRef]  # every source the rules above cite, in order of first use
    agreement: list[Agreement] = field(default_factory=list)
    fit: FitTable | None = None  # the bike's settings before and after, when measured
    fitter: str | None = None  # who fitted the bike, as recorded with the visit
    follow_up: FollowUp | None = None
    programme: Programme | None = None  # none at emergency or urgent, or without exercises
    # At emergency or urgent: what the tier held back (exercises, bike changes), which the
    # clinician's page names as held back and not prescribed.
    held_by_tier: list[Withheld] = field(default_factory=list)
    order_reasons: list[tuple[str, str]] = field(default_factory=list)  # (exercise, why it comes there)
    disclaimer: str = DISCLAIMER
    # A stored visit corrected after it was recorded: when, by whom and why ('' when never amended).
    amended: str = ""

    @property
    def title(self) -> str:
        return f"Bike-fit and exercise report{f' for {self.client}' if self.client else ''}"

    @cached_property
    def diagram(self) -> Diagram | None:
        """The rider's bike with each change marked (none when riding stops), drawn the first
        time a format that shows it asks: the terminal and JSON never load the bikes."""
        if self.stop:
            return None
        from advisor.output.bike import bike_diagram  # noqa: PLC0415  lazy: only formats that draw load the bikes

        return bike_diagram(list(self.bike_marks), self.discipline)

    @property
    def meta(self) -> str:
        """The header's line under the title: the date, the questionnaire and who fitted the bike."""
        fitted = f" · Fitted by {self.fitter}" if self.fitter else ""
        return f"{self.date.isoformat()} · {self.questionnaire}{fitted}"

    @property
    def reasons(self) -> list[tuple[str, list[WhyLine]]]:
        """The why page's entries: each effect once (the referral, an exercise, a finding),
        with every rule behind it, in the order the effects first appear."""
        groups: dict[str, list[WhyLine]] = {}
        for w in self.why:
            groups.setdefault(w.effect_id, []).append(w)
        return [(lines[0].effect, lines) for lines in groups.values()]

    @property
    def tier_label(self) -> str:
        """The tier in words and a symbol, so it reads in greyscale and without colour."""
        return TIER_LABELS.get(self.referral.urgency, self.referral.title.upper())


def amendment(revision: int, at: str, by: str, reason: str) -> str:
    """An amended visit's line near the top of its report, in plain words."""
    who = f" by {by}" if by else ""
    why = f": {reason}" if reason else ""
    return f"Amended on {at[:10]}{who} (revision {revision}){why}. This report shows the visit as amended."


# Each tier as printed beside its headline: words and a symbol, never colour alone.
TIER_LABELS = {
    "emergency": "!! EMERGENCY",
    "urgent": "! URGENT",
    "soon": "SOON",
    "routine": "ROUTINE",
}


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
    now, later = _now_and_later(exercises, result)
    exercises = now + later  # numbered in this order on the programme and the cards
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
        bike_marks=() if stop else _bike_marks(adjustments, kb),
        discipline=discipline if isinstance(discipline := result.answers.get("discipline"), str) else None,
        reassess_advice=result.reassess.advice,
        reassess_date=result.reassess.date,
        answers=groups,
        not_assessed=[] if stop else list(result.not_assessed),
        why=why,
        sources=list({s.id: s for w in why for s in w.sources}.values()),
        agreement=agreement,
        follow_up=_follow_up(result, form, earlier_visits, kb) if earlier_visits else None,
        fit=_fit_table(fit, adjustments, kb) if fit is not None and not fit.is_empty() else None,
        fitter=fit.fitter if fit is not None else None,
        programme=None if stop or not exercises else _programme(now, later, kb, result),
        held_by_tier=[w for w in result.withheld if w.rule is None] if stop else [],
        order_reasons=[] if stop else _order_reasons(exercises, kb),
    )


def _now_and_later(exercises: list[Exercise], result: Assessment) -> tuple[list[Exercise], list[Exercise]]:
    """The few exercises to do now and the rest, each in order of priority (the assessment's).

    Now: up to NOW_AT_MOST, each taken in order when it answers a finding none before it
    answers, so the first few cover as many of the rider's findings as they can; places left
    are filled in order. With NOW_AT_MOST or fewer exercises, all are done now.
    """
    found = {t.rule: set(t.findings) for t in result.trace}
    answers = {e.id: set().union(*(found.get(r, set()) for r in e.rules)) for e in exercises}
    chosen: list[str] = []
    covered: set[str] = set()
    for e in exercises:
        if len(chosen) < NOW_AT_MOST and (answers[e.id] - covered or not answers[e.id]):
            chosen.append(e.id)
            covered |= answers[e.id]
    for e in exercises:
        if len(chosen) < NOW_AT_MOST and e.id not in chosen:
            chosen.append(e.id)
    return [e for e in exercises if e.id in chosen], [e for e in exercises if e.id not in chosen]


def _programme(now: list[Exercise], later: list[Exercise], kb: KnowledgeBase, result: Assessment) -> Programme:
    items = [_programme_item(n, e, kb) for n, e in enumerate(now + later, 1)]
    check = result.reassess.date
    weeks = max(1, -(-(check - result.date).days // 7)) if check else 2
    return Programme(items[: len(now)], items[len(now) :], check, weeks)


def _programme_item(number: int, e: Exercise, kb: KnowledgeBase) -> ProgrammeItem:
    entry = kb.exercises.get(e.id)
    if entry is None:  # a stored result whose exercise the catalog no longer has: its words only
        return ProgrammeItem(number, e.id, e.name, e.target, "-", "-", "-", "-", e.dose, (True,) * 7)
    dose = entry.dose
    side = " per side" if dose.per_side else ""
    planned = PLANNED_DAYS.get(dose.days_a_week, tuple(range(7)))
    return ProgrammeItem(
        number,
        e.id,
        e.name,
        e.target,
        dose.sets or "-",
        f"{dose.reps}{side}" if dose.reps else "-",
        f"{dose.hold}{'' if dose.reps else side}" if dose.hold else "-",
        str(dose.days_a_week),
        "" if dose.frequency == f"{dose.days_a_week} days a week" else dose.frequency,
        tuple(day in planned for day in range(7)),
    )


def _order_reasons(exercises: list[Exercise], kb: KnowledgeBase) -> list[tuple[str, str]]:
    """Why each exercise comes where it does, with its sources or expert-opinion mark."""
    out = []
    for e in exercises:
        entry = kb.exercises.get(e.id)
        if entry is None:
            continue
        why = entry.priority_reason
        cited = ", ".join(why.source)
        if why.expert_opinion:
            cited = (
                f"{cited}; expert opinion: {why.expert_opinion}" if cited else f"expert opinion: {why.expert_opinion}"
            )
        out.append((e.name, f"{why.because} [{cited}]"))
    return out


def _bike_marks(adjustments: list[Adjustment], kb: KnowledgeBase) -> tuple[tuple[str, str, str], ...]:
    """Each bike change as the diagram marks it; the legend gives its direction and step."""
    marked = []
    for a in adjustments:
        entry = kb.adjustments.get(a.id)
        if entry is not None:
            label = f"{a.name}: {entry.mark}" if entry.mark else a.name
            marked.append((entry.setting, entry.direction, label))
    return tuple(marked)


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
            fitrecord.change(s, fit.before.get(s.id), fit.after.get(s.id)),
        )
        for s in form.measures()
        if s.id in fit.before or s.id in fit.after
    ]
    bike, bike_before = fit.bike("after"), fit.bike("before")
    statuses = []
    for a in adjustments:
        entry = kb.adjustments.get(a.id)
        if entry is None or entry.kind != "bike":
            continue
        both = set(fit.before) & set(fit.after)
        measured = [s.id for s in form.settings if s.shows == entry.setting and s.id in both]
        made = any(sid in fit.changed() for sid in measured)
        statuses.append(FitStatus(a.name, "not measured" if not measured else "made" if made else "open"))
    return FitTable(rows, statuses, bike, bike_before if bike_before != bike else "")


def _agreement(result: Assessment, decisions: list[Decision]) -> list[Agreement]:
    chosen = {(d.kind, d.item): d for d in decisions}
    out = []
    for kind, items in (("adjustment", result.adjustments), ("exercise", result.exercises)):
        for item in items:
            d = chosen.get((kind, item.id))
            # An item with no decision was advised by an amendment after the consultation: it
            # stays in the plan, marked as not yet discussed, never as agreed.
            out.append(
                Agreement(kind, item.id, item.name, d.accepted if d else True, d.note if d else "", d is not None)
            )
    return out


def _follow_up(result: Assessment, form: Questionnaire, earlier: list[Consultation], kb: KnowledgeBase) -> FollowUp:
    from advisor.output import progress  # noqa: PLC0415  lazy: only a follow-up loads its charts and the record's history

    return progress.follow_up(result, form, earlier, kb)


def _effect_words(effect: str, kb: KnowledgeBase) -> str:
    """'adjust: raise-handlebar' -> 'adjustment: Raise the handlebar'."""
    name, _, target = effect.partition(": ")
    action = ACTIONS.get(name)
    if action is None:
        return effect
    entry = kb.catalog_for(name).get(target)
    shown = getattr(entry, "title", None) or getattr(entry, "name", None) or target.replace("-", " ")
    return f"{action.words}: {shown}"
