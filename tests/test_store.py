"""The consultation store: round trips, migrations, foreign files, crashes, concurrent writers."""

from __future__ import annotations

import datetime as dt
import json
import os
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from advisor.core import answers as answers_mod
from advisor.core import questionnaire as qmod
from advisor.core.errors import AdvisorError
from advisor.core.pipeline import assess
from advisor.records import transfer
from advisor.records.store import APPLICATION_ID, SCHEMA_VERSION, Decision, Store

ROOT = Path(__file__).resolve().parent.parent
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
    )


def test_round_trip(tmp_path: Path) -> None:
    with Store(tmp_path / "c.db") as store:
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


def test_names_match_whatever_their_case_or_spacing(tmp_path: Path) -> None:
    with Store(tmp_path / "c.db") as store:
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


def _run(code: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code), *args], capture_output=True, text=True, env=env, timeout=120
    )


def test_a_writer_killed_mid_save_leaves_the_database_consistent(tmp_path: Path) -> None:
    path = tmp_path / "c.db"
    with Store(path) as store:
        add(store)
    code = """
        import datetime as dt, os, signal, sys
        from advisor.records.store import Store

        class DieWhileSaving:
            # The consultation row is written but not committed when this is read.
            def __iter__(self):
                os.kill(os.getpid(), signal.SIGKILL)
                return iter(())

        store = Store(sys.argv[1])
        day = dt.date(2026, 11, 2)
        store.add_consultation("Zoë Ødegård", day, "fitter", "routine", {"a": 1}, {"b": 2}, DieWhileSaving())
    """
    proc = _run(code, str(path))
    assert proc.returncode == -9, proc.stderr
    with Store(path) as store:
        assert store.integrity() == "ok"
        visits = store.history("Zoë Ødegård")
        assert [v.date.day for v in visits] == [1]
        assert len(visits[0].decisions) == 2


def test_two_writers_at_once_lose_nothing(tmp_path: Path) -> None:
    path = tmp_path / "c.db"
    Store(path).close()
    code = """
        import datetime as dt, sys
        from advisor.records.store import Store, Decision
        store = Store(sys.argv[1])
        for i in range(40):
            store.add_consultation(sys.argv[2], dt.date(2026, 11, 1), "rider", "routine", {"i": i}, {"r": i},
                                   [Decision("exercise", "deadbug", True)])
    """
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", textwrap.dedent(code), str(path), name],
            env={**os.environ, "PYTHONPATH": str(ROOT)},
            stderr=subprocess.PIPE,
            text=True,
        )
        for name in ("Rider A", "Rider B")
    ]
    for p in procs:
        _, err = p.communicate(timeout=120)
        assert p.returncode == 0, err
    with Store(path) as store:
        assert {c.name: c.visits for c in store.clients()} == {"Rider A": 40, "Rider B": 40}
        assert store.integrity() == "ok"


def test_export_import_round_trip_without_loss(tmp_path: Path) -> None:
    with Store(tmp_path / "a.db") as a:
        add(a, day=1, slr=62)
        add(a, day=20, slr=76)
        out, count = transfer.export_client(a, "zoë ødegård", str(tmp_path / "zoe.json"))
        original = a.history("Zoë Ødegård")
    assert count == 2 and (out.stat().st_mode & 0o777) == 0o600
    doc = json.loads(out.read_text(encoding="utf-8"))
    assert doc["format"] == "bikefit-advisor-client" and doc["client"] == "Zoë Ødegård"
    with Store(tmp_path / "b.db") as b:
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
    code = "import sys\nfrom advisor.records.store import Store\nwith Store(sys.argv[1]) as s: s.clients()"
    for round_ in range(2):
        db = tmp_path / f"round{round_}" / "c.db"
        procs = [
            subprocess.Popen([sys.executable, "-c", code, str(db)], stderr=subprocess.PIPE, text=True) for _ in range(8)
        ]
        errors = [err for p in procs if (err := p.communicate()[1]) and p.returncode]
        assert errors == []
        with Store(db) as store:
            assert store.integrity() == "ok"
