"""`advisor ask`: the questionnaire in the terminal, one question at a time, then the advice."""

from typing import Annotated

import typer

from advisor.cli import interactive as ask_mod
from advisor.cli.common import PAPER_HELP, REPORT_HELP, Paper, app, handled, paper_size
from advisor.cli.console import make_console


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
