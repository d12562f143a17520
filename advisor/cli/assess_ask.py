"""Commands for a rider or anyone with an answer file: assess and ask."""

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
    make_console,
    page,
    paper_size,
    print_json,
)
from advisor.core import answers as answers_mod
from advisor.core.errors import AdvisorError, Problem
from advisor.core.pipeline import assess as run_assessment
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
        from advisor.core import fhir  # noqa: PLC0415  lazy: only --format fhir needs the FHIR mapping

        print_json(fhir.bundle([(answers, result)]))
    elif built:
        out = screen.for_stream(sys.stdout)
        terminal.render(built, out, explain=explain)
        page(out.render(), not no_pager)
    if written:
        typer.echo(f"Report written to {written}", err=format in ("json", "fhir"))


@app.command()
@handled
def ask(
    questionnaire: Annotated[
        str | None, typer.Option("--questionnaire", "-q", metavar="rider|fitter", help="rider (default) or fitter.")
    ] = None,
    client: Annotated[
        str | None, typer.Option("--client", metavar="NAME", help="The client's name, for the record.")
    ] = None,
    out: Annotated[
        str | None,
        typer.Option("--out", "-o", metavar="PATH", help="Where to save the answers (default: answers-DATE.yaml)."),
    ] = None,
    report: Annotated[
        str | None,
        typer.Option("--report", metavar="PATH", help=REPORT_HELP),
    ] = None,
    paper: Annotated[Paper | None, typer.Option("--paper", metavar="a4|letter", help=PAPER_HELP)] = None,
    resume: Annotated[
        bool, typer.Option("--resume", help="Continue the questionnaire saved when you stopped.")
    ] = False,
    date: Annotated[
        str | None,
        typer.Option("--date", metavar="YYYY-MM-DD", help="The date of the answers (default: today)."),
    ] = None,
) -> None:
    """Answer the questionnaire in the terminal, then see the advice.

    Every answer is saved as you go; Ctrl-C stops and 'advisor ask --resume' continues.

    Example: advisor ask --questionnaire fitter --client "Zoë Ødegård" --out zoe.yaml
    """
    from advisor.cli import interactive as ask_mod  # noqa: PLC0415  lazy: the prompts load rich

    console = make_console()
    try:
        code = ask_mod.run(
            console,
            ask_mod.line_reader(console),
            questionnaire=questionnaire,
            client=client,
            out=out,
            report=report,
            paper=paper_size(paper),
            resume=resume,
            date=date,
        )
    except ask_mod.Interrupted:
        raise typer.Exit(ask_mod.EXIT_INTERRUPTED) from None
    raise typer.Exit(code)
