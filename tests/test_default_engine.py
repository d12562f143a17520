"""experta runs the rules in every command and the studio; a batch runs the compiled rules
unless told otherwise (engine.py). Each command is run as a user runs it, and the engines'
``run`` methods note which one answered."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from starlette.testclient import TestClient
from typer.testing import CliRunner

from advisor.cli import app
from advisor.core.engines.direct_engine import DirectEngine
from advisor.core.engines.experta_engine import ExpertaEngine
from advisor.core.rulebase import questionnaire as qmod
from advisor.web.app import create_app
from tests.test_ask import RIDER_TYPED, typed_script

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "routine-low-back-tight-hamstrings.yaml"
FITTER_SAFE = {q.id: "false" for q in qmod.load("fitter").questions if q.id.startswith("rf_")}


@pytest.fixture
def ran(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[list[str]]:
    """The engines that ran, in order; ADVISOR_ENGINE unset, as a user's shell has it."""
    monkeypatch.delenv("ADVISOR_ENGINE", raising=False)
    monkeypatch.setenv("ADVISOR_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("ADVISOR_CONFIG_DIR", str(tmp_path / "config"))
    monkeypatch.setenv("ADVISOR_DB", str(tmp_path / "studio.db"))
    monkeypatch.chdir(tmp_path)
    seen: list[str] = []
    for cls, name in ((ExpertaEngine, "experta"), (DirectEngine, "direct")):
        original = cls.run

        def noted(self, answers, _original=original, _name=name):  # type: ignore[no-untyped-def]
            seen.append(_name)
            return _original(self, answers)

        monkeypatch.setattr(cls, "run", noted)
    yield seen


def test_assess_runs_experta(ran: list[str]) -> None:
    result = CliRunner().invoke(app, ["assess", str(EXAMPLE), "-f", "json"])
    assert result.exit_code == 0, result.output
    assert ran and set(ran) == {"experta"}


def test_ask_runs_experta(ran: list[str]) -> None:
    lines = typed_script("rider", RIDER_TYPED)
    result = CliRunner().invoke(app, ["ask", "--out", "a.yaml"], input="\n".join(lines) + "\n", env={"NO_COLOR": "1"})
    assert result.exit_code == 0, result.output
    assert ran and set(ran) == {"experta"}  # the interview's triage and the advice alike


def test_consult_runs_experta(ran: list[str]) -> None:
    result = CliRunner().invoke(
        app, ["consult", "--consent", "--client", "Zoë", "--answers", str(EXAMPLE), "--accept-all"]
    )
    assert result.exit_code == 0, result.output
    assert ran and set(ran) == {"experta"}


def test_the_studio_runs_experta(ran: list[str], tmp_path: Path) -> None:
    with TestClient(create_app(str(tmp_path / "studio.db")), base_url="http://127.0.0.1") as studio:
        page = studio.get("/consult")
        token = page.text.split('name="csrf" value="', 1)[1].split('"', 1)[0]
        advice = studio.post(
            "/consult/advice",
            data={"csrf": token, "client": "Ana", **FITTER_SAFE, "passive_slr_deg": "62"},
        )
    assert advice.status_code == 200
    assert ran and set(ran) == {"experta"}


def test_a_batch_runs_the_compiled_rules_unless_told(ran: list[str], tmp_path: Path) -> None:
    folder = tmp_path / "riders"
    folder.mkdir()
    (folder / "one.yaml").write_text(EXAMPLE.read_text(encoding="utf-8"), encoding="utf-8")
    result = CliRunner().invoke(app, ["batch", str(folder), "--out", "out", "--report-format", "json", "-j", "1"])
    assert result.exit_code == 0, result.output
    assert ran and set(ran) == {"direct"}
    ran.clear()
    told = CliRunner().invoke(
        app, ["batch", str(folder), "--out", "out2", "--report-format", "json", "-j", "1", "--engine", "experta"]
    )
    assert told.exit_code == 0, told.output
    assert ran and set(ran) == {"experta"}


def test_a_batch_follows_advisor_engine(ran: list[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ADVISOR_ENGINE", "experta")
    folder = tmp_path / "riders"
    folder.mkdir()
    (folder / "one.yaml").write_text(EXAMPLE.read_text(encoding="utf-8"), encoding="utf-8")
    result = CliRunner().invoke(app, ["batch", str(folder), "--out", "out", "--report-format", "json", "-j", "1"])
    assert result.exit_code == 0, result.output
    assert ran and set(ran) == {"experta"}


def test_a_batch_names_an_unknown_engine(ran: list[str], tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["batch", str(EXAMPLE), "--out", "out", "--engine", "clips"])
    assert result.exit_code == 2
    assert "--engine" in result.output and "unknown engine 'clips'; allowed: experta, direct" in result.output
    assert not (tmp_path / "out").exists()
