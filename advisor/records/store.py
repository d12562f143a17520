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
import re
from pathlib import Path
from typing import Any, Protocol

from advisor.core.assessment import Assessment
from advisor.core.errors import AdvisorError, Problem, nearest
from advisor.core.intake.answers import Answers
from advisor.records import passwords, postgres, sqlite_file
from advisor.records.consent import CONSENT_VERSION
from advisor.records.database import ChangedMeanwhile, ConsentNeeded, TwoClients, Who
from advisor.records.location import ENV_DB, Location, default_file, locate
from advisor.records.model import AuditEvent, ClientSummary, Consultation, Decision, Revision, Visit, folded

__all__ = [
    "ENV_DB",
    "Backend",
    "ChangedMeanwhile",
    "ConsentNeeded",
    "Store",
    "TwoClients",
    "Who",
    "client_ref",
    "default_path",
]

# The largest id a database can hold; anything beyond names no consultation.
_MAX_ID = 2**63 - 1


def default_path() -> Path:
    """The SQLite file used when neither ``--db`` nor ``ADVISOR_DB`` names the records."""
    return default_file()


class Backend(Protocol):
    """What the store needs of a database; ``database.Database`` implements it for SQLite
    (``sqlite_file.py``) and PostgreSQL (``postgres.py``)."""

    def add(
        self,
        who: Who,
        stamp: str,
        visit: Visit,
        decided: list[Decision],
        *,
        actor: str,
        consent: str | None = None,
        save_key: str | None = None,
    ) -> int: ...
    def import_visits(
        self,
        who: Who,
        stamp: str,
        visits: list[Consultation],
        *,
        actor: str,
        consent: str | None = None,
        carried: ClientSummary | None = None,
        copying: bool = False,
    ) -> tuple[int, int]: ...
    def clients(self) -> list[ClientSummary]: ...
    def client(self, who: Who) -> ClientSummary | None: ...
    def named(self, name: str) -> list[ClientSummary]: ...
    def by_client(self, public_id: str) -> list[Consultation]: ...
    def by_id(self, cid: int) -> list[Consultation]: ...
    def record_consent(self, public_id: str, stamp: str, version: str, actor: str) -> None: ...
    def rename(self, public_id: str, new_name: str, stamp: str, actor: str) -> None: ...
    def merge(self, source: str, target: str, stamp: str, actor: str) -> int: ...
    def amend(
        self,
        cid: int,
        visit: Visit,
        decided: list[Decision],
        stamp: str,
        actor: str,
        reason: str,
        expected: int | None = None,
    ) -> int: ...
    def revisions_of(self, cid: int) -> list[Revision]: ...
    def erase(self, public_id: str, stamp: str, actor: str) -> int: ...
    def record_event(
        self, stamp: str, actor: str, action: str, client: str = "", visit: int | None = None, detail: str = ""
    ) -> None: ...
    def events(self, client: str | None = None, since: str | None = None) -> list[AuditEvent]: ...
    def add_user(self, name: str, password_hash: str, stamp: str, actor: str) -> None: ...
    def remove_user(self, name: str, stamp: str, actor: str) -> None: ...
    def user(self, name: str) -> tuple[str, str] | None: ...
    def user_names(self) -> list[str]: ...
    def backup(self, target: Path) -> None: ...
    def integrity(self) -> str: ...
    def close(self) -> None: ...


# A client's lasting id, as records.schema.new_public_id makes it.
PUBLIC_ID = re.compile(r"^c-[a-z0-9]{10}$")


def client_ref(ref: str, born: dt.date | None = None) -> Who:
    """A client named on the command line or in a form: their lasting id, or a name (with a
    date of birth when given)."""
    text = ref.strip()
    if PUBLIC_ID.match(text):
        return Who(name="", born=born, id=text)
    return Who(name=text, born=born)


