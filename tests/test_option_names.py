"""One naming scheme for options (README, "Options mean one thing everywhere"), held over every
command's help: what each shared option is called and what it takes."""

from __future__ import annotations

import re
from typing import Any

import typer.main
from typer.testing import CliRunner

from advisor.cli import app

# option -> the metavar it shows (what it takes), wherever it appears
SCHEME = {
    "--out": {"PATH", "DIR", "FILE"},
    "--report": {"PATH"},
    "--report-format": {"pdf|html|md|json"},
    "--db": {"PATH|URL"},
    "--client": {"NAME"},
    "--date": {"YYYY-MM-DD"},
    "--paper": {"a4|letter"},
    "--born": {"YYYY-MM-DD"},
    "--since": {"YYYY-MM-DD"},
    "--fitter": {"NAME"},
}
STDOUT_FORMS = {"text", "json", "fhir"}


def commands() -> list[tuple[str, Any]]:
    """Every command as (its words, its command object): typer carries its own click."""
    root = typer.main.get_command(app)
    found: list[tuple[str, Any]] = []

    def walk(name: str, cmd: Any) -> None:
        if hasattr(cmd, "commands"):
            for sub_name, sub in cmd.commands.items():
                walk(f"{name} {sub_name}".strip(), sub)
        else:
            found.append((name, cmd))

    walk("", root)
    return found


def test_every_shared_option_means_one_thing_in_every_command() -> None:
    checked = 0
    for name, cmd in commands():
        for param in cmd.params:
            if getattr(param, "param_type_name", "") != "option" or param.hidden:
                continue
            metavar = (param.metavar or "").strip()
            assert "<" not in metavar and "{" not in metavar, f"{name} {param.opts}: {metavar}"
            for opt in param.opts:
                if opt in SCHEME:
                    assert metavar in SCHEME[opt], f"{name} {opt} takes {metavar!r}; the scheme says {SCHEME[opt]}"
                    checked += 1
                if opt == "--format":
                    # --format picks what is printed on standard output, nothing else.
                    assert set(metavar.split("|")) <= STDOUT_FORMS, f"{name} --format takes {metavar!r}"
                    checked += 1
    assert checked >= 20


def test_every_command_answers_h_with_its_help() -> None:
    runner = CliRunner()
    for name, _ in commands():
        result = runner.invoke(app, [*name.split(), "-h"])
        assert result.exit_code == 0 and "Usage:" in result.output, name
        assert not re.search(r"<[a-z ]+>", result.output), f"{name}: a metavar in angle brackets"
