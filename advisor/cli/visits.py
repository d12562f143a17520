"""A stored client's visits as the CLI uses them: the visits before one, its assessment, its report."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from advisor.core.advice.pipeline import assess
from advisor.core.assessment import Assessment
from advisor.core.intake.answers import Answers
from advisor.core.rulebase.followup import Previous
from advisor.output import formats
from advisor.records.model import ClientSummary, Consultation
from advisor.records.store import Store, Who


def earlier(store: Store, client: str | ClientSummary | Who, on_or_before: dt.date) -> list[Consultation]:
    return [c for c in store.history(client) if c.date <= on_or_before]


def assess_visit(answers: Answers, before: list[Consultation]) -> Assessment:
    """The follow-up rules compare with the last visit before this one."""
    if not before:
        return assess(answers)
    last = before[-1]
    return assess(answers, Previous.of_visit(last.answers, last.result, last.fit, last.date))


def write_report(store: Store, visit: Consultation, path: str, paper: str, *, actor: str) -> Path:
    """Write a stored consultation's report, with what was agreed and what changed since the
    visit before; the report is an event in the audit trail (its format, never its path,
    which may hold the client's name)."""
    written = formats.write(formats.stored_report(visit, store.before(visit), paper), path)
    store.log("report", actor=actor, client=visit.client_id, visit=visit.id, detail=written.suffix.lstrip(".").lower())
    return written
