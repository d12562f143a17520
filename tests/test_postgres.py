"""A shared record on a PostgreSQL server, as a studio meets it through the CLI: URLs,
passwords that are never shown, a server that says no, and moving a SQLite file's records in.

(The store's own behaviour on both databases is in test_store.py, the consultations in
test_consult.py and the studio in test_web.py; they run on PostgreSQL too.)
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from urllib.parse import quote

import pytest
from typer.testing import CliRunner

from advisor.cli import app
from advisor.records.location import locate
from advisor.records.store import Store
from tests.postgres_server import PASSWORD, PostgresServer
from tests.spec_ids import SAFETY

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "routine-low-back-tight-hamstrings.yaml"
ADVISOR = Path(sys.executable).parent / "advisor"


@pytest.fixture(autouse=True)
def folders(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ADVISOR_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("ADVISOR_CONFIG_DIR", str(tmp_path / "config"))
    monkeypatch.delenv("ADVISOR_DB", raising=False)
    monkeypatch.chdir(tmp_path)


def run(*args: str):
    return CliRunner().invoke(app, list(args), env={"NO_COLOR": "1"})


def never_shows_the_password(text: str) -> None:
    for form in (PASSWORD, quote(PASSWORD, safe="")):
        assert form not in text
    for part in PASSWORD.split():  # nor a recognisable piece of it
        assert part not in text


def test_clients_end_to_end_through_the_cli(postgres: PostgresServer, tmp_path: Path) -> None:
    url = postgres.new_store()
    saved = run(
        "consult", "--consent", "--client", "Zoë Ødegård", "--answers", str(EXAMPLE), "--accept-all", "--db", url
    )
    assert saved.exit_code == 0, saved.output
    flat = " ".join(saved.stdout.split())  # the terminal may wrap the line
    assert "Consultation 1 saved for Zoë Ødegård in postgresql://fitter:***@127.0.0.1:" in flat
    never_shows_the_password(saved.output)
    listed = run("clients", "--db", url)
    assert listed.exit_code == 0, listed.output
    assert "Zoë Ødegård" in listed.stdout and "2026-11-24" in listed.stdout and "routine" in listed.stdout
    # The installed command, in a process of its own, finds the server through ADVISOR_DB.
    proc = subprocess.run(
        [str(ADVISOR), "clients", "--format", "json"],
        env={**os.environ, "ADVISOR_DB": url},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stderr
    [listed_client] = json.loads(proc.stdout)
    assert listed_client["id"].startswith("c-") and listed_client["consent"] and listed_client["born"] is None
    assert {k: listed_client[k] for k in ("name", "visits", "last_visit", "urgency")} == {
        "name": "Zoë Ødegård",
        "visits": 1,
        "last_visit": "2026-11-24",
        "urgency": "routine",
    }


def test_a_wrong_password_is_exit_2_in_one_line_that_never_shows_it(postgres: PostgresServer) -> None:
    url = postgres.new_store()
    assert (
        run("consult", "--consent", "--client", "Ana", "--answers", str(EXAMPLE), "--accept-all", "--db", url).exit_code
        == 0
    )
    wrong_password = "Wrong p@ss/9:ø"
    wrong = url.replace(quote(PASSWORD, safe=""), quote(wrong_password, safe=""))
    for args in (
        ["clients"],
        ["history", "Ana"],
        ["consult", "--consent", "--client", "Ana", "--answers", str(EXAMPLE), "--accept-all"],
    ):
        result = run(*args, "--db", wrong)
        assert result.exit_code == 2, result.output
        assert result.stderr.count("\n") == 1, result.stderr  # one line
        assert "the server refused the password for user 'fitter'" in result.stderr
        assert "postgresql://fitter:***@127.0.0.1:" in result.stderr
        assert "Traceback" not in result.output
        for form in (wrong_password, quote(wrong_password, safe=""), "p@ss"):
            assert form not in result.output
    with Store(url) as store:
        assert store.clients()[0].visits == 1  # nothing was recorded with the wrong password


def test_no_password_and_no_server_are_exit_2_with_what_to_do(postgres: PostgresServer) -> None:
    url = postgres.new_store()
    no_password = run("clients", "--db", postgres.url(password=None))
    assert no_password.exit_code == 2 and "the server wants a password" in no_password.stderr
    gone = url.replace(f":{postgres.port}/", ":1/")  # nothing listens on port 1
    unreachable = run("clients", "--db", gone)
    assert unreachable.exit_code == 2 and "cannot reach the database server" in unreachable.stderr
    never_shows_the_password(unreachable.output)
    missing = run("clients", "--db", postgres.url("no_such_studio"))
    assert missing.exit_code == 2 and 'database "no_such_studio" does not exist' in missing.stderr
    never_shows_the_password(missing.output)


def test_read_only_commands_create_no_tables_on_a_server(postgres: PostgresServer) -> None:
    url = postgres.new_store()
    for args in (["clients"], ["history", "Zoë"], ["export", "Zoë", "--out", "z.json"]):
        result = run(*args, "--db", url)
        assert result.exit_code == 2 and "holds no bikefit-advisor records yet" in result.stderr, result.output
    with pytest.raises(Exception, match="holds no bikefit-advisor records yet"):
        Store(url, create=False)


def test_migrate_moves_a_studios_sqlite_records_onto_the_server(postgres: PostgresServer, tmp_path: Path) -> None:
    """`advisor migrate --from FILE --to URL`: every client, every visit and decision, once."""
    old = tmp_path / "studio.sqlite3"
    shutil.copy(ROOT / "tests" / "data" / "store-v1.sqlite3", old)  # written by an earlier release
    url = postgres.new_store()
    moved = run("migrate", "--from", str(old), "--to", url)
    assert moved.exit_code == 0, moved.output
    assert "Copied 3 consultations of 2 clients to postgresql://fitter:***@127.0.0.1:" in moved.stdout
    never_shows_the_password(moved.output)
    again = run("migrate", "--from", str(old), "--to", url)
    assert "Copied 0 consultations of 2 clients" in again.stdout and "(3 already there)" in again.stdout
    for name in ("Zoë Ødegård", "Sam Lee"):
        before = json.loads(run("history", name, "-f", "json", "--db", str(old)).stdout)
        after = json.loads(run("history", name, "-f", "json", "--db", url).stdout)
        assert [{**v, "id": 0} for v in before] == [{**v, "id": 0} for v in after]
    assert run("migrate", "--from", str(old), "--to", str(old)).exit_code == 2  # not onto itself


def test_a_resumed_consultation_is_saved_on_the_server_it_was_started_on(
    postgres: PostgresServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The draft names the server without its password; ADVISOR_DB supplies it on resume."""
    url = postgres.new_store()
    monkeypatch.setenv("ADVISOR_DB", url)
    assert CliRunner().invoke(app, ["consult", "--consent", "--client", "Sam"], input="n\nn\n").exit_code == 130
    draft = next((tmp_path / "data" / "consult-drafts").glob("*.yaml")).read_text(encoding="utf-8")
    assert "postgresql://fitter@127.0.0.1:" in draft
    never_shows_the_password(draft)
    rest = "\n".join(["n"] * (len(SAFETY) - 2) + [""] * 60) + "\n"
    resumed = CliRunner().invoke(app, ["consult", "--consent", "--resume"], input=rest)
    assert resumed.exit_code == 0, resumed.output
    with Store(url) as store:
        assert len(store.history("Sam")) == 1


