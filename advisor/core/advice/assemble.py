"""From rule firings to an Assessment.

Here the referral tier's policy is applied (what may be advised at each urgency), safety
holds are honoured, adjustments that pull one setting opposite ways are replaced by a
professional bike fit, and everything is put in declared order (priority, then id), never
in the order rules happened to fire.

The result's models are made with ``model_construct``: everything in them comes from checked
answers and the validated knowledge base, and validating it again would build nine
validators in every process, a tenth of a short command's time. tests/test_engine.py holds
what is made here to what validation would make, over generated answer sets.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from advisor.core import assessment as out
from advisor.core.engines import triage
from advisor.core.engines.firing import Firing
from advisor.core.intake import fitrecord
from advisor.core.intake.answers import Answers
from advisor.core.rulebase.actions import CONFLICT_RULE, PROFESSIONAL_FIT, STAGE_ORDER, STOP_RIDING
from advisor.core.rulebase.conditions import answers_used, holds
from advisor.core.rulebase.knowledge import Adjustment, Exercise, KnowledgeBase, RuleDef, Tier
from advisor.core.rulebase.questionnaire import Questionnaire

if TYPE_CHECKING:
    from advisor.core.rulebase.followup import Previous


class _Merged:
    """All firings of one rule (an ``any`` may match several ways), merged."""

    def __init__(self, rule: RuleDef) -> None:
        self.rule = rule
        self.answers: dict[str, Any] = {}
        self.findings: list[str] = []

    def add(self, firing: Firing) -> None:
        self.answers.update(firing.answers)
        for f in firing.findings:
            if f not in self.findings:
                self.findings.append(f)


@dataclass
class _Why:
    """Why a recommendation is made: reasons, rule ids and the answers behind them."""

    because: list[str]
    rules: list[str]
    answers: dict[str, Any]


class _Firings:
    """The firings of one assessment, merged per rule, in a fixed order, with their reasons."""

    def __init__(self, kb: KnowledgeBase, form: Questionnaire, firings: list[Firing]) -> None:
        self.kb, self.form = kb, form
        merged: dict[str, _Merged] = {}
        for firing in firings:
            merged.setdefault(firing.rule.id, _Merged(firing.rule)).add(firing)
        # Firing order is not promised: put what each rule matched in a fixed order.
        order = {qid: i for i, qid in enumerate(form.ids())}
        for m in merged.values():
            m.answers = dict(sorted(m.answers.items(), key=lambda kv: order.get(kv[0], len(order))))
            m.findings.sort()
        self.fired = sorted(merged.values(), key=lambda m: (STAGE_ORDER[m.rule.stage], m.rule.id))
        self.by_action: dict[str, list[_Merged]] = defaultdict(list)
        for m in self.fired:
            self.by_action[m.rule.action].append(m)
        # The answers behind each finding, so a recommendation made from findings can name
        # the answers that led to it (findings are made in an earlier stage, in this order).
        self._behind_finding: dict[str, dict[str, Any]] = defaultdict(dict)
        for m in self.by_action["finding"]:
            self._behind_finding[m.rule.target].update(self.behind([m]))

    def because(self, m: _Merged) -> str:
        """The rule's explanation, with the answers that made it fire in the question's own words."""
        if not m.answers:
            return m.rule.because
        shown = "; ".join(
            f"{self.form.question(qid).label}: {self.form.question(qid).format_value(v)}"
            for qid, v in m.answers.items()
        )
        return f"{m.rule.because} ({shown})"

    def behind(self, ms: list[_Merged]) -> dict[str, Any]:
        found: dict[str, Any] = {}
        for m in ms:
            for fid in m.findings:
                found.update(self._behind_finding[fid])
            found.update(m.answers)
        return dict(sorted(found.items()))

    def why(self, ms: list[_Merged]) -> _Why:
        return _Why([self.because(m) for m in ms], [m.rule.id for m in ms], self.behind(ms))

    def holds_on(self, action: str) -> dict[str, _Merged]:
        """Safety holds by the id (or body position) they hold back."""
        return {m.rule.target: m for m in self.by_action[action]}

    def notes_on(self, action: str) -> dict[str, list[_Merged]]:
        """Tailoring notes by the id of the item they annotate."""
        notes: dict[str, list[_Merged]] = defaultdict(list)
        for m in self.by_action[action]:
            notes[m.rule.target].append(m)
        return notes

    def trace(self) -> list[out.TraceEntry]:
        return [
            out.TraceEntry.model_construct(
                rule=m.rule.id,
                stage=m.rule.stage,
                effect=f"{m.rule.action}: {m.rule.target}",
                source=list(m.rule.source),
                answers=m.answers,
                findings=m.findings,
            )
            for m in self.fired
        ]


def assemble(
    kb: KnowledgeBase, form: Questionnaire, answers: Answers, firings: list[Firing], previous: Previous | None = None
) -> out.Assessment:
    firings = [x for x in firings if not x.rule.questionnaires or answers.questionnaire in x.rule.questionnaires]
    f = _Firings(kb, form, firings)
    tier = triage.highest(kb, [m.rule.target for m in f.by_action["refer"]])
    referral_rules = [m for m in f.by_action["refer"] if m.rule.target == tier.id]
    stop = tier.fit == "stop"
    # In a fitter's consultation the fit is under way: the tier says so in its own words.
    fitter = answers.questionnaire == "fitter" and bool(tier.fitter_headline)
    referral = out.Referral.model_construct(
        urgency=tier.id,
        stop_riding=stop,
        title=tier.title,
        headline=tier.fitter_headline if fitter else tier.headline,
        advice=tier.fitter_advice if fitter else tier.advice,
        reasons=[f.because(m) for m in referral_rules],
        rules=[m.rule.id for m in referral_rules],
        actions=[
            out.ReasonAction.model_construct(
                reason=f.because(m), what_to_do=m.rule.what_to_do, tell_doctor=m.rule.tell_doctor, rule=m.rule.id
            )
            for m in referral_rules
        ]
        if stop
        else [],
        notes=_notes(f, tier.id),
        reported=_reported(tier, form, answers.values) if stop else "",
    )
    findings = [
        out.Finding.model_construct(
            id=fid, name=kb.findings[fid].name, summary=kb.findings[fid].summary, **_why_fields(f.why(ms))
        )
        for fid, ms in _grouped(f.by_action["finding"], lambda fid: (kb.findings[fid].priority, fid))
    ]
    withheld: list[out.Withheld] = []
    adjustments = _adjustments(f, tier, referral_rules, withheld, fitter=answers.questionnaire == "fitter")
    adjustments = _with_changes_made(kb, adjustments, answers.fit, previous)
    exercises = _exercises(f, tier, answers.values.get("equipment"), withheld)
    not_assessed = [
        f"{area.name}: not assessed. {_what_to_answer(area.condition, form, answers.values)}"
        for area in kb.areas.values()
        if not holds(area.condition, answers.values)
    ]
    flexible = tier.reassess_flexibility and {f.id for f in findings} & set(tier.reassess_when_findings)
    reassess = out.Reassess.model_construct(
        advice=tier.reassess_flexibility if flexible else tier.reassess,
        weeks=tier.reassess_weeks,
        date=answers.date + dt.timedelta(weeks=tier.reassess_weeks) if tier.reassess_weeks else None,
    )
    return out.Assessment.model_construct(
        questionnaire=answers.questionnaire,
        client=answers.client,
        date=answers.date,
        referral=referral,
        findings=findings,
        adjustments=adjustments,
        exercises=exercises,
        withheld=withheld,
        not_assessed=not_assessed,
        reassess=reassess,
        answers={qid: answers.values[qid] for qid in form.ids() if qid in answers.values},
        trace=f.trace(),
    )


def _with_changes_made(
    kb: KnowledgeBase, adjustments: list[out.Adjustment], fit: fitrecord.FitRecord, previous: Previous | None
) -> list[out.Adjustment]:
    """A bike change the fit records show as made is named as made, never advised as if new.

    Made at this visit: re-check before any further step. Made at the last visit and advised
    again: the reasons still hold, so one further step is due (promise 20).
    """
    records: list[tuple[str | None, fitrecord.FitRecord]] = [(None, fit)]  # None: this visit
    if previous is not None and previous.fit:
        last = f"the last visit ({previous.date.isoformat()})" if previous.date else "the last visit"
        records.append((last, fitrecord.FitRecord.model_construct(**previous.fit)))
    if all(r.is_empty() for _, r in records):
        return adjustments
    form = fitrecord.form()
    done = []
    for a in adjustments:
        entry = kb.adjustments.get(a.id)
        if entry is None or entry.kind != "bike":
            done.append(a)
            continue
        notes = []
        for when, record in records:
            changes = [
                f"{s.label.lower()} {fitrecord.shown(s, record.before[s.id])} to "
                f"{fitrecord.shown(s, record.after[s.id])}"
                for s in form.settings
                if s.shows == entry.setting and s.id in record.changed()
            ]
            if not changes:
                continue
            if when is None:
                notes.append(f"Made at this visit: {'; '.join(changes)}. Re-check as below before any further step.")
            else:
                notes.append(
                    f"Already changed at {when}: {'; '.join(changes)}. The reasons below still hold, so one "
                    "further step is due, then re-check."
                )
        done.append(a.model_copy(update={"notes": [*notes, *a.notes]}) if notes else a)
    return done


def _notes(f: _Firings, tier: str) -> list[str]:
    """What is said with the referral, in declared order (a notice limited to some tiers only at those)."""
    ids = {
        m.rule.target
        for m in f.by_action["notify"]
        if not f.kb.notices[m.rule.target].tiers or tier in f.kb.notices[m.rule.target].tiers
    }
    return [f.kb.notices[n].text for n in sorted(ids, key=lambda n: (f.kb.notices[n].priority, n))]


def _reported(tier: Tier, form: Questionnaire, values: dict[str, Any]) -> str:
    """The pain the rider reported, in the questions' own words, for the doctor; empty when none."""
    said = []
    for qid in tier.tell_doctor_answers:
        q = form.get(qid)
        value = values.get(qid)
        # Only what the rider reported, and only where the question belongs: weeks of back
        # pain are no pain to mention when no back pain was reported.
        if q is None or value in (None, False, "none", 0, []) or not holds(q.condition, values):
            continue
        said.append(q.label.lower() if value is True else f"{q.label.lower()}: {q.format_value(value).lower()}")
    return tier.reported_pain.format(pain="; ".join(said)) if said else ""


