"""Moving records between studios and stores: one JSON file holds a client's consultations,
and ``copy_all`` copies every client from one store into another (SQLite to PostgreSQL, say).

A client's consultations also go out as a FHIR R4 Bundle (fhir.py, beside this module), for a clinic's
system, and come back from one: the Bundle carries the answers, so an import assesses them
again, in date order with each visit's previous one, as the consultation did.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from advisor.core.advice.pipeline import assess
from advisor.core.assessment import Assessment
from advisor.core.datafiles.files import check_target, write_atomic
from advisor.core.datafiles.yamlio import read_text
from advisor.core.errors import AdvisorError, Problem
from advisor.core.intake import answers as answers_mod
from advisor.core.intake.answers import Answers
from advisor.core.intake.fitrecord import FitRecord
from advisor.core.rulebase import knowledge
from advisor.core.rulebase.followup import Previous
from advisor.core.text import MAX_NAME, MAX_NOTE, problem_with
from advisor.exchange import fhir
from advisor.records.model import ClientSummary, Consultation, Decision
from advisor.records.store import Store, Who

FORMAT = "bikefit-advisor-client"
# 2: the client's lasting id, date of birth and consent, and who recorded each visit.
VERSION = 2


class _Decision(BaseModel):
    model_config = ConfigDict(defer_build=True, extra="forbid")
    kind: Literal["adjustment", "exercise"]
    item: str
    accepted: bool
    note: str = ""


class _Visit(BaseModel):
    model_config = ConfigDict(defer_build=True, extra="forbid")
    date: dt.date
    questionnaire: str
    urgency: str
    answers: dict[str, Any]
    result: dict[str, Any]
    decisions: list[_Decision] = []
    created: str
    fit: dict[str, Any] = {}
    notes: str = ""
    recorded_by: str = Field(default="", max_length=MAX_NAME)


class ClientFile(BaseModel):
    model_config = ConfigDict(defer_build=True, extra="forbid")
    format: Literal["bikefit-advisor-client"]
    version: int = Field(ge=1, le=VERSION)
    client: str = Field(min_length=1, max_length=MAX_NAME)
    client_id: str = Field(default="", pattern=r"^(c-[a-z0-9]{10})?$")
    born: dt.date | None = None
    consent: str = Field(default="", max_length=40)  # when the client agreed to their answers being kept
    consent_version: str = Field(default="", max_length=40)
    exported: str
    consultations: list[_Visit]


def export_client(
    store: Store,
    name: str,
    out: str,
    *,
    force: bool = False,
    as_fhir: bool = False,
    born: dt.date | None = None,
    actor: str = "",
) -> tuple[Path, int]:
    """Write every consultation of a client to the file ``out`` (the advisor's own JSON, or a
    FHIR R4 Bundle with ``as_fhir``); an existing file only with ``force``."""
    target = check_target(Path(out), option="--out", keep=store.files, overwrite=force, example="client.json")
    text, count = export_document(store, name, as_fhir=as_fhir, born=born, actor=actor)
    write_atomic(target, text)
    return target, count


def export_document(
    store: Store, name: str, *, as_fhir: bool = False, born: dt.date | None = None, actor: str = ""
) -> tuple[str, int]:
    """Every consultation of a client as the export's text, and how many there are; the
    export is an event in the audit trail."""
    client = store.require(name, born)
    stored = client.name
    visits = store.history(client)
    store.log("exported", actor=actor, client=client.id, detail=f"{len(visits)} visits{' as FHIR' if as_fhir else ''}")
    if as_fhir:
        pairs = [(_answers_of(stored, v), Assessment.model_validate(v.result)) for v in visits]
        return json.dumps(fhir.bundle(pairs), ensure_ascii=False, indent=2) + "\n", len(visits)
    doc = {
        "format": FORMAT,
        "version": VERSION,
        "client": stored,
        "client_id": client.id,
        "born": client.born.isoformat() if client.born else None,
        "consent": client.consent,
        "consent_version": client.consent_version,
        "exported": dt.datetime.now().replace(microsecond=0).isoformat(),
        "consultations": [
            {
                "date": v.date.isoformat(),
                "questionnaire": v.questionnaire,
                "urgency": v.urgency,
                "answers": v.answers,
                "result": v.result,
                "decisions": [d.__dict__ for d in v.decisions],
                "created": v.created,
                "fit": v.fit,
                "notes": v.notes,
                "recorded_by": v.recorded_by,
            }
            for v in visits
        ],
    }
    return json.dumps(doc, ensure_ascii=False, indent=2) + "\n", len(visits)


def _answers_of(client: str, visit: Consultation) -> Answers:
    fit = FitRecord.model_validate(visit.fit) if visit.fit else FitRecord()
    return Answers(
        questionnaire=visit.questionnaire, client=client, date=visit.date, values=dict(visit.answers), fit=fit
    )


# The visit a store already holds before a date, for a client: what an imported FHIR visit is
# compared with when the Bundle holds nothing earlier (the follow-up rules need it).
Earlier = Callable[[str, dt.date], Previous | None]


def read_export(path: str, earlier: Earlier | None = None) -> tuple[str, list[Consultation], ClientSummary | None]:
    """The client and consultations of an export file (the advisor's own JSON or a FHIR Bundle
    it wrote), checked in full before anything is stored. A Bundle's visits are assessed again,
    each with the visit before it: the Bundle's own, or the store's (``earlier``) when later."""
    name = "<stdin>" if path == "-" else path
    try:
        raw = json.loads(read_text(path, limit=50_000_000))
    except json.JSONDecodeError as err:
        raise AdvisorError([Problem(name, f"is not valid JSON: {err.msg}", err.lineno)]) from None
    except (ValueError, RecursionError) as err:  # a number of thousands of digits; nesting too deep
        raise AdvisorError([Problem(name, f"cannot be read as an export: {str(err)[:80]}")]) from None
    if isinstance(raw, dict) and "resourceType" in raw:
        return _read_bundle(raw, name, earlier)
    try:
        parsed = ClientFile.model_validate(raw)
    except ValidationError as err:
        problems = [
            Problem(name, f"{e['msg']}", field=".".join(str(x) for x in e["loc"]) or None) for e in err.errors()[:10]
        ]
        if isinstance(raw, dict) and raw.get("format") != FORMAT:
            problems = [Problem(name, f"is not a client export of bikefit-advisor (expected format '{FORMAT}')")]
        raise AdvisorError(problems) from None
    _check_content(parsed, name)
    visits = [
        Consultation(
            id=0,
            client=parsed.client,
            date=v.date,
            questionnaire=v.questionnaire,
            urgency=v.urgency,
            answers=v.answers,
            result=v.result,
            decisions=[Decision(d.kind, d.item, d.accepted, d.note) for d in v.decisions],
            created=v.created,
            fit=v.fit,
            notes=v.notes,
            recorded_by=v.recorded_by,
        )
        for v in parsed.consultations
    ]
    carried = ClientSummary(
        parsed.client, len(visits), None, None, parsed.client_id, parsed.born, parsed.consent, parsed.consent_version
    )
    return parsed.client, visits, carried


def _read_bundle(
    raw: dict[str, Any], name: str, earlier: Earlier | None
) -> tuple[str, list[Consultation], ClientSummary | None]:
    """One client's visits from a FHIR Bundle, each assessed again with the visit before it."""
    read = fhir.read_bundle(raw, name)
    clients = sorted({a.client or "" for a in read})
    if not read:
        raise AdvisorError([Problem(name, "holds no consultation (no QuestionnaireResponse)")])
    if "" in clients:
        raise AdvisorError(
            [Problem(name, "has a consultation without the client's name; a record needs one", field="entry")]
        )
    if len(clients) > 1:
        shown = ", ".join(clients[:5])
        raise AdvisorError([Problem(name, f"holds several clients ({shown}); import one client's Bundle at a time")])
    trouble = problem_with(clients[0], "name", MAX_NAME)
    if trouble:
        raise AdvisorError([Problem(name, trouble, field="client")])
    visits: list[Consultation] = []
    previous: Previous | None = None
    for answers in sorted(read, key=lambda a: a.date):  # sorted() keeps a day's visits in order
        stored = earlier(clients[0], answers.date) if earlier else None
        if stored is not None and (previous is None or (stored.date and previous.date and stored.date > previous.date)):
            previous = stored
        result = assess(answers, previous)
        visits.append(
            Consultation(
                id=0,
                client=clients[0],
                date=answers.date,
                questionnaire=answers.questionnaire,
                urgency=result.referral.urgency,
                answers=dict(answers.values),
                result=result.to_json_dict(),
                decisions=[],  # the Bundle says what was advised, not what the rider agreed to
                # The day itself: importing the same Bundle again then finds its visits stored.
                created=f"{answers.date.isoformat()}T00:00:00",
                fit=answers.fit.stored(),
            )
        )
        advised = [e.id for e in result.exercises]
        previous = Previous(dict(answers.values), advised, answers.fit.stored(), answers.date)
    return clients[0], visits, None  # a Bundle carries no consent: the import asks for it


