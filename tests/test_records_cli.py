"""The records' commands for fitters: consent, who a client is, rename and merge, erasure,
amendments, the audit trail, backups and the studio's accounts.

Every test runs on a SQLite file and on a PostgreSQL store (ADVISOR_DB names it; conftest.py).
A person at a terminal is stood in for by making ``at_terminal`` say so; tests in
test_consult_terminal.py answer at a real pseudo-terminal.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import yaml
from pypdf import PdfReader
from typer.testing import CliRunner

from advisor.cli import app, common
from advisor.records import drafts
from advisor.records.consent import CONSENT_QUESTION, CONSENT_TEXT
from advisor.records.store import Store

ROOT = Path(__file__).resolve().parent.parent
FIRST = ROOT / "examples" / "routine-low-back-tight-hamstrings.yaml"
OLD_STORE = ROOT / "tests" / "data" / "store-v1.sqlite3"  # written before consent was asked


@pytest.fixture(autouse=True)
def folders(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, store_at: str) -> None:
    monkeypatch.setenv("ADVISOR_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("ADVISOR_CONFIG_DIR", str(tmp_path / "config"))
    monkeypatch.setenv("ADVISOR_DB", store_at)
    monkeypatch.delenv("ADVISOR_FITTER", raising=False)
    monkeypatch.chdir(tmp_path)


@pytest.fixture
def terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    """A person at the terminal, answering what CliRunner's input holds."""
    monkeypatch.setattr(common, "at_terminal", lambda: True)


def run(*args: str, input: str | None = None, env: dict[str, str] | None = None):
    return CliRunner().invoke(app, list(args), input=input, env={"NO_COLOR": "1", "COLUMNS": "100", **(env or {})})


def record(name: str, *extra: str, answers: Path = FIRST) -> str:
    """Record a visit for a consenting client; returns the command's output."""
    result = run("consult", "--client", name, "--answers", str(answers), "--accept-all", "--consent", *extra)
    assert result.exit_code == 0, result.output
    return result.stdout


def one_clear_line(result) -> str:  # type: ignore[no-untyped-def]
    """A refusal: exit 2, one line on stderr, no traceback."""
    assert result.exit_code == 2, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    assert "Traceback" not in result.output
    return lines[0]


def clients() -> list:
    with Store() as store:
        return store.clients()


def corrected(tmp_path: Path, **changes: object) -> Path:
    doc = yaml.safe_load(FIRST.read_text(encoding="utf-8"))
    doc["answers"].update(changes)
    path = tmp_path / "corrected.yaml"
    path.write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")
    return path


# --- consent -------------------------------------------------------------------------------


def test_without_a_terminal_a_new_client_needs_consent_and_nothing_is_stored() -> None:
    refused = run("consult", "--client", "Zoë Ødegård", "--answers", str(FIRST), "--accept-all")
    line = one_clear_line(refused)
    assert "--consent" in line and "'Zoë Ødegård' is a new client" in line and "nothing was stored" in line
    # The questionnaire is not started either: there is no draft to lose.
    interview = run("consult", "--client", "Sam", input="n\nn\n")
    assert "--consent" in one_clear_line(interview)
    assert "Question 1" not in interview.stdout and not drafts.path("consult", "Sam").exists()
    assert clients() == []


def test_consent_is_asked_once_at_a_terminal(terminal: None) -> None:
    asked = run("consult", "--client", "Zoë Ødegård", "--answers", str(FIRST), "--accept-all", input="y\n")
    assert asked.exit_code == 0, asked.output
    flat = " ".join(asked.stdout.split())
    assert " ".join(CONSENT_TEXT.split()) in flat and CONSENT_QUESTION in flat
    [zoe] = clients()
    assert zoe.consented and zoe.consent_version
    again = run("consult", "--client", "Zoë Ødegård", "--answers", str(FIRST), "--accept-all", input="")
    assert again.exit_code == 0, again.output
    assert CONSENT_QUESTION not in again.stdout  # never asked twice


