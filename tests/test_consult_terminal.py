"""Questions only a person at a terminal may answer, in a real pseudo-terminal: a new client's
consent in `advisor consult`, the name typed to confirm `advisor erase`, a hidden password."""

from __future__ import annotations

import io
import os
import sys
from pathlib import Path

import pytest

pexpect = pytest.importorskip("pexpect")

from advisor.records.store import Store  # noqa: E402
from tests.test_cli import installed_script  # noqa: E402

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "routine-low-back-tight-hamstrings.yaml"
pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="pseudo-terminals are POSIX")


def spawn(tmp_path: Path, *args: str):  # type: ignore[no-untyped-def]
    env = {
        **os.environ,
        "ADVISOR_DATA_DIR": str(tmp_path / "data"),
        "ADVISOR_CONFIG_DIR": str(tmp_path / "config"),
        "ADVISOR_DB": str(tmp_path / "studio.db"),
        "ADVISOR_FITTER": "Ana Lind",
        "COLUMNS": "100",
        "LINES": "40",
        "NO_COLOR": "1",
    }
    return pexpect.spawn(installed_script(), list(args), cwd=str(tmp_path), env=env, encoding="utf-8", timeout=60)


def finish(child) -> int:  # type: ignore[no-untyped-def]
    child.expect(pexpect.EOF)
    child.close()
    assert "Traceback" not in (child.before or "")
    return int(child.exitstatus)


def consult(tmp_path: Path, name: str, reply: str):  # type: ignore[no-untyped-def]
    child = spawn(tmp_path, "consult", "--client", name, "--answers", str(EXAMPLE), "--accept-all")
    child.expect("is a new client")
    child.expect("erased at any time")
    child.expect(r"Do you agree to your answers being kept\? \[y/n\] ")
    child.sendline(reply)
    return child


def test_a_new_clients_consent_is_asked_and_a_no_stores_nothing(tmp_path: Path) -> None:
    child = consult(tmp_path, "Zoë Ødegård", "n")
    child.expect("did not agree to their answers being kept")
    assert finish(child) == 2
    with Store(tmp_path / "studio.db") as store:
        assert store.clients() == []

    child = consult(tmp_path, "Zoë Ødegård", "y")
    child.expect("Consultation 1 saved for Zoë Ødegård")
    assert finish(child) == 0
    with Store(tmp_path / "studio.db") as store:
        [zoe] = store.clients()
        assert zoe.consented
        assert [e.actor for e in store.audit() if e.action == "saved"] == ["Ana Lind"]

    # Asked once: the next visit is recorded without the question.
    child = spawn(tmp_path, "consult", "--client", "Zoë Ødegård", "--answers", str(EXAMPLE), "--accept-all")
    child.expect("Consultation 2 saved")
    assert finish(child) == 0
    assert "Do you agree" not in (child.before or "")


def test_erase_is_confirmed_by_typing_the_clients_name(tmp_path: Path) -> None:
    child = consult(tmp_path, "Sam Lee", "y")
    assert finish(child) == 0
    child = spawn(tmp_path, "erase", "Sam Lee")
    child.expect("This erases Sam Lee")
    child.expect("Type the client's name to erase them: ")
    child.sendline("sam lee")
    child.expect("Erased Sam Lee")
    assert finish(child) == 0
    with Store(tmp_path / "studio.db") as store:
        assert store.clients() == []


def test_a_studio_password_is_typed_twice_and_never_shown(tmp_path: Path) -> None:
    child = spawn(tmp_path, "users", "add", "Ana Lind")
    child.logfile_read = shown = io.StringIO()
    child.expect("Password: ")
    child.sendline("a long studio password")
    child.expect("The same password again: ")
    child.sendline("a long studio password")
    child.expect("Added the studio account Ana Lind")
    assert finish(child) == 0
    assert "a long studio password" not in shown.getvalue()  # the terminal did not echo it
    with Store(tmp_path / "studio.db") as store:
        assert store.check_user("Ana Lind", "a long studio password") == "Ana Lind"
