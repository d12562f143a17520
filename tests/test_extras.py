"""The base install runs assess, ask, consult and the reports; the studio, PostgreSQL and Dask
are extras, and a command whose extra is missing names the pip line that installs it.

Each run here hides the extras' packages from a fresh interpreter, as a virtual environment
made with only `pip install .` lacks them (`.ci/run` also makes such an environment for real).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
EXAMPLE = EXAMPLES / "routine-low-back-tight-hamstrings.yaml"
# What the extras bring (pyproject.toml): none of it may be needed by the base commands.
EXTRA_PACKAGES = ("starlette", "uvicorn", "multipart", "itsdangerous", "cryptography", "psycopg", "dask", "distributed")

HIDE = f"""
import importlib.abc, sys
class Hide(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in {EXTRA_PACKAGES!r}:
            raise ModuleNotFoundError(f"No module named {{name!r}}", name=name)
        return None
sys.meta_path.insert(0, Hide())
from advisor.cli import main
sys.argv = ["advisor", *sys.argv[1:]]
main()
"""


def advisor_without_extras(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "ADVISOR_DATA_DIR": str(tmp_path / "data"),
        "ADVISOR_CONFIG_DIR": str(tmp_path / "config"),
        "NO_COLOR": "1",
    }
    env.pop("ADVISOR_DB", None)
    return subprocess.run(
        [sys.executable, "-c", HIDE, *args],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=120,
    )


def test_assess_and_every_report_need_no_extra(tmp_path: Path) -> None:
    for name in ("r.pdf", "r.html", "r.md", "r.json"):
        run = advisor_without_extras(tmp_path, "assess", str(EXAMPLE), "--report", name)
        assert run.returncode == 0, run.stderr
        assert (tmp_path / name).stat().st_size > 1000, name
    assert "Referral: Routine" in run.stdout


def test_consult_history_and_fhir_need_no_extra(tmp_path: Path) -> None:
    saved = advisor_without_extras(
        tmp_path, "consult", "--consent", "--client", "Zoë", "--answers", str(EXAMPLE), "--accept-all"
    )
    assert saved.returncode == 0, saved.stderr
    history = advisor_without_extras(tmp_path, "history", "Zoë")
    assert history.returncode == 0 and "Zoë" in history.stdout, history.stderr
    fhir = advisor_without_extras(tmp_path, "assess", str(EXAMPLE), "-f", "fhir")
    assert fhir.returncode == 0 and '"resourceType"' in fhir.stdout, fhir.stderr


@pytest.mark.parametrize(
    "args,line",
    [
        (["serve"], "pip install 'bikefit-advisor[studio]'"),
        (
            ["history", "Zoë", "--db", "postgresql://advisor@127.0.0.1:1/records"],
            "pip install 'bikefit-advisor[postgres]'",
        ),
        (["batch", str(EXAMPLES), "--out", "out", "--executor", "dask"], "pip install 'bikefit-advisor[dask]'"),
    ],
    ids=["studio", "postgres", "dask"],
)
def test_a_missing_extra_is_named_with_its_pip_line(tmp_path: Path, args: list[str], line: str) -> None:
    run = advisor_without_extras(tmp_path, *args)
    assert run.returncode == 2, run.stdout + run.stderr
    assert line in run.stderr and "is not installed" in run.stderr
    assert "Traceback" not in run.stderr
