"""What a record holds: clients, their consultations and the decisions taken in them, earlier
revisions, the audit trail, and how clients are told apart. Plain data, shared by the store,
its databases and every reader."""

from __future__ import annotations

import datetime as dt
import unicodedata
from dataclasses import dataclass, field
from typing import Any

# A consultation as stored: date, questionnaire, urgency, answers, result, created, fit, notes.
Visit = tuple[dt.date, str, str, dict[str, Any], dict[str, Any], str, dict[str, Any], str]


@dataclass(frozen=True)
class Decision:
    kind: str  # "adjustment" or "exercise"
    item: str
    accepted: bool
    note: str = ""


@dataclass(frozen=True)
class Consultation:
    id: int
    client: str
    date: dt.date
    questionnaire: str
    urgency: str
    answers: dict[str, Any]
    result: dict[str, Any]
    decisions: list[Decision]
    created: str
    fit: dict[str, Any] = field(default_factory=dict)  # {"before": {...}, "after": {...}}
    notes: str = ""  # the fitter's own notes on the visit
    client_id: str = ""  # the client's lasting id
    recorded_by: str = ""  # who saved it ('' before records said so)
    revision: int = 1  # 1 until amended
    revised: str = ""  # the latest amendment: when, by whom and why ('' when never amended)
    revised_by: str = ""
    revision_reason: str = ""

    @property
    def amended(self) -> bool:
        return self.revision > 1


@dataclass(frozen=True)
class Revision:
    """An earlier form of an amended consultation, whole, and how it came to be."""

    consultation: int
    revision: int
    date: dt.date
    questionnaire: str
    urgency: str
    answers: dict[str, Any]
    result: dict[str, Any]
    fit: dict[str, Any]
    notes: str
    decisions: list[Decision]
    made: str  # when it was recorded
    made_by: str
    reason: str  # why it replaced the one before ('' for the original)


@dataclass(frozen=True)
class ClientSummary:
    """A client as the records know them, with their last visit."""

    name: str
    visits: int
    last_date: dt.date | None
    last_urgency: str | None
    id: str = ""  # lasting: kept through renames and merges
    born: dt.date | None = None
    consent: str = ""  # when they agreed to their answers being kept ('' : not recorded)
    consent_version: str = ""  # which wording they agreed to

    @property
    def consented(self) -> bool:
        return bool(self.consent)

    def described(self) -> str:
        """'Anna Rossi (born 1980-02-01, id c-7k2m9q4xwz, last visit 2026-11-02)'."""
        born = f"born {self.born.isoformat()}" if self.born else "no date of birth"
        last = f"last visit {self.last_date.isoformat()}" if self.last_date else "no visit yet"
        return f"{self.name} ({born}, id {self.id}, {last})"


@dataclass(frozen=True)
class AuditEvent:
    """One thing done to the records: never a name or an answer, only ids."""

    id: int
    at: str
    actor: str
    action: str  # saved, amended, exported, imported, erased, renamed, merged, report, login, backup, ...
    client: str  # the client's lasting id, or ''
    visit: int | None
    detail: str


def identity_key(name: str, born: dt.date | None) -> str:
    """Who a client is: their name as matched, and their date of birth when given."""
    return name_key(name) if born is None else f"{name_key(name)}\x1f{born.isoformat()}"


def name_key(name: str) -> str:
    """How names are matched: Unicode case folding, normalised form, single spaces."""
    return " ".join(unicodedata.normalize("NFKC", name).casefold().split())


# Letters NFKD does not take apart: folded by hand, so a name typed on an English keyboard
# still finds its client.
_PLAIN = str.maketrans(
    {"ø": "o", "Ø": "O", "æ": "ae", "Æ": "AE", "œ": "oe", "Œ": "OE", "ß": "ss", "đ": "d", "Đ": "D", "ł": "l", "Ł": "L"}
)


def folded(name: str) -> str:
    """A name without accents, case or extra spaces, to compare with."""
    plain = unicodedata.normalize("NFKD", name.translate(_PLAIN))
    return " ".join("".join(c for c in plain if not unicodedata.combining(c)).casefold().split())