def _adjustments(
    f: _Firings, tier: Tier, referral_rules: list[_Merged], withheld: list[out.Withheld], *, fitter: bool
) -> list[out.Adjustment]:
    """Safety holds first, then the tier's policy, then conflicts; in declared order."""
    kb = f.kb
    holds_adj = f.holds_on("withhold_adjustment")
    groups = dict(_grouped(f.by_action["adjust"], lambda aid: (kb.adjustments[aid].priority, aid)))
    for aid in list(groups):
        if aid in holds_adj:
            hold = holds_adj[aid]
            name = kb.adjustments[aid].name
            withheld.append(
                out.Withheld.model_construct(
                    kind="adjustment", id=aid, name=name, reason=f.because(hold), rule=hold.rule.id
                )
            )
            del groups[aid]
    if tier.fit == "stop":
        for aid in groups:
            withheld.append(_tier_hold("adjustment", aid, kb.adjustments[aid].name, tier))
        return [_adjustment(kb.adjustments[STOP_RIDING], f.why(referral_rules))]
    reasons = {aid: f.why(ms) for aid, ms in groups.items()}
    _resolve_conflicts(kb, reasons)
    if fitter:
        # The fitter is doing the fit: what would send a rider to book one is a judgement
        # for the fitter to make on the bike.
        for aid in [a for a in reasons if kb.adjustments[a].in_fitter_consultation]:
            instead = kb.adjustments[aid].in_fitter_consultation
            why = reasons.pop(aid)
            if instead in reasons:
                why = _Why(
                    reasons[instead].because + why.because,
                    reasons[instead].rules + why.rules,
                    dict(sorted({**reasons[instead].answers, **why.answers}.items())),
                )
            reasons[instead] = why
    ordered = sorted(reasons.items(), key=lambda kv: (kb.adjustments[kv[0]].priority, kv[0]))
    notes = f.notes_on("note_adjustment")
    result = []
    bike_changes = 0
    for aid, why in ordered:
        adj = kb.adjustments[aid]
        phase = 1
        if adj.kind == "bike":  # one or two changes to the bike at a time, then a re-check
            phase = 1 + bike_changes // (tier.bike_changes_per_step or 1)
            bike_changes += 1
        result.append(_adjustment(adj, why, phase, [f.because(n) for n in notes.get(aid, [])]))
    # Read in steps: the bike changes to make now, each later step of them, then the habits
    # and appointments that go alongside (numbered on, so the diagram's numbers match).
    return sorted(result, key=lambda a: (a.kind != "bike", a.phase))