def test_no_at_the_consent_question_stores_nothing(terminal: None) -> None:
    refused = run("consult", "--client", "Zoë", "--answers", str(FIRST), "--accept-all", input="maybe\nn\n")
    line = one_clear_line(refused)
    assert "did not agree to their answers being kept" in line and "nothing was stored" in line
    assert str(FIRST) in line  # the answers are still there
    assert "Please type y" in refused.stdout
    assert clients() == []


def test_a_refused_interview_keeps_its_answers_in_the_draft(terminal: None) -> None:
    # The first safety answer is an emergency: the questionnaire stops, the advice is shown,
    # then consent is asked.
    refused = run("consult", "--client", "Sam", input="y\nn\n")
    assert refused.exit_code == 2, refused.output
    assert "EMERGENCY" in refused.stdout and "--resume" in refused.stderr
    assert clients() == []
    assert drafts.load("consult", "Sam") is not None  # nothing lost
    # They change their mind: resumed, the advice comes again and consent is asked again.
    resumed = run("consult", "--client", "Sam", "--resume", input="y\n")
    assert resumed.exit_code == 0, resumed.output
    assert CONSENT_QUESTION in resumed.stdout
    [sam] = clients()
    assert sam.consented and sam.visits == 1
    assert not drafts.path("consult", "Sam").exists()


