"""The consultation store: round trips, migrations, foreign files, crashes, concurrent writers.

Tests that take `store_at` run on a SQLite file and on a PostgreSQL database (conftest.py);
the rest are about one of them: the SQLite file itself, or what only a server has.
"""

from __future__ import annotations

import datetime as dt
import json
import multiprocessing
import os
import shutil
import signal
import sqlite3
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from advisor.core.advice.pipeline import assess
from advisor.core.errors import AdvisorError
from advisor.core.intake import answers as answers_mod
from advisor.core.rulebase import questionnaire as qmod
from advisor.exchange import transfer
from advisor.records.database import APPLICATION_ID
from advisor.records.model import Decision, name_key
from advisor.records.schema import SCHEMA_VERSION, metadata
from advisor.records.store import Store
from tests.postgres_server import PostgresServer

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "tests" / "data"
# The tables and columns the store's queries use.
DECLARED = {t.name: [c.name for c in t.columns] for t in metadata.sorted_tables}
SAFE = {q.id: False for q in qmod.load("fitter").questions if q.id.startswith("rf_")}


def add(store: Store, client: str = "Zoë Ødegård", day: int = 1, slr: int = 62) -> int:
    """A real consultation: the fitter's answers, their assessment and the client's decisions."""
    answers = {**SAFE, "passive_slr_deg": slr, "low_back_pain": "long_rides", "back_pain_intensity": 3}
    result = assess(answers_mod.validate({"questionnaire": "fitter", "answers": answers}, "<test>"))
    advised = {e.id for e in result.exercises}
    assert {"strap-stretch", "deadbug"} <= advised, advised
    return store.add_consultation(
        client,
        dt.date(2026, 11, day),
        "fitter",
        result.referral.urgency,
        answers,
        result.to_json_dict(),
        [Decision("exercise", "strap-stretch", False, "hip pinches"), Decision("exercise", "deadbug", True)],
        consent=True,
    )


def test_round_trip(store_at: str) -> None:
    with Store(store_at) as store:
        cid = add(store)
        got = store.consultation(cid)
    assert got.client == "Zoë Ødegård" and got.date == dt.date(2026, 11, 1)
    assert got.answers["passive_slr_deg"] == 62 and got.answers["low_back_pain"] == "long_rides"
    assert got.result["referral"]["urgency"] == "routine"
    assert Decision("exercise", "strap-stretch", False, "hip pinches") in got.decisions


def test_new_file_is_owner_only_and_migrated(tmp_path: Path) -> None:
    path = tmp_path / "sub" / "c.db"
    Store(path).close()
    assert (path.stat().st_mode & 0o777) == 0o600
    conn = sqlite3.connect(path)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    assert conn.execute("PRAGMA application_id").fetchone()[0] == APPLICATION_ID
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_migration_from_an_empty_file(tmp_path: Path) -> None:
    path = tmp_path / "empty.db"
    path.write_bytes(b"")
    path.chmod(0o644)
    with Store(path) as store:
        assert (path.stat().st_mode & 0o777) == 0o600
        add(store)
        assert len(store.history("zoë ødegård")) == 1


def test_names_match_whatever_their_case_or_spacing(store_at: str) -> None:
    with Store(store_at) as store:
        add(store, "Zoë Ødegård", 1)
        add(store, "  ZOË   ØDEGÅRD ", 2)
        assert [c.name for c in store.clients()] == ["Zoë Ødegård"]
        assert store.client_name("zoë ødegård") == "Zoë Ødegård"
        assert len(store.history("ZOË ØDEGÅRD")) == 2


def test_a_database_that_is_not_ours_is_left_alone(tmp_path: Path) -> None:
    path = tmp_path / "other.db"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE invoices (n)")
    conn.commit()
    conn.close()
    before = path.read_bytes()
    with pytest.raises(AdvisorError, match="not a bikefit-advisor database"):
        Store(path)
    assert path.read_bytes() == before


def test_a_corrupt_file_is_left_alone(tmp_path: Path) -> None:
    path = tmp_path / "corrupt.db"
    path.write_bytes(b"this is not a database at all " * 200)
    before = path.read_bytes()
    with pytest.raises(AdvisorError, match="corrupt"):
        Store(path)
    assert path.read_bytes() == before