def _exercises(
    f: _Firings, tier: Tier, equipment: list[str] | None, withheld: list[out.Withheld]
) -> list[out.Exercise]:
    """Safety holds first, then the tier's policy, then harder versions replace easier ones."""
    kb = f.kb
    holds_ex = f.holds_on("withhold_exercise")
    holds_position = f.holds_on("withhold_position")
    notes = f.notes_on("note_exercise")
    exercises: list[out.Exercise] = []
    for eid, ms in _grouped(f.by_action["exercise"], lambda eid: (kb.exercises[eid].priority, eid)):
        ex = kb.exercises[eid]
        hold = holds_ex.get(eid) or holds_position.get(ex.position)
        if hold is not None:
            withheld.append(
                out.Withheld.model_construct(
                    kind="exercise", id=eid, name=ex.name, reason=f.because(hold), rule=hold.rule.id
                )
            )
        elif not _tier_allows(tier, ex):
            withheld.append(_tier_hold("exercise", eid, ex.name, tier))
        else:
            exercises.append(_exercise(ex, tier, equipment, f.why(ms), [f.because(n) for n in notes.get(eid, [])]))
    return _drop_replaced(kb, exercises)


def _why_fields(why: _Why) -> dict[str, Any]:
    return {"because": why.because, "rules": why.rules, "answers": why.answers}