def test_a_client_stored_before_consent_was_asked_is_asked_at_their_next_visit(
    store_at: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    old = tmp_path / "old.sqlite3"
    shutil.copy(OLD_STORE, old)
    moved = run("migrate", "--from", str(old), "--to", store_at)  # copied as they are
    assert moved.exit_code == 0, moved.output
    assert not any(c.consented for c in clients())
    line = one_clear_line(run("consult", "--client", "Sam Lee", "--answers", str(FIRST), "--accept-all"))
    assert "has no consent recorded" in line and "--consent" in line
    monkeypatch.setattr(common, "at_terminal", lambda: True)
    asked = run("consult", "--client", "Sam Lee", "--answers", str(FIRST), "--accept-all", input="y\n")
    assert asked.exit_code == 0, asked.output
    assert "a client whose consent was never recorded" in asked.stdout
    assert next(c for c in clients() if c.name == "Sam Lee").consented


def test_an_import_keeps_the_consent_an_export_carries(tmp_path: Path) -> None:
    record("Zoë Ødegård")
    assert run("export", "Zoë Ødegård", "--out", "zoe.json").exit_code == 0
    other = str(tmp_path / "other.sqlite3")
    imported = run("import", "zoe.json", "--db", other)
    assert imported.exit_code == 0, imported.output
    with Store(other) as store:
        [zoe] = store.clients()
    assert zoe.consented and zoe.id == clients()[0].id  # the same lasting id too
    assert run("export", "Zoë Ødegård", "--out", "zoe.fhir.json", "--format", "fhir").exit_code == 0
    fresh = str(tmp_path / "fresh.sqlite3")
    line = one_clear_line(run("import", "zoe.fhir.json", "--db", fresh))
    assert "--consent" in line and "a FHIR Bundle carries no consent" in line and "nothing was imported" in line
    assert run("import", "zoe.fhir.json", "--db", fresh, "--consent").exit_code == 0


# --- who a client is ------------------------------------------------------------------------


def test_a_shared_name_is_refused_with_both_listed_and_chosen_by_born_or_id() -> None:
    record("Anna Rossi", "--born", "1980-02-01")
    second = record("Anna Rossi", "--born", "1990-05-05")
    older, younger = sorted(clients(), key=lambda c: str(c.born))
    # Said once, when the second one is created: how to join them if they are one rider.
    flat = " ".join(second.split())
    assert "another client has this name" in flat and older.id in flat and "advisor client merge" in flat
    assert "another client" not in record("Anna Rossi", "--born", "1990-05-05")

    for args in (["history", "Anna Rossi"], ["export", "Anna Rossi", "--out", "a.json"], ["erase", "Anna Rossi"]):
        line = one_clear_line(run(*args))
        assert "2 clients have this name" in line and older.id in line and younger.id in line, args
        assert "1980-02-01" in line and "1990-05-05" in line and "--born" in line
    line = one_clear_line(run("consult", "--client", "Anna Rossi", "--answers", str(FIRST), "--accept-all"))
    assert older.id in line and younger.id in line
    assert clients()[0].visits + clients()[1].visits == 3  # nothing stored

    by_born = run("history", "Anna Rossi", "--born", "1990-05-05")
    assert by_born.exit_code == 0 and "Anna Rossi: 2 consultations" in by_born.stdout
    by_id = run("history", older.id, "--format", "json")
    assert by_id.exit_code == 0 and len(json.loads(by_id.stdout)) == 1
    assert record(older.id).count("saved for Anna Rossi") == 1
    assert run("export", younger.id, "--out", "young.json").exit_code == 0
    assert json.loads(Path("young.json").read_text(encoding="utf-8"))["born"] == "1990-05-05"

    listed = run("clients").stdout
    assert older.id in listed and "1980-02-01" in listed and younger.id in listed
    data = json.loads(run("clients", "--format", "json").stdout)
    assert {(c["id"], c["born"]) for c in data} == {(older.id, "1980-02-01"), (younger.id, "1990-05-05")}
    assert all(c["consent"] for c in data)


def test_rename_keeps_the_client_and_their_visits() -> None:
    record("Zoë Ødegård", "--born", "1985-03-03")
    [zoe] = clients()
    assert run("consult", "--client", "Zoë Ødegård", input="n\n").exit_code == 130  # an unfinished visit
    renamed = run("client", "rename", "Zoë Ødegård", "Zoë Lind", "--born", "1985-03-03", "--fitter", "Ana Lind")
    assert renamed.exit_code == 0, renamed.output
    assert f"Renamed Zoë Ødegård ({zoe.id}) to Zoë Lind" in renamed.stdout
    [lind] = clients()
    assert (lind.name, lind.id, lind.born, lind.visits) == ("Zoë Lind", zoe.id, zoe.born, 1)
    assert not drafts.path("consult", "Zoë Ødegård").exists()
    assert drafts.load("consult", "Zoë Lind").client == "Zoë Lind"  # goes on under the new name
    assert "has no client named 'Zoë Ødegård'" in one_clear_line(run("history", "Zoë Ødegård"))
    assert "--born" in one_clear_line(run("client", "rename", "Zoë Lind", "Zoë", "--born", "1985-02-30"))
    assert "NEW" in one_clear_line(run("client", "rename", "Zoë Lind", " "))


def test_merge_asks_at_a_terminal_and_needs_yes_without_one(monkeypatch: pytest.MonkeyPatch) -> None:
    record("Zoe Odegard")
    record("Zoë Ødegård")
    record("Zoë Ødegård")
    a = next(c for c in clients() if c.name == "Zoe Odegard")
    b = next(c for c in clients() if c.name == "Zoë Ødegård")
    line = one_clear_line(run("client", "merge", "Zoe Odegard", "Zoë Ødegård"))
    assert "--yes" in line and "nothing was changed" in line
    monkeypatch.setattr(common, "at_terminal", lambda: True)
    kept = run("client", "merge", a.id, "Zoë Ødegård", input="n\n")
    assert kept.exit_code == 1 and "nothing was changed" in kept.stderr
    assert a.described() in kept.stdout and b.described() in kept.stdout  # both shown before asking
    assert len(clients()) == 2
    merged = run("client", "merge", a.id, b.id, input="y\n")
    assert merged.exit_code == 0, merged.output
    assert f"Moved 1 visit of Zoe Odegard ({a.id}) to Zoë Ødegård ({b.id})" in merged.stdout
    [only] = clients()
    assert (only.id, only.name, only.visits) == (b.id, "Zoë Ødegård", 3)


def test_merge_with_yes(tmp_path: Path) -> None:
    record("Zoe Odegard")
    record("Zoë Ødegård")
    merged = run("client", "merge", "Zoe Odegard", "Zoë Ødegård", "--yes")
    assert merged.exit_code == 0, merged.output
    [only] = clients()
    assert only.name == "Zoë Ødegård" and only.visits == 2
    assert "the same client" in one_clear_line(run("client", "merge", only.id, "Zoë Ødegård", "--yes"))
    assert "has no client with id c-0000000000" in one_clear_line(
        run("client", "merge", "c-0000000000", "Zoë Ødegård", "--yes")
    )


# --- erasure --------------------------------------------------------------------------------


def test_erase_removes_everything_and_the_draft_and_the_audit_keeps_no_name(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    record("Zoë Ødegård", "--born", "1985-03-03")
    record("Zoë Ødegård")
    record("Sam Lee")
    [zoe] = [c for c in clients() if c.name == "Zoë Ødegård"]
    amended = run("amend", "1", "--answers", str(corrected(tmp_path, passive_slr_deg=80)), "--reason", "re-measured")
    assert amended.exit_code == 0, amended.output
    assert run("consult", "--client", "Zoë Ødegård", input="n\nn\n").exit_code == 130  # an unfinished visit
    assert drafts.path("consult", "Zoë Ødegård").exists()

    line = one_clear_line(run("erase", "Zoë Ødegård"))
    assert "--yes" in line and "nothing was erased" in line
    monkeypatch.setattr(common, "at_terminal", lambda: True)
    wrong = run("erase", "Zoë Ødegård", input="Zoe\n")
    assert wrong.exit_code == 1 and "nothing was changed" in wrong.stderr
    assert "Type the client's name" in wrong.stdout and zoe.described() in wrong.stdout
    assert len(clients()) == 2

    erased = run("erase", "zoë ødegård", "--born", "1985-03-03", input="ZOË ØDEGÅRD\n", env={"ADVISOR_FITTER": "Bo"})
    assert erased.exit_code == 0, erased.output
    assert f"Erased Zoë Ødegård ({zoe.id}): 2 visits" in erased.stdout
    assert [c.name for c in clients()] == ["Sam Lee"]
    assert not drafts.path("consult", "Zoë Ødegård").exists()
    with Store() as store:
        assert store.revisions(1) == [] and store.history(zoe.id) == []
        events = store.audit()
    assert "has no client with id" in one_clear_line(run("history", zoe.id))
    [gone] = [e for e in events if e.action == "erased"]
    assert (gone.client, gone.actor, gone.detail) == (zoe.id, "Bo", "2 visits")
    everything = json.dumps([e.__dict__ for e in events], ensure_ascii=False)
    assert "Zoë" not in everything and "Ødegård" not in everything  # ids only, never the name
    # What was done to an erased client is still found by their id.
    trail = run("audit", "--client", zoe.id, "--format", "json")
    assert trail.exit_code == 0 and json.loads(trail.stdout)[-1]["action"] == "erased"


# --- amendments -------------------------------------------------------------------------


def test_amend_makes_a_revision_shown_by_history_and_in_the_report(tmp_path: Path) -> None:
    record("Zoë Ødegård", "--fitter", "Ana Lind", "--decline", "strap-stretch", "--note", "hip pinches")
    with Store() as store:
        before = store.consultation(1)
    worse = corrected(tmp_path, back_pain_intensity=8, passive_slr_deg=80)
    amended = run("amend", "1", "--answers", str(worse), "--reason", "pain score typed wrong", "--fitter", "Bo Berg")
    assert amended.exit_code == 0, amended.output
    assert "Consultation 1 amended: revision 2" in amended.stdout
    with Store() as store:
        after = store.consultation(1)
        [original] = store.revisions(1)
    assert after.revision == 2 and after.revised_by == "Bo Berg" and after.revision_reason == "pain score typed wrong"
    assert after.date == before.date and after.answers["back_pain_intensity"] == 8
    assert original.answers == before.answers and original.made_by == "Ana Lind"
    advised = {a["id"] for a in after.result["adjustments"]} | {e["id"] for e in after.result["exercises"]}
    assert {d.item for d in after.decisions} <= advised  # decisions only for items still advised
    kept = {(d.item, d.accepted, d.note) for d in after.decisions}
    assert {(d.item, d.accepted, d.note) for d in before.decisions if d.item in advised} == kept

    text = run("history", "Zoë Ødegård").stdout
    assert "amended (revision 2, " in text and "by Bo Berg: pain score typed wrong)" in text
    assert "earlier revisions" not in text
    listed = run("history", "Zoë Ødegård", "--revisions")
    assert "earlier revisions:" in listed.stdout
    assert "revision 1, " in listed.stdout and "by Ana Lind, routine (as first recorded)" in listed.stdout
    data = json.loads(run("history", "Zoë Ødegård", "--revisions", "--format", "json").stdout)
    assert data[0]["revision"] == 2 and data[0]["amended"]["reason"] == "pain score typed wrong"
    assert [r["revision"] for r in data[0]["revisions"]] == [1]

    for name in ("amended.md", "amended.html", "amended.pdf"):
        assert run("report", "1", "--out", name).exit_code == 0
    for name in ("amended.md", "amended.html"):
        said = " ".join(Path(name).read_text(encoding="utf-8").split())
        assert "Amended on" in said and "by Bo Berg (revision 2): pain score typed wrong" in said, name
    pdf = " ".join(PdfReader("amended.pdf").pages[0].extract_text().split())
    assert "Amended on" in pdf and "pain score typed wrong" in pdf


def test_amend_refuses_bad_input_and_changes_nothing(tmp_path: Path) -> None:
    record("Zoë")
    answers = str(corrected(tmp_path, back_pain_intensity=8))
    assert "--reason" in one_clear_line(run("amend", "1", "--answers", answers))
    assert "--reason" in one_clear_line(run("amend", "1", "--answers", answers, "--reason", "  "))
    assert "--answers" in one_clear_line(run("amend", "1", "--reason", "why"))
    assert "no consultation with id 9" in one_clear_line(run("amend", "9", "--answers", answers, "--reason", "x"))
    bad = corrected(tmp_path, back_pain_intensity=11)
    refused = run("amend", "1", "--answers", str(bad), "--reason", "x")
    assert refused.exit_code == 2 and "back_pain_intensity" in refused.stderr and "Traceback" not in refused.output
    with Store() as store:
        assert store.consultation(1).revision == 1


# --- the audit trail --------------------------------------------------------------------------


def test_audit_lists_what_was_done_and_by_whom(tmp_path: Path) -> None:
    record("Zoë Ødegård", "--fitter", "Ana Lind", "--report", "first.pdf")
    assert run("report", "1", "--out", "again.md", env={"ADVISOR_FITTER": "Bo Berg"}).exit_code == 0
    assert run("export", "Zoë Ødegård", "--out", "zoe.json", "--fitter", "Cy").exit_code == 0
    assert run("import", "zoe.json", "--fitter", "Di").exit_code == 0  # every visit there already
    assert run("erase", "Zoë Ødegård", "--yes", env={"ADVISOR_FITTER": "Ed"}).exit_code == 0
    listed = run("audit", "--format", "json")
    assert listed.exit_code == 0, listed.output
    events = json.loads(listed.stdout)
    done = [(e["action"], e["actor"]) for e in events]
    assert done == [
        ("consent", "Ana Lind"),
        ("saved", "Ana Lind"),
        ("report", "Ana Lind"),
        ("report", "Bo Berg"),
        ("exported", "Cy"),
        ("imported", "Di"),
        ("erased", "Ed"),
    ]
    assert [e["visit"] for e in events if e["action"] in ("saved", "report")] == [1, 1, 1]
    assert len({e["client"] for e in events}) == 1 and [e["id"] for e in events] == sorted(e["id"] for e in events)
    text = run("audit").stdout.splitlines()
    assert text[0].split() == ["Time", "Actor", "Action", "Client", "Visit", "Detail"]
    assert "report" in text[3] and "Ana Lind" in text[3] and "#1" in text[3] and text[3].rstrip().endswith("pdf")
    assert run("audit", "--since", "2999-01-01").stdout.startswith("No events recorded")
    assert "--since" in one_clear_line(run("audit", "--since", "yesterday"))
    assert "has no client named" in one_clear_line(run("audit", "--client", "Zoë Ødegård"))


# --- backups and accounts ---------------------------------------------------------------------


def test_backup_writes_a_file_that_opens_with_the_same_clients(store_at: str, tmp_path: Path) -> None:
    record("Zoë Ødegård")
    record("Sam Lee", "--born", "1979-09-09")
    result = run("backup", "copy.sqlite3", "--fitter", "Ana Lind")
    if store_at.startswith("postgresql"):
        line = one_clear_line(result)
        assert "pg_dump" in line and "nothing was written" in line and not Path("copy.sqlite3").exists()
        return
    assert result.exit_code == 0, result.output
    assert "Backed up the records to copy.sqlite3" in result.stdout and f"copy copy.sqlite3 over {store_at}" in (
        " ".join(result.stdout.split())
    )
    with Store("copy.sqlite3", create=False) as copy:
        assert copy.clients() == clients()
        assert copy.integrity() == "ok"
    assert "--force" in one_clear_line(run("backup", "copy.sqlite3"))
    assert run("backup", "copy.sqlite3", "--force").exit_code == 0
    assert "itself" in one_clear_line(run("backup", store_at))
    with Store() as store:
        actors = [e.actor for e in store.audit() if e.action == "backup"]
    assert len(actors) == 2 and actors[0] == "Ana Lind" and actors[1]  # the login name, without --fitter


def test_users_add_list_and_remove(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    Path("short.txt").write_text("too short\n", encoding="utf-8")
    Path("good.txt").write_text("a long studio password\n", encoding="utf-8")
    line = one_clear_line(run("users", "add", "Ana Lind", "--password-file", "short.txt"))
    assert "--password-file" in line and "9 characters; at least 12" in line and "too short" not in line
    assert "--password-file" in one_clear_line(run("users", "add", "Ana Lind"))  # no terminal, no file
    assert "missing.txt" in one_clear_line(run("users", "add", "Ana Lind", "--password-file", "missing.txt"))
    added = run("users", "add", "Ana Lind", "--password-file", "good.txt", "--fitter", "Bo Berg")
    assert added.exit_code == 0, added.output
    assert "has an account already" in one_clear_line(run("users", "add", "ana lind", "--password-file", "good.txt"))
    monkeypatch.setattr(common, "at_terminal", lambda: True)
    typed = run("users", "add", "Cy", input="another long password\nanother long password\n")
    assert typed.exit_code == 0, typed.output
    assert "another long password" not in typed.output  # hidden
    differ = run("users", "add", "Di", input="another long password\nanother long passw0rd\n")
    assert "the two passwords typed differ" in one_clear_line(differ)
    assert run("users", "list").stdout.splitlines() == ["Ana Lind", "Cy"]
    assert json.loads(run("users", "list", "--format", "json").stdout) == ["Ana Lind", "Cy"]
    with Store() as store:
        assert store.check_user("Ana Lind", "a long studio password") == "Ana Lind"
        assert store.check_user("Cy", "another long password") == "Cy"
    assert run("users", "remove", "Ana Lind").exit_code == 0
    assert "has no account" in one_clear_line(run("users", "remove", "Ana Lind"))
    assert run("users", "list").stdout.splitlines() == ["Cy"]
    with Store() as store:
        added_by = [e.actor for e in store.audit() if e.action == "account added"]
    assert added_by[0] == "Bo Berg"


def test_bad_dates_and_names_are_one_line_each() -> None:
    record("Zoë")
    for args, option in (
        (["history", "Zoë", "--born", "1980-02-30"], "--born"),
        (["history", "Zoë", "--born", "3000-01-01"], "--born"),
        (["consult", "--client", "Zoë", "--answers", str(FIRST), "--accept-all", "--born", "80-1-1"], "--born"),
        (["export", "Zoë", "--out", "z.json", "--born", "nope"], "--born"),
        (["erase", "Zoë", "--born", "1.2.1980", "--yes"], "--born"),
        (["audit", "--since", "2026-02-30"], "--since"),
        (["audit", "--born", "1980-02-01"], "--born"),
    ):
        line = one_clear_line(run(*args))
        assert f"error: {option}: " in line, args
    assert "did you mean 'Zoë'" in one_clear_line(run("erase", "Zoe", "--yes"))
    assert len(clients()) == 1
