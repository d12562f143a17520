"""One broken answer file per failure mode, with the words its message must contain."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from advisor.cli import app

INVALID = Path(__file__).parent / "invalid"
FIXTURES = sorted(INVALID.glob("*.yaml"))
runner = CliRunner()
# Problems of the file as a whole, with no line to point at.
WHOLE_FILE_PROBLEMS = {"empty-file.yaml", "not-a-mapping.yaml"}


def expected_words(path: Path) -> list[str]:
    first = path.read_bytes().split(b"\n", 1)[0].decode("utf-8")
    assert first.startswith("# expect: "), f"{path.name} needs a '# expect:' first line"
    return [w.strip() for w in first[len("# expect: ") :].split("|")]


def run(*args: str, input: str | None = None):
    return runner.invoke(app, list(args), input=input)


@pytest.mark.parametrize("path", FIXTURES, ids=[p.stem for p in FIXTURES])
def test_broken_file_is_reported_clearly(path: Path) -> None:
    result = run("assess", str(path))
    assert result.exit_code == 2, result.output
    err = result.stderr
    assert "Traceback" not in err and "Traceback" not in result.stdout
    assert result.stdout == ""
    for word in expected_words(path):
        assert word in err, f"{path.name}: {word!r} not in:\n{err}"
    # Every problem line names the file, and the line wherever the file has lines to point at.
    for line in err.strip().splitlines():
        assert line.startswith(f"error: {path}"), line
    if path.name not in WHOLE_FILE_PROBLEMS:
        assert any(w.startswith(f"{path.name}:") for w in expected_words(path)), f"{path.name}: expect a file:line"


def test_every_problem_is_reported_at_once() -> None:
    result = run("assess", str(INVALID / "many-problems-at-once.yaml"))
    assert len(result.stderr.strip().splitlines()) == 4


def test_missing_file() -> None:
    result = run("assess", "no/such/answers.yaml")
    assert result.exit_code == 2
    assert "error: no/such/answers.yaml: no such file" in result.stderr


def test_directory(tmp_path: Path) -> None:
    result = run("assess", str(tmp_path))
    assert result.exit_code == 2
    assert "is a directory" in result.stderr


def test_file_too_large(tmp_path: Path) -> None:
    big = tmp_path / "big.yaml"
    big.write_text("answers:\n" + "# padding\n" * 110_000)
    result = run("assess", str(big))
    assert result.exit_code == 2
    assert "too large" in result.stderr and "1,000,000 bytes" in result.stderr


def test_stdin_too_large() -> None:
    result = run("assess", "-", input="#" * 1_000_001)
    assert result.exit_code == 2
    assert "<stdin>" in result.stderr and "too large" in result.stderr


@pytest.mark.skipif(sys.platform == "win32" or os.geteuid() == 0, reason="root can read anything")
def test_unreadable_file(tmp_path: Path) -> None:
    locked = tmp_path / "locked.yaml"
    locked.write_text("answers: {}\n")
    locked.chmod(0)
    result = run("assess", str(locked))
    assert result.exit_code == 2
    assert "permission denied" in result.stderr


def test_json_with_nan_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "a.json"
    path.write_text('{"answers": {"weekly_hours": NaN}}')
    result = run("assess", str(path))
    assert result.exit_code == 2
    assert "answers.weekly_hours" in result.stderr


def test_debug_shows_traceback() -> None:
    result = run("--debug", "assess", str(INVALID / "choice-invalid.yaml"))
    assert result.exit_code != 0
    assert result.exception is not None
