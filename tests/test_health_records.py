"""Records a studio can answer for, in the store itself: identity, consent, amendments, erasure
that leaves no trace in the files, an append-only audit trail, backups, and saves recorded
exactly once across processes.

Tests that take `store_at` run on a SQLite file and on a PostgreSQL database (conftest.py).
"""

from __future__ import annotations

import datetime as dt
import shutil
import sqlite3
from pathlib import Path

import pytest
import sqlalchemy as sa

from advisor.core.errors import AdvisorError
from advisor.exchange import transfer
from advisor.records.consent import CONSENT_VERSION
from advisor.records.database import ChangedMeanwhile, ConsentNeeded, TwoClients
from advisor.records.model import Decision
from advisor.records.store import Store, Who
from tests.test_store import DATA, FORK, _at_once, add

NOTE = "knee clicks on the stairs since the fall"


def _visit(store: Store, who: str | Who, *, consent: bool = True, save_key: str | None = None, notes: str = "") -> int:
    return store.add_consultation(
        who,
        dt.date(2026, 11, 3),
        "fitter",
        "routine",
        {"passive_slr_deg": 62},
        {"r": 1},
        [Decision("exercise", "deadbug", True)],
        notes=notes,
        actor="Maria (fitter)",
        consent=consent,
        save_key=save_key,
    )


# --- identity ---------------------------------------------------------------------------------


def test_two_riders_of_one_name_are_two_clients_told_apart_by_date_of_birth(store_at: str) -> None:
    with Store(store_at) as store:
        _visit(store, Who("Anna Rossi", dt.date(1980, 2, 1)))
        _visit(store, Who("ANNA  ROSSI", dt.date(1991, 7, 9)))
        both = store.named("anna rossi")
        assert sorted(c.born.isoformat() for c in both if c.born) == ["1980-02-01", "1991-07-09"]
        assert len({c.id for c in both}) == 2 and all(c.id.startswith("c-") for c in both)
        with pytest.raises(TwoClients) as refused:
            store.require("Anna Rossi")
        assert refused.value.exit_code == 2
        message = str(refused.value)
        assert "2 clients have this name" in message and "--born" in message
        for client in both:
            assert client.id in message and client.born is not None and client.born.isoformat() in message
        older = store.require("anna rossi", dt.date(1980, 2, 1))
        assert store.require(older.id) == older  # the lasting id finds the same client
        assert len(store.history(older)) == 1


def test_a_date_of_birth_given_later_is_recorded_and_a_wrong_one_for_an_id_refused(store_at: str) -> None:
    with Store(store_at) as store:
        _visit(store, "Sam Lee")
        sam = store.require("Sam Lee")
        assert sam.born is None
        _visit(store, Who("", dt.date(1975, 5, 5), sam.id))
        assert store.require("Sam Lee").born == dt.date(1975, 5, 5)
        with pytest.raises(AdvisorError, match="was born on 1975-05-05, not 1976-05-05"):
            _visit(store, Who("", dt.date(1976, 5, 5), sam.id))


def test_rename_keeps_the_id_and_merge_moves_every_visit(store_at: str) -> None:
    with Store(store_at) as store:
        _visit(store, "Zoe Odegard")
        _visit(store, "Zoë Ødegård")
        typo, right = store.require("Zoe Odegard"), store.require("Zoë Ødegård")
        store.rename(typo, "Zoë Ødegaard", actor="Maria")
        renamed = store.require(typo.id)
        assert renamed.name == "Zoë Ødegaard" and renamed.id == typo.id
        with pytest.raises(AdvisorError, match="if they are the same rider, merge them"):
            store.rename(renamed, "zoë ødegård", actor="Maria")
        assert store.merge(renamed, right, actor="Maria") == 1
        assert store.find(typo.id) is None
        assert len(store.history(right)) == 2
        actions = [(e.action, e.client) for e in store.audit()]
        assert ("renamed", typo.id) in actions and ("merged", typo.id) in actions and ("merged", right.id) in actions


