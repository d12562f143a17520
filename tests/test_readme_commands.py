"""The README's "Using it" lines run as written: each non-interactive line is pasted into a
shell, in order, in a fresh folder holding the files the lines name (the interactive ones,
`ask` and `consult` without `--answers`, are driven in a terminal by test_ask_terminal.py and
by test_ask.py / test_consult.py)."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "routine-low-back-tight-hamstrings.yaml"


def using_it_lines() -> list[str]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    block = text[text.index("## Using it") :]
    block = block[block.index("```sh") + len("```sh") : block.index("```", block.index("```sh") + 5)]
    lines = []
    for raw in block.splitlines():
        line = re.sub(r"\s+#.*$", "", raw).strip()  # the comment after a command
        if line and not line.startswith("#"):
            lines.append(line)
    return lines


def interactive(line: str) -> bool:
    return line.startswith("advisor ask") or (line.startswith("advisor consult") and "--answers" not in line)


def test_the_readme_names_only_commands_that_run(tmp_path: Path) -> None:
    lines = using_it_lines()
    assert len(lines) >= 20
    for name in ("answers.yaml", "zoe.yaml"):
        shutil.copy(EXAMPLE, tmp_path / name)
    (tmp_path / "answers.json").write_text(
        json.dumps(yaml.safe_load(EXAMPLE.read_text(encoding="utf-8")), default=str), encoding="utf-8"
    )
    env = {
        **os.environ,
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
        "ADVISOR_DATA_DIR": str(tmp_path / "data"),
        "ADVISOR_CONFIG_DIR": str(tmp_path / "config"),
        "NO_COLOR": "1",
    }
    env.pop("ADVISOR_DB", None)
    ran = 0
    for line in lines:
        assert "|" not in line.replace("| advisor", "") or line.startswith("cat "), f"'|' for 'or' in: {line}"
        assert "[" not in line, f"an optional part in brackets in: {line}"
        if interactive(line):
            continue
        result = subprocess.run(["bash", "-c", line], cwd=tmp_path, env=env, capture_output=True, text=True)
        assert result.returncode == 0, f"{line}\n{result.stdout[-500:]}\n{result.stderr[-500:]}"
        ran += 1
    assert ran >= 15
