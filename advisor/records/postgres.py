"""The store on a PostgreSQL server: one record shared by several fitters, studios or machines.

The tables live in the current schema (normally ``public``) of the database the URL names;
the advisor creates tables, never databases or roles. A one-row table, ``bikefit_advisor``,
marks the database as ours and holds its schema version; a database that holds other
tables and no such mark is refused and left untouched, and commands that only read do not
create tables in an empty one. A migration takes a transaction-scoped advisory lock first,
so machines opening a new database at once build it once.

Every save is one READ COMMITTED transaction. A new client's name key is unique, and the
client is added with ``ON CONFLICT DO NOTHING`` (``database.py``): a second writer adding
the same client waits for the first one's row, then uses it, so neither visit is lost and
the client is not doubled. Waits for a lock end after the busy timeout rather than hanging
a fitter's save.

The driver is psycopg 3, which SQLAlchemy loads when a PostgreSQL store is opened. Its
errors are turned into one line that names the server without the password.
"""

from __future__ import annotations

import shlex
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, make_url

from advisor.core.errors import AdvisorError, Problem, missing_extra
from advisor.records.database import APPLICATION_ID, BUSY_TIMEOUT_MS, Database, State
from advisor.records.location import Location
from advisor.records.schema import SCHEMA_VERSION

CONNECT_TIMEOUT_S = 10

# Ours, and which schema version: the one row of this table (PostgreSQL has no header to hold them).
_marks = sa.MetaData()
mark_table = sa.Table(
    "bikefit_advisor",
    _marks,
    sa.Column("application_id", sa.Integer, nullable=False),
    sa.Column("schema_version", sa.Integer, nullable=False),
)

_TABLES_HERE = sa.text(
    "SELECT c.relname FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace"
    " WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p', 'v', 'm', 'f')"
)


