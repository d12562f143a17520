"""The consultation store's tables and the numbered migrations that build them, for every database.

One schema, written once in SQLAlchemy Core, serves SQLite and PostgreSQL alike; the
migrations are plain functions run in order on open, each in its own transaction together
with the new version number, so a database is always at one version or the next.

Why not Alembic: a store migrates itself when a command opens it, with no separate upgrade
step, and SQLite files already carry their version in ``PRAGMA user_version``, which earlier
releases read to refuse a newer file. Alembic would add a second version record (its
``alembic_version`` table) that those releases never look at, a scripts folder to ship and
find at run time, and an environment to configure, all for two migrations that are a table
set and one added column. A migration here is a short function over a Core connection; when
one needs to rebuild a SQLite table or move data, that function does it as Alembic's batch
mode would. Revisit this if migrations ever need branches or downgrades.

Values are stored the same way in both databases and as releases before SQLAlchemy stored
them: dates as ISO dates, ``created`` as the ISO text it was given, answers, results and the
fit record as JSON text, so a SQLite file stays readable by those releases and an export
compares equal whichever store it came from.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable

import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlalchemy.schema import CreateColumn

metadata = sa.MetaData()

clients = sa.Table(
    "clients",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("name", sa.Text, nullable=False),
    # Who a client is (model.identity_key: the name as matched, and the date of birth when
    # given): unique, so two fitters adding one client make one, and two riders of one name
    # are two clients only when their dates of birth tell them apart.
    sa.Column("key", sa.Text, nullable=False, unique=True),
    sa.Column("created", sa.Text, nullable=False),
    # Added in schema 4. The id a client keeps through renames and merges ("c-" and ten
    # letters or digits), the name as matched (model.name_key; two clients may share it), the
    # date of birth (ISO, or '' when not given), and their consent to keep the answers: when
    # it was recorded and which wording they agreed to ('' for both: not recorded).
    sa.Column("public_id", sa.Text, nullable=False, server_default=""),
    sa.Column("name_key", sa.Text, nullable=False, server_default=""),
    sa.Column("born", sa.Text, nullable=False, server_default=""),
    sa.Column("consent", sa.Text, nullable=False, server_default=""),
    sa.Column("consent_version", sa.Text, nullable=False, server_default=""),
    sa.Index("clients_by_public_id", "public_id", unique=True),
    sa.Index("clients_by_name", "name_key"),
)

consultations = sa.Table(
    "consultations",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("client_id", sa.Integer, sa.ForeignKey("clients.id"), nullable=False),
    sa.Column("date", sa.Date, nullable=False),
    sa.Column("questionnaire", sa.Text, nullable=False),
    sa.Column("urgency", sa.Text, nullable=False),
    sa.Column("answers", sa.Text, nullable=False),  # JSON
    sa.Column("result", sa.Text, nullable=False),  # JSON, the assessment as recorded
    sa.Column("created", sa.Text, nullable=False),
    # Added in schema 2: the bike's settings before and after ({"before": {...}, "after": {...}}).
    sa.Column("fit", sa.Text, nullable=False, server_default="{}"),
    # Added in schema 3: the fitter's own notes on the visit (plain text, possibly empty).
    sa.Column("notes", sa.Text, nullable=False, server_default=""),
    # Added in schema 4. Who saved it; its revision (1 until amended) and, for the latest
    # amendment, when, by whom and why; and the key that makes one save of one form, or one
    # import of one visit, record one visit however often it is sent (NULL: no key).
    sa.Column("recorded_by", sa.Text, nullable=False, server_default=""),
    sa.Column("revision", sa.Integer, nullable=False, server_default="1"),
    sa.Column("revised", sa.Text, nullable=False, server_default=""),
    sa.Column("revised_by", sa.Text, nullable=False, server_default=""),
    sa.Column("revision_reason", sa.Text, nullable=False, server_default=""),
    sa.Column("save_key", sa.Text, nullable=True),
    sa.Index("consultations_by_client", "client_id", "date", "id"),
    sa.Index("consultations_by_save_key", "save_key", unique=True),
)

# Added in schema 4: every earlier revision of an amended consultation, whole, with who made
# it, when and why ('' for the original). The consultation row holds the latest.
revisions = sa.Table(
    "revisions",
    metadata,
    sa.Column("consultation_id", sa.Integer, sa.ForeignKey("consultations.id", ondelete="CASCADE"), nullable=False),
    sa.Column("revision", sa.Integer, nullable=False),
    sa.Column("date", sa.Date, nullable=False),
    sa.Column("questionnaire", sa.Text, nullable=False),
    sa.Column("urgency", sa.Text, nullable=False),
    sa.Column("answers", sa.Text, nullable=False),  # JSON
    sa.Column("result", sa.Text, nullable=False),  # JSON
    sa.Column("fit", sa.Text, nullable=False),  # JSON
    sa.Column("notes", sa.Text, nullable=False),
    sa.Column("decisions", sa.Text, nullable=False),  # JSON: [[kind, item, accepted, note], ...]
    sa.Column("made", sa.Text, nullable=False),  # when this revision was recorded
    sa.Column("made_by", sa.Text, nullable=False),
    sa.Column("reason", sa.Text, nullable=False),
    sa.PrimaryKeyConstraint("consultation_id", "revision"),
)

# Added in schema 4: what was done to the records, by whom and when; append-only (a trigger
# refuses every change and deletion). It names clients by their id and visits by theirs,
# never by a name or anything a rider answered, so an erasure leaves it whole.
audit = sa.Table(
    "audit",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("at", sa.Text, nullable=False),
    sa.Column("actor", sa.Text, nullable=False),
    sa.Column("action", sa.Text, nullable=False),
    sa.Column("client", sa.Text, nullable=False, server_default=""),  # the client's public id
    sa.Column("visit", sa.Integer, nullable=True),
    sa.Column("detail", sa.Text, nullable=False, server_default=""),
)

# Added in schema 4: the studio's own accounts, one per fitter (a password hash, never the
# password); with none, the studio keeps its one shared password.
users = sa.Table(
    "users",
    metadata,
    sa.Column("key", sa.Text, primary_key=True),  # the name as matched
    sa.Column("name", sa.Text, nullable=False),
    sa.Column("password", sa.Text, nullable=False),  # scrypt$N$r$p$salt$hash
    sa.Column("created", sa.Text, nullable=False),
)

decisions = sa.Table(
    "decisions",
    metadata,
    sa.Column("consultation_id", sa.Integer, sa.ForeignKey("consultations.id", ondelete="CASCADE"), nullable=False),
    sa.Column("kind", sa.Text, nullable=False),
    sa.Column("item", sa.Text, nullable=False),
    sa.Column("accepted", sa.Boolean(create_constraint=True, name="accepted_is_boolean"), nullable=False),
    sa.Column("note", sa.Text, nullable=False, server_default=""),
    sa.PrimaryKeyConstraint("consultation_id", "kind", "item"),
    sa.CheckConstraint("kind IN ('adjustment', 'exercise')", name="kind_is_known"),
)


def _create_version_1(conn: Connection) -> None:
    """Clients, consultations and the decisions taken on each recommendation.

    The tables as schema 1 had them, spelt out here and never changed afterwards (the
    tables above are the latest schema; later migrations add to what this one made).
    """
    v1 = sa.MetaData()
    sa.Table(
        "clients",
        v1,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("key", sa.Text, nullable=False, unique=True),
        sa.Column("created", sa.Text, nullable=False),
    )
    sa.Table(
        "consultations",
        v1,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("client_id", sa.Integer, sa.ForeignKey("clients.id"), nullable=False),
        sa.Column("date", sa.Date, nullable=False),
        sa.Column("questionnaire", sa.Text, nullable=False),
        sa.Column("urgency", sa.Text, nullable=False),
        sa.Column("answers", sa.Text, nullable=False),
        sa.Column("result", sa.Text, nullable=False),
        sa.Column("created", sa.Text, nullable=False),
        sa.Index("consultations_by_client", "client_id", "date", "id"),
    )
    sa.Table(
        "decisions",
        v1,
        sa.Column("consultation_id", sa.Integer, sa.ForeignKey("consultations.id", ondelete="CASCADE"), nullable=False),
        sa.Column("kind", sa.Text, nullable=False),
        sa.Column("item", sa.Text, nullable=False),
        sa.Column("accepted", sa.Boolean(create_constraint=True, name="accepted_is_boolean"), nullable=False),
        sa.Column("note", sa.Text, nullable=False, server_default=""),
        sa.PrimaryKeyConstraint("consultation_id", "kind", "item"),
        sa.CheckConstraint("kind IN ('adjustment', 'exercise')", name="kind_is_known"),
    )
    v1.create_all(conn)


def _add_fit_record(conn: Connection) -> None:
    _add_column(conn, consultations.c.fit)


def _add_visit_notes(conn: Connection) -> None:
    _add_column(conn, consultations.c.notes)


def _identity_consent_audit(conn: Connection) -> None:
    """Clients get a lasting id, a date of birth and a consent record; consultations who saved
    them, revisions and a save key; the audit trail, the earlier revisions and studio accounts.

    Clients stored before keep working: each gets an id, no date of birth (their key stays
    their name as matched) and consent "not recorded", asked at their next consultation."""
    for column in (
        clients.c.public_id,
        clients.c.name_key,
        clients.c.born,
        clients.c.consent,
        clients.c.consent_version,
        consultations.c.recorded_by,
        consultations.c.revision,
        consultations.c.revised,
        consultations.c.revised_by,
        consultations.c.revision_reason,
        consultations.c.save_key,
    ):
        _add_column(conn, column)
    rows = conn.execute(sa.select(clients.c.id, clients.c.key)).all()
    for row_id, key in rows:
        conn.execute(sa.update(clients).where(clients.c.id == row_id).values(public_id=new_public_id(), name_key=key))
    for index in (*clients.indexes, *consultations.indexes):
        if index.name in ("clients_by_public_id", "clients_by_name", "consultations_by_save_key"):
            index.create(conn)
    for table in (revisions, audit, users):
        table.create(conn)
    _append_only(conn)


def _append_only(conn: Connection) -> None:
    """The database itself refuses to change or delete an audit event."""
    if conn.dialect.name == "postgresql":
        conn.exec_driver_sql(
            "CREATE FUNCTION audit_append_only() RETURNS trigger LANGUAGE plpgsql AS "
            "$$ BEGIN RAISE EXCEPTION 'the audit trail is append-only'; END $$"
        )
        conn.exec_driver_sql(
            "CREATE TRIGGER audit_append_only BEFORE UPDATE OR DELETE ON audit "
            "FOR EACH ROW EXECUTE FUNCTION audit_append_only()"
        )
        conn.exec_driver_sql(
            "CREATE TRIGGER audit_no_truncate BEFORE TRUNCATE ON audit "
            "FOR EACH STATEMENT EXECUTE FUNCTION audit_append_only()"
        )
        return
    for event in ("UPDATE", "DELETE"):
        conn.exec_driver_sql(
            f"CREATE TRIGGER audit_no_{event.lower()} BEFORE {event} ON audit "
            "BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only'); END"
        )


def new_public_id() -> str:
    """A client's lasting id: 'c-' and ten lower-case letters and digits (about 50 bits)."""
    return "c-" + "".join(secrets.choice(_ID_LETTERS) for _ in range(10))


_ID_LETTERS = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i: read aloud or typed without doubt


def _add_column(conn: Connection, column: sa.Column[object]) -> None:
    """ALTER TABLE ... ADD COLUMN, spelt by the database's own dialect (Core has no construct for it)."""
    spec = CreateColumn(column).compile(dialect=conn.dialect)
    table = conn.dialect.identifier_preparer.format_table(column.table)
    conn.exec_driver_sql(f"ALTER TABLE {table} ADD COLUMN {spec}")


# MIGRATIONS[n - 1] takes a database from schema n - 1 to schema n.
MIGRATIONS: list[Callable[[Connection], None]] = [
    _create_version_1,
    _add_fit_record,
    _add_visit_notes,
    _identity_consent_audit,
]
SCHEMA_VERSION = len(MIGRATIONS)
