"""The store's database through SQLAlchemy Core: what SQLite and PostgreSQL share.

Opening checks the database is ours (or empty), not from a newer version, and migrates it
forward, each step in one transaction that first takes the database's migration lock and
looks again, so two first uses at once build the schema once. Every read and every save
afterwards is one transaction on a connection of its own. What differs between the two
databases (how a connection is made, locked, marked as ours, and how its errors read) is in
``sqlite_file.py`` and ``postgres.py``.
"""

from __future__ import annotations

import json
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from advisor.core.errors import AdvisorError, Problem
from advisor.records.location import Location
from advisor.records.model import ClientSummary, Consultation, Decision, Visit, name_key
from advisor.records.schema import MIGRATIONS, SCHEMA_VERSION, clients, consultations, decisions

# 'BFAD' as a 32-bit integer: marks a database as ours (SQLite's PRAGMA application_id).
APPLICATION_ID = 0x42464144
BUSY_TIMEOUT_MS = 10_000

# A new client, unless another writer has just added the same key: SQLite and PostgreSQL
# both say it so (Core spells ON CONFLICT only through each dialect's own insert).
_ADD_CLIENT = sa.text(
    "INSERT INTO clients (name, key, created) VALUES (:name, :key, :created) ON CONFLICT (key) DO NOTHING"
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
    def add(self, client: str, stamp: str, visit: Visit, decided: list[Decision]) -> int:
        """One consultation and its decisions in one transaction; returns its id."""
        with self._writing("nothing was saved") as conn:
            return self._insert(conn, self._client_id(conn, client, stamp), visit, decided)

    def import_visits(self, client: str, stamp: str, visits: list[Consultation]) -> tuple[int, int]:
        """A client's consultations in one transaction, skipping those already stored; (added, skipped)."""
        added = skipped = 0
        with self._writing("nothing was imported") as conn:
            client_id = self._client_id(conn, client, stamp)
            for v in visits:
                # The same day, the same answers and the same recording time are the same visit,
                # however it came: one imported twice is found. A visit that went to a clinic as
                # FHIR and came back carries no recording time (its day at midnight stands in), so
                # for it the day and the answers are enough. Two visits recorded on one day with
                # the same answers (a rider seen twice) stay two.
                same_day = conn.execute(
                    sa.select(consultations.c.questionnaire, consultations.c.answers, consultations.c.created).where(
                        consultations.c.client_id == client_id, consultations.c.date == v.date
                    )
                ).all()
                if any(_same_visit(v, q, json.loads(a), c) for q, a, c in same_day):
                    skipped += 1
                    continue
                visit = (v.date, v.questionnaire, v.urgency, v.answers, v.result, v.created, v.fit, v.notes)
                self._insert(conn, client_id, visit, v.decisions)
                added += 1
        return added, skipped

    @contextmanager
    def _writing(self, outcome: str) -> Iterator[Connection]:
        try:
            with self.transaction(write=True) as conn:
                yield conn
        except sa.exc.DBAPIError as err:
            raise AdvisorError(
                [Problem(self.name, f"could not be written ({self.describe(err)}); {outcome}")]
            ) from None

    def _client_id(self, conn: Connection, name: str, stamp: str) -> int:
        """The client's id, adding the client first if new. Two writers adding the same client
        at once make one: the second waits for the first's key, then uses its row."""
        key = name_key(name)
        find = sa.select(clients.c.id).where(clients.c.key == key)
        found = conn.execute(find).scalar()
        if found is None:
            conn.execute(_ADD_CLIENT, {"name": name, "key": key, "created": stamp})
            found = conn.execute(find).scalar_one()
        return int(found)

    @staticmethod
    def _insert(conn: Connection, client_id: int, visit: Visit, decided: list[Decision]) -> int:
        """The one place a consultation row and its decisions are written; returns its id."""
        date, questionnaire, urgency, answers, result, created, fit, notes = visit
        row = conn.execute(
            sa.insert(consultations).values(
                client_id=client_id,
                date=date,
                questionnaire=questionnaire,
                urgency=urgency,
                answers=_dump(answers),
                result=_dump(result),
                created=created,
                fit=_dump(fit),
                notes=notes,
            )
        )
        key = row.inserted_primary_key
        assert key is not None
        cid = int(key[0])
        rows = [
            {"consultation_id": cid, "kind": d.kind, "item": d.item, "accepted": d.accepted, "note": d.note}
            for d in decided
        ]
        if rows:
            conn.execute(sa.insert(decisions), rows)
        return cid

    # --- reading ---------------------------------------------------------------------------
    def read(self, query: Callable[[Connection], Any]) -> Any:
        """Run ``query`` in one read transaction (one consistent view of the records)."""
        try:
            with self.transaction(write=False) as conn:
                return query(conn)
        except sa.exc.DBAPIError as err:
            raise AdvisorError([Problem(self.name, f"could not be read ({self.describe(err)})")]) from None

    def clients(self) -> list[ClientSummary]:
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
            )
            .select_from(clients.outerjoin(visit, visit.c.client_id == clients.c.id))
            .group_by(clients.c.id)
        )
        rows = self.read(lambda conn: conn.execute(query).all())
        # Sorted here, by code point, so both databases list clients in the same order
        # whatever the server's collation.
        return [ClientSummary(r[1], int(r[2]), r[3], r[4]) for r in sorted(rows, key=lambda r: r[0])]

    def client_name(self, name: str) -> str | None:
        query = sa.select(clients.c.name).where(clients.c.key == name_key(name))
        found = self.read(lambda conn: conn.execute(query).scalar())
        return None if found is None else str(found)

    def select(self, where: sa.ColumnElement[bool]) -> list[Consultation]:
        """Consultations with their decisions, oldest first, in two queries whatever their number."""
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
            )
            .join_from(consultations, clients, consultations.c.client_id == clients.c.id)
            .where(where)
            .order_by(consultations.c.date, consultations.c.id)
        )

        def query(conn: Connection) -> tuple[list[Any], list[Any]]:
            rows = list(conn.execute(visits).all())
            if not rows:
                return rows, []
            taken = sa.select(
                decisions.c.consultation_id, decisions.c.kind, decisions.c.item, decisions.c.accepted, decisions.c.note
            ).where(decisions.c.consultation_id.in_([r[0] for r in rows]))
            return rows, list(conn.execute(taken).all())

        rows, taken = self.read(query)
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
            )
            for r in rows
        ]

    def by_client(self, name: str) -> list[Consultation]:
        return self.select(clients.c.key == name_key(name))

    def by_id(self, cid: int) -> list[Consultation]:
        return self.select(consultations.c.id == cid)


def _same_visit(visit: Consultation, questionnaire: str, answers: dict[str, Any], created: str) -> bool:
    """Whether a stored visit of the same day is this one (see import_visits)."""
    if questionnaire != visit.questionnaire or answers != visit.answers:
        return False
    undated = f"{visit.date.isoformat()}T00:00:00"
    return created == visit.created or undated in (created, visit.created)


def _dump(data: dict[str, Any]) -> str:
    return json.dumps(data, ensure_ascii=False, sort_keys=False)