def _grouped(ms: list[_Merged], order: Any) -> list[tuple[str, list[_Merged]]]:
    groups: dict[str, list[_Merged]] = defaultdict(list)
    for m in ms:
        groups[m.rule.target].append(m)
    return sorted(groups.items(), key=lambda kv: order(kv[0]))


def _drop_replaced(kb: KnowledgeBase, exercises: list[out.Exercise]) -> list[out.Exercise]:
    """A harder version advised (and allowed) takes the place of the easier one it replaces."""
    advised = {e.id for e in exercises}
    replaced = {r: e.id for e in exercises for r in kb.exercises[e.id].replaces if r in advised}
    kept = []
    for e in exercises:
        if e.id in replaced:
            continue
        takes = [kb.exercises[r].name for r in kb.exercises[e.id].replaces if r in replaced]
        if takes:
            note = f"It takes the place of the {' and '.join(n.lower() for n in takes)}."
            e = e.model_copy(update={"because": [*e.because, note]})
        kept.append(e)
    return kept


def _tier_allows(tier: Tier, ex: Exercise) -> bool:
    if tier.exercises == "none":
        return False
    if tier.exercises == "gentle":
        return ex.level == "gentle"
    return True


def _tier_hold(kind: str, item_id: str, name: str, tier: Tier) -> out.Withheld:
    return out.Withheld.model_construct(
        kind=kind, id=item_id, name=name, reason=tier.held_back, rule=None, tier=tier.id
    )