def test_a_newer_schema_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "c.db"
    Store(path).close()
    conn = sqlite3.connect(path)
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    conn.commit()
    conn.close()
    with pytest.raises(AdvisorError, match="newer version"):
        Store(path)


def test_a_directory_is_refused(tmp_path: Path) -> None:
    with pytest.raises(AdvisorError, match="is a directory"):
        Store(tmp_path)


def test_a_writer_killed_mid_save_leaves_the_database_consistent(store_at: str) -> None:
    with Store(store_at) as store:
        add(store)
    (exitcode,) = _at_once(_die_while_saving, 1, store_at)
    assert exitcode == -signal.SIGKILL
    with Store(store_at) as store:
        assert store.integrity() == "ok"
        visits = store.history("Zoë Ødegård")
        assert [v.date.day for v in visits] == [1]
        assert len(visits[0].decisions) == 2


def _die_while_saving(_n: int, where: str) -> None:
    class DieWhileSaving:
        # The consultation row is written but not committed when this is read.
        def __iter__(self) -> Iterator[Decision]:
            os.kill(os.getpid(), signal.SIGKILL)
            return iter(())

    store = Store(where)
    day = dt.date(2026, 11, 2)
    store.add_consultation("Zoë Ødegård", day, "fitter", "routine", {"a": 1}, {"b": 2}, DieWhileSaving(), consent=True)


# Forked, each process starts with the advisor loaded (no second of imports each), and all
# are let go at the same moment, so they really open and write the store at once.
FORK = multiprocessing.get_context("fork")


def _at_once(target: Callable[..., None], count: int, *args: str) -> list[int | None]:
    """The exit codes of ``count`` processes running ``target(n, *args)`` from the same moment."""
    go = FORK.Event()
    procs = [FORK.Process(target=_on_go, args=(go, target, n, *args)) for n in range(count)]
    for p in procs:
        p.start()
    go.set()
    for p in procs:
        p.join(timeout=120)
    return [p.exitcode for p in procs]


def _on_go(go: Any, target: Callable[..., None], *args: Any) -> None:
    go.wait()
    target(*args)


def test_two_writers_at_once_lose_nothing_nor_double_a_client(store_at: str) -> None:
    """Two processes x 20 consultations at once, for the same five clients each spelt its own way:
    all 40 stored, and five clients (a client key race neither loses a visit nor adds a client)."""
    Store(store_at).close()
    assert _at_once(_twenty_visits, 2, store_at) == [0, 0]
    with Store(store_at) as store:
        # Each client is stored under the spelling of whichever writer added it first.
        assert {name_key(c.name): c.visits for c in store.clients()} == {f"rider {n}": 8 for n in range(5)}
        assert sum(len(store.history(f"rider {n}")) for n in range(5)) == 40
        assert store.integrity() == "ok"


def _twenty_visits(writer: int, where: str) -> None:
    spelling = "Rider {}" if writer == 0 else "  RIDER   {} "
    with Store(where) as store:
        for i in range(20):
            answers = {"i": i, "writer": writer}
            decided = [Decision("exercise", "deadbug", True)]
            store.add_consultation(
                spelling.format(i % 5),
                dt.date(2026, 11, 1),
                "rider",
                "routine",
                answers,
                {"r": i},
                decided,
                consent=True,
            )


def test_export_import_round_trip_without_loss(store_at: str, tmp_path: Path) -> None:
    with Store(store_at) as a:
        add(a, day=1, slr=62)
        add(a, day=20, slr=76)
        out, count = transfer.export_client(a, "zoë ødegård", str(tmp_path / "zoe.json"))
        original = a.history("Zoë Ødegård")
    assert count == 2 and (out.stat().st_mode & 0o777) == 0o600
    doc = json.loads(out.read_text(encoding="utf-8"))
    assert doc["format"] == "bikefit-advisor-client" and doc["client"] == "Zoë Ødegård"
    with Store(tmp_path / "b.db") as b:  # from either store into a SQLite file
        assert transfer.import_client(b, *transfer.read_export(str(out))) == ("Zoë Ødegård", 2, 0)
        assert transfer.import_client(b, *transfer.read_export(str(out))) == (
            "Zoë Ødegård",
            0,
            2,
        )  # importing again changes nothing
        copied = b.history("Zoë Ødegård")
    strip = [
        (c.date, c.questionnaire, c.urgency, c.answers, c.result, sorted(c.decisions, key=str), c.created)
        for c in original
    ]
    assert strip == [
        (c.date, c.questionnaire, c.urgency, c.answers, c.result, sorted(c.decisions, key=str), c.created)
        for c in copied
    ]