# --- consent ----------------------------------------------------------------------------------


def test_a_new_client_is_stored_only_with_consent(store_at: str) -> None:
    with Store(store_at) as store:
        with pytest.raises(ConsentNeeded, match="is a new client: record their consent"):
            _visit(store, "Ana", consent=False)
        assert store.clients() == []  # nothing stored, not even the client
        _visit(store, "Ana")
        ana = store.require("Ana")
        assert ana.consented and ana.consent_version == CONSENT_VERSION
        _visit(store, "Ana", consent=False)  # asked once: never again
        assert store.require("Ana").visits == 2


@pytest.mark.parametrize("version", [1, 2])
def test_clients_stored_before_consent_keep_working_and_are_asked_next_time(tmp_path: Path, version: int) -> None:
    path = tmp_path / "studio.sqlite3"
    shutil.copy(DATA / f"store-v{version}.sqlite3", path)
    with Store(path) as store:
        clients = store.clients()
        assert [c.name for c in clients] == ["Sam Lee", "Zoë Ødegård"]
        assert all(c.id.startswith("c-") and c.born is None and not c.consented for c in clients)
        assert len(store.history("zoë ødegård")) == 2  # found by name, as before
        with pytest.raises(ConsentNeeded, match="has no consent recorded"):
            _visit(store, "Sam Lee", consent=False)
        assert store.require("Sam Lee").visits == 1
        _visit(store, "Sam Lee")
        assert store.require("Sam Lee").consented


# --- amendments -------------------------------------------------------------------------------


def test_an_amendment_is_a_new_revision_and_the_original_is_kept(store_at: str) -> None:
    with Store(store_at) as store:
        cid = add(store)
        original = store.consultation(cid)
        fixed = dict(original.answers, passive_slr_deg=72)
        store._db.amend(  # the answers as corrected, assessed as the command does
            cid,
            (original.date, original.questionnaire, "soon", fixed, {"amended": True}, original.created, {}, "typo"),
            [Decision("exercise", "deadbug", True)],
            "2026-11-04T09:00:00",
            "Maria",
            "slr typed as 62, measured 72",
        )
        now = store.consultation(cid)
        assert (now.revision, now.amended, now.revised_by, now.revision_reason) == (
            2,
            True,
            "Maria",
            "slr typed as 62, measured 72",
        )
        assert now.answers["passive_slr_deg"] == 72 and now.urgency == "soon" and now.created == original.created
        (kept,) = store.revisions(cid)
        assert (kept.revision, kept.answers, kept.urgency, kept.reason) == (1, original.answers, original.urgency, "")
        assert sorted(kept.decisions, key=str) == sorted(original.decisions, key=str)
        assert ("amended", cid) in [(e.action, e.visit) for e in store.audit()]


# --- the audit trail --------------------------------------------------------------------------


def test_the_audit_trail_is_append_only_in_the_database_itself(store_at: str) -> None:
    with Store(store_at) as store:
        cid = _visit(store, "Ana")
        (event,) = [e for e in store.audit() if e.action == "saved"]
        assert (event.actor, event.visit, event.client) == ("Maria (fitter)", cid, store.require("Ana").id)
    engine = sa.create_engine(_url(store_at))
    for statement in ("UPDATE audit SET actor = 'someone else'", "DELETE FROM audit"):
        with engine.connect() as conn, pytest.raises(sa.exc.DBAPIError, match="append-only"):
            conn.execute(sa.text(statement))
            conn.commit()
    engine.dispose()


def _url(store_at: str) -> str:
    return store_at.replace("postgresql://", "postgresql+psycopg://") if "://" in store_at else f"sqlite:///{store_at}"


# --- erasure ----------------------------------------------------------------------------------


