"""Commands for a fitter's records: consult, clients, history, report, export, import, migrate."""

from __future__ import annotations

import contextlib
import os
import sys
from typing import Annotated

import typer

from advisor.cli import visits
from advisor.cli.common import (
    PAGER_HELP,
    PAPER_HELP,
    REPORT_HELP,
    AdvisorError,
    ArgsInOrder,
    DbOption,
    Paper,
    app,
    format_option,
    handled,
    make_console,
    page,
    paired,
    paper_size,
    print_json,
    say,
)
from advisor.core.errors import Problem
from advisor.core.text import visible
from advisor.output import formats
from advisor.records import history as history_mod
from advisor.records import transfer
from advisor.records.store import ENV_DB, Store
from advisor.records.store import default_path as default_db_path


@app.command(cls=ArgsInOrder)
@handled
def consult(
    ctx: typer.Context,
    client: Annotated[str | None, typer.Option("--client", metavar="NAME", help="The client's name.")] = None,
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
) -> None:
    """Record a consultation: the fitter questionnaire (last visit's answers as defaults), the
    advice, what the client agrees to, and the report.

    Example: advisor consult --client "Zoë Ødegård" --report zoe.pdf

    Example: advisor consult --client "Zoë Ødegård" --answers zoe.yaml --decline strap-stretch --note "hip pain"
    """
    from advisor.cli import consultation as consult_mod  # noqa: PLC0415  lazy: the prompts load rich

    console = make_console()
    read = consult_mod.line_reader(console)

    # Decisions are asked at the end of an interactive consultation, or after --answers when a
    # person is at the terminal; --decline or --accept-all record them as given. With --answers
    # and nobody to ask, one of those must say what the client agreed to: never assumed.
    declined = paired(ctx.meta.get("args", []), "--decline", "--note")
    interactive = not accept_all and (answers is None or sys.stdin.isatty())
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
        )
    except consult_mod.Interrupted:
        raise typer.Exit(130) from None
    raise typer.Exit(code)


# --format of the commands that list records: text for people, json for scripts.
TextOrJson = Annotated[str, format_option("text", "json", help="text or json.")]


@app.command()
@handled
def clients(
    db: DbOption = None,
    format: TextOrJson = "text",
) -> None:
    """List the clients with their number of visits, last visit date and urgency.

    Example: advisor clients
    """

    if db is None and not os.environ.get(ENV_DB) and not default_db_path().exists():
        rows = []  # nothing recorded yet, and nothing is created just to say so
    else:
        with Store(db, create=False) as store:
            rows = store.clients()
    if format == "json":
        data = [
            {
                "name": r.name,
                "visits": r.visits,
                "last_visit": r.last_date.isoformat() if r.last_date else None,
                "urgency": r.last_urgency,
            }
            for r in rows
        ]
        print_json(data)
        return
    if not rows:
        typer.echo("No clients yet. Record one with: advisor consult --client NAME")
        return
    width = max(len(r.name) for r in rows) + 2
    typer.echo(f"{'Client':{width}} {'Visits':>6}  {'Last visit':10}  Urgency")
    for r in rows:
        last = r.last_date.isoformat() if r.last_date else "-"
        say(f"{r.name:{width}} {r.visits:>6}  {last:10}  {r.last_urgency or '-'}")


@app.command()
@handled
def history(
    name: Annotated[str, typer.Argument(help="The client's name.")],
    db: DbOption = None,
    format: TextOrJson = "text",
    no_pager: Annotated[bool, typer.Option("--no-pager", help=PAGER_HELP)] = False,
) -> None:
    """A client's consultations: date, urgency, key measures and what changed since the visit before.

    Example: advisor history "Zoë Ødegård" --format json
    """

    with Store(db, create=False) as store:
        stored = store.require_client(name)
        visits = store.history(stored)
    if format == "json":
        print_json(history_mod.to_json(visits))
    else:
        lines = [visible(line) for line in history_mod.to_lines(stored, visits)]
        page("".join(line + "\n" for line in lines), not no_pager)


