"""The command line as users meet it: CliRunner for the commands, a subprocess for the installed script."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from advisor.cli import COMMAND_MODULES, app, command_module
from tests.spec_ids import EXERCISES

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
MAIN_EXAMPLE = EXAMPLES / "routine-low-back-tight-hamstrings.yaml"
runner = CliRunner()


def run(*args: str, input: str | None = None):
    return runner.invoke(app, list(args), input=input, env={"NO_COLOR": "1", "COLUMNS": "80"})


def test_assess_text_shows_sections_in_order() -> None:
    result = run("assess", str(MAIN_EXAMPLE))
    assert result.exit_code == 0, result.output
    out = result.stdout
    order = ["Referral: Routine (no warning signs)", "Bike-fit adjustments", "Exercise plan", "Not assessed"]
    positions = [out.index(title) for title in order]
    assert positions == sorted(positions)
    assert "Zoë Ødegård" in out
    assert "Raise the handlebar" in out and "5-10 mm" in out
    assert "Strap stretch" in out and "hold 30-60 s per side" in out
    assert "not a medical diagnosis" in out
    assert "Rule trace" not in out and "rule trace" not in out


def test_assess_text_fits_80_columns() -> None:
    result = run("assess", str(MAIN_EXAMPLE), "--explain")
    widest = max(len(line.rstrip()) for line in result.stdout.splitlines())
    assert widest <= 80


def test_assess_explain_adds_the_trace() -> None:
    result = run("assess", str(MAIN_EXAMPLE), "--explain")
    assert result.exit_code == 0
    assert "rule trace" in result.stdout
    assert "fnd-hamstrings-ake-female → finding: tight-hamstrings  [R8]" in result.stdout
    assert "active_knee_extension_deg=31" in result.stdout


def test_assess_json_is_the_only_thing_on_stdout() -> None:
    result = run("assess", str(MAIN_EXAMPLE), "--format", "json")
    assert result.exit_code == 0
    data = json.loads(result.stdout)
    for key in (
        "questionnaire",
        "client",
        "referral",
        "findings",
        "adjustments",
        "exercises",
        "not_assessed",
        "trace",
    ):
        assert key in data
    assert data["client"] == "Zoë Ødegård"
    assert data["referral"]["urgency"] == "routine"
    assert {"id", "because"} <= set(data["findings"][0])
    assert {"id", "dose", "because"} <= set(data["exercises"][0])
    assert {"rule", "answers"} <= set(data["trace"][0])


def test_assess_reads_standard_input() -> None:
    text = MAIN_EXAMPLE.read_text(encoding="utf-8")
    result = run("assess", "-", "-f", "json", input=text)
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["client"] == "Zoë Ødegård"


def test_assess_reads_json_answer_files(tmp_path: Path) -> None:
    import yaml

    doc = yaml.safe_load(MAIN_EXAMPLE.read_text(encoding="utf-8"))
    doc["date"] = doc["date"].isoformat()
    path = tmp_path / "answers.json"
    path.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    result = run("assess", str(path), "-f", "json")
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["referral"]["urgency"] == "routine"


@pytest.mark.parametrize("example", sorted(EXAMPLES.glob("*.yaml")), ids=lambda p: p.stem)
def test_every_example_runs_and_matches_its_tier(example: Path) -> None:
    result = run("assess", str(example), "-f", "json")
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["referral"]["urgency"] == example.stem.split("-")[0]


def test_emergency_text_says_so_first() -> None:
    result = run("assess", str(EXAMPLES / "emergency-saddle-numbness-off-bike.yaml"))
    out = result.stdout
    assert out.index("EMERGENCY") < out.index("What to do:") < out.index("do not ride, exercise or change your bike")
    assert "cauda equina" in out
    # Nothing else competes with the warning (knowledge-spec promise 13).
    for absent in ("What your answers show", "Not assessed", "Exercise plan", "Held back"):
        assert absent not in out
    assert len(out.splitlines()) <= 25


def test_questionnaires_list_and_show() -> None:
    listing = run("questionnaires", "list")
    assert listing.exit_code == 0
    assert "rider" in listing.stdout and "fitter" in listing.stdout
    shown = run("questionnaires", "show", "fitter")
    assert shown.exit_code == 0
    assert "passive_slr_deg" in shown.stdout and "from 0 to 130°" in shown.stdout
    assert "asked when low_back_pain is one of long_rides, most_rides, daily_life" in shown.stdout
    bad = run("questionnaires", "show", "fiter")
    assert bad.exit_code == 2 and "did you mean 'fitter'" in bad.stderr


def test_rules_list_show_check() -> None:
    listing = run("rules", "list")
    assert listing.exit_code == 0 and "triage-chest-pain" in listing.stdout
    shown = run("rules", "show", "fnd-hamstrings-pslr")
    assert shown.exit_code == 0
    assert "passive_slr_deg is below 80" in shown.stdout and "[R3]" in shown.stdout
    assert "rules/findings.yaml:" in shown.stdout
    check = run("rules", "check")
    assert check.exit_code == 0 and check.stdout.startswith("OK:")
    bad = run("rules", "show", "fnd-hamstring-pslr")
    assert bad.exit_code == 2 and "did you mean 'fnd-hamstrings-pslr'" in bad.stderr
    # A rule no source states says so, with its reason (promise 19).
    opinion = run("rules", "show", "notice-under-18")
    assert opinion.exit_code == 0 and "Expert opinion:" in opinion.stdout and "Sources:" not in opinion.stdout


def test_exercises_list_and_show() -> None:
    listing = run("exercises", "list")
    assert listing.exit_code == 0
    for ex in EXERCISES:
        assert ex in listing.stdout
    shown = run("exercises", "show", "suspension-bridge")
    assert shown.exit_code == 0
    assert "Banded reach" in shown.stdout and "(needs: resistance_band)" in shown.stdout
    assert "Regression:" in shown.stdout and "Cautions:" in shown.stdout


def all_commands() -> list[tuple[str, ...]]:
    import typer.main

    def walk(cmd: object, path: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
        subs = getattr(cmd, "commands", None)
        if not subs:
            return [path]
        return [p for name, sub in subs.items() for p in walk(sub, (*path, name))]

    return walk(typer.main.get_command(app))


def test_every_command_has_help_with_an_example_and_is_in_the_readme() -> None:
    commands = all_commands()
    assert len(commands) >= 18
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for command in commands:
        result = run(*command, "--help")
        assert result.exit_code == 0, command
        assert "Example: advisor" in result.stdout, command
        assert f"advisor {' '.join(command)}" in readme or f"advisor {command[0]} " in readme, command


def test_version() -> None:
    result = run("--version")
    assert result.exit_code == 0 and result.stdout.startswith("advisor ")


def installed_script() -> str:
    """The console script of the environment running the tests (activated or not)."""
    beside = Path(sys.executable).parent / ("advisor.exe" if sys.platform == "win32" else "advisor")
    exe = str(beside) if beside.exists() else shutil.which("advisor")
    assert exe, "the advisor console script is not installed"
    return exe


def test_installed_command_runs_in_a_subprocess(tmp_path: Path) -> None:
    exe = installed_script()
    proc = subprocess.run(
        [exe, "assess", str(MAIN_EXAMPLE), "--format", "json"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=60,
    )
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["client"] == "Zoë Ødegård"
    bad = subprocess.run([exe, "assess", "missing.yaml"], cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert bad.returncode == 2 and bad.stderr.startswith("error: missing.yaml: no such file")
    assert "Traceback" not in bad.stderr


def test_python_dash_m_advisor(tmp_path: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "advisor", "--version"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 0 and proc.stdout.startswith("advisor ")


def test_the_command_table_names_the_module_of_every_command() -> None:
    """A run imports only the module the table names for its command, so the table must hold
    every command and group, each with the module that registers it."""
    seen = {}
    for info in app.registered_commands:
        assert info.callback is not None
        seen[info.name or info.callback.__name__] = {info.callback.__module__}
    for group in app.registered_groups:
        assert group.typer_instance is not None and group.name
        commands = group.typer_instance.registered_commands
        seen[group.name] = {c.callback.__module__ for c in commands if c.callback is not None}
    assert set(seen) == set(COMMAND_MODULES)
    for name, modules in seen.items():
        assert modules == {f"advisor.cli.{COMMAND_MODULES[name]}"}, name


@pytest.mark.parametrize(
    "argv,module",
    [
        (["assess", "a.yaml"], "assess_cmd"),
        (["ask"], "ask_cmd"),
        (["consult", "--client", "Ann"], "consult_cmd"),
        (["--debug", "history", "Ann"], "records"),
        (["rules", "list"], "browse"),
        ([], None),
        (["--help"], None),
        (["--version"], None),
        (["asess", "a.yaml"], None),  # a typo: every command loads, so the error can suggest one
    ],
)
def test_a_command_line_names_the_module_to_load(argv: list[str], module: str | None) -> None:
    assert command_module(argv) == module


def test_assess_loads_only_what_it_needs() -> None:
    """`advisor assess` imports its own command module, and neither rich nor the records,
    the browsing commands, the batch or the studio (each costs start-up time)."""
    code = (
        "import sys\n"
        "from advisor.cli import main\n"
        f"sys.argv = ['advisor', 'assess', {str(MAIN_EXAMPLE)!r}]\n"
        "try:\n"
        "    main()\n"
        "except SystemExit as stop:\n"
        "    assert not stop.code, stop.code\n"
        "print(' '.join(sorted(sys.modules)), file=sys.stderr)\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, cwd=ROOT)
    assert proc.returncode == 0, proc.stderr
    assert "Referral: Routine" in proc.stdout
    loaded = set(proc.stderr.split())
    assert "advisor.cli.assess_cmd" in loaded
    for absent in (
        "rich",
        "sqlalchemy",
        "starlette",
        "advisor.cli.records",
        "advisor.cli.browse",
        "advisor.cli.batch_cmd",
        "advisor.cli.serve",
        "advisor.records.store",
    ):
        assert absent not in loaded, absent


def test_shell_completion_offers_every_command() -> None:
    """Completion runs the script with no command yet named: every module is loaded for it."""
    env = {**os.environ, "_ADVISOR_COMPLETE": "complete_bash", "COMP_WORDS": "advisor ", "COMP_CWORD": "1"}
    code = "from advisor.cli import main; main()"
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, env=env)
    assert set(proc.stdout.split()) >= set(COMMAND_MODULES), proc.stdout + proc.stderr


def test_explain_with_a_fhir_bundle_is_refused_not_ignored() -> None:
    result = run("assess", str(MAIN_EXAMPLE), "--format", "fhir", "--explain")
    assert result.exit_code == 2
    assert "--explain" in result.stderr and "--format json" in result.stderr
    assert result.stdout == ""


def test_the_json_result_is_versioned_and_assess_reads_it_back(tmp_path: Path) -> None:
    example = Path(__file__).resolve().parent.parent / "examples" / "routine-knee-pain.yaml"
    first = run("assess", str(example), "--format", "json")
    data = json.loads(first.stdout)
    assert data["format"] == "bikefit-advisor-result" and data["version"] == 1
    result = tmp_path / "result.json"
    result.write_text(first.stdout, encoding="utf-8")
    again = run("assess", str(result), "--format", "json")
    assert again.exit_code == 0, again.output
    assert json.loads(again.stdout) == data  # the same answers give the same result


@pytest.mark.parametrize(
    "listing", [["rules", "list"], ["exercises", "list"], ["questionnaires", "list"], ["config", "list"]]
)
def test_every_listing_speaks_json_for_scripts(listing: list[str]) -> None:
    result = run(*listing, "--format", "json")
    assert result.exit_code == 0, result.output
    items = json.loads(result.stdout)
    assert isinstance(items, list) and items and all(isinstance(i, dict) for i in items)


def test_version_answers_without_loading_the_commands() -> None:
    import subprocess
    import sys

    code = (
        "import sys; sys.argv = ['advisor', '--version']; from advisor.cli import main; main(); "
        "print(sorted(m for m in sys.modules if m.startswith('advisor.cli.')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.startswith("advisor ") and "advisor.cli.records" not in out and "advisor.cli.browse" not in out
