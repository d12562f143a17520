"""`advisor consult`: a fitter's consultation, recorded with what the client agreed to."""

import sys
from typing import Annotated

import typer

from advisor.cli import common, consultation as consult_mod
from advisor.cli.common import (
    PAPER_HELP,
    REPORT_HELP,
    ArgsInOrder,
    BornOption,
    DbOption,
    FitterOption,
    Paper,
    app,
    born_date,
    handled,
    paired,
    paper_size,
)
from advisor.cli.console import make_console
from advisor.records.actor import actor


@app.command(cls=ArgsInOrder)
@handled
def consult(
    ctx: typer.Context,
    client: Annotated[
        str | None, typer.Option("--client", metavar="NAME", help="The client's name, or their id (c-...).")
    ] = None,
    born: BornOption = None,
    answers: Annotated[
        str | None,
        typer.Option("--answers", metavar="FILE", help="Record this answer file instead of asking the questions."),
    ] = None,
    report: Annotated[str | None, typer.Option("--report", metavar="PATH", help=REPORT_HELP)] = None,
    paper: Annotated[Paper | None, typer.Option("--paper", metavar="a4|letter", help=PAPER_HELP)] = None,
    db: DbOption = None,
    decline: Annotated[
        list[str] | None,
        typer.Option("--decline", metavar="ID", help="A recommendation id the client declines (repeatable)."),
    ] = None,
    note: Annotated[
        list[str] | None, typer.Option("--note", metavar="TEXT", help="Why, for the --decline before it (repeatable).")
    ] = None,
    accept_all: Annotated[
        bool, typer.Option("--accept-all", help="Record every recommendation as agreed (except any --decline).")
    ] = False,
    resume: Annotated[bool, typer.Option("--resume", help="Continue the consultation saved when you stopped.")] = False,
    date: Annotated[
        str | None,
        typer.Option("--date", metavar="YYYY-MM-DD", help="The visit's date (default: the answers' date, else today)."),
    ] = None,
    consent: Annotated[
        bool,
        typer.Option(
            "--consent",
            help="The client agreed to their answers being kept (asked at a terminal otherwise; needed once).",
        ),
    ] = False,
    fitter: FitterOption = None,
) -> None:
    """Record a consultation: the fitter questionnaire (last visit's answers as defaults), the
    advice, what the client agrees to, and the report.

    Example: advisor consult --client "Zoë Ødegård" --report zoe.pdf

    Example: advisor consult --client "Zoë Ødegård" --answers zoe.yaml --consent --decline strap-stretch --note "hips"

    A new client is asked, once, whether their answers may be kept (--consent says they agreed).
    """
    console = make_console()
    read = consult_mod.line_reader(console)

    # Decisions are asked at the end of an interactive consultation, or after --answers when a
    # person is at the terminal; --decline or --accept-all record them as given. With --answers
    # and nobody to ask, one of those must say what the client agreed to: never assumed.
    declined = paired(ctx.meta.get("args", []), "--decline", "--note")
    interactive = not accept_all and (answers is None or sys.stdin.isatty())
    day_of_birth = born_date(born)
    try:
        code = consult_mod.run(
            console,
            read,
            client=client,
            answers_file=answers,
            report=report,
            paper=paper_size(paper),
            db=db,
            declines=declined,
            date=date,
            unattended=answers is not None and not sys.stdin.isatty() and not accept_all and not declined,
            resume=resume,
            interactive_decisions=interactive,
            born=day_of_birth,
            consent=consent,
            can_ask=common.at_terminal(),
            actor=actor(fitter),
        )
    except consult_mod.Interrupted:
        raise typer.Exit(130) from None
    raise typer.Exit(code)