def test_erasure_leaves_no_trace_in_the_file_or_its_journal(tmp_path: Path) -> None:
    where = tmp_path / "studio.db"
    with Store(where) as store:
        _visit(store, "Someone Else", notes="a different rider")
        for _ in range(3):
            _visit(store, "Zoë Ødegård", notes=NOTE)
        zoe = store.require("Zoë Ødegård")
        cid = store.history(zoe)[0].id
        store._db.amend(
            cid, (dt.date(2026, 11, 3), "fitter", "routine", {"x": NOTE}, {}, "t", {}, NOTE), [], "t", "Maria", NOTE
        )
        assert store.erase(zoe, actor="Maria") == 3
        assert store.find("Zoë Ødegård") is None and store.find(zoe.id) is None
        assert [c.name for c in store.clients()] == ["Someone Else"]
        (erased,) = [e for e in store.audit() if e.action == "erased"]
        assert (erased.client, erased.actor, erased.detail) == (zoe.id, "Maria", "3 visits")
    files = [p for p in tmp_path.iterdir() if p.name.startswith("studio.db")]
    assert files
    for path in files:
        data = path.read_bytes()
        for secret in ("Zoë Ødegård", "zoë ødegård", NOTE):
            assert secret.encode("utf-8") not in data, (path.name, secret)
    assert b"Someone Else" in where.read_bytes()  # the rest is all there


def test_erasure_removes_every_row_on_both_stores(store_at: str) -> None:
    with Store(store_at) as store:
        _visit(store, "Someone Else")
        _visit(store, "Zoë Ødegård", notes=NOTE)
        zoe = store.require("Zoë Ødegård")
        store.erase(zoe, actor="Maria")
    engine = sa.create_engine(_url(store_at))
    with engine.connect() as conn:
        for table, column in (("clients", "name"), ("consultations", "notes"), ("audit", "detail")):
            values = [str(v) for v in conn.execute(sa.text(f"SELECT {column} FROM {table}")).scalars()]
            assert not any("Zoë" in v or NOTE in v for v in values), (table, values)
        assert conn.execute(sa.text("SELECT count(*) FROM consultations")).scalar_one() == 1
    engine.dispose()


# --- exactly once -----------------------------------------------------------------------------


def test_two_processes_saving_the_same_form_at_once_record_one_visit(store_at: str) -> None:
    Store(store_at).close()
    assert _at_once(_save_the_form, 4, store_at) == [0, 0, 0, 0]
    with Store(store_at) as store:
        assert store.require("Ana").visits == 1
        assert len([e for e in store.audit() if e.action == "saved"]) == 1


def _save_the_form(_n: int, where: str) -> None:
    with Store(where) as store:
        _visit(store, "Ana", save_key="review-token-1:form-digest")


def test_a_save_sent_again_after_a_restart_returns_the_same_visit(store_at: str) -> None:
    with Store(store_at) as store:
        first = _visit(store, "Ana", save_key="token:digest")
    with Store(store_at) as store:  # another process, another day
        assert _visit(store, "Ana", save_key="token:digest") == first
        assert _visit(store, "Ana", save_key="token:other-digest") != first
        assert store.require("Ana").visits == 2


def test_one_export_imported_twice_at_once_adds_each_visit_once(store_at: str, tmp_path: Path) -> None:
    with Store(tmp_path / "a.db") as a:
        add(a, day=1)
        add(a, day=20)
        out, _ = transfer.export_client(a, "Zoë Ødegård", str(tmp_path / "zoe.json"))
    Store(store_at).close()
    assert _at_once(_import, 3, store_at, str(out)) == [0, 0, 0]
    with Store(store_at) as b:
        zoe = b.require("Zoë Ødegård")
        assert zoe.visits == 2 and zoe.consented  # the consent the export carried
        assert len(b.history(zoe)) == 2


def _import(_n: int, where: str, export: str) -> None:
    with Store(where) as store:
        transfer.import_client(store, *transfer.read_export(export), actor="import test")


# --- backups ----------------------------------------------------------------------------------


