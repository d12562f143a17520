"""Moving a client's records between studios: one JSON file holds every consultation."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from advisor.core.errors import AdvisorError, Problem
from advisor.core.files import write_atomic
from advisor.core.yamlio import read_text
from advisor.records.store import Consultation, Decision, Store

FORMAT = "bikefit-advisor-client"
VERSION = 1


class _Decision(BaseModel):
    model_config = ConfigDict(extra="forbid")
    kind: Literal["adjustment", "exercise"]
    item: str
    accepted: bool
    note: str = ""


class _Visit(BaseModel):
    model_config = ConfigDict(extra="forbid")
    date: dt.date
    questionnaire: str
    urgency: str
    answers: dict[str, Any]
    result: dict[str, Any]
    decisions: list[_Decision] = []
    created: str


class ClientFile(BaseModel):
    model_config = ConfigDict(extra="forbid")
    format: Literal["bikefit-advisor-client"]
    version: int = Field(ge=1, le=VERSION)
    client: str = Field(min_length=1, max_length=200)
    exported: str
    consultations: list[_Visit]


def export_client(store: Store, name: str, out: str) -> tuple[Path, int]:
    stored = store.client_name(name)
    if stored is None:
        raise AdvisorError([Problem(store.name, f"has no client named '{name}'; see 'advisor clients'")])
    visits = store.history(stored)
    doc = {
        "format": FORMAT,
        "version": VERSION,
        "client": stored,
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
            }
            for v in visits
        ],
    }
    target = Path(out)
    if target.is_dir():
        raise AdvisorError([Problem(out, "is a directory; give a file name such as client.json")])
    write_atomic(target, json.dumps(doc, ensure_ascii=False, indent=2) + "\n", mode=0o600)
    return target, len(visits)


def import_client(store: Store, path: str) -> tuple[str, int, int]:
    """Add the file's consultations to the store; returns (client, added, already there)."""
    name = "<stdin>" if path == "-" else path
    try:
        raw = json.loads(read_text(path, limit=50_000_000))
    except json.JSONDecodeError as err:
        raise AdvisorError([Problem(name, f"is not valid JSON: {err.msg}", err.lineno)]) from None
    try:
        parsed = ClientFile.model_validate(raw)
    except ValidationError as err:
        problems = [
            Problem(name, f"{e['msg']}", field=".".join(str(x) for x in e["loc"]) or None) for e in err.errors()[:10]
        ]
        if isinstance(raw, dict) and raw.get("format") != FORMAT:
            problems = [Problem(name, f"is not a client export of bikefit-advisor (expected format '{FORMAT}')")]
        raise AdvisorError(problems) from None
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
        )
        for v in parsed.consultations
    ]
    client = store.client_name(parsed.client) or parsed.client
    added, skipped = store.import_client(client, visits)
    return client, added, skipped
