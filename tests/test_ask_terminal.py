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
    child.sendline("y")  # an emergency answer ends the questionnaire
    child.expect("EMERGENCY")
    child.expect("Your answers are saved in answers.yaml")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0
    saved = (tmp_path / "answers.yaml").read_text(encoding="utf-8")
    assert "rf_bladder_bowel_change: false" in saved and "rf_sexual_dysfunction_new: true" in saved
    assert not (tmp_path / "data" / "draft.yaml").exists()