def stored_before(store: Callable[[], Store]) -> Earlier:
    """``earlier`` for read_export: the client's last stored visit before a date, if any. The
    store is asked for only once a file has passed its checks (a refused file opens none)."""

    def last(client: str, date: dt.date) -> Previous | None:
        found = store().named(client)
        visits = [v for v in store().history(found[0]) if v.date < date] if len(found) == 1 else []
        if not visits:
            return None
        v = visits[-1]
        return Previous.of_visit(v.answers, v.result, v.fit, v.date)

    return last


def import_client(
    store: Store,
    client: str,
    visits: list[Consultation],
    carried: ClientSummary | None = None,
    *,
    actor: str = "",
    consent: bool = False,
) -> tuple[str, int, int]:
    """Add checked consultations to the store; returns (client as stored, added, already there).
    ``carried``: the client as the export knew them (their id, date of birth and consent)."""
    who = Who(client, carried.born if carried else None)
    added, skipped = store.import_client(who, visits, actor=actor, consent=consent, carried=carried)
    found = store.find(who)
    return found.name if found else client, added, skipped


def copy_all(source: Store, target: Store, *, actor: str = "") -> tuple[int, int, int]:
    """Every client's consultations from ``source`` into ``target``, one transaction per client,
    skipping visits ``target`` already holds; returns (clients, added, already there)."""
    if source.location.same_place(target.location) or _same_file(source, target):
        raise AdvisorError([Problem("--to", f"is {target.name}, the store being copied; give another")])
    added = skipped = 0
    summaries = source.clients()
    for summary in summaries:
        # Each client as they are: their id, date of birth and consent go with their visits.
        who = Who(summary.name, summary.born)
        more, already = target.import_client(who, source.history(summary), actor=actor, carried=summary, copying=True)
        added, skipped = added + more, skipped + already
    return len(summaries), added, skipped