class PostgresDatabase(Database):
    def __init__(self, location: Location, *, create: bool) -> None:
        assert location.url is not None
        try:
            url = make_url(location.url).set(drivername="postgresql+psycopg")
        except sa.exc.ArgumentError as err:
            raise AdvisorError(
                [Problem(location.shown, f"is not a valid PostgreSQL URL ({location.redact(str(err))})")]
            ) from None
        connect_args: dict[str, Any] = {"application_name": "bikefit-advisor"}
        if "connect_timeout" not in url.query:
            connect_args["connect_timeout"] = CONNECT_TIMEOUT_S
        try:
            engine = sa.create_engine(
                url,
                connect_args=connect_args,
                # Each statement sees what other writers committed (the client-key wait above needs it).
                isolation_level="READ COMMITTED",
                pool_pre_ping=True,  # a studio's server outlives a database restart
            )
        except ImportError as err:  # SQLAlchemy loads the driver here: the postgres extra
            raise missing_extra("postgres", err, location.shown) from None
        sa.event.listen(engine, "connect", _session_settings)
        super().__init__(location, engine)
        self._open(create)

    def _open(self, create: bool) -> None:
        try:
            with self.transaction(write=False) as conn:
                state = self.identify(conn)
        except sa.exc.DBAPIError as err:
            self.close()
            raise AdvisorError([Problem(self.name, self.cannot_connect(err))]) from None
        try:
            self.check(state)
            if state.version == 0 and not create:
                raise AdvisorError(
                    [
                        Problem(
                            self.name,
                            "holds no bikefit-advisor records yet; check the URL, or record a consultation "
                            "first with 'advisor consult'",
                        )
                    ]
                )
            if state.version < SCHEMA_VERSION:
                self.migrate(state.version)
        except sa.exc.DBAPIError as err:
            self.close()
            raise AdvisorError(
                [Problem(self.name, f"cannot be set up ({self.describe(err)}); nothing was changed")]
            ) from None
        except AdvisorError:
            self.close()
            raise

    def identify(self, conn: Connection) -> State:
        names = set(conn.execute(_TABLES_HERE).scalars())
        if mark_table.name not in names:
            return State(ours=False, version=0, empty=not names)
        row = conn.execute(sa.select(mark_table.c.application_id, mark_table.c.schema_version)).first()
        ours = row is not None and row[0] == APPLICATION_ID
        return State(ours=ours, version=int(row[1]) if row is not None and ours else 0, empty=False)

    def lock_for_migration(self, conn: Connection) -> None:
        conn.execute(sa.select(sa.func.pg_advisory_xact_lock(APPLICATION_ID)))

    def mark(self, conn: Connection, version: int) -> None:
        mark_table.create(conn, checkfirst=True)
        conn.execute(sa.delete(mark_table))
        conn.execute(sa.insert(mark_table).values(application_id=APPLICATION_ID, schema_version=version))

    @contextmanager
    def transaction(self, *, write: bool) -> Iterator[Connection]:
        with self.engine.begin() as conn:
            yield conn

    def after_erasure(self) -> None:
        pass  # the rows are gone; the server's own storage is the administrator's (VACUUM, backups)

    def backup(self, target: Path) -> None:
        raise AdvisorError(
            [
                Problem(
                    self.name,
                    "is a PostgreSQL server: back it up with the server's own tool, as its administrator, e.g. "
                    f"pg_dump --format=custom --file={shlex.quote(str(target))} '{self.location.shown}' "
                    "(restore with pg_restore --clean --dbname=URL FILE); nothing was written",
                )
            ]
        )

    def describe(self, err: sa.exc.DBAPIError) -> str:
        # The driver's message spans lines ("Connection refused" / "Is the server running...?").
        lines = [" ".join(line.split()) for line in str(err.orig).splitlines() if line.strip()]
        text = "; ".join(lines)
        text = text.removeprefix("connection failed: ")
        return self.location.redact(text)

    def cannot_connect(self, err: sa.exc.DBAPIError) -> str:
        """Why the server could not be used, in the words a fitter can act on."""
        detail = self.describe(err)
        lowered = detail.lower()
        if "password authentication failed" in lowered:
            user = make_url(self.location.url or "").username or "?"
            return f"the server refused the password for user '{user}' (check the URL, PGPASSWORD or ~/.pgpass)"
        if "no password supplied" in lowered:
            return "the server wants a password: give it in the URL (USER:PASSWORD@HOST), PGPASSWORD or ~/.pgpass"
        if "does not exist" in lowered and "database" in lowered:
            return f"cannot be used: {_after_fatal(detail)}; create it first (createdb), see the README"
        if any(
            sign in lowered
            for sign in (
                "connection refused",
                "timeout expired",
                "could not translate host",
                "failed to resolve host",
                "no route to host",
                "network is unreachable",
            )
        ):
            return f"cannot reach the database server ({_after_fatal(detail)})"
        return f"cannot connect ({_after_fatal(detail)})"

    def integrity(self) -> str:
        orphans = sa.text(
            "SELECT (SELECT count(*) FROM consultations k LEFT JOIN clients c ON c.id = k.client_id"
            " WHERE c.id IS NULL) + (SELECT count(*) FROM decisions d LEFT JOIN consultations k"
            " ON k.id = d.consultation_id WHERE k.id IS NULL)"
        )
        found = int(self.read(lambda conn: conn.execute(orphans).scalar_one()))
        return "ok" if found == 0 else f"{found} rows point at a consultation or client that is not there"


def _session_settings(dbapi_connection: Any, _record: Any) -> None:
    """Lock waits end after the busy timeout (set once per connection, outside any transaction)."""
    autocommit = dbapi_connection.autocommit
    dbapi_connection.autocommit = True
    with dbapi_connection.cursor() as cursor:
        cursor.execute(f"SET lock_timeout = {BUSY_TIMEOUT_MS}")
    dbapi_connection.autocommit = autocommit


def _after_fatal(detail: str) -> str:
    """libpq's reason without its 'connection to server at ... failed: FATAL:' preamble."""
    reason = detail.rsplit(" failed: ", 1)[-1]
    return reason.removeprefix("FATAL: ").strip()
