"""Every example in `advisor ... --help` runs as written, in a fresh folder, in a sensible order.

The examples are read from the commands themselves, so a new command's example is tested
as soon as it is written. Interactive examples (ask, consult without --answers) are run
with no input: they must start, save a draft and say how to resume (exit 130).
"""

from __future__ import annotations

import re
import shlex
import shutil
from pathlib import Path
from typing import Any

import pytest
import typer
from typer.testing import CliRunner

from advisor.cli import app
from advisor.records import paths

ROOT = Path(__file__).resolve().parent.parent
# Examples that need an earlier one's result run after it: settings and browsing first,
# then a recorded visit, then what reads the record.
# Last, what changes who the clients are: a rename, a merge, then the erasure.
ORDER = ["config", "questionnaires", "rules", "exercises", "assess", "ask", "consult", "clients", "history",
         "report", "export", "import", "migrate", "amend", "audit", "backup", "users", "client", "erase",
         "serve", "batch"]  # fmt: skip


def _examples() -> list[tuple[str, str]]:
    """(command path, example line) for every command of the app."""
    found = []

    def walk(command: Any, path: list[str]) -> None:
        for line in (command.help or "").splitlines():
            m = re.match(r"\s*Example: (advisor .+)$", line)
            if m:
                found.append((" ".join(path), m.group(1)))
        if hasattr(command, "commands"):  # a group of commands
            for name, sub in sorted(command.commands.items()):
                walk(sub, [*path, name])

    walk(typer.main.get_command(app), [])
    return sorted(found, key=lambda e: (ORDER.index(e[0].split()[0]), "--answers" not in e[1]))


EXAMPLES = _examples()


def test_every_command_has_an_example() -> None:
    group: Any = typer.main.get_command(app)
    leaves = []
    for name, cmd in group.commands.items():
        leaves += [f"{name} {s}" for s in cmd.commands] if hasattr(cmd, "commands") else [name]
    assert sorted(leaves) == sorted({path for path, _ in EXAMPLES})


def test_every_help_example_runs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv(paths.ENV_DATA_DIR, str(tmp_path / "data"))
    monkeypatch.setenv(paths.ENV_CONFIG_DIR, str(tmp_path / "config"))
    shutil.copytree(ROOT / "examples", tmp_path / "examples")
    # The consult example records this answer file (the fitter's answers for Zoë).
    shutil.copy(ROOT / "examples" / "routine-low-back-tight-hamstrings.yaml", tmp_path / "zoe.yaml")
    # The users example reads its password from this file.
    (tmp_path / "ana-password.txt").write_text("a long studio password\n", encoding="utf-8")
    runner = CliRunner()
    for path, example in EXAMPLES:
        args = shlex.split(example)[1:]
        if path == "client merge":  # a second record of the same rider, to join
            extra = ["consult", "--client", "Zoe Odegard", "--answers", "zoe.yaml", "--accept-all", "--consent"]
            assert runner.invoke(app, extra).exit_code == 0
        result = runner.invoke(app, args, input="")
        interactive = path in ("ask", "consult") and "--answers" not in args
        if interactive:
            assert result.exit_code == 130, (example, result.output)
            assert "--resume" in result.output, example
        else:
            assert result.exit_code == 0, (example, result.output)
    for written in ("zoe-first-visit.pdf", "zoe.json"):
        assert (tmp_path / written).stat().st_size > 0
