"""A plain (non-editable) install must carry rules/ and questionnaires/ and work from any folder."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_built_wheel_ships_the_knowledge_base_and_runs_anywhere(tmp_path: Path) -> None:
    dist = tmp_path / "dist"
    build = subprocess.run(
        [
            sys.executable,
            "-m",
            "build",
            "--wheel",
            "--no-isolation",
            "--outdir",
            str(dist),
            str(ROOT),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert build.returncode == 0, build.stdout + build.stderr
    wheel = next(dist.glob("bikefit_advisor-*.whl"))
    names = zipfile.ZipFile(wheel).namelist()
    assert "advisor/_data/rules/triage.yaml" in names
    assert "advisor/_data/rules/catalog/exercises.yaml" in names
    assert "advisor/_data/questionnaires/fitter.yaml" in names
    assert "advisor/output/fonts/AdvisorSans.ttf" in names
    assert "advisor/output/templates/report.html.j2" in names

    site = tmp_path / "site"
    install = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--quiet",
            "--no-deps",
            "--target",
            str(site),
            str(wheel),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert install.returncode == 0, install.stderr
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = {**os.environ, "PYTHONPATH": str(site)}
    where = subprocess.run(
        [sys.executable, "-c", "import advisor.core.datafiles.resources as r; print(r.rules_dir())"],
        cwd=elsewhere,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert where.stdout.strip().startswith(str(site)), where.stdout + where.stderr
    example = ROOT / "examples" / "soon-pain-below-knee.yaml"

    def advisor(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "advisor", *args],
            cwd=elsewhere,
            env=env,
            capture_output=True,
            text=True,
            encoding="utf-8",
            timeout=60,
        )

    run = advisor("assess", str(example), "--format", "json")
    assert run.returncode == 0, run.stderr
    assert json.loads(run.stdout)["referral"]["urgency"] == "soon"
    pdf = advisor("assess", str(example), "--report", "r.pdf")
    assert pdf.returncode == 0, pdf.stderr
    assert (elsewhere / "r.pdf").read_bytes().startswith(b"%PDF")
    check = advisor("rules", "check")
    assert check.returncode == 0, check.stdout + check.stderr
