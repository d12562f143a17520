"""The store's database through SQLAlchemy Core: what SQLite and PostgreSQL share.

Opening checks the database is ours (or empty), not from a newer version, and migrates it
forward, each step in one transaction that first takes the database's migration lock and
looks again, so two first uses at once build the schema once. Every read and every save
afterwards is one transaction on a connection of its own. What differs between the two
databases (how a connection is made, locked, marked as ours, and how its errors read) is in
``sqlite_file.py`` and ``postgres.py``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Connection, Engine

from advisor.core.errors import AdvisorError, Problem
from advisor.records.location import Location
from advisor.records.model import (
    AuditEvent,
    ClientSummary,
    Consultation,
    Decision,
    Revision,
    Visit,
    identity_key,
    name_key,
)
from advisor.records.schema import (
    MIGRATIONS,
    SCHEMA_VERSION,
    audit,
    clients,
    consultations,
    decisions,
    new_public_id,
    revisions,
    users,
)

# 'BFAD' as a 32-bit integer: marks a database as ours (SQLite's PRAGMA application_id).
APPLICATION_ID = 0x42464144
BUSY_TIMEOUT_MS = 10_000

# A new client, unless another writer has just added the same key: SQLite and PostgreSQL
# both say it so (Core spells ON CONFLICT only through each dialect's own insert).
_ADD_CLIENT = sa.text(
    "INSERT INTO clients (name, key, created, public_id, name_key, born, consent, consent_version) "
    "VALUES (:name, :key, :created, :public_id, :name_key, :born, '', '') ON CONFLICT (key) DO NOTHING"
)


@dataclass(frozen=True)
class Who:
    """The client a write is for: by their lasting id when given, else by name (and date of
    birth, when the client has one recorded or two clients share the name)."""

    name: str
    born: dt.date | None = None
    id: str | None = None


class ConsentNeeded(AdvisorError):
    """The client's consent to keep their answers is not recorded: nothing was stored."""

    def __init__(self, who: str, new: bool) -> None:
        self.new = new
        what = "is a new client" if new else "has no consent recorded (stored before consent was asked)"
        super().__init__(
            [Problem(who, f"{what}: record their consent to keep their answers first; nothing was stored")]
        )


class ChangedMeanwhile(AdvisorError):
    """An amendment made from a revision that is no longer the latest: nothing was changed."""

    def __init__(self, cid: int, now: Consultation | None) -> None:
        self.now = now
        by = f" by {now.revised_by}" if now is not None and now.revised_by else ""
        when = f" on {now.revised[:16].replace('T', ' ')}" if now is not None and now.revised else ""
        super().__init__(
            [
                Problem(
                    f"consultation {cid}",
                    f"was amended{by}{when} while this amendment was made, so it was not saved; "
                    "look at the visit as it is now and amend that",
                )
            ]
        )


class TwoClients(AdvisorError):
    """A name two or more clients share, with nothing to tell which one is meant."""

    def __init__(self, name: str, found: list[ClientSummary]) -> None:
        self.found = found
        listed = "; ".join(c.described() for c in found)
        super().__init__(
            [
                Problem(
                    name,
                    f"{len(found)} clients have this name: {listed}. Say which one by their date of birth "
                    "(--born YYYY-MM-DD) or by their id (c-...)",
                )
            ]
        )


@dataclass(frozen=True)
class State:
    """What a database says about itself before anything is written to it."""

    ours: bool  # marked as a bikefit-advisor database
    version: int  # its schema version, 0 when it has none yet
    empty: bool  # it holds no tables at all


