"""The consultation store: clients and their visits, in a SQLite file or on a PostgreSQL server.

One store per studio: by default a SQLite file in the user data folder, else ``--db`` or the
``ADVISOR_DB`` environment variable, either a file path or a ``postgresql://`` URL for a
record several fitters share (``location.py``). Both keep one schema, migrated forward on
open (``schema.py``); every save is one transaction; a database that is not ours, is
corrupt, or comes from a newer version is reported and never written to. How each database
keeps those promises is in ``sqlite_file.py`` and ``postgres.py``; this module is what the
commands and the studio use. The store owns the interface (``Backend``) that each database
implements; the databases know nothing of the store, only of the record's data (``model.py``).
Only the commands that keep records import this module, so the others never load SQLAlchemy.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any, Protocol

from advisor.core.assessment import Assessment
from advisor.core.errors import AdvisorError, Problem, nearest
from advisor.core.intake.answers import Answers
from advisor.records import postgres, sqlite_file
from advisor.records.location import ENV_DB, Location, default_file, locate
from advisor.records.model import ClientSummary, Consultation, Decision, Visit, folded

__all__ = ["ENV_DB", "Backend", "Store", "default_path"]

# The largest id a database can hold; anything beyond names no consultation.
_MAX_ID = 2**63 - 1


def default_path() -> Path:
    """The SQLite file used when neither ``--db`` nor ``ADVISOR_DB`` names the records."""
    return default_file()


class Backend(Protocol):
    """What the store needs of a database; ``database.Database`` implements it for SQLite
    (``sqlite_file.py``) and PostgreSQL (``postgres.py``)."""

    def add(self, client: str, stamp: str, visit: Visit, decided: list[Decision]) -> int: ...
    def import_visits(self, client: str, stamp: str, visits: list[Consultation]) -> tuple[int, int]: ...
    def clients(self) -> list[ClientSummary]: ...
    def client_name(self, name: str) -> str | None: ...
    def by_client(self, name: str) -> list[Consultation]: ...
    def by_id(self, cid: int) -> list[Consultation]: ...
    def integrity(self) -> str: ...
    def close(self) -> None: ...


class Store:
    def __init__(self, path: Path | str | None = None, *, create: bool = True) -> None:
        """Open the consultation records at ``path`` (a file or a PostgreSQL URL; see ``locate``);
        ``create`` is False for commands that only read, so a mistyped path or an empty
        database is reported instead of becoming a new, empty store."""
        self.location = locate(str(path) if path else None)
        self.path = self.location.path  # None for a server
        self.name = self.location.shown  # never shows a password
        self._db = _open(self.location, create)

    @property
    def files(self) -> tuple[Path, ...]:
        """Files the store lives in, which no report or export may replace."""
        return (self.path,) if self.path is not None else ()

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- writing -----------------------------------------------------------------------
    def add_consultation(
        self,
        client: str,
        date: dt.date,
        questionnaire: str,
        urgency: str,
        answers: dict[str, Any],
        result: dict[str, Any],
        decisions: list[Decision],
        created: str | None = None,
        fit: dict[str, Any] | None = None,
        notes: str = "",
    ) -> int:
        """Store one consultation and its decisions in a single transaction; returns its id."""
        stamp = created or _now()
        visit = (date, questionnaire, urgency, answers, result, stamp, fit or {}, notes)
        return self._db.add(client, stamp, visit, decisions)

    def record(
        self, client: str, answers: Answers, result: Assessment, decisions: list[Decision], notes: str = ""
    ) -> int:
        """Store an assessed visit as the CLI and the studio both do: answers, result, decisions, fit, notes."""
        return self.add_consultation(
            client,
            answers.date,
            answers.questionnaire,
            result.referral.urgency,
            dict(answers.values),
            result.to_json_dict(),
            decisions,
            fit=answers.fit.stored(),
            notes=notes,
        )

    def import_client(self, client: str, visits: list[Consultation]) -> tuple[int, int]:
        """Add a client's consultations in one transaction, skipping any already stored.

        A visit counts as already stored when the client has one on the same date with the
        same questionnaire and answers, so importing the same file twice, or a visit that went
        out as FHIR and came back, changes nothing.
        Returns (added, skipped).
        """
        return self._db.import_visits(client, _now(), visits)

    # --- reading -----------------------------------------------------------------------
    def clients(self) -> list[ClientSummary]:
        return self._db.clients()

    def client_name(self, name: str) -> str | None:
        """The stored spelling of a client's name (names match whatever their case or spacing)."""
        return self._db.client_name(name)

    def require_client(self, name: str) -> str:
        """The stored spelling of a client's name, or an error that suggests the nearest one,
        accents aside ("Zoe Odegard" finds "Zoë Ødegård")."""
        stored = self.client_name(name)
        if stored is not None:
            return stored
        names = [c.name for c in self.clients()]
        by_folded = {folded(n): n for n in names}
        guess = by_folded.get(folded(name)) or by_folded.get(nearest(folded(name), by_folded) or "")
        hint = f" (did you mean '{guess}'?)" if guess else ""
        raise AdvisorError([Problem(self.name, f"has no client named '{name}'{hint}; see 'advisor clients'")])

    def history(self, client: str) -> list[Consultation]:
        """A client's consultations, oldest first (two queries, whatever the number of visits)."""
        return self._db.by_client(client)

    def consultation(self, cid: int) -> Consultation:
        found = self._db.by_id(cid) if 0 < cid <= _MAX_ID else []
        if not found:
            raise AdvisorError([Problem(self.name, f"has no consultation with id {cid}; see 'advisor history NAME'")])
        return found[0]

    def previous(self, client: str, before: dt.date | None = None) -> Consultation | None:
        """The client's latest consultation (on or before ``before``), if any."""
        visits = [c for c in self.history(client) if before is None or c.date <= before]
        return visits[-1] if visits else None

    def before(self, visit: Consultation) -> list[Consultation]:
        """The client's consultations before this one, oldest first (a report's follow-up)."""
        return [c for c in self.history(visit.client) if (c.date, c.id) < (visit.date, visit.id)]

    def integrity(self) -> str:
        return self._db.integrity()


def _open(location: Location, create: bool) -> Backend:
    """The database behind a store (a driver loads only when it connects)."""
    if location.is_postgres:
        return postgres.PostgresDatabase(location, create=create)
    return sqlite_file.SqliteDatabase(location, create=create)


def _now() -> str:
    return dt.datetime.now().replace(microsecond=0).isoformat()
