"""What a record holds: a client's consultations, the decisions taken in them, and how
client names are matched. Plain data, shared by the store, its databases and every reader."""

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


@dataclass(frozen=True)
class ClientSummary:
    name: str
    visits: int
    last_date: dt.date | None
    last_urgency: str | None


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