class Database(ABC):
    """An opened, checked and migrated store."""

    def __init__(self, location: Location, engine: Engine) -> None:
        self.location = location
        self.name = location.shown
        self.engine = engine

    # --- what each database does its own way ----------------------------------------------
    @abstractmethod
    def identify(self, conn: Connection) -> State: ...

    @abstractmethod
    def mark(self, conn: Connection, version: int) -> None:
        """Record ``version`` (and that the database is ours) in the migration's transaction."""

    @abstractmethod
    @contextmanager
    def transaction(self, *, write: bool) -> Iterator[Connection]:
        """One transaction; a write one holds the database's write or migration lock."""

    @abstractmethod
    def lock_for_migration(self, conn: Connection) -> None:
        """Wait for any other migration of this database to end."""

    @abstractmethod
    def describe(self, err: sa.exc.DBAPIError) -> str:
        """A driver error as one line, without the password."""

    @abstractmethod
    def integrity(self) -> str:
        """'ok', or what is wrong with the stored data."""

    # --- opening ---------------------------------------------------------------------------
    def check(self, state: State) -> None:
        if not state.ours and not state.empty:
            raise AdvisorError(
                [Problem(self.name, "is not a bikefit-advisor database (it holds other data); it was left untouched")]
            )
        if state.version > SCHEMA_VERSION:
            raise AdvisorError(
                [
                    Problem(
                        self.name,
                        f"was written by a newer version (schema {state.version}, this one knows "
                        f"{SCHEMA_VERSION}); upgrade bikefit-advisor",
                    )
                ]
            )

    def migrate(self, version: int) -> None:
        """Bring the schema from ``version`` to the latest, one version per transaction."""
        for target in range(version + 1, SCHEMA_VERSION + 1):
            with self.transaction(write=True) as conn:
                self.lock_for_migration(conn)
                # Someone else may have migrated (or filled the database) while we waited.
                state = self.identify(conn)
                self.check(state)
                if state.version >= target:
                    continue
                MIGRATIONS[target - 1](conn)
                self.mark(conn, target)

    def close(self) -> None:
        self.engine.dispose()

    # --- writing ---------------------------------------------------------------------------
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
    ) -> int:
        """One consultation and its decisions in one transaction, with its audit event;
        returns its id. ``consent`` (the wording's version) records the client's consent when
        they have none; without it a new client, or one with no consent, is refused
        (ConsentNeeded). A ``save_key`` seen before returns that save's visit, recording nothing."""
        while True:
            try:
                with self._writing("nothing was saved") as conn:
                    if save_key is not None:
                        done = conn.execute(
                            sa.select(consultations.c.id).where(consultations.c.save_key == save_key)
                        ).scalar()
                        if done is not None:
                            return int(done)
                    client_pk, public_id = self._client_for_saving(conn, who, stamp, consent, actor=actor)
                    cid = self._insert(conn, client_pk, visit, decided, actor, save_key)
                    if cid is None:  # the same key, saved by another writer just now
                        continue
                    self._event(conn, stamp, actor, "saved", public_id, cid)
                    return cid
            except sa.exc.IntegrityError:
                if save_key is None:
                    raise
                # Another process saved the same form at this moment: its visit is this one.

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
    ) -> tuple[int, int]:
        """A client's consultations in one transaction, skipping those already stored; (added,
        skipped). ``carried``: the client as the records they come from knew them, whose
        lasting id, date of birth and consent (its date and version) a new client keeps.
        ``copying``: one store copied into another, each client as they are, a client stored
        before consent was asked too (they are asked at their next visit)."""
        for _attempt in range(3):
            added = skipped = 0
            try:
                with self._writing("nothing was imported") as conn:
                    client_pk, public_id = self._client_for_saving(
                        conn, who, stamp, consent, carried, copying, actor=actor
                    )
                    for v in visits:
                        # The same day, the same answers and the same recording time are the same
                        # visit, however it came: one imported twice is found. A visit that went to
                        # a clinic as FHIR and came back carries no recording time (its day at
                        # midnight stands in), so for it the day and the answers are enough. Two
                        # visits recorded on one day with the same answers (a rider seen twice) stay
                        # two. The save key makes a second import running at the same moment find
                        # the first one's rows rather than add them again.
                        same_day = conn.execute(
                            sa.select(
                                consultations.c.questionnaire, consultations.c.answers, consultations.c.created
                            ).where(consultations.c.client_id == client_pk, consultations.c.date == v.date)
                        ).all()
                        if any(_same_visit(v, q, json.loads(a), c) for q, a, c in same_day):
                            skipped += 1
                            continue
                        visit = (v.date, v.questionnaire, v.urgency, v.answers, v.result, v.created, v.fit, v.notes)
                        key = _import_key(public_id, v)
                        if self._insert(conn, client_pk, visit, v.decisions, v.recorded_by or actor, key) is None:
                            skipped += 1
                        else:
                            added += 1
                    self._event(conn, stamp, actor, "imported", public_id, None, f"{added} added, {skipped} skipped")
                return added, skipped
            except sa.exc.IntegrityError:
                continue  # another import of the same visits committed first: look again
        raise AdvisorError([Problem(self.name, "could not be written (other imports kept colliding); try again")])

    @contextmanager
    def _writing(self, outcome: str) -> Iterator[Connection]:
        try:
            with self.transaction(write=True) as conn:
                yield conn
        except sa.exc.IntegrityError:
            raise
        except sa.exc.DBAPIError as err:
            raise AdvisorError(
                [Problem(self.name, f"could not be written ({self.describe(err)}); {outcome}")]
            ) from None

    def _client_for_saving(
        self,
        conn: Connection,
        who: Who,
        stamp: str,
        consent: str | None,
        carried: ClientSummary | None = None,
        copying: bool = False,
        *,
        actor: str = "",
    ) -> tuple[int, str]:
        """The client's row id and lasting id, adding the client first if new (with their
        consent) and recording consent or a date of birth they did not have yet; the consent's
        audit event names ``actor``, who took it."""
        found = self._client_row(conn, who)
        if found is None and carried is not None and carried.id:
            found = self._client_row(conn, Who("", None, carried.id))  # brought here before, renamed since
        if found is None:
            if who.id is not None:
                raise AdvisorError([Problem(self.name, f"has no client with id {who.id}")])
            if consent is None and not (carried is not None and carried.consent) and not copying:
                raise ConsentNeeded(who.name, new=True)
            key = identity_key(who.name, who.born)
            taken = (
                carried is not None
                and bool(carried.id)
                and (conn.execute(sa.select(clients.c.id).where(clients.c.public_id == carried.id)).first() is not None)
            )
            conn.execute(
                _ADD_CLIENT,
                {
                    "name": who.name,
                    "key": key,
                    "created": stamp,
                    "public_id": carried.id if carried is not None and carried.id and not taken else new_public_id(),
                    "name_key": name_key(who.name),
                    "born": who.born.isoformat() if who.born else "",
                },
            )
            found = self._client_row(conn, Who(who.name, who.born))
            assert found is not None
            if carried is not None and carried.consent and consent is None:
                conn.execute(
                    sa.update(clients)
                    .where(clients.c.id == found[0])
                    .values(consent=carried.consent, consent_version=carried.consent_version)
                )
                found = (*found[:4], True)
        pk, public_id, shown, born, consented = found
        if not consented:
            if consent is not None:
                conn.execute(
                    sa.update(clients).where(clients.c.id == pk).values(consent=stamp, consent_version=consent)
                )
                self._event(conn, stamp, actor, "consent", public_id, None, f"version {consent}")
            elif not copying:
                raise ConsentNeeded(shown, new=False)
        if who.born is not None and not born:
            self._set_born(conn, pk, shown, who.born)
        return pk, public_id

    def _client_row(self, conn: Connection, who: Who) -> tuple[int, str, str, str, bool] | None:
        """(row id, lasting id, name, date of birth, consent recorded) of the client meant, or
        None when there is none; TwoClients when a name is shared and nothing tells which."""
        cols = (clients.c.id, clients.c.public_id, clients.c.name, clients.c.born, clients.c.consent)
        if who.id is not None:
            row = conn.execute(sa.select(*cols).where(clients.c.public_id == who.id)).first()
            if row is not None and who.born is not None and row[3] and row[3] != who.born.isoformat():
                raise AdvisorError(
                    [Problem(who.id, f"was born on {row[3]}, not {who.born.isoformat()}; check the id or the date")]
                )
        elif who.born is not None:
            row = conn.execute(sa.select(*cols).where(clients.c.key == identity_key(who.name, who.born))).first()
        else:
            rows = conn.execute(sa.select(*cols).where(clients.c.name_key == name_key(who.name))).all()
            if len(rows) > 1:
                raise TwoClients(who.name, self._summaries(conn, clients.c.name_key == name_key(who.name)))
            row = rows[0] if rows else None
        return None if row is None else (int(row[0]), row[1], row[2], row[3], bool(row[4]))

    def _set_born(self, conn: Connection, pk: int, name: str, born: dt.date) -> None:
        try:
            conn.execute(
                sa.update(clients).where(clients.c.id == pk).values(born=born.isoformat(), key=identity_key(name, born))
            )
        except sa.exc.IntegrityError:
            raise AdvisorError(
                [Problem(name, f"another client of this name was born on {born.isoformat()}; use their id")]
            ) from None

    @staticmethod
    def _insert(
        conn: Connection, client_id: int, visit: Visit, decided: list[Decision], actor: str, save_key: str | None
    ) -> int | None:
        """The one place a consultation row and its decisions are written; returns its id, or
        None when a consultation with this save key is there already."""
        date, questionnaire, urgency, answers, result, created, fit, notes = visit
        values = {
            "client_id": client_id,
            "date": date,
            "questionnaire": questionnaire,
            "urgency": urgency,
            "answers": _dump(answers),
            "result": _dump(result),
            "created": created,
            "fit": _dump(fit),
            "notes": notes,
            "recorded_by": actor,
            "save_key": save_key,
        }
        if conn.dialect.name == "sqlite":
            # SQLite would give the highest id again once that visit is erased; an id the audit
            # trail or a printed report has named must never name another client's visit.
            values["id"] = 1 + max(
                conn.execute(sa.select(sa.func.max(consultations.c.id))).scalar() or 0,
                conn.execute(sa.select(sa.func.max(audit.c.visit))).scalar() or 0,
            )
        insert = _dialect_insert(conn)(consultations).values(**values)
        if save_key is not None:
            insert = insert.on_conflict_do_nothing(index_elements=["save_key"])
        row = conn.execute(insert.returning(consultations.c.id))
        found = row.scalar()
        if found is None:
            return None
        cid = int(found)
        _insert_decisions(conn, cid, decided)
        return cid

    # --- identity, consent, amendments, erasure --------------------------------------------
    def client(self, who: Who) -> ClientSummary | None:
        """The client meant (TwoClients when a shared name does not say which), or None."""

        def query(conn: Connection) -> ClientSummary | None:
            found = self._client_row(conn, who)
            if found is None:
                return None
            return self._summaries(conn, clients.c.id == found[0])[0]

        return self.read(query)

    def named(self, name: str) -> list[ClientSummary]:
        """Every client of this name (as matched), however many."""
        return self.read(lambda conn: self._summaries(conn, clients.c.name_key == name_key(name)))

    def record_consent(self, public_id: str, stamp: str, version: str, actor: str) -> None:
        with self._writing("nothing was changed") as conn:
            conn.execute(
                sa.update(clients)
                .where(clients.c.public_id == public_id)
                .values(consent=stamp, consent_version=version)
            )
            self._event(conn, stamp, actor, "consent", public_id, None, f"version {version}")

    def rename(self, public_id: str, new_name: str, stamp: str, actor: str) -> None:
        try:
            with self._writing("nothing was changed") as conn:
                born = conn.execute(sa.select(clients.c.born).where(clients.c.public_id == public_id)).scalar_one()
                when = dt.date.fromisoformat(born) if born else None
                conn.execute(
                    sa.update(clients)
                    .where(clients.c.public_id == public_id)
                    .values(name=new_name, name_key=name_key(new_name), key=identity_key(new_name, when))
                )
                self._event(conn, stamp, actor, "renamed", public_id, None)
        except sa.exc.IntegrityError:
            raise AdvisorError(
                [
                    Problem(
                        new_name,
                        "is already another client's name, with the same date of birth (or neither has one): "
                        "if they are the same rider, merge them (advisor client merge); if not, record each "
                        "one's date of birth first (advisor consult --client ID --born YYYY-MM-DD)",
                    )
                ]
            ) from None

    def merge(self, source: str, target: str, stamp: str, actor: str) -> int:
        """Move every visit of client ``source`` to ``target`` and remove ``source``; returns
        the number of visits moved. ``target`` keeps its name, date of birth and consent."""
        with self._writing("nothing was changed") as conn:
            src = conn.execute(sa.select(clients.c.id).where(clients.c.public_id == source)).scalar_one()
            dst = conn.execute(sa.select(clients.c.id).where(clients.c.public_id == target)).scalar_one()
            moved = conn.execute(
                sa.update(consultations).where(consultations.c.client_id == src).values(client_id=dst)
            ).rowcount
            conn.execute(sa.delete(clients).where(clients.c.id == src))
            self._event(conn, stamp, actor, "merged", source, None, f"into {target}, {_visits(moved)}")
            self._event(conn, stamp, actor, "merged", target, None, f"from {source}, {_visits(moved)}")
        return int(moved)

    def amend(
        self,
        cid: int,
        visit: Visit,
        decided: list[Decision],
        stamp: str,
        actor: str,
        reason: str,
        expected: int | None = None,
    ) -> int:
        """Make ``visit`` the latest revision of consultation ``cid``, keeping the one it
        replaces whole; returns the new revision's number. With ``expected`` (the revision the
        amendment was made from), one made meanwhile by someone else refuses it: ChangedMeanwhile."""
        try:
            return self._amend(cid, visit, decided, stamp, actor, reason, expected)
        except sa.exc.IntegrityError:
            # Two amendments of one revision at the same moment (a server's writers do not wait
            # for each other): the revision kept first wins, the other is refused whole.
            raise ChangedMeanwhile(cid, None) from None

    def _amend(
        self,
        cid: int,
        visit: Visit,
        decided: list[Decision],
        stamp: str,
        actor: str,
        reason: str,
        expected: int | None,
    ) -> int:
        with self._writing("nothing was changed") as conn:
            old = self.select_in(conn, consultations.c.id == cid)
            if not old:
                raise AdvisorError([Problem(self.name, f"has no consultation with id {cid}")])
            was = old[0]
            if expected is not None and was.revision != expected:
                raise ChangedMeanwhile(cid, was)
            conn.execute(
                sa.insert(revisions).values(
                    consultation_id=cid,
                    revision=was.revision,
                    date=was.date,
                    questionnaire=was.questionnaire,
                    urgency=was.urgency,
                    answers=_dump(was.answers),
                    result=_dump(was.result),
                    fit=_dump(was.fit),
                    notes=was.notes,
                    decisions=json.dumps([[d.kind, d.item, d.accepted, d.note] for d in was.decisions]),
                    made=was.revised or was.created,
                    made_by=was.revised_by if was.revision > 1 else was.recorded_by,
                    reason=was.revision_reason,
                )
            )
            date, questionnaire, urgency, answers, result, _created, fit, notes = visit
            conn.execute(
                sa.update(consultations)
                .where(consultations.c.id == cid)
                .values(
                    date=date,
                    questionnaire=questionnaire,
                    urgency=urgency,
                    answers=_dump(answers),
                    result=_dump(result),
                    fit=_dump(fit),
                    notes=notes,
                    revision=was.revision + 1,
                    revised=stamp,
                    revised_by=actor,
                    revision_reason=reason,
                )
            )
            conn.execute(sa.delete(decisions).where(decisions.c.consultation_id == cid))
            _insert_decisions(conn, cid, decided)
            self._event(conn, stamp, actor, "amended", was.client_id, cid, f"revision {was.revision + 1}")
            return was.revision + 1

    def revisions_of(self, cid: int) -> list[Revision]:
        query = sa.select(revisions).where(revisions.c.consultation_id == cid).order_by(revisions.c.revision)
        rows = self.read(lambda conn: conn.execute(query).mappings().all())
        return [
            Revision(
                consultation=int(r["consultation_id"]),
                revision=int(r["revision"]),
                date=r["date"],
                questionnaire=r["questionnaire"],
                urgency=r["urgency"],
                answers=json.loads(r["answers"]),
                result=json.loads(r["result"]),
                fit=json.loads(r["fit"]),
                notes=r["notes"],
                decisions=[Decision(k, i, bool(a), n) for k, i, a, n in json.loads(r["decisions"])],
                made=r["made"],
                made_by=r["made_by"],
                reason=r["reason"],
            )
            for r in rows
        ]

    def erase(self, public_id: str, stamp: str, actor: str) -> int:
        """Remove the client, every visit, decision and earlier revision; the audit keeps that
        it happened, by whom and when, under the client's id alone. Returns the visits removed."""
        with self._writing("nothing was erased") as conn:
            pk = conn.execute(sa.select(clients.c.id).where(clients.c.public_id == public_id)).scalar_one()
            ids = list(conn.execute(sa.select(consultations.c.id).where(consultations.c.client_id == pk)).scalars())
            if ids:
                conn.execute(sa.delete(revisions).where(revisions.c.consultation_id.in_(ids)))
                conn.execute(sa.delete(decisions).where(decisions.c.consultation_id.in_(ids)))
                conn.execute(sa.delete(consultations).where(consultations.c.id.in_(ids)))
            conn.execute(sa.delete(clients).where(clients.c.id == pk))
            self._event(conn, stamp, actor, "erased", public_id, None, _visits(len(ids)))
        self.after_erasure()
        return len(ids)

    @abstractmethod
    def after_erasure(self) -> None:
        """Make sure what was erased is gone from the database's files too."""

    @abstractmethod
    def backup(self, target: Path) -> None:
        """A consistent copy of the records at ``target``, checked by opening it."""

    # --- the audit trail and the studio's accounts -----------------------------------------
    def record_event(
        self, stamp: str, actor: str, action: str, client: str = "", visit: int | None = None, detail: str = ""
    ) -> None:
        with self._writing("the event was not recorded") as conn:
            self._event(conn, stamp, actor, action, client, visit, detail)

    @staticmethod
    def _event(
        conn: Connection,
        stamp: str,
        actor: str,
        action: str,
        client: str,
        visit: int | None,
        detail: str = "",
    ) -> None:
        conn.execute(
            sa.insert(audit).values(at=stamp, actor=actor, action=action, client=client, visit=visit, detail=detail)
        )

    def events(self, client: str | None = None, since: str | None = None) -> list[AuditEvent]:
        query = sa.select(audit).order_by(audit.c.id)
        if client is not None:
            query = query.where(audit.c.client == client)
        if since is not None:
            query = query.where(audit.c.at >= since)
        rows = self.read(lambda conn: conn.execute(query).mappings().all())
        return [
            AuditEvent(int(r["id"]), r["at"], r["actor"], r["action"], r["client"], r["visit"], r["detail"])
            for r in rows
        ]

    def add_user(self, name: str, password_hash: str, stamp: str, actor: str) -> None:
        try:
            with self._writing("the account was not added") as conn:
                row = {"key": name_key(name), "name": name, "password": password_hash, "created": stamp}
                conn.execute(sa.insert(users).values(**row))
                self._event(conn, stamp, actor, "account added", "", None, f"account {name_key(name)}")
        except sa.exc.IntegrityError:
            raise AdvisorError([Problem(name, "has an account already")]) from None

    def remove_user(self, name: str, stamp: str, actor: str) -> None:
        with self._writing("the account was not removed") as conn:
            gone = conn.execute(sa.delete(users).where(users.c.key == name_key(name))).rowcount
            if not gone:
                raise AdvisorError([Problem(name, "has no account")])
            self._event(conn, stamp, actor, "account removed", "", None, f"account {name_key(name)}")

    def user(self, name: str) -> tuple[str, str] | None:
        """(name, password hash) of a studio account, or None."""
        query = sa.select(users.c.name, users.c.password).where(users.c.key == name_key(name))
        row = self.read(lambda conn: conn.execute(query).first())
        return None if row is None else (row[0], row[1])

    def user_names(self) -> list[str]:
        return sorted(self.read(lambda conn: list(conn.execute(sa.select(users.c.name)).scalars())), key=name_key)

    # --- reading ---------------------------------------------------------------------------
    def read(self, query: Callable[[Connection], Any]) -> Any:
        """Run ``query`` in one read transaction (one consistent view of the records)."""
        try:
            with self.transaction(write=False) as conn:
                return query(conn)
        except sa.exc.DBAPIError as err:
            raise AdvisorError([Problem(self.name, f"could not be read ({self.describe(err)})")]) from None

    def clients(self) -> list[ClientSummary]:
        return self.read(self._summaries)

    @staticmethod
    def _summaries(conn: Connection, only: sa.ColumnElement[bool] | None = None) -> list[ClientSummary]:
        """Every client with their last visit, or only those ``only`` selects (one lookup
        never reads the whole client list)."""

        def latest(column: sa.Column[Any]) -> Any:
            return (
                sa.select(column)
                .where(consultations.c.client_id == clients.c.id)
                .order_by(consultations.c.date.desc(), consultations.c.id.desc())
                .limit(1)
                .scalar_subquery()
            )

        visit = consultations.alias("visit")
        query = (
            sa.select(
                clients.c.key,
                clients.c.name,
                sa.func.count(visit.c.id),
                latest(consultations.c.date),
                latest(consultations.c.urgency),
                clients.c.public_id,
                clients.c.born,
                clients.c.consent,
                clients.c.consent_version,
            )
            .select_from(clients.outerjoin(visit, visit.c.client_id == clients.c.id))
            .group_by(clients.c.id)
        )
        if only is not None:
            query = query.where(only)
        rows = conn.execute(query).all()
        # Sorted here, by code point, so both databases list clients in the same order
        # whatever the server's collation.
        return [
            ClientSummary(r[1], int(r[2]), r[3], r[4], r[5], dt.date.fromisoformat(r[6]) if r[6] else None, r[7], r[8])
            for r in sorted(rows, key=lambda r: r[0])
        ]

    def select(self, where: sa.ColumnElement[bool]) -> list[Consultation]:
        """Consultations with their decisions, oldest first, in two queries whatever their number."""
        return self.read(lambda conn: self.select_in(conn, where))

    @staticmethod
    def select_in(conn: Connection, where: sa.ColumnElement[bool]) -> list[Consultation]:
        visits = (
            sa.select(
                consultations.c.id,
                clients.c.name,
                consultations.c.date,
                consultations.c.questionnaire,
                consultations.c.urgency,
                consultations.c.answers,
                consultations.c.result,
                consultations.c.created,
                consultations.c.fit,
                consultations.c.notes,
                clients.c.public_id,
                consultations.c.recorded_by,
                consultations.c.revision,
                consultations.c.revised,
                consultations.c.revised_by,
                consultations.c.revision_reason,
            )
            .join_from(consultations, clients, consultations.c.client_id == clients.c.id)
            .where(where)
            .order_by(consultations.c.date, consultations.c.id)
        )
        rows = list(conn.execute(visits).all())
        taken = []
        if rows:
            query = sa.select(
                decisions.c.consultation_id, decisions.c.kind, decisions.c.item, decisions.c.accepted, decisions.c.note
            ).where(decisions.c.consultation_id.in_([r[0] for r in rows]))
            taken = list(conn.execute(query).all())
        by_visit: dict[int, list[Decision]] = {int(r[0]): [] for r in rows}
        # Code-point order, the same from both databases.
        for cid, kind, item, accepted, note in sorted(taken, key=lambda d: (d[1], d[2])):
            by_visit[int(cid)].append(Decision(kind, item, bool(accepted), note))
        return [
            Consultation(
                id=int(r[0]),
                client=r[1],
                date=r[2],
                questionnaire=r[3],
                urgency=r[4],
                answers=json.loads(r[5]),
                result=json.loads(r[6]),
                decisions=by_visit[int(r[0])],
                created=r[7],
                fit=json.loads(r[8]),
                notes=r[9],
                client_id=r[10],
                recorded_by=r[11],
                revision=int(r[12]),
                revised=r[13],
                revised_by=r[14],
                revision_reason=r[15],
            )
            for r in rows
        ]

    def by_client(self, public_id: str) -> list[Consultation]:
        return self.select(clients.c.public_id == public_id)

    def by_id(self, cid: int) -> list[Consultation]:
        return self.select(consultations.c.id == cid)


