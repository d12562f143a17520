"""`advisor amend`: correct a stored visit from a corrected answer file, keeping the one it replaces."""

from __future__ import annotations

from typing import Annotated

import typer

from advisor.cli import visits
from advisor.cli.common import DbOption, FitterOption, app, handled, say
from advisor.core.datafiles.yamlio import parse, read_text
from advisor.core.errors import AdvisorError, Problem
from advisor.core.intake import answers as answers_mod
from advisor.core.text import MAX_NOTE, checked
from advisor.records.actor import actor
from advisor.records.model import Consultation, Decision
from advisor.records.store import Store


@app.command("amend")
@handled
def amend_command(
    consultation_id: Annotated[int, typer.Argument(metavar="ID", help="The visit's id (see 'advisor history').")],
    answers: Annotated[
        str | None,
        typer.Option(
            "--answers", metavar="FILE", help="The visit's answers, corrected (an answer file, as assess reads)."
        ),
    ] = None,
    reason: Annotated[
        str | None, typer.Option("--reason", metavar="TEXT", help="Why the visit is amended (kept with it).")
    ] = None,
    db: DbOption = None,
    fitter: FitterOption = None,
) -> None:
    """Correct a stored visit: its answers are assessed again (with the visit before it, as
    when it was recorded); the decisions on items still advised are kept; the visit as it was
    stays in the record as an earlier revision (see history --revisions).

    Example: advisor amend 1 --answers zoe.yaml --reason "hamstring test measured again"
    """
    if answers is None:
        raise AdvisorError([Problem("--answers", "give the corrected answer file, e.g. --answers visit.yaml")])
    why = checked(reason or "", "reason", MAX_NOTE, "--reason").strip()
    if not why:
        shown = "" if reason is None else f" ('{reason}' says nothing)"
        raise AdvisorError(
            [Problem("--reason", f'say why the visit is amended, e.g. --reason "hamstring test measured again"{shown}')]
        )
    name = "<stdin>" if answers == "-" else answers
    raw = parse(read_text(answers), name)
    corrected = answers_mod.validate(raw, name)
    with Store(db, create=False) as store:
        visit = store.consultation(consultation_id)
        # The visit keeps its date and client unless the file gives another date.
        dated = isinstance(raw, dict) and raw.get("date") is not None
        corrected = corrected.model_copy(
            update={"client": visit.client, "date": corrected.date if dated else visit.date}
        )
        before = [
            v
            for v in store.history(store.require(visit.client_id))
            if v.id != visit.id and (v.date, v.id) < (corrected.date, visit.id)
        ]
        result = visits.assess_visit(corrected, before)
        advised = [("adjustment", a.id) for a in result.adjustments] + [("exercise", e.id) for e in result.exercises]
        kept, dropped, new = _decisions(visit, advised)
        revision = store.amend(visit.id, corrected, result, kept, why, actor=actor(fitter), expected=visit.revision)
    change = (
        f"{visit.urgency} -> {result.referral.urgency}" if visit.urgency != result.referral.urgency else visit.urgency
    )
    say(f"Consultation {visit.id} amended: revision {revision} ({change})")
    if dropped:
        say(f"No longer advised, so their decisions were dropped: {', '.join(dropped)}")
    if new:
        say(f"Newly advised, not yet discussed with the client: {', '.join(new)}")


def _decisions(visit: Consultation, advised: list[tuple[str, str]]) -> tuple[list[Decision], list[str], list[str]]:
    """The visit's decisions on items still advised; the items decided on that are no longer
    advised; the items advised now that the visit did not advise."""
    still = set(advised)
    kept = [d for d in visit.decisions if (d.kind, d.item) in still]
    dropped = [d.item for d in visit.decisions if (d.kind, d.item) not in still]
    was = {("adjustment", a["id"]) for a in visit.result.get("adjustments", [])}
    was |= {("exercise", e["id"]) for e in visit.result.get("exercises", [])}
    new = [item for kind, item in advised if (kind, item) not in was]
    return kept, dropped, new
