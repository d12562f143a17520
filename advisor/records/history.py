"""A client's visits side by side: the key measures and how they changed."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from advisor.core.intake import fitrecord
from advisor.core.intake.fitrecord import FitRecord
from advisor.core.rulebase import questionnaire as qmod
from advisor.records.model import Consultation, Decision, Revision

# The measures a fitter follows from visit to visit, in the order they are shown.
KEY_MEASURES = (
    "passive_slr_deg",
    "active_knee_extension_deg",
    "hamstring_tightness",
    "hip_flexor_tightness",
    "knee_angle_bdc_deg",
    "bar_drop_cm",
    "low_back_pain",
    "back_pain_intensity",
    "neck_shoulder_pain",
    "hand_numbness",
    "perineal_numbness",
)


@dataclass(frozen=True)
class Change:
    id: str
    label: str
    before: Any
    after: Any
    before_text: str
    after_text: str

    def short(self) -> str:
        """'Passive straight-leg raise 62° -> 76°': the question's words, as a person reads them."""
        return f"{self.label} {self.before_text} -> {self.after_text}"


def changes(before: dict[str, Any], after: dict[str, Any]) -> list[Change]:
    """Key measures that differ between two visits (given at both, or newly given)."""
    form = qmod.load("fitter")
    out = []
    for qid in KEY_MEASURES:
        if qid in after and qid in before and before[qid] != after[qid]:
            q = form.question(qid)
            out.append(
                Change(qid, q.label, before[qid], after[qid], q.format_value(before[qid]), q.format_value(after[qid]))
            )
    return out


def since_last(before: dict[str, Any] | None, after: dict[str, Any]) -> list[Change]:
    """Every key measure given at this visit, with last visit's value where there was one."""
    form = qmod.load("fitter")
    rows = []
    for qid in KEY_MEASURES:
        if qid not in after:
            continue
        q = form.question(qid)
        prev = (before or {}).get(qid)
        rows.append(
            Change(
                qid,
                q.label,
                prev,
                after[qid],
                q.format_value(prev) if prev is not None else "-",
                q.format_value(after[qid]),
            )
        )
    return rows


def key_values(answers: dict[str, Any]) -> list[str]:
    """The key measures of a visit in the questions' own words, one a line ("Worst back pain last week: 4/10")."""
    form = qmod.load("fitter")
    return [
        f"{form.question(qid).label}: {form.question(qid).format_value(answers[qid])}"
        for qid in KEY_MEASURES
        if qid in answers and form.get(qid) is not None
    ]


def timeline(visits: list[Consultation]) -> list[tuple[Consultation, list[Change]]]:
    """Each visit with the changes in key measures since the one before."""
    out = []
    previous: Consultation | None = None
    for v in visits:
        out.append((v, changes(previous.answers, v.answers) if previous else []))
        previous = v
    return out


def when(stamp: str) -> str:
    """A stored time as a person reads it: '2026-12-08 14:03'."""
    return stamp.replace("T", " ")[:16]


def amended_line(v: Consultation) -> str:
    """'amended (revision 2, 2026-12-08, by Ana Lind: hamstring test measured again)'."""
    by = f", by {v.revised_by}" if v.revised_by else ""
    why = f": {v.revision_reason}" if v.revision_reason else ""
    return f"amended (revision {v.revision}, {v.revised[:10]}{by}{why})"


def revision_lines(earlier: list[Revision]) -> list[str]:
    """A visit's earlier revisions, oldest first: number, when, by whom, urgency and why."""
    lines = []
    for r in earlier:
        by = f" by {r.made_by}" if r.made_by else ""
        why = f": {r.reason}" if r.reason else " (as first recorded)" if r.revision == 1 else ""
        lines.append(f"revision {r.revision}, {when(r.made)}{by}, {r.urgency}{why}")
    return lines