def _resolve_conflicts(kb: KnowledgeBase, adj: dict[str, _Why]) -> None:
    """Two changes that move one bike setting different ways become a professional fit.

    Only changes to the bike can conflict: habits and appointments add up, they do not pull
    a setting two ways.
    """
    by_setting: dict[str, dict[str, str]] = defaultdict(dict)
    for aid in sorted(adj):
        entry = kb.adjustments[aid]
        if entry.kind == "bike":
            # A change moves its own setting and any other its step moves (shorter cranks
            # with the saddle raised move the saddle height too).
            for setting, direction in {entry.setting: entry.direction, **entry.also_moves}.items():
                by_setting[setting][aid] = direction
    for setting, moves in sorted(by_setting.items()):
        # A change already merged into a judgement through another setting is gone from adj.
        ids = sorted(a for a in moves if a in adj)
        if len({moves[a] for a in ids}) < 2:
            continue
        readings = "; ".join(f"{_moves(kb.adjustments[a], setting)}, because {_sentence(adj[a].because)}" for a in ids)
        reason = (
            f"Your answers point two ways for the {setting.replace('-', ' ')}: {readings}. These "
            "would undo each other, so neither is advised on its own: which reading holds is "
            "judged on the bike, with the setting measured while you pedal."
        )
        merged = adj.get(PROFESSIONAL_FIT, _Why([], [], {}))
        merged.because.append(reason)
        merged.rules.extend(r for a in ids for r in adj[a].rules)
        merged.rules.append(CONFLICT_RULE)
        for a in ids:
            merged.answers.update(adj.pop(a).answers)
        merged.answers = dict(sorted(merged.answers.items()))
        adj[PROFESSIONAL_FIT] = merged


def _moves(a: Adjustment, setting: str) -> str:
    """A change named with how it moves this setting, where it does so through its step."""
    if setting in a.also_moves:
        return f"{a.name.lower()} (its step moves the {setting.replace('-', ' ')} {a.also_moves[setting]} too)"
    return a.name.lower()


def _sentence(because: list[str]) -> str:
    """Reasons run into one clause: first letter lowered, end stops dropped."""
    text = " ".join(b.rstrip(".") + ";" for b in because).rstrip(";")
    return text[:1].lower() + text[1:]


def _adjustment(a: Adjustment, why: _Why, phase: int = 1, notes: list[str] | None = None) -> out.Adjustment:
    return out.Adjustment.model_construct(
        id=a.id,
        name=a.name,
        kind=a.kind,
        phase=phase,
        change=a.change,
        step=a.step,
        check=a.check,
        because=why.because,
        notes=notes or [],
        rules=why.rules,
        answers=why.answers,
    )


def _exercise(ex: Exercise, tier: Tier, equipment: list[str] | None, why: _Why, notes: list[str]) -> out.Exercise:
    have = set(equipment or [])
    progression: str | None
    if not tier.progressions:
        progression = "Do not progress yet: wait until your physical therapist has seen you."
    else:
        progression = next((p.text for p in ex.progressions if set(p.needs) <= have), None)
    kit = []
    for item in ex.equipment:
        label = item.item.replace("_", " ")
        if item.substitute and item.item not in have:
            label += f" (or {item.substitute})"
        if not item.required:
            label += " (optional)"
        kit.append(label)
    return out.Exercise.model_construct(
        id=ex.id,
        name=ex.name,
        target=ex.target,
        level=ex.level,
        steps=list(ex.steps),
        dose=ex.dose.text(),
        progression=progression,
        regression=ex.regression,
        equipment=kit,
        cautions=list(ex.cautions),
        because=why.because,
        notes=notes,
        rules=why.rules,
        answers=why.answers,
    )


def _what_to_answer(cond: Any, form: Questionnaire, values: dict[str, Any]) -> str:
    """Which questions would let the advisor judge an area, named by their labels: the ones
    still unanswered. A question already answered is never asked for again: when every one
    was answered and the area is still not judged (a "don't know"), the answers are named."""
    asked = [qid for qid in answers_used(cond) if form.get(qid) is not None]
    if not asked:
        return "It needs the measured tests of a fitter's assessment."
    open_ = [qid for qid in asked if qid not in values]
    if not open_:
        given = "; ".join(f"{form.question(q).label}: {form.question(q).format_value(values[q])}" for q in asked)
        return f"The answer{'s' if len(asked) > 1 else ''} given ({given}) cannot settle it."
    labels = [f"“{form.question(qid).label}”" for qid in open_]
    # An area whose condition lists several requirements needs all of them.
    joiner = " and " if cond.kind == "all" and len(cond.items) > 1 else " or "
    named = labels[0] if len(labels) == 1 else ", ".join(labels[:-1]) + joiner + labels[-1]
    return f"It can be judged once you answer the question{'s' if len(labels) > 1 else ''} {named}."