def _same_visit(visit: Consultation, questionnaire: str, answers: dict[str, Any], created: str) -> bool:
    """Whether a stored visit of the same day is this one (see import_visits)."""
    if questionnaire != visit.questionnaire or answers != visit.answers:
        return False
    undated = f"{visit.date.isoformat()}T00:00:00"
    return created == visit.created or undated in (created, visit.created)


def _visits(count: int) -> str:
    return f"{count} visit{'' if count == 1 else 's'}"


def _import_key(public_id: str, visit: Consultation) -> str:
    """An imported visit's save key: the same visit imported again, at once or later, finds it."""
    content = json.dumps(
        [public_id, visit.date.isoformat(), visit.questionnaire, visit.created, visit.answers], sort_keys=True
    )
    return "import:" + hashlib.sha256(content.encode("utf-8")).hexdigest()


def _insert_decisions(conn: Connection, cid: int, decided: list[Decision]) -> None:
    rows = [
        {"consultation_id": cid, "kind": d.kind, "item": d.item, "accepted": d.accepted, "note": d.note}
        for d in decided
    ]
    if rows:
        conn.execute(sa.insert(decisions), rows)


def _dialect_insert(conn: Connection) -> Any:
    """INSERT with ON CONFLICT, as each database spells it (Core has no common form)."""
    if conn.dialect.name == "postgresql":
        return postgresql_insert
    return sqlite_insert


def _dump(data: dict[str, Any]) -> str:
    return json.dumps(data, ensure_ascii=False, sort_keys=False)
