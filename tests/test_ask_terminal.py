"""`advisor ask` in a real pseudo-terminal: Ctrl-C saves a draft, --resume goes on."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

pexpect = pytest.importorskip("pexpect")

from tests.test_cli import installed_script  # noqa: E402


@pytest.mark.skipif(sys.platform == "win32", reason="pseudo-terminals are POSIX")
def test_ctrl_c_then_resume_in_a_terminal(tmp_path: Path) -> None:
    env = {**os.environ, "ADVISOR_DATA_DIR": str(tmp_path / "data"), "COLUMNS": "80", "LINES": "40"}
    exe = installed_script()
    child = pexpect.spawn(
        exe, ["ask", "--out", "answers.yaml"], cwd=str(tmp_path), env=env, encoding="utf-8", timeout=30
    )
    child.expect(r"Question 1 of \d+")
    child.expect(r"\[y/n\] > ")
    child.sendline("n")
    child.expect(r"Question 2 of \d+")
    child.expect(r"\[y/n\] > ")
    child.sendline("n")
    child.expect(r"Question 3 of \d+")
    child.expect(r"\[y/n\] > ")  # Ctrl-C while the question waits for its answer
    child.sendintr()
    child.expect("resume")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 130
    assert "Traceback" not in (child.before or "")
    assert (tmp_path / "data" / "draft.yaml").exists()

    child = pexpect.spawn(exe, ["ask", "--resume"], cwd=str(tmp_path), env=env, encoding="utf-8", timeout=30)
    child.expect("Resuming the rider questionnaire")
    child.expect(r"Question 3 of \d+")
    child.expect("new loss of sexual function")
    child.expect(r"\[y/n\] > ")
    child.sendline("y")  # alone an urgent sign: the screen goes on, as back pain would make it an emergency
    child.expect("getting weaker")
    child.expect(r"\[y/n\] > ")
    child.sendline("y")  # an emergency answer ends the questionnaire
    child.expect("EMERGENCY")
    child.expect("Your answers are saved in answers.yaml")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0
    saved = (tmp_path / "answers.yaml").read_text(encoding="utf-8")
    assert "rf_bladder_bowel_change: false" in saved and "rf_sexual_dysfunction_new: true" in saved
    assert "rf_leg_weakness_or_both_legs: true" in saved
    assert not (tmp_path / "data" / "draft.yaml").exists()


@pytest.mark.skipif(sys.platform == "win32", reason="pseudo-terminals are POSIX")
@pytest.mark.parametrize("extra,paged", [([], True), (["--no-pager"], False)])
def test_long_advice_goes_through_a_pager_on_a_terminal(tmp_path: Path, extra: list[str], paged: bool) -> None:
    """As git does: a pager on a terminal ($PAGER), none with --no-pager; the text is the same."""
    pager = tmp_path / "pager.sh"
    pager.write_text(f"#!/bin/sh\ncat > {tmp_path / 'paged.txt'}\n", encoding="utf-8")
    pager.chmod(0o755)
    env = {**os.environ, "PAGER": str(pager), "COLUMNS": "80", "LINES": "24", "NO_COLOR": "1"}
    example = Path(__file__).resolve().parent.parent / "examples" / "routine-low-back-tight-hamstrings.yaml"
    child = pexpect.spawn(installed_script(), ["assess", str(example), *extra], env=env, encoding="utf-8", timeout=30)
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0
    if paged:
        text = (tmp_path / "paged.txt").read_text(encoding="utf-8")
        assert "Bike-fit adjustments" in text and "Exercise plan" in text
    else:
        assert not (tmp_path / "paged.txt").exists()
        assert "Exercise plan" in (child.before or "")