def _same_file(a: Store, b: Store) -> bool:
    return a.path is not None and b.path is not None and b.path.exists() and os.path.samefile(a.path, b.path)


def _check_content(parsed: ClientFile, name: str) -> None:
    """Everything an import stores must be what the advisor itself would have stored, so that
    history and reports can always read it back: checked in full before anything is written."""
    problems: list[Problem] = []
    trouble = problem_with(parsed.client, "name", MAX_NAME)
    if trouble:
        problems.append(Problem(name, trouble, field="client"))
    tiers = knowledge.load().tiers
    for i, v in enumerate(parsed.consultations):
        at = f"consultations[{i}]"
        doc = {"questionnaire": v.questionnaire, "date": v.date.isoformat(), "answers": v.answers, "fit": v.fit}
        try:
            answers_mod.validate(doc, name)
        except AdvisorError as err:
            problems += [Problem(name, p.message, field=f"{at}.{p.field}" if p.field else at) for p in err.problems]
        if v.urgency not in tiers:
            problems.append(
                Problem(name, f"'{v.urgency}' is not an urgency; allowed: {', '.join(tiers)}", field=f"{at}.urgency")
            )
        try:
            result = Assessment.model_validate(v.result)
        except ValidationError as err:
            first = err.errors()[0]
            where = ".".join(str(x) for x in first["loc"])
            problems.append(Problem(name, f"is not an advisor result ({where}: {first['msg']})", field=f"{at}.result"))
        else:
            if result.referral.urgency != v.urgency:
                problems.append(Problem(name, "does not match the result's referral", field=f"{at}.urgency"))
            advised = {a.id for a in result.adjustments} | {e.id for e in result.exercises}
            for j, d in enumerate(v.decisions):
                if d.item not in advised:
                    problems.append(
                        Problem(name, f"'{d.item}' is not advised in this result", field=f"{at}.decisions[{j}].item")
                    )
        for j, d in enumerate(v.decisions):
            trouble = problem_with(d.note, "note", MAX_NOTE)
            if trouble:
                problems.append(Problem(name, trouble, field=f"{at}.decisions[{j}].note"))
        try:
            dt.datetime.fromisoformat(v.created)
        except ValueError:
            problems.append(Problem(name, f"'{v.created[:40]}' is not a date and time", field=f"{at}.created"))
    if problems:
        raise AdvisorError(problems[:20])
