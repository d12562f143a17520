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
    # How names are matched (model.name_key): unique, so two fitters adding one client make one.
    sa.Column("key", sa.Text, nullable=False, unique=True),
    sa.Column("created", sa.Text, nullable=False),
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
    sa.Index("consultations_by_client", "client_id", "date", "id"),
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
]
SCHEMA_VERSION = len(MIGRATIONS)
