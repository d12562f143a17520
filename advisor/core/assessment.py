"""The result of an assessment: what every output format renders (knowledge-spec section 4)."""

import datetime as dt
from typing import Any

from pydantic import BaseModel, ConfigDict


class _Model(BaseModel):
    model_config = ConfigDict(defer_build=True, frozen=True)


class ReasonAction(_Model):
    """One warning sign behind an emergency or urgent referral, with its own action."""

    reason: str
    what_to_do: str
    tell_doctor: str
    rule: str


class Referral(_Model):
    urgency: str
    stop_riding: bool  # the tier allows no exercises and no fit changes (emergency, urgent)
    title: str
    headline: str
    advice: str
    reasons: list[str]
    rules: list[str]
    actions: list[ReasonAction] = []  # emergency and urgent: what to do for each reason
    # Said to the rider whatever the tier, right under the headline: a parent or guardian
    # for a rider under 18, a pelvic-health physical therapist after a birth.
    notes: list[str] = []
    # Emergency and urgent: the pain the rider reported, in their own answers' words, for the
    # doctor; built from the answers, so no rider is told to mention pain they do not have.
    reported: str = ""

    def action_groups(self) -> list[tuple[list[str], str, str]]:
        """Reasons that share one action, with that action and what to tell the doctor.

        Signs that call for the same action (the same trip to the emergency department, the
        same urgent appointment) are read under it once, with what to tell the doctor about
        each. What the rider reported about their pain is said once, after the last group's
        words for the doctor.
        """
        groups: dict[str, tuple[list[str], list[str]]] = {}
        for a in self.actions:
            reasons, tells = groups.setdefault(a.what_to_do, ([], []))
            reasons.append(a.reason)
            if a.tell_doctor not in tells:
                tells.append(a.tell_doctor)
        out = [(reasons, todo, " ".join(tells)) for todo, (reasons, tells) in groups.items()]
        if out and self.reported:
            reasons, todo, tell = out[-1]
            out[-1] = (reasons, todo, f"{tell} {self.reported}")
        return out


class Finding(_Model):
    id: str
    name: str
    summary: str
    because: list[str]
    rules: list[str]
    answers: dict[str, Any]


class Adjustment(_Model):
    id: str
    name: str
    kind: str  # bike (a change to the bike), habit (how to ride) or session (an appointment)
    phase: int  # 1 = now; a bike change in phase 2 comes after re-checking phase 1, and so on
    change: str
    step: str
    check: str
    because: list[str]
    notes: list[str]  # how this applies to this rider (age, discipline, ...)
    rules: list[str]
    answers: dict[str, Any]


class Exercise(_Model):
    id: str
    name: str
    target: str
    level: str
    steps: list[str]
    dose: str
    progression: str | None
    regression: str
    equipment: list[str]
    cautions: list[str]
    because: list[str]
    notes: list[str]  # how this applies to this rider (age, training, ...)
    rules: list[str]
    answers: dict[str, Any]


# Changing many settings at once hides which one helped or hurt: at most this many bike
# changes come in one step, most important first, each step re-checked before the next.
class Withheld(_Model):
    """A recommendation a rule suggested but safety or the referral tier held back."""

    kind: str  # "exercise" or "adjustment"
    id: str
    name: str
    reason: str
    rule: str | None  # the safety rule that held it back; None when the referral tier did
    tier: str | None = None  # the tier that held it back, when no rule did


class Reassess(_Model):
    advice: str
    weeks: int | None
    date: dt.date | None


class TraceEntry(_Model):
    rule: str
    stage: str
    effect: str
    source: list[str]
    answers: dict[str, Any]
    findings: list[str]


class Assessment(_Model):
    questionnaire: str
    client: str | None
    date: dt.date
    referral: Referral
    findings: list[Finding]
    adjustments: list[Adjustment]
    exercises: list[Exercise]
    withheld: list[Withheld]
    not_assessed: list[str]
    reassess: Reassess
    answers: dict[str, Any]
    trace: list[TraceEntry]

    def to_json_dict(self) -> dict[str, Any]:
        """The JSON result, named and versioned so a script (or `advisor assess`) knows it."""
        return {**self.model_dump(mode="json"), "format": RESULT_FORMAT, "version": RESULT_VERSION}


# The JSON result's name and version: the version grows when a key changes meaning or goes.
RESULT_FORMAT = "bikefit-advisor-result"
RESULT_VERSION = 1
