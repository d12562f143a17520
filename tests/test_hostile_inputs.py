"""Files and text a careless or hostile user can give: each is refused with exit 2 and a
message naming the file, the field and what is allowed, or read as the user meant it.

Nothing here may hang, eat memory or leave a traceback (issue: nothing lost, nothing injected).
"""

from __future__ import annotations

import json
import os
import sqlite3
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from advisor.cli import app
from advisor.core.intake import answers as answers_mod
from advisor.core.rulebase import questionnaire as qmod
from advisor.records import paths

runner = CliRunner()
SAFE = {q.id: False for q in qmod.load("rider").questions if q.id.startswith("rf_")}


@pytest.fixture(autouse=True)
def private_folders(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(paths.ENV_DATA_DIR, str(tmp_path / "data"))
    monkeypatch.setenv(paths.ENV_CONFIG_DIR, str(tmp_path / "config"))


def answer_file(tmp_path: Path, body: str, name: str = "a.yaml") -> Path:
    screen = "".join(f"  {qid}: false\n" for qid in SAFE)
    path = tmp_path / name
    path.write_text(body.replace("ANSWERS:\n", "answers:\n" + screen), encoding="utf-8")
    return path


def refused(args: list[str], *words: str) -> str:
    result = runner.invoke(app, args)
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output and "internal error" not in result.output
    for word in words:
        assert word in result.stderr, f"{word!r} not in {result.stderr}"
    return result.stderr


def test_a_yaml_alias_bomb_is_refused_at_once(tmp_path: Path) -> None:
    lines = ['a0: &a0 ["x","x","x","x","x","x","x","x","x"]']
    for n in range(1, 9):
        lines.append(f"a{n}: &a{n} [" + ",".join([f"*a{n - 1}"] * 9) + "]")
    bomb = answer_file(tmp_path, "questionnaire: rider\nANSWERS:\nbomb:\n" + "".join(f"  {x}\n" for x in lines))
    assert bomb.stat().st_size < 2000
    refused(["assess", str(bomb)], str(bomb), "anchors and aliases")


@pytest.mark.parametrize("device", ["/dev/zero", "/dev/null"])
def test_a_device_is_not_read(device: str) -> None:
    refused(["assess", device], device, "not a regular file")


def test_a_fifo_is_not_waited_on(tmp_path: Path) -> None:
    fifo = tmp_path / "answers.yaml"
    os.mkfifo(fifo)
    refused(["assess", str(fifo)], "not a regular file")


def test_numbers_are_the_decimals_the_user_wrote(tmp_path: Path) -> None:
    octal = answer_file(tmp_path, "questionnaire: rider\nANSWERS:\n  age: 033\n")
    assert answers_mod.load(str(octal)).values["age"] == 33  # YAML 1.1 would say 27
    sexagesimal = answer_file(tmp_path, "questionnaire: rider\nANSWERS:\n  age: 1:02\n", "b.yaml")
    refused(["assess", str(sexagesimal)], "b.yaml:", "answers.age", "'1:02' is not a number", "from")
    doc = '{"questionnaire": "rider", "answers": {"age": 035, ' + ", ".join(f'"{q}": false' for q in SAFE) + "}}"
    (tmp_path / "c.json").write_text(doc, encoding="utf-8")
    assert answers_mod.load(str(tmp_path / "c.json")).values["age"] == 35


@pytest.mark.parametrize(
    "date,words",
    [("2026-02-30", ["'2026-02-30' is not a date", "YYYY-MM-DD"]), ("2026-13-01", ["is not a date"]),
     ("9999-12-31", ["not a plausible date", "2000-2100"])],
)  # fmt: skip
def test_impossible_dates_name_the_field(tmp_path: Path, date: str, words: list[str]) -> None:
    path = answer_file(tmp_path, f"questionnaire: rider\ndate: {date}\nANSWERS:\n")
    refused(["assess", str(path)], "a.yaml:2:", "date:", *words)


def test_a_five_thousand_digit_number_is_refused_briefly(tmp_path: Path) -> None:
    path = answer_file(tmp_path, "questionnaire: rider\nANSWERS:\n  age: " + "9" * 5000 + "\n")
    err = refused(["assess", str(path)], "answers.age", "is not a number", "from")
    assert len(err) < 500


def test_a_setting_with_a_newline_is_refused() -> None:
    refused(["config", "set", "studio.name", "Velo\nStudio"], "studio.name", "control character")


def test_ask_refuses_an_over_long_name_before_the_first_question() -> None:
    result = runner.invoke(app, ["ask", "--client", "x" * 300], input="y\n")
    assert result.exit_code == 2
    assert "--client" in result.stderr and "at most 200" in result.stderr
    assert "Safety screen" not in result.stdout  # no question was asked


def test_consult_refuses_a_name_with_an_escape_sequence(tmp_path: Path) -> None:
    refused(
        [
            "consult",
            "--consent",
            "--client",
            "Eve\x1b]52;c;aGk=\x07",
            "--answers",
            "x.yaml",
            "--db",
            str(tmp_path / "c.db"),
            "--accept-all",
        ],
        "--client",
        "control character",
    )


def test_an_answer_file_with_an_over_long_client_name_is_refused(tmp_path: Path) -> None:
    path = answer_file(tmp_path, f"questionnaire: rider\nclient: {'y' * 201}\nANSWERS:\n")
    refused(["assess", str(path)], "a.yaml:2:", "client:", "at most 200")


def _export(tmp_path: Path) -> tuple[Path, dict]:
    db = tmp_path / "c.db"
    example = Path(__file__).resolve().parent.parent / "examples" / "routine-low-back-tight-hamstrings.yaml"
    ok = runner.invoke(
        app, ["consult", "--consent", "--client", "Zoë", "--answers", str(example), "--accept-all", "--db", str(db)]
    )
    assert ok.exit_code == 0, ok.output
    out = tmp_path / "zoe.json"
    assert runner.invoke(app, ["export", "Zoë", "--out", str(out), "--db", str(db)]).exit_code == 0
    return out, json.loads(out.read_text(encoding="utf-8"))


@pytest.mark.parametrize(
    "breakage,words",
    [
        (lambda v: v["answers"].update(passive_slr_deg=999),
         ["consultations[0].answers.passive_slr_deg", "out of range"]),
        (lambda v: v["answers"].update(age=10**400), ["consultations[0].answers.age", "out of range"]),
        (lambda v: v["answers"].update(bogus_question=1), ["consultations[0].answers.bogus_question"]),
        (lambda v: v.update(urgency="whenever"), ["consultations[0].urgency", "'whenever' is not an urgency"]),
        (lambda v: v["result"].pop("referral"), ["consultations[0].result", "not an advisor result"]),
        (lambda v: v["decisions"].append({"kind": "exercise", "item": "bogus", "accepted": True}),
         ["'bogus' is not advised"]),
    ],
    ids=["answer-out-of-range", "a-400-digit-age", "unknown-question", "bad-urgency", "missing-referral",
         "unknown-decision"],
)  # fmt: skip
def test_an_export_with_invalid_content_is_refused_and_nothing_is_written(
    tmp_path: Path, breakage, words: list[str]
) -> None:
    path, doc = _export(tmp_path)
    breakage(doc["consultations"][0])
    path.write_text(json.dumps(doc), encoding="utf-8")
    fresh = tmp_path / "other.db"
    refused(["import", str(path), "--db", str(fresh)], str(path), *words)
    assert not fresh.exists()  # checked in full before the database is even opened


EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "routine-low-back-tight-hamstrings.yaml"


def test_export_never_replaces_a_file_without_force_and_never_the_database(tmp_path: Path) -> None:
    out, _ = _export(tmp_path)
    db = tmp_path / "c.db"
    before = out.read_bytes()
    refused(["export", "Zoë", "--out", str(out), "--db", str(db)], "already exists", "--force")
    assert out.read_bytes() == before
    refused(["export", "Zoë", "--out", str(db), "--db", str(db), "--force"], "which this command reads")
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT count(*) FROM consultations").fetchone()[0] == 1
    assert runner.invoke(app, ["export", "Zoë", "--out", str(out), "--db", str(db), "--force"]).exit_code == 0


def test_a_report_never_replaces_the_answers_it_reads(tmp_path: Path) -> None:
    answers = tmp_path / "a.json"
    answers.write_bytes(EXAMPLE.read_bytes())
    refused(["assess", str(answers), "--report", str(answers)], "which this command reads")
    assert answers.read_bytes() == EXAMPLE.read_bytes()


def test_report_paths_get_clear_messages(tmp_path: Path) -> None:
    refused(["assess", str(EXAMPLE), "--report", str(tmp_path)], "is a directory", "report.pdf")
    missing = tmp_path / "no-such-folder" / "r.pdf"
    refused(["assess", str(EXAMPLE), "--report", str(missing)], "the folder", "does not exist")
    assert not missing.parent.exists()


def test_what_the_advisor_writes_is_owner_only(tmp_path: Path) -> None:
    report = tmp_path / "r.pdf"
    assert runner.invoke(app, ["assess", str(EXAMPLE), "--report", str(report)]).exit_code == 0
    out, _ = _export(tmp_path)
    assert runner.invoke(app, ["config", "set", "studio.name", "Velo"]).exit_code == 0
    settings = tmp_path / "config" / "config.yaml"
    for written in (report, out, settings, tmp_path / "c.db"):
        assert written.stat().st_mode & 0o777 == 0o600, written


def test_a_killed_writers_leftovers_are_cleaned_up_by_the_next_write(tmp_path: Path) -> None:
    report = tmp_path / "r.pdf"
    leftover = tmp_path / ".r.pdf.abc12345.tmp"
    leftover.write_bytes(b"half a report")
    old = time.time() - 3600
    os.utime(leftover, (old, old))
    fresh = tmp_path / ".r.pdf.def45678.tmp"  # a writer still at work: left alone
    fresh.write_bytes(b"in progress")
    assert runner.invoke(app, ["assess", str(EXAMPLE), "--report", str(report)]).exit_code == 0
    assert not leftover.exists() and fresh.exists()


def test_read_only_commands_create_nothing(tmp_path: Path) -> None:
    typo = tmp_path / "typo" / "studoi.sqlite3"
    for args in (["clients"], ["history", "Zoë"], ["export", "Zoë", "--out", str(tmp_path / "z.json")],
                 ["report", "--consultation", "1", "--out", str(tmp_path / "r.pdf")]):  # fmt: skip
        refused([*args, "--db", str(typo)], str(typo), "no such database")
    assert not typo.parent.exists()
    fresh = runner.invoke(app, ["clients"])  # the default database: nothing recorded yet
    assert fresh.exit_code == 0 and "No clients yet" in fresh.stdout
    assert not (tmp_path / "data").exists()


def test_a_database_url_is_not_taken_for_a_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    other = "mysql://fitter:secret@db.example/studio"
    err = refused(["clients", "--db", other], "--db", "mysql:// URL", "SQLite file path", "postgresql://")
    refused(
        ["consult", "--consent", "--client", "Zoë", "--answers", str(EXAMPLE), "--db", other, "--accept-all"],
        "mysql:// URL",
    )
    monkeypatch.setenv("ADVISOR_DB", other)
    err += refused(["history", "Zoë"], "ADVISOR_DB", "mysql:// URL")
    # A PostgreSQL URL is a server, even one that is not there (nothing listens on port 1).
    monkeypatch.delenv("ADVISOR_DB")
    unreachable = "postgresql://fitter:secret@127.0.0.1:1/studio"
    err += refused(["clients", "--db", unreachable], "postgresql://fitter:***@127.0.0.1:1/studio", "cannot reach")
    assert list(tmp_path.iterdir()) == []  # no folder named after a URL, password included
    assert "secret" not in err


OSC52 = "\x1b]52;c;cm0gLXJmIH4=\x07"  # would write the clipboard
CLEAR = "\x1b[2J"  # would clear the screen


def _stored_with_hostile_text(tmp_path: Path) -> Path:
    """A database written by something else (an older version, a hand edit) holding escapes."""
    db = tmp_path / "c.db"
    _export(tmp_path)
    with sqlite3.connect(db) as conn:
        conn.execute("UPDATE clients SET name = ?", (f"Zoë{OSC52}{CLEAR}",))
        conn.execute("UPDATE decisions SET accepted = 0, note = ?", (f"note{CLEAR}\n# heading",))
    return db


def test_escape_sequences_in_stored_text_never_reach_the_terminal(tmp_path: Path) -> None:
    db = _stored_with_hostile_text(tmp_path)
    outputs = [
        runner.invoke(app, ["clients", "--db", str(db)]).output,
        runner.invoke(app, ["history", "Zoë" + OSC52 + CLEAR, "--db", str(db)]).output,
        runner.invoke(app, ["history", "nobody" + OSC52, "--db", str(db)]).output,  # an error quoting the name
    ]
    settings = tmp_path / "config" / "config.yaml"
    settings.parent.mkdir(parents=True, exist_ok=True)
    settings.write_text('studio.name: "Velo\\e[2J"\n', encoding="utf-8")  # edited by hand: YAML's \\e is ESC
    outputs.append(runner.invoke(app, ["config", "get", "studio.name"]).output)
    outputs.append(runner.invoke(app, ["config", "list"]).output)
    for text in outputs:
        assert "\x1b" not in text and "\x07" not in text, text
    assert "Zoë\\x1b]52" in outputs[0] and "\\x1b[2J" in outputs[3]


def test_a_newline_in_stored_text_makes_no_markdown_heading(tmp_path: Path) -> None:
    db = _stored_with_hostile_text(tmp_path)
    out = tmp_path / "r.md"
    result = runner.invoke(app, ["report", "--consultation", "1", "--out", str(out), "--db", str(db)])
    assert result.exit_code == 0, result.output
    md = out.read_text(encoding="utf-8")
    assert "\x1b" not in md
    assert not any(line.startswith("# heading") for line in md.splitlines())


def test_the_longest_name_and_note_allowed_print_in_every_format(tmp_path: Path) -> None:
    """200 characters of name and 2,000 of note without a space: wrapped, never lost."""
    db, name, note = tmp_path / "c.db", "N" * 200, "x" * 2000
    args = ["consult", "--consent", "--client", name, "--answers", str(EXAMPLE), "--db", str(db), "--accept-all"]
    result = runner.invoke(app, [*args, "--decline", "strap-stretch", "--note", note])
    assert result.exit_code == 0, result.output
    refused([*args, "--decline", "strap-stretch", "--note", note + "x"], "--note", "at most 2,000")
    for suffix in (".pdf", ".html", ".md"):
        out = tmp_path / f"r{suffix}"
        assert runner.invoke(app, ["report", "--consultation", "1", "--out", str(out), "--db", str(db)]).exit_code == 0
    from pypdf import PdfReader

    text = "".join(page.extract_text() for page in PdfReader(tmp_path / "r.pdf").pages)
    assert text.replace("\n", "").count("x") >= 2000


def test_a_report_format_given_to_format_says_where_reports_come_from() -> None:
    result = runner.invoke(app, ["assess", str(EXAMPLE), "--format", "pdf"])
    assert result.exit_code == 2 and "--report report.pdf" in result.output
    result = runner.invoke(app, ["clients", "--format", "xml"])
    assert result.exit_code == 2 and "allowed: text, json" in result.output


def test_ask_checks_where_it_will_write_before_the_first_question(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere" / "a.yaml"
    result = runner.invoke(app, ["ask", "--out", str(missing)], input="y\n")
    assert result.exit_code == 2 and "does not exist" in result.stderr and "Safety screen" not in result.stdout
    same = tmp_path / "a.md"
    result = runner.invoke(app, ["ask", "--out", str(same), "--report", str(same)], input="y\n")
    assert result.exit_code == 2 and "also the --out answers file" in result.stderr


def test_drafts_and_saved_answers_are_owner_only(tmp_path: Path) -> None:
    stopped = runner.invoke(app, ["ask"], input="n\n")  # end of input after one answer: a draft
    assert stopped.exit_code == 130
    draft = tmp_path / "data" / "draft.yaml"
    assert draft.stat().st_mode & 0o777 == 0o600
    out = tmp_path / "a.yaml"
    done = runner.invoke(app, ["ask", "--resume", "--out", str(out)], input="y\n")  # a red flag: advice at once
    assert done.exit_code == 0, done.output
    assert out.stat().st_mode & 0o777 == 0o600


def test_a_killed_draft_writers_leftovers_in_the_data_folder_are_cleaned_up(tmp_path: Path) -> None:
    drafts_folder = tmp_path / "data" / "consult-drafts"
    drafts_folder.mkdir(parents=True)
    leftover = drafts_folder / ".0123456789abcdef.yaml.k1ll3d_x.tmp"
    leftover.write_bytes(b"half a draft")
    old = time.time() - 3600
    os.utime(leftover, (old, old))
    assert (
        runner.invoke(
            app, ["consult", "--consent", "--client", "Eve", "--db", str(tmp_path / "c.db")], input="n\n"
        ).exit_code
        == 130
    )
    assert not leftover.exists()


def test_thousands_of_unknown_ids_are_refused_at_once_with_a_count(tmp_path: Path) -> None:
    body = "ANSWERS:\n" + "".join(f"  made_up_{i}: true\n" for i in range(20_000))
    started = time.monotonic()
    err = refused(["assess", str(answer_file(tmp_path, body))], "made_up_0", "and 19,990 more unknown answer ids")
    assert time.monotonic() - started < 10
    assert err.count("is not a question") == 10


def test_export_to_standard_output_and_an_emptied_setting_are_said_as_they_are(tmp_path: Path) -> None:
    _, doc = _export(tmp_path)
    out = runner.invoke(app, ["export", "Zoë", "--out", "-", "--db", str(tmp_path / "c.db")])
    assert out.exit_code == 0 and json.loads(out.stdout)["client"] == doc["client"]
    assert "to standard output" in out.stderr and not (tmp_path / "-").exists()
    assert "saved in" in runner.invoke(app, ["config", "set", "studio.name", "Velo"]).stdout
    assert "studio.name removed from" in runner.invoke(app, ["config", "set", "studio.name", ""]).stdout


def test_a_fhir_item_whose_link_id_is_a_list_is_refused_in_words(tmp_path: Path) -> None:
    _export(tmp_path)
    fhir_out = tmp_path / "zoe.fhir.json"
    args = ["export", "Zoë", "--out", str(fhir_out), "--format", "fhir", "--db", str(tmp_path / "c.db")]
    assert runner.invoke(app, args).exit_code == 0
    bundle = json.loads(fhir_out.read_text(encoding="utf-8"))
    response = next(e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == "QuestionnaireResponse")
    response["item"][0]["item"][0]["linkId"] = ["rf_chest_pain"]
    fhir_out.write_text(json.dumps(bundle), encoding="utf-8")
    refused(["import", str(fhir_out), "--db", str(tmp_path / "other.db")], "must be a text naming a question")


def test_a_settings_file_that_is_a_folder_is_called_what_it_is(tmp_path: Path) -> None:
    (tmp_path / "config" / "config.yaml").mkdir(parents=True)
    err = refused(["config", "list"], "config.yaml", "is a folder; the settings file must be a file")
    assert "answers file" not in err


def test_a_bundle_of_hundreds_of_thousands_of_empty_visits_is_refused_at_once(tmp_path: Path) -> None:
    bundle = {"resourceType": "Bundle", "type": "collection", "entry": [{}] * 300_000}
    path = tmp_path / "huge.fhir.json"
    path.write_text(json.dumps(bundle), encoding="utf-8")
    started = time.monotonic()
    refused(["import", str(path), "--db", str(tmp_path / "c.db")], "has 300,000 entries", "at most 20,000")
    assert time.monotonic() - started < 5
    assert not (tmp_path / "c.db").exists()


def test_dash_is_standard_output_never_a_file_named_dash(tmp_path: Path) -> None:
    """`--out -` writes to standard output where a command has nothing else to print there
    (export); elsewhere it is refused in words, never a file called '-'."""
    refused(["ask", "--out", "-"], "prints to standard output already")
    assert not (tmp_path / "-").exists() and not Path("-").exists()
