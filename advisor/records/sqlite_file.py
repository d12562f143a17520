"""The store in one SQLite file: owner-only, WAL, busy timeouts, marked and versioned in its header.

The file is created readable by its owner only (it holds health data) before SQLite writes
anything to it. ``PRAGMA application_id`` marks it as ours and ``PRAGMA user_version`` holds
its schema version, where releases before this one look for them. A file that is not ours,
is corrupt, or comes from a newer version is reported and never written to: nothing that
changes the file (WAL mode, a migration) happens before those checks. WAL and a busy timeout
let several processes read and write at once; each save takes the write lock up front
(``BEGIN IMMEDIATE``) and is one transaction, so a process killed mid-save leaves the file
consistent.
"""

from __future__ import annotations

import contextlib
import os
import random
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlalchemy.pool import NullPool

from advisor.core.errors import AdvisorError, Problem
from advisor.records.database import APPLICATION_ID, BUSY_TIMEOUT_MS, Database, State
from advisor.records.location import Location


class SqliteDatabase(Database):
    def __init__(self, location: Location, *, create: bool) -> None:
        assert location.path is not None
        self.path: Path = location.path
        # A connection per transaction, closed after it (NullPool): nothing stays open between
        # saves, as a studio's long-running server needs, and a connection costs microseconds.
        engine = sa.create_engine("sqlite://", creator=self._connect, poolclass=NullPool, isolation_level="AUTOCOMMIT")
        super().__init__(location, engine)
        self._create_file(create)
        self._open()

    def _connect(self) -> sqlite3.Connection:
        # The file is made once, owner-only, by _create_file; a connection never makes it again
        # (mode=rw): a file deleted under a running studio would come back empty and 0644.
        if not self.path.exists():
            raise AdvisorError(
                [
                    Problem(
                        self.name, "has gone (deleted or moved while in use); restore it from a backup or give another"
                    )
                ]
            )
        uri = f"{self.path.absolute().as_uri()}?mode=rw"
        # isolation_level=None: the driver starts no transaction of its own; ours say BEGIN.
        conn = sqlite3.connect(
            uri, uri=True, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None, check_same_thread=False
        )
        conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        conn.execute("PRAGMA foreign_keys = ON")
        conn.execute("PRAGMA synchronous = NORMAL")
        # What is deleted is overwritten with zeros, in the page and in the free list, so an
        # erased client's name and answers are not left in the file's unused space.
        conn.execute("PRAGMA secure_delete = ON")
        return conn

    def _create_file(self, create: bool) -> None:
        if self.path.is_dir():
            raise AdvisorError([Problem(self.name, "is a directory; give the path of a database file")])
        if self.path.exists():
            return
        if not create:
            raise AdvisorError(
                [
                    Problem(
                        self.name,
                        "no such database; check the path, or record a consultation first with 'advisor consult'",
                    )
                ]
            )
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            # Owner-only before SQLite writes anything to it.
            os.close(os.open(self.path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))
        except FileExistsError:
            pass  # another process created it just now
        except OSError as err:
            raise AdvisorError([Problem(self.name, f"cannot be created: {err.strerror or err}")]) from None

    def _open(self) -> None:
        deadline = time.monotonic() + BUSY_TIMEOUT_MS / 1000
        while True:
            try:
                return self._check_and_migrate()
            except sa.exc.OperationalError as err:
                # Several first uses at once: switching a new file to WAL needs a moment alone,
                # and SQLite does not wait for it; wait our turn instead of calling it corrupt.
                if "locked" not in str(err.orig):
                    raise AdvisorError(
                        [Problem(self.name, f"cannot be opened ({self.describe(err)}); it was left untouched")]
                    ) from None
                if time.monotonic() > deadline:
                    raise AdvisorError(
                        [
                            Problem(
                                self.name, f"is busy in another program ({self.describe(err)}); try again in a moment"
                            )
                        ]
                    ) from None
                time.sleep(random.uniform(0.02, 0.1))
            except sa.exc.DatabaseError as err:
                raise AdvisorError(
                    [
                        Problem(
                            self.name,
                            f"cannot be read as a database ({self.describe(err)}); it may be corrupt; "
                            "it was left untouched",
                        )
                    ]
                ) from None

    def _check_and_migrate(self) -> None:
        # One read transaction, so the header and the tables are seen at the same moment
        # (another process may be creating the schema right now).
        with self.transaction(write=False) as conn:
            state = self.identify(conn)
        self.check(state)
        with self.engine.connect() as conn:
            if state.version == 0:
                # A new database holds health data: owner-only, even when the empty file was
                # made by someone else (touch, another program) with the usual 0644.
                with contextlib.suppress(OSError):
                    os.chmod(self.path, 0o600)
            conn.exec_driver_sql("PRAGMA journal_mode = WAL")
        self.migrate(state.version)

    def identify(self, conn: Connection) -> State:
        app_id = int(conn.exec_driver_sql("PRAGMA application_id").scalar_one())
        version = int(conn.exec_driver_sql("PRAGMA user_version").scalar_one())
        empty = conn.exec_driver_sql("SELECT count(*) FROM sqlite_master").scalar_one() == 0
        return State(ours=app_id == APPLICATION_ID, version=version, empty=empty)

    def lock_for_migration(self, conn: Connection) -> None:
        pass  # BEGIN IMMEDIATE already holds the only write lock a SQLite file has

    def mark(self, conn: Connection, version: int) -> None:
        conn.exec_driver_sql(f"PRAGMA application_id = {APPLICATION_ID}")
        conn.exec_driver_sql(f"PRAGMA user_version = {int(version)}")

    @contextmanager
    def transaction(self, *, write: bool) -> Iterator[Connection]:
        with self.engine.connect() as conn:
            # IMMEDIATE takes the write lock up front (waiting up to the busy timeout), so a
            # save never fails halfway for want of it.
            conn.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")
            try:
                yield conn
            except BaseException:
                # SQLite may have ended the transaction itself (a full disk, say); the error
                # that got us here is the one to report.
                with contextlib.suppress(sa.exc.DBAPIError):
                    conn.exec_driver_sql("ROLLBACK")
                raise
            conn.exec_driver_sql("COMMIT")

    def describe(self, err: sa.exc.DBAPIError) -> str:
        return " ".join(str(err.orig).split())

    def integrity(self) -> str:
        with self.engine.connect() as conn:
            return str(conn.exec_driver_sql("PRAGMA integrity_check").scalar_one())

    def after_erasure(self) -> None:
        """Copy every page from the write-ahead log into the file (where secure_delete has
        zeroed what was erased) and empty the log, which still held the pages as they were
        before. It waits for readers to finish (up to the busy timeout)."""
        with self.engine.connect() as conn:
            busy, _, _ = conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)").one()
        if busy:
            raise AdvisorError(
                [
                    Problem(
                        self.name,
                        "the client is erased, but another program kept the database busy, so older copies "
                        "of its pages may remain in the write-ahead log until it closes; run the erase again then",
                    )
                ]
            )

    def backup(self, target: Path) -> None:
        """SQLite's online backup: a consistent copy while other processes read and write,
        written beside the target and moved into place once it passes an integrity check."""
        part = target.with_name(f".{target.name}.part")
        part.unlink(missing_ok=True)
        os.close(os.open(part, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))  # owner-only: health data
        try:
            source = self._connect()
            copy = sqlite3.connect(part)
            try:
                source.backup(copy)
                copy.execute("PRAGMA journal_mode = DELETE")  # one self-contained file
                checked = copy.execute("PRAGMA integrity_check").fetchone()[0]
            finally:
                copy.close()
                source.close()
            if checked != "ok":
                raise AdvisorError([Problem(str(target), f"the copy failed its integrity check ({checked})")])
            os.replace(part, target)
        except sqlite3.Error as err:
            raise AdvisorError([Problem(str(target), f"could not be written ({err})")]) from None
        finally:
            part.unlink(missing_ok=True)