class Store:
    def __init__(self, path: Path | str | None = None, *, create: bool = True) -> None:
        """Open the consultation records at ``path`` (a file or a PostgreSQL URL; see ``locate``);
        ``create`` is False for commands that only read, so a mistyped path or an empty
        database is reported instead of becoming a new, empty store."""
        self.location = locate(str(path) if path else None)
        self.path = self.location.path  # None for a server
        self.name = self.location.shown  # never shows a password
        self._db: Backend = _open(self.location, create)

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

    # --- who a client is ---------------------------------------------------------------
    def find(self, ref: str | Who, born: dt.date | None = None) -> ClientSummary | None:
        """The client a name (with a date of birth) or an id names, or None; TwoClients
        (exit 2, listing them) when a name two clients share does not say which."""
        who = ref if isinstance(ref, Who) else client_ref(ref, born)
        return self._db.client(who)

    def require(self, ref: str | Who, born: dt.date | None = None) -> ClientSummary:
        """The client named, or an error that suggests the nearest name, accents aside
        ("Zoe Odegard" finds "Zoë Ødegård")."""
        who = ref if isinstance(ref, Who) else client_ref(ref, born)
        found = self._db.client(who)
        if found is not None:
            return found
        if who.id is not None:
            raise AdvisorError([Problem(self.name, f"has no client with id {who.id}; see 'advisor clients'")])
        names = [c.name for c in self.clients()]
        by_folded = {folded(n): n for n in names}
        guess = by_folded.get(folded(who.name)) or by_folded.get(nearest(folded(who.name), by_folded) or "")
        hint = f" (did you mean '{guess}'?)" if guess else ""
        born_text = f" born {who.born.isoformat()}" if who.born else ""
        raise AdvisorError(
            [Problem(self.name, f"has no client named '{who.name}'{born_text}{hint}; see 'advisor clients'")]
        )

    def named(self, name: str) -> list[ClientSummary]:
        """Every client of this name: none, one, or the ones a date of birth tells apart."""
        return self._db.named(name)

    def client_name(self, name: str) -> str | None:
        """The stored spelling of a client's name (names match whatever their case or spacing)."""
        found = self.find(name)
        return found.name if found else None

    def require_client(self, name: str) -> str:
        return self.require(name).name

    # --- writing -----------------------------------------------------------------------
    def add_consultation(
        self,
        client: str | Who,
        date: dt.date,
        questionnaire: str,
        urgency: str,
        answers: dict[str, Any],
        result: dict[str, Any],
        decisions: list[Decision],
        created: str | None = None,
        fit: dict[str, Any] | None = None,
        notes: str = "",
        *,
        actor: str = "",
        consent: bool = False,
        save_key: str | None = None,
    ) -> int:
        """Store one consultation, its decisions and its audit event in a single transaction;
        returns its id. ``consent``: the client agreed just now to their answers being kept
        (needed for a new client, or one stored before consent was asked: ConsentNeeded)."""
        stamp = created or _now()
        visit = (date, questionnaire, urgency, answers, result, stamp, fit or {}, notes)
        who = client if isinstance(client, Who) else client_ref(client)
        return self._db.add(
            who,
            _now(),
            visit,
            decisions,
            actor=actor,
            consent=CONSENT_VERSION if consent else None,
            save_key=save_key,
        )

    def record(
        self,
        client: str | Who,
        answers: Answers,
        result: Assessment,
        decisions: list[Decision],
        notes: str = "",
        *,
        actor: str = "",
        consent: bool = False,
        save_key: str | None = None,
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
            actor=actor,
            consent=consent,
            save_key=save_key,
        )

    def import_client(
        self,
        client: str | Who,
        visits: list[Consultation],
        *,
        actor: str = "",
        consent: bool = False,
        carried: ClientSummary | None = None,
        copying: bool = False,
    ) -> tuple[int, int]:
        """Add a client's consultations in one transaction, skipping any already stored.
        ``copying``: a whole store copied into another (migrate), each client as they are, one
        stored before consent was asked too.

        A visit counts as already stored when the client has one on the same date with the
        same questionnaire and answers, so importing the same file twice, or a visit that went
        out as FHIR and came back, changes nothing. Returns (added, skipped).
        """
        who = client if isinstance(client, Who) else client_ref(client)
        consented = CONSENT_VERSION if consent else None
        return self._db.import_visits(
            who, _now(), visits, actor=actor, consent=consented, carried=carried, copying=copying
        )

    def record_consent(self, client: ClientSummary, actor: str) -> None:
        self._db.record_consent(client.id, _now(), CONSENT_VERSION, actor)

    def amend(
        self,
        cid: int,
        answers: Answers,
        result: Assessment,
        decisions: list[Decision],
        reason: str,
        *,
        actor: str,
        notes: str | None = None,
        expected: int | None = None,
    ) -> int:
        """A new revision of consultation ``cid`` from corrected answers; the one it replaces
        is kept whole. Returns the new revision's number."""
        was = self.consultation(cid)
        visit = (
            answers.date,
            answers.questionnaire,
            result.referral.urgency,
            dict(answers.values),
            result.to_json_dict(),
            was.created,
            answers.fit.stored() if not answers.fit.is_empty() else was.fit,
            was.notes if notes is None else notes,
        )
        return self._db.amend(cid, visit, decisions, _now(), actor, reason, expected)

    def revisions(self, cid: int) -> list[Revision]:
        """The earlier revisions of a consultation, oldest first (none when never amended)."""
        return self._db.revisions_of(cid)

    def rename(self, client: ClientSummary, new_name: str, *, actor: str) -> None:
        self._db.rename(client.id, new_name, _now(), actor)

    def merge(self, source: ClientSummary, target: ClientSummary, *, actor: str) -> int:
        if source.id == target.id:
            raise AdvisorError([Problem(source.name, "is the same client twice; nothing to merge")])
        return self._db.merge(source.id, target.id, _now(), actor)

    def erase(self, client: ClientSummary, *, actor: str) -> int:
        """Remove the client and everything kept about them; returns the visits removed."""
        return self._db.erase(client.id, _now(), actor)

    def log(self, action: str, *, actor: str, client: str = "", visit: int | None = None, detail: str = "") -> None:
        """An audit event for something done outside a write (a report printed, an export, a login)."""
        self._db.record_event(_now(), actor, action, client, visit, detail)

    def audit(self, client: str | None = None, since: str | None = None) -> list[AuditEvent]:
        return self._db.events(client, since)

    def backup(self, target: Path, *, actor: str) -> None:
        if self.path is not None and target.absolute() == self.path.absolute():
            raise AdvisorError([Problem(str(target), "is the records file itself; give another path")])
        self._db.backup(target)
        self.log("backup", actor=actor)

    # --- the studio's accounts -----------------------------------------------------------
    def add_user(self, name: str, password: str, *, actor: str) -> None:
        self._db.add_user(name, passwords.hashed(password), _now(), actor)

    def remove_user(self, name: str, *, actor: str) -> None:
        self._db.remove_user(name, _now(), actor)

    def users(self) -> list[str]:
        return self._db.user_names()

    def check_user(self, name: str, password: str) -> str | None:
        """The account's name when the password is theirs, else None."""
        found = self._db.user(name)
        if found is None:
            passwords.matches(password, passwords.dummy())  # the same work for a name with no account
            return None
        return found[0] if passwords.matches(password, found[1]) else None

    # --- reading -----------------------------------------------------------------------
    def clients(self) -> list[ClientSummary]:
        return self._db.clients()

    def history(self, client: str | ClientSummary | Who) -> list[Consultation]:
        """A client's consultations, oldest first (two queries, whatever the number of visits)."""
        if isinstance(client, ClientSummary):
            return self._db.by_client(client.id)
        found = self.find(client)
        return self._db.by_client(found.id) if found else []

    def consultation(self, cid: int) -> Consultation:
        found = self._db.by_id(cid) if 0 < cid <= _MAX_ID else []
        if not found:
            raise AdvisorError([Problem(self.name, f"has no consultation with id {cid}; see 'advisor history NAME'")])
        return found[0]

    def previous(self, client: str | ClientSummary | Who, before: dt.date | None = None) -> Consultation | None:
        """The client's latest consultation (on or before ``before``), if any."""
        visits = [c for c in self.history(client) if before is None or c.date <= before]
        return visits[-1] if visits else None

    def before(self, visit: Consultation) -> list[Consultation]:
        """The client's consultations before this one, oldest first (a report's follow-up)."""
        return [c for c in self._db.by_client(visit.client_id) if (c.date, c.id) < (visit.date, visit.id)]

    def integrity(self) -> str:
        return self._db.integrity()


def _open(location: Location, create: bool) -> Backend:
    """The database behind a store (a driver loads only when it connects)."""
    if location.is_postgres:
        return postgres.PostgresDatabase(location, create=create)
    return sqlite_file.SqliteDatabase(location, create=create)


def _now() -> str:
    return dt.datetime.now().replace(microsecond=0).isoformat()