@app.command("report")
@handled
def report_command(
    consultation_id: Annotated[
        int | None, typer.Argument(metavar="ID", help="The consultation id (see 'advisor history').")
    ] = None,
    out: Annotated[str, typer.Option("--out", "-o", metavar="PATH", help=REPORT_HELP)] = "",
    db: DbOption = None,
    paper: Annotated[Paper | None, typer.Option("--paper", metavar="a4|letter", help=PAPER_HELP)] = None,
    consultation: Annotated[int | None, typer.Option("--consultation", metavar="ID", hidden=True)] = None,
) -> None:
    """Write the report of a stored consultation again.

    Example: advisor report 1 --out zoe-first-visit.pdf
    """
    # The id is an argument, as every other command names what it works on; --consultation
    # ID, the earlier spelling, still works so that scripts keep running.
    chosen = consultation_id if consultation_id is not None else consultation
    if chosen is None:
        raise AdvisorError([Problem("ID", "give the consultation's id, e.g. advisor report 1 --out visit.pdf")])
    if not out:
        raise AdvisorError([Problem("--out", "give the report's path, e.g. --out visit.pdf")])
    consultation = chosen
    with Store(db, create=False) as store:
        formats.check_path(out, keep=store.files)
        written = visits.write_report(store, store.consultation(consultation), out, paper_size(paper))
    say(f"Report written to {written}")


@app.command("export")
@handled
def export_command(
    name: Annotated[str, typer.Argument(help="The client's name.")],
    out: Annotated[
        str, typer.Option("--out", "-o", metavar="PATH", help="The JSON file to write; - for standard output.")
    ],
    db: DbOption = None,
    force: Annotated[bool, typer.Option("--force", help="Replace the file if it exists.")] = False,
    format: Annotated[
        str,
        format_option(
            "json",
            "fhir",
            help="json: the advisor's own file, to move a client to another studio; fhir: a FHIR R4 Bundle.",
        ),
    ] = "json",
) -> None:
    """Write every consultation of a client to one JSON file, to move them to another studio.

    Example: advisor export "Zoë Ødegård" --out zoe.json
    """

    with Store(db, create=False) as store:
        if out == "-":  # as '-' reads standard input wherever a file is read
            text, count = transfer.export_document(store, name, as_fhir=format == "fhir")
            typer.echo(text, nl=False)
            say(f"Exported {count} consultation{'s' if count != 1 else ''} to standard output", err=True)
            return
        written, count = transfer.export_client(store, name, out, force=force, as_fhir=format == "fhir")
    say(f"Exported {count} consultation{'s' if count != 1 else ''} to {written}")


@app.command("import")
@handled
def import_command(
    file: Annotated[str, typer.Argument(help="A file written by 'advisor export' (its own JSON or a FHIR Bundle).")],
    db: DbOption = None,
) -> None:
    """Add a client's consultations from an export file; visits already stored are skipped.

    Example: advisor import zoe.json
    """

    with contextlib.ExitStack() as stack:
        opened: list[Store] = []

        def store() -> Store:  # opened (and created) only for a file that passed its checks
            if not opened:
                opened.append(stack.enter_context(Store(db)))
            return opened[0]

        # A Bundle's visits are assessed again, the first with the client's last stored visit.
        name, visits = transfer.read_export(file, transfer.stored_before(store))
        client, added, skipped = transfer.import_client(store(), name, visits)
    extra = f" ({skipped} already there)" if skipped else ""
    say(f"Imported {added} consultation{'s' if added != 1 else ''} for {client}{extra}")


@app.command("migrate")
@handled
def migrate_command(
    to: Annotated[str, typer.Option("--to", metavar="PATH|URL", help="The store to copy into (created if new).")],
    source: Annotated[
        str | None,
        typer.Option(
            "--from",
            metavar="PATH|URL",
            help="The store to copy from, only read (default: ADVISOR_DB, else the user data folder's file).",
        ),
    ] = None,
) -> None:
    """Copy every client's consultations into another store, such as a studio's SQLite file into a
    shared PostgreSQL database; visits already there are skipped, so running it again is safe.

    Example: advisor migrate --to studio-copy.sqlite3
    """
    with Store(source, create=False) as origin, Store(to) as target:
        clients_copied, added, skipped = transfer.copy_all(origin, target)
        shown = target.name
    extra = f" ({skipped} already there)" if skipped else ""
    say(
        f"Copied {added} consultation{'s' if added != 1 else ''} of {clients_copied} "
        f"client{'s' if clients_copied != 1 else ''} to {shown}{extra}"
    )