def test_two_visits_on_one_day_with_the_same_answers_both_move(store_at: str, tmp_path: Path) -> None:
    """A rider seen twice in a day with the same answers (the second time agreeing to all):
    an export, an import and a migration keep both; importing again still adds nothing."""
    with Store(store_at) as a:
        first = add(a, day=3)
        a.add_consultation(
            "Zoë Ødegård", dt.date(2026, 11, 3), "fitter", "routine",
            a.consultation(first).answers, a.consultation(first).result, [],
            created="2026-11-03T16:40:00", consent=True,
        )  # fmt: skip
        out, count = transfer.export_client(a, "Zoë Ødegård", str(tmp_path / "zoe.json"))
    assert count == 2
    with Store(tmp_path / "b.db") as b:
        assert transfer.import_client(b, *transfer.read_export(str(out))) == ("Zoë Ødegård", 2, 0)
        assert transfer.import_client(b, *transfer.read_export(str(out))) == ("Zoë Ødegård", 0, 2)
        assert len(b.history("Zoë Ødegård")) == 2


def test_import_rejects_other_files(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text('{"hello": 1}')
    with pytest.raises(AdvisorError, match="not a client export"):
        transfer.read_export(str(bad))
    broken = tmp_path / "broken.json"
    broken.write_text('{"format": "bikefit-advisor-client",')
    with pytest.raises(AdvisorError, match="not valid JSON"):
        transfer.read_export(str(broken))


def test_many_first_uses_at_once_all_succeed(tmp_path: Path) -> None:
    """Several processes opening a database that does not exist yet: all of them get it."""
    for round_ in range(2):
        db = tmp_path / f"round{round_}" / "c.db"
        assert _at_once(_first_use, 8, str(db)) == [0] * 8
        with Store(db) as store:
            assert store.integrity() == "ok"


def _first_use(_n: int, where: str) -> None:
    with Store(where) as store:
        store.clients()


def test_many_first_uses_of_an_empty_server_database_at_once_all_succeed(postgres: PostgresServer) -> None:
    """Processes opening a new PostgreSQL database at the same moment: the schema is built once."""
    url = postgres.new_store()
    assert _at_once(_first_visit, 6, url) == [0] * 6
    with Store(url) as store:
        assert store.clients()[0].visits == 6 and store.integrity() == "ok"
    assert _version(url) == SCHEMA_VERSION


def _first_visit(_n: int, where: str) -> None:
    with Store(where) as store:
        store.add_consultation("Ana", dt.date(2026, 11, 1), "rider", "routine", {}, {}, [], consent=True)


def test_a_client_added_by_another_writer_mid_save_is_used_not_doubled(postgres: PostgresServer) -> None:
    """The unique-key race, made to happen: a second save for a new client waits for the first
    writer's uncommitted row for that client, then uses it."""
    url = postgres.new_store()
    with Store(url) as store:
        add(store, "Someone Else")
        engine = sa.create_engine(url.replace("postgresql://", "postgresql+psycopg://"))
        with engine.connect() as first:
            first.execute(
                sa.text(
                    "INSERT INTO clients (name, key, created, public_id, name_key) "
                    "VALUES ('Zoë Ødegård', 'zoë ødegård', 'now', 'c-aaaaaaaaaa', 'zoë ødegård')"
                )
            )
            saved: list[int] = []
            second = threading.Thread(target=lambda: saved.append(add(store, "ZOË ØDEGÅRD")))
            second.start()
            second.join(timeout=0.5)
            assert second.is_alive()  # waiting for the first writer's client row
            first.commit()
        second.join(timeout=10)
        engine.dispose()
        assert len(saved) == 1
        assert [(c.name, c.visits) for c in store.clients()] == [("Someone Else", 1), ("Zoë Ødegård", 1)]


def test_a_server_database_that_is_not_ours_is_left_alone(postgres: PostgresServer) -> None:
    url = postgres.new_store()
    postgres.run_sql(url, "CREATE TABLE invoices (n integer)")
    with pytest.raises(AdvisorError, match="not a bikefit-advisor database"):
        Store(url)
    assert _tables(url) == ["invoices"]


def test_a_newer_schema_on_a_server_is_refused(postgres: PostgresServer) -> None:
    url = postgres.new_store()
    Store(url).close()
    postgres.run_sql(url, f"UPDATE bikefit_advisor SET schema_version = {SCHEMA_VERSION + 1}")
    with pytest.raises(AdvisorError, match="newer version"):
        Store(url)


def test_reading_an_empty_server_database_creates_nothing(postgres: PostgresServer) -> None:
    url = postgres.new_store()
    with pytest.raises(AdvisorError, match="holds no bikefit-advisor records yet"):
        Store(url, create=False)
    assert _tables(url) == []


def test_both_stores_build_the_declared_schema(store_at: str) -> None:
    """The numbered migrations, run from nothing, make exactly the tables the queries use."""
    Store(store_at).close()
    assert _columns(store_at) == DECLARED


@pytest.mark.parametrize("version", [1, 2])
def test_a_file_written_by_an_earlier_release_opens_with_its_data(tmp_path: Path, version: int) -> None:
    """tests/data/store-vN.sqlite3 were written by the releases with schema N (before SQLAlchemy)."""
    path = tmp_path / "studio.sqlite3"
    shutil.copy(DATA / f"store-v{version}.sqlite3", path)
    with Store(path) as store:
        assert [(c.name, c.visits, c.last_date) for c in store.clients()] == [
            ("Sam Lee", 1, dt.date(2026, 11, 5)),
            ("Zoë Ødegård", 2, dt.date(2026, 11, 20)),
        ]
        first, second = store.history("zoë ødegård")
        assert (first.date, first.created, first.answers["passive_slr_deg"]) == (
            dt.date(2026, 11, 1),
            "2026-11-01T10:00:00",
            62,
        )
        assert first.result["referral"]["urgency"] == first.urgency == "routine"
        assert sorted(first.decisions, key=str) == [
            Decision("exercise", "deadbug", True),
            Decision("exercise", "strap-stretch", False, "hip pinches"),
        ]
        assert second.fit == (
            {} if version == 1 else {"before": {"saddle_height_mm": 720}, "after": {"saddle_height_mm": 725}}
        )
        add(store, "Sam Lee", day=28)  # and it takes new visits
        assert len(store.history("Sam Lee")) == 2
        assert store.integrity() == "ok"
    assert _columns(str(path)) == DECLARED
    conn = sqlite3.connect(path)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    assert conn.execute("PRAGMA application_id").fetchone()[0] == APPLICATION_ID


def _engine(where: str) -> sa.Engine:
    if "://" in where:
        return sa.create_engine(where.replace("postgresql://", "postgresql+psycopg://"))
    return sa.create_engine(f"sqlite:///{where}")


def _tables(url: str) -> list[str]:
    engine = _engine(url)
    try:
        return sorted(sa.inspect(engine).get_table_names())
    finally:
        engine.dispose()


def _columns(where: str) -> dict[str, list[str]]:
    engine = _engine(where)
    try:
        inspector = sa.inspect(engine)
        return {
            name: [c["name"] for c in inspector.get_columns(name)]
            for name in inspector.get_table_names()
            if name != "bikefit_advisor"
        }
    finally:
        engine.dispose()


def _version(url: str) -> int:
    engine = _engine(url)
    try:
        with engine.connect() as conn:
            return int(conn.execute(sa.text("SELECT schema_version FROM bikefit_advisor")).scalar_one())
    finally:
        engine.dispose()