def to_json(visits: list[Consultation], revisions: dict[int, list[Revision]] | None = None) -> list[dict[str, Any]]:
    """``advisor history --format json``: one object per consultation, oldest first (with
    ``revisions``, each visit's earlier revisions too)."""
    data = []
    for v, diffs in timeline(visits):
        decided = {(d.kind, d.item): d for d in v.decisions}
        data.append(
            {
                "id": v.id,
                "date": v.date.isoformat(),
                "questionnaire": v.questionnaire,
                "referral": {"urgency": v.urgency, "reasons": v.result["referral"]["reasons"]},
                "answers": v.answers,
                "adjustments": [_item(decided, "adjustment", a) for a in v.result["adjustments"]],
                "exercises": [_item(decided, "exercise", e) for e in v.result["exercises"]],
                "changes": {c.id: {"before": c.before, "after": c.after} for c in diffs},
                "fit": {**v.fit, "changed": FitRecord.model_validate(v.fit).changed()} if v.fit else None,
                "notes": v.notes,
                "revision": v.revision,
                "amended": ({"at": v.revised, "by": v.revised_by, "reason": v.revision_reason} if v.amended else None),
            }
        )
        if revisions is not None:
            data[-1]["revisions"] = [
                {"revision": r.revision, "at": r.made, "by": r.made_by, "reason": r.reason, "urgency": r.urgency}
                for r in revisions.get(v.id, [])
            ]
    return data


def _item(decided: dict[tuple[str, str], Decision], kind: str, item: dict[str, Any]) -> dict[str, Any]:
    d = decided.get((kind, item["id"]))
    return {"id": item["id"], "name": item["name"], "accepted": d.accepted if d else True, "note": d.note if d else ""}


def bike_changes(fit: dict[str, Any]) -> str | None:
    """What the fit record shows was changed on the bike at this visit, in a line."""
    record = FitRecord.model_validate(fit) if fit else FitRecord()
    if record.is_empty():
        return None
    changed = record.changed()
    parts = []
    for setting in fitrecord.form().settings:  # in the form's order, as the report's table
        sid = setting.id
        if sid in changed:
            before, after = fitrecord.shown(setting, record.before[sid]), fitrecord.shown(setting, record.after[sid])
            change = fitrecord.change(setting, record.before[sid], record.after[sid])
            by = f" ({change})" if setting.type == "number" else ""  # a text's change is the line itself
            parts.append(f"{setting.label.lower()} {before} -> {after}{by}")
    named = record.bike()  # which bike, first: a client may bring another next time
    return "; ".join([*([named] if named else []), *(parts or ["measured; nothing changed"])])


def to_lines(client: str, visits: list[Consultation], revisions: dict[int, list[Revision]] | None = None) -> list[str]:
    """``advisor history``: a few lines per consultation (with ``revisions``, each visit's
    earlier revisions too)."""
    lines = [f"{client}: {len(visits)} consultation{'s' if len(visits) != 1 else ''}"]
    for n, (v, diffs) in enumerate(timeline(visits)):
        lines.append("")
        lines.append(f"#{v.id}  {v.date.isoformat()}  {v.urgency}  ({v.questionnaire})")
        if v.amended:
            lines.append("  " + amended_line(v))
        if revisions and revisions.get(v.id):
            lines.append("  earlier revisions:")
            lines += [f"    {line}" for line in revision_lines(revisions[v.id])]
        if n == 0:
            measures = key_values(v.answers)
            lines.append("  measures:" + ("" if measures else " none recorded"))
            lines += [f"    {m}" for m in measures]
        elif diffs:
            lines.append("  changed since the visit before:")
            lines += [f"    {c.short()}" for c in diffs]
        else:
            lines.append("  no change in the key measures since the visit before")
        bike = bike_changes(v.fit)
        if bike is not None:
            lines.append("  bike: " + bike)
        if v.fit.get("fitter"):
            lines.append("  fitted by: " + str(v.fit["fitter"]))
        declined = [d for d in v.decisions if not d.accepted]
        if declined:
            advised = [*v.result.get("adjustments", []), *v.result.get("exercises", [])]
            named = {i["id"]: i["name"] for i in advised}
            lines.append(
                "  declined: "
                + "; ".join(named.get(d.item, d.item) + (f" ({d.note})" if d.note else "") for d in declined)
            )
        if v.notes:
            lines.append("  notes: " + v.notes.replace("\n", " / "))
    return lines