@pytest.mark.parametrize(
    "given,shown,kept",
    [
        ("postgresql://fitter:s3cr%40t@db.example:5432/studio?sslmode=require",
         "postgresql://fitter:***@db.example:5432/studio?sslmode=require",
         "postgresql://fitter@db.example:5432/studio?sslmode=require"),
        ("postgres://fitter@db.example/studio", "postgres://fitter@db.example/studio",
         "postgres://fitter@db.example/studio"),
        ("postgresql://fitter@[::1]/studio?password=s3cr%40t&sslmode=require",
         "postgresql://fitter@[::1]/studio?password=***&sslmode=require",
         "postgresql://fitter@[::1]/studio?sslmode=require"),
    ],
)  # fmt: skip
def test_a_url_is_shown_and_remembered_without_its_password(given: str, shown: str, kept: str) -> None:
    location = locate(given)
    assert location.is_postgres and location.path is None
    assert location.shown == shown and location.without_password() == kept
    said = "FATAL: s3cr@t or s3cr%40t"
    assert location.redact(said) == (said if "s3cr" not in given else "FATAL: *** or ***")
    assert location.same_place(locate(kept))


@pytest.mark.parametrize(
    "given",
    [
        "postgresql://fitter:Secr3t#xy@127.0.0.1:1/studio",
        "postgresql://fitter:Secr3t?xy@127.0.0.1:1/studio",
        "postgresql://fitter:Sec/r3txy@127.0.0.1:1/studio",
        "postgresql://fitter:Secr3t@xy@127.0.0.1:1/studio",
        "postgresql://fitter:Secr3t@[::1/studio",
    ],
)
def test_a_password_a_url_cannot_hold_as_typed_is_refused_without_showing_it(given: str) -> None:
    """A URL parser cuts such a URL short, and its complaint would quote the password."""
    for args, env in ((["clients", "--db", given], {}), (["clients"], {"ADVISOR_DB": given})):
        result = CliRunner().invoke(app, args, env=env)
        assert result.exit_code == 2, result.output
        assert "percent-encoded (# as %23" in result.output
        assert "Secr3t" not in result.output and "r3txy" not in result.output and "xy@" not in result.output
