"""Printable reports. The format follows the file's extension; all are built from one model."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

from advisor.core.assessment import Assessment
from advisor.core.errors import AdvisorError, Problem
from advisor.core.files import write_atomic

if TYPE_CHECKING:
    from advisor.records.store import Consultation, Decision

FORMATS = (".pdf", ".html", ".md", ".json")


def check_path(path: str) -> Path:
    """Refuse an unknown format or an impossible path before any work is done."""
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
        raise AdvisorError([Problem(path, "is a directory; give a file name such as report.pdf", field="--report")])
    return target


def render(
    result: Assessment,
    suffix: str,
    paper: str = "a4",
    decisions: list[Decision] | None = None,
    earlier_visits: list[Consultation] | None = None,
) -> bytes:
    """The report in the format named by ``suffix`` ('.pdf', '.html', '.md' or '.json').

    ``decisions`` and ``earlier_visits`` come from a stored consultation: the report then
    shows what was agreed and what changed since the visit before.
    """
    suffix = suffix.lower()
    if suffix == ".json":
        return (json.dumps(result.to_json_dict(), ensure_ascii=False, indent=2) + "\n").encode("utf-8")
    from advisor.core import followup, knowledge
    from advisor.output import report as model
    from advisor.records import config

    report = model.build(
        result,
        followup.form_for(result.questionnaire, result.answers),
        knowledge.load(),
        config.load(),
        paper,
        decisions=decisions,
        earlier_visits=earlier_visits,
    )
    if suffix == ".html":
        from advisor.output import html

        return html.render(report).encode("utf-8")
    if suffix == ".md":
        from advisor.output import markdown

        return markdown.render(report).encode("utf-8")
    from advisor.output import pdf

    return pdf.render(report)


def write(
    result: Assessment,
    path: str,
    paper: str = "a4",
    decisions: list[Decision] | None = None,
    earlier_visits: list[Consultation] | None = None,
) -> Path:
    target = check_path(path)
    write_atomic(target, render(result, target.suffix, paper, decisions, earlier_visits))
    return target
