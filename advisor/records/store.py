"""The consultation store: clients and their visits, in one SQLite file.

One file per studio: by default in the user data folder, else ``--db PATH`` or the
``ADVISOR_DB`` environment variable. The file is created readable by its owner only (it
holds health data). WAL mode and a busy timeout let two processes write at once; every
write is one transaction, so a process killed mid-save leaves the file consistent. The
schema is versioned (``PRAGMA user_version``) and migrated forward on open; a file that is
not ours, or is corrupt, is reported and never overwritten.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import random
import sqlite3
import time
import unicodedata
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from advisor.core.answers import Answers
from advisor.core.assessment import Assessment
from advisor.core.errors import AdvisorError, Problem
from advisor.records.paths import data_dir

ENV_DB = "ADVISOR_DB"
# 'BFAD' as a 32-bit integer: marks the file as ours (PRAGMA application_id).
APPLICATION_ID = 0x42464144
BUSY_TIMEOUT_MS = 10_000

MIGRATIONS: list[str] = [
    # 1: clients, consultations and the decisions taken on each recommendation.
    """
    CREATE TABLE clients (
        id INTEGER PRIMARY KEY,
        name TEXT NOT NULL,
        key TEXT NOT NULL UNIQUE,
        created TEXT NOT NULL
    );
    CREATE TABLE consultations (
        id INTEGER PRIMARY KEY,
        client_id INTEGER NOT NULL REFERENCES clients(id),
        date TEXT NOT NULL,
        questionnaire TEXT NOT NULL,
        urgency TEXT NOT NULL,
        answers TEXT NOT NULL,
        result TEXT NOT NULL,
        created TEXT NOT NULL
    );
    CREATE INDEX consultations_by_client ON consultations(client_id, date, id);
    CREATE TABLE decisions (
        consultation_id INTEGER NOT NULL REFERENCES consultations(id) ON DELETE CASCADE,
        kind TEXT NOT NULL CHECK (kind IN ('adjustment', 'exercise')),
        item TEXT NOT NULL,
        accepted INTEGER NOT NULL CHECK (accepted IN (0, 1)),
        note TEXT NOT NULL DEFAULT '',
        PRIMARY KEY (consultation_id, kind, item)
    );
    """,
    # 2: the fit record, the bike's settings before and after the changes ({"before": {...}, "after": {...}}).
    """
    ALTER TABLE consultations ADD COLUMN fit TEXT NOT NULL DEFAULT '{}';
    """,
]
SCHEMA_VERSION = len(MIGRATIONS)


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


@dataclass(frozen=True)
class ClientSummary:
    name: str
    visits: int
    last_date: dt.date | None
    last_urgency: str | None


def default_path() -> Path:
    override = os.environ.get(ENV_DB)
    if override:
        return Path(override).expanduser()
    return data_dir() / "consultations.sqlite3"


class Store:
    def __init__(self, path: Path | str | None = None, *, create: bool = True) -> None:
        """Open the consultation database; ``create`` is False for commands that only read,
        so a mistyped path is reported instead of becoming a new, empty database."""
        if path and "://" in str(path):
            scheme = str(path).split("://", 1)[0]
            raise AdvisorError(
                [
                    Problem(
                        "--db",
                        f"is a {scheme} URL; this version keeps its records in a SQLite file, so give a file path",
                    )
                ]
            )
        self.path = Path(path) if path else default_path()
        self.name = str(self.path)
        if not create and not self.path.exists():
            raise AdvisorError(
                [
                    Problem(
                        self.name,
                        "no such database; check the path, or record a consultation first with 'advisor consult'",
                    )
                ]
            )
        self._conn = self._open()

    # --- opening -----------------------------------------------------------------------
    def _open(self) -> sqlite3.Connection:
        if self.path.is_dir():
            raise AdvisorError([Problem(self.name, "is a directory; give the path of a database file")])
        created = not self.path.exists()
        if created:
            try:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                # Create it owner-only before SQLite writes anything to it.
                os.close(os.open(self.path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))
            except FileExistsError:
                pass  # another process created it just now
            except OSError as err:
                raise AdvisorError([Problem(self.name, f"cannot be created: {err.strerror or err}")]) from None
        deadline = time.monotonic() + BUSY_TIMEOUT_MS / 1000
        while True:
            try:
                return self._connect()
            except sqlite3.OperationalError as err:
                # Several first uses at once: switching a new file to WAL needs a moment alone,
                # and SQLite does not wait for it; wait our turn instead of calling it corrupt.
                if "locked" not in str(err):
                    raise AdvisorError(
                        [Problem(self.name, f"cannot be opened ({err}); it was left untouched")]
                    ) from None
                if time.monotonic() > deadline:
                    raise AdvisorError(
                        [Problem(self.name, f"is busy in another program ({err}); try again in a moment")]
                    ) from None
                time.sleep(random.uniform(0.02, 0.1))

    def _connect(self) -> sqlite3.Connection:
        conn = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None)
        try:
            conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            # One read transaction, so the header and the tables are seen at the same moment
            # (another process may be creating the schema right now).
            conn.execute("BEGIN")
            app_id, version = self._identify(conn)
            empty = self._is_empty(conn)
            conn.execute("COMMIT")
            if app_id != APPLICATION_ID and not empty:
                conn.close()
                raise AdvisorError(
                    [
                        Problem(
                            self.name, "is not a bikefit-advisor database (it holds other data); it was left untouched"
                        )
                    ]
                )
            if version > SCHEMA_VERSION:
                conn.close()
                raise AdvisorError(
                    [
                        Problem(
                            self.name,
                            f"was written by a newer version (schema {version}, this one knows "
                            f"{SCHEMA_VERSION}); upgrade bikefit-advisor",
                        )
                    ]
                )
            if version == 0:
                # A new database holds health data: owner-only, even when the empty file was
                # made by someone else (touch, another program) with the usual 0644.
                with contextlib.suppress(OSError):
                    os.chmod(self.path, 0o600)
            conn.execute("PRAGMA journal_mode = WAL")
            conn.execute("PRAGMA foreign_keys = ON")
            conn.execute("PRAGMA synchronous = NORMAL")
            self._migrate(conn, version)
            return conn
        except sqlite3.OperationalError:
            conn.close()
            raise
        except sqlite3.DatabaseError as err:
            conn.close()
            raise AdvisorError(
                [Problem(self.name, f"cannot be read as a database ({err}); it may be corrupt; it was left untouched")]
            ) from None

    @staticmethod
    def _identify(conn: sqlite3.Connection) -> tuple[int, int]:
        app_id = conn.execute("PRAGMA application_id").fetchone()[0]
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        return int(app_id), int(version)

    @staticmethod
    def _is_empty(conn: sqlite3.Connection) -> bool:
        return conn.execute("SELECT count(*) FROM sqlite_master").fetchone()[0] == 0

    def _migrate(self, conn: sqlite3.Connection, version: int) -> None:
        for target in range(version + 1, SCHEMA_VERSION + 1):
            with self._transaction(conn):
                # Someone else may have migrated while we waited for the lock.
                if self._identify(conn)[1] >= target:
                    continue
                for statement in MIGRATIONS[target - 1].split(";"):
                    if statement.strip():
                        conn.execute(statement)
                conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")
                conn.execute(f"PRAGMA user_version = {target}")

    @staticmethod
    @contextmanager
    def _transaction(conn: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
        """One write transaction; IMMEDIATE takes the write lock up front (waits, then fails)."""
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield conn
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")

    def close(self) -> None:
        self._conn.close()

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
    ) -> int:
        """Store one consultation and its decisions in a single transaction; returns its id."""
        stamp = created or dt.datetime.now().replace(microsecond=0).isoformat()
        try:
            with self._transaction(self._conn) as conn:
                client_id = self._client_id(conn, client, stamp)
                visit = (date, questionnaire, urgency, _dump(answers), _dump(result), stamp, _dump(fit or {}))
                return self._insert(conn, client_id, visit, decisions)
        except sqlite3.OperationalError as err:
            raise AdvisorError([Problem(self.name, f"could not be written ({err}); nothing was saved")]) from None

    def record(self, client: str, answers: Answers, result: Assessment, decisions: list[Decision]) -> int:
        """Store an assessed visit as the CLI and the studio both do: answers, result, decisions, fit."""
        return self.add_consultation(
            client,
            answers.date,
            answers.questionnaire,
            result.referral.urgency,
            dict(answers.values),
            result.to_json_dict(),
            decisions,
            fit=answers.fit.model_dump(),
        )

    def import_client(self, client: str, visits: list[Consultation]) -> tuple[int, int]:
        """Add a client's consultations in one transaction, skipping any already stored.

        A visit counts as already stored when the client has one with the same date,
        creation time and answers, so importing the same file twice changes nothing.
        Returns (added, skipped).
        """
        added = skipped = 0
        try:
            with self._transaction(self._conn) as conn:
                client_id = self._client_id(conn, client, dt.datetime.now().replace(microsecond=0).isoformat())
                for v in visits:
                    answers = _dump(v.answers)
                    exists = conn.execute(
                        "SELECT 1 FROM consultations WHERE client_id = ? AND date = ? AND created = ? AND answers = ?",
                        (client_id, v.date.isoformat(), v.created, answers),
                    ).fetchone()
                    if exists:
                        skipped += 1
                        continue
                    visit = (v.date, v.questionnaire, v.urgency, answers, _dump(v.result), v.created, _dump(v.fit))
                    self._insert(conn, client_id, visit, v.decisions)
                    added += 1
        except sqlite3.OperationalError as err:
            raise AdvisorError([Problem(self.name, f"could not be written ({err}); nothing was imported")]) from None
        return added, skipped

    @staticmethod
    def _insert(
        conn: sqlite3.Connection,
        client_id: int,
        visit: tuple[dt.date, str, str, str, str, str, str],
        decisions: list[Decision],
    ) -> int:
        """The one place a consultation row and its decisions are written; returns its id."""
        date, questionnaire, urgency, answers, result, created, fit = visit
        cur = conn.execute(
            "INSERT INTO consultations (client_id, date, questionnaire, urgency, answers, result, created, fit)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (client_id, date.isoformat(), questionnaire, urgency, answers, result, created, fit),
        )
        cid = int(cur.lastrowid or 0)
        conn.executemany(
            "INSERT INTO decisions (consultation_id, kind, item, accepted, note) VALUES (?, ?, ?, ?, ?)",
            [(cid, d.kind, d.item, int(d.accepted), d.note) for d in decisions],
        )
        return cid

    @staticmethod
    def _client_id(conn: sqlite3.Connection, name: str, stamp: str) -> int:
        row = conn.execute("SELECT id FROM clients WHERE key = ?", (name_key(name),)).fetchone()
        if row:
            return int(row[0])
        cur = conn.execute("INSERT INTO clients (name, key, created) VALUES (?, ?, ?)", (name, name_key(name), stamp))
        return int(cur.lastrowid or 0)

    # --- reading -----------------------------------------------------------------------
    def clients(self) -> list[ClientSummary]:
        rows = self._conn.execute(
            """
            SELECT c.name, count(k.id),
                   (SELECT date FROM consultations WHERE client_id = c.id ORDER BY date DESC, id DESC LIMIT 1),
                   (SELECT urgency FROM consultations WHERE client_id = c.id ORDER BY date DESC, id DESC LIMIT 1)
            FROM clients c LEFT JOIN consultations k ON k.client_id = c.id
            GROUP BY c.id ORDER BY c.key
            """
        ).fetchall()
        return [ClientSummary(r[0], r[1], dt.date.fromisoformat(r[2]) if r[2] else None, r[3]) for r in rows]

    def client_name(self, name: str) -> str | None:
        """The stored spelling of a client's name (names match whatever their case or spacing)."""
        row = self._conn.execute("SELECT name FROM clients WHERE key = ?", (name_key(name),)).fetchone()
        return str(row[0]) if row else None

    def history(self, client: str) -> list[Consultation]:
        """A client's consultations, oldest first (two queries, whatever the number of visits)."""
        return self._select("c.key = ?", (name_key(client),))

    def consultation(self, cid: int) -> Consultation:
        found = self._select("k.id = ?", (cid,))
        if not found:
            raise AdvisorError([Problem(self.name, f"has no consultation with id {cid}; see 'advisor history NAME'")])
        return found[0]

    def _select(self, where: str, args: tuple[Any, ...]) -> list[Consultation]:
        rows = self._conn.execute(
            "SELECT k.id, c.name, k.date, k.questionnaire, k.urgency, k.answers, k.result, k.created, k.fit"
            f" FROM consultations k JOIN clients c ON c.id = k.client_id WHERE {where} ORDER BY k.date, k.id",
            args,
        ).fetchall()
        decisions: dict[int, list[Decision]] = {int(r[0]): [] for r in rows}
        if rows:
            marks = ",".join("?" * len(decisions))
            for cid, kind, item, accepted, note in self._conn.execute(
                "SELECT consultation_id, kind, item, accepted, note FROM decisions"
                f" WHERE consultation_id IN ({marks}) ORDER BY kind, item",
                tuple(decisions),
            ):
                decisions[int(cid)].append(Decision(kind, item, bool(accepted), note))
        return [
            Consultation(
                id=r[0],
                client=r[1],
                date=dt.date.fromisoformat(r[2]),
                questionnaire=r[3],
                urgency=r[4],
                answers=json.loads(r[5]),
                result=json.loads(r[6]),
                decisions=decisions[int(r[0])],
                created=r[7],
                fit=json.loads(r[8]),
            )
            for r in rows
        ]

    def previous(self, client: str, before: dt.date | None = None) -> Consultation | None:
        """The client's latest consultation (on or before ``before``), if any."""
        visits = [c for c in self.history(client) if before is None or c.date <= before]
        return visits[-1] if visits else None

    def integrity(self) -> str:
        return str(self._conn.execute("PRAGMA integrity_check").fetchone()[0])


def name_key(name: str) -> str:
    """How names are matched: Unicode case folding, normalised form, single spaces."""
    return " ".join(unicodedata.normalize("NFKC", name).casefold().split())


def _dump(data: dict[str, Any]) -> str:
    return json.dumps(data, ensure_ascii=False, sort_keys=False)
