"""Printable reports: the format follows the file's extension; all render one Report."""

from __future__ import annotations

import dataclasses
import importlib
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from advisor.core.assessment import Assessment
from advisor.core.datafiles.files import check_target, write_atomic
from advisor.core.errors import AdvisorError, Problem
from advisor.core.intake.fitrecord import FitRecord
from advisor.core.rulebase import followup, knowledge
from advisor.output.report import Report, amendment, build
from advisor.records import config

if TYPE_CHECKING:
    from advisor.records.model import Consultation, Decision

FORMATS = (".pdf", ".html", ".md", ".json")


def check_path(path: str, keep: tuple[Path, ...] = ()) -> Path:
    """Refuse an unknown format or an impossible path before any work is done.

    A report of the same name is replaced (that is what writing a report means), but never
    one of the files in ``keep`` (the answers being read, the database).
    """
    target = Path(path)
    if target.is_dir():
        raise AdvisorError([Problem(path, "is a directory; give a file name such as report.pdf", field="--report")])
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
    return check_target(target, option="--report", keep=keep)


def report_for(
    result: Assessment,
    paper: str = "a4",
    decisions: list[Decision] | None = None,
    earlier_visits: list[Consultation] | None = None,
    fit: FitRecord | None = None,
    settings: dict[str, str] | None = None,
) -> Report:
    """The report model of one assessment, with the studio's settings and the words of the
    questionnaire and the knowledge base; ``decisions`` and ``earlier_visits`` come from a
    stored consultation (what was agreed, what changed since the visit before). ``settings``
    are read from the user's settings file unless given (a batch reads them once)."""
    if settings is None:
        settings = config.load()  # read once: the logo is named in the same file
    return build(
        result,
        followup.form_for(result.questionnaire, result.answers),
        knowledge.load(),
        settings,
        paper,
        config.logo(settings),
        decisions=decisions,
        earlier_visits=earlier_visits,
        fit=fit,
    )


def stored_report(visit: Consultation, earlier_visits: list[Consultation], paper: str = "a4") -> Report:
    """The report of a stored consultation, as the CLI and the studio both show it: what was
    agreed, the fit record, and what changed since the visits before (``earlier_visits``)."""
    fit = FitRecord.model_validate(visit.fit) if visit.fit else None
    result = Assessment.model_validate(visit.result)
    report = report_for(result, paper, decisions=visit.decisions, earlier_visits=earlier_visits or None, fit=fit)
    if not visit.amended:
        return report
    said = amendment(visit.revision, visit.revised, visit.revised_by, visit.revision_reason)
    return dataclasses.replace(report, amended=said)


def assessment_json(result: Assessment) -> bytes:
    """The JSON result (knowledge-spec section 4), as `assess --format json` prints it."""
    return (json.dumps(result.to_json_dict(), ensure_ascii=False, indent=2) + "\n").encode("utf-8")


def render(report: Report, suffix: str) -> bytes:
    """The report in the format named by ``suffix`` ('.pdf', '.html', '.md' or '.json')."""
    suffix = suffix.lower()
    if suffix == ".json":
        return assessment_json(report.assessment)
    if suffix in (".md", ".html"):
        return str(_renderer(suffix).render(report)).encode("utf-8")
    return bytes(_renderer(suffix).render(report))


def render_ready(suffix: str) -> None:
    """Load a format's machinery now (fonts, templates), for a worker about to render many."""
    if suffix in (".pdf", ".html"):
        _renderer(suffix).warm_up()


# Each renderer is imported when a report of its format is first written: fpdf2 and its
# fonts cost about 100 ms, Jinja2 tens of ms, and the terminal and JSON need neither.
_RENDERERS = {".pdf": "advisor.output.pdf", ".html": "advisor.output.html", ".md": "advisor.output.markdown"}


def _renderer(suffix: str) -> Any:
    """The module that renders a report of this format, loaded on first use."""
    return importlib.import_module(_RENDERERS[suffix])


def write(report: Report, path: str) -> Path:
    target = check_path(path)
    write_atomic(target, render(report, target.suffix))
    return target
