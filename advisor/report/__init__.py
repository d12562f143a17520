"""Printable reports. The format follows the file's extension."""

from __future__ import annotations

import json
from pathlib import Path

from advisor.assessment import Assessment
from advisor.errors import AdvisorError, Problem
from advisor.files import write_atomic

FORMATS = (".json",)


def check_path(path: str) -> Path:
    """Refuse an unknown format before any work is done."""
    target = Path(path)
    if target.suffix.lower() not in FORMATS:
        raise AdvisorError(
            [
                Problem(
                    path,
                    f"unknown report format '{target.suffix or '(none)'}'; allowed: {', '.join(FORMATS)}",
                    field="--report",
                )
            ]
        )
    if target.is_dir():
        raise AdvisorError([Problem(path, "is a directory; give a file name such as report.json", field="--report")])
    return target


def write(result: Assessment, path: str) -> Path:
    target = check_path(path)
    text = json.dumps(result.to_json_dict(), ensure_ascii=False, indent=2) + "\n"
    write_atomic(target, text)
    return target
