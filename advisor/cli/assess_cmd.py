"""`advisor assess`: the advice for an answer file, in the terminal, as JSON or FHIR, or as a report."""

import sys
from pathlib import Path
from typing import Annotated

import typer

from advisor.cli.common import (
    PAGER_HELP,
    PAPER_HELP,
    REPORT_HELP,
    Paper,
    app,
    format_option,
    handled,
    page,
    paper_size,
    print_json,
)
from advisor.core.advice.pipeline import assess as run_assessment
from advisor.core.errors import AdvisorError, Problem
from advisor.core.intake import answers as answers_mod
from advisor.output import formats, screen, terminal


@app.command()
@handled
def assess(
    file: Annotated[str, typer.Argument(metavar="FILE", help="Answer file (YAML or JSON); - reads standard input.")],
    format: Annotated[
        str,
        format_option(
            "text",
            "json",
            "fhir",
            help="text for people, json for scripts, fhir for a clinic's system (a FHIR R4 Bundle).",
        ),
    ] = "text",
    explain: Annotated[bool, typer.Option("--explain", help="Add the rule trace: rule, source, answers used.")] = False,
    report: Annotated[str | None, typer.Option("--report", metavar="PATH", help=REPORT_HELP)] = None,
    paper: Annotated[Paper | None, typer.Option("--paper", metavar="a4|letter", help=PAPER_HELP)] = None,
    no_pager: Annotated[bool, typer.Option("--no-pager", help=PAGER_HELP)] = False,
) -> None:
    """Assess an answer file: referral, fit adjustments, exercises and what was not assessed.

    Example: advisor assess examples/routine-low-back-tight-hamstrings.yaml --explain
    """
    if explain and format == "fhir":
        # JSON always carries the trace ("trace"); a FHIR Bundle has no place for it.
        why = "adds the rule trace to text output; a FHIR Bundle has none (--format json holds it as 'trace')"
        raise AdvisorError([Problem("--explain", why)])
    if report:
        formats.check_path(report, keep=() if file == "-" else (Path(file),))
    answers = answers_mod.load(file)
    result = run_assessment(answers)
    # One report model for the file and the terminal (which leaves the fit record out).
    built = formats.report_for(result, paper_size(paper), fit=answers.fit) if report or format == "text" else None
    # The report is written first, so it exists even if the output below goes nowhere.
    written = formats.write(built, report) if built and report else None
    if format == "json":
        print_json(result.to_json_dict())
    elif format == "fhir":
        from advisor.exchange import fhir  # noqa: PLC0415  lazy: only --format fhir needs the FHIR mapping

        print_json(fhir.bundle([(answers, result)]))
    elif built:
        out = screen.for_stream(sys.stdout)
        terminal.render(built, out, explain=explain)
        page(out.render(), not no_pager)
    if written:
        typer.echo(f"Report written to {written}", err=format in ("json", "fhir"))