def test_a_backup_taken_during_twenty_saves_opens_whole(tmp_path: Path) -> None:
    where = tmp_path / "studio.db"
    with Store(where) as store:
        _visit(store, "Ana")
    go = FORK.Event()
    writers = [FORK.Process(target=_saves_on_go, args=(go, str(where), n)) for n in range(2)]
    for p in writers:
        p.start()
    go.set()
    copies = []
    with Store(where) as store:
        for n in range(3):
            copy = tmp_path / f"backup-{n}.db"
            store.backup(copy, actor="Maria")
            copies.append(copy)
    for p in writers:
        p.join(timeout=120)
        assert p.exitcode == 0
    for copy in copies:
        assert (copy.stat().st_mode & 0o777) == 0o600
        conn = sqlite3.connect(copy)
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        visits = conn.execute("SELECT count(*) FROM consultations").fetchone()[0]
        conn.close()
        assert 1 <= visits <= 21
        with Store(copy, create=False) as restored:
            assert restored.require("Ana").visits == visits
    with Store(where) as store:
        assert store.require("Ana").visits == 21
        assert [e.action for e in store.audit()].count("backup") == 3


def _saves_on_go(go: object, where: str, _writer: int) -> None:
    go.wait()  # type: ignore[attr-defined]
    with Store(where) as store:
        for _ in range(10):
            _visit(store, "Ana")


def test_a_backup_on_a_server_says_how_to_use_pg_dump(store_at: str, tmp_path: Path) -> None:
    if "://" not in store_at:
        pytest.skip("a SQLite file is copied by the advisor itself (the test above)")
    with Store(store_at) as store, pytest.raises(AdvisorError, match="pg_dump --format=custom") as refused:
        store.backup(tmp_path / "copy.dump", actor="Maria")
    assert refused.value.exit_code == 2 and not (tmp_path / "copy.dump").exists()


def test_a_visit_id_is_never_given_again_after_an_erasure(store_at: str) -> None:
    """An id the audit trail or a printed report has named never names another client's visit."""
    with Store(store_at) as store:
        _visit(store, "Someone Else")
        last = _visit(store, "Zoë Ødegård")
        store.erase(store.require("Zoë Ødegård"), actor="Maria")
        assert _visit(store, "Ana") > last


def test_two_amendments_of_one_revision_at_once_keep_one(store_at: str) -> None:
    """Two fitters amend the same revision at the same moment (two processes): one revision
    is made, and the other is refused whole, never stacked on a revision it did not see."""
    with Store(store_at) as store:
        cid = add(store)
    codes = _at_once(_amend_revision_one, 4, store_at, str(cid))
    assert sorted(codes) == [0, 3, 3, 3]
    with Store(store_at) as store:
        assert store.consultation(cid).revision == 2
        assert len(store.revisions(cid)) == 1


def _amend_revision_one(n: int, where: str, cid: str) -> None:
    with Store(where) as store:
        was = store.consultation(int(cid))
        visit = (was.date, was.questionnaire, was.urgency, was.answers, was.result, was.created, was.fit, f"by {n}")
        try:
            store._db.amend(int(cid), visit, was.decisions, "2026-11-04T09:00:00", f"fitter {n}", "typo", 1)
        except ChangedMeanwhile:
            raise SystemExit(3) from None


def test_an_amendment_from_an_old_revision_is_refused(store_at: str) -> None:
    with Store(store_at) as store:
        cid = add(store)
        was = store.consultation(cid)
        visit = (was.date, was.questionnaire, was.urgency, was.answers, was.result, was.created, was.fit, "")
        store._db.amend(cid, visit, was.decisions, "2026-11-04T09:00:00", "Maria", "first", 1)
        with pytest.raises(ChangedMeanwhile, match="was amended by Maria on 2026-11-04 09:00"):
            store._db.amend(cid, visit, was.decisions, "2026-11-04T09:05:00", "Ben", "second", 1)
        assert store.consultation(cid).revision == 2
