"""Commands for a fitter's records: clients, history, report, export, import, migrate."""

from __future__ import annotations

import contextlib
import os
from typing import Annotated

import typer

from advisor.cli import visits
from advisor.cli.common import (
    PAGER_HELP,
    PAPER_HELP,
    REPORT_HELP,
    AdvisorError,
    BornOption,
    DbOption,
    FitterOption,
    Paper,
    app,
    born_date,
    format_option,
    handled,
    page,
    paper_size,
    print_json,
    say,
)
from advisor.core.errors import Problem
from advisor.core.text import visible
from advisor.exchange import transfer
from advisor.output import formats
from advisor.records import history as history_mod
from advisor.records.actor import actor
from advisor.records.model import ClientSummary
from advisor.records.store import ENV_DB, Store, default_path as default_db_path

# What names a client on the command line: their name, or their lasting id.
CLIENT_HELP = "The client's name, or their id (c-..., see 'advisor clients')."

# --format of the commands that list records: text for people, json for scripts.
TextOrJson = Annotated[str, format_option("text", "json", help="text or json.")]


@app.command()
@handled
def clients(
    db: DbOption = None,
    format: TextOrJson = "text",
) -> None:
    """List the clients with their id, date of birth, number of visits, last visit date and urgency.

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
                "id": r.id,
                "born": r.born.isoformat() if r.born else None,
                "consent": r.consent or None,
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
    typer.echo(f"{'Client':{width}} {'Id':12}  {'Born':10} {'Visits':>6}  {'Last visit':10}  Urgency")
    for r in rows:
        last = r.last_date.isoformat() if r.last_date else "-"
        born = r.born.isoformat() if r.born else "-"
        say(f"{r.name:{width}} {r.id:12}  {born:10} {r.visits:>6}  {last:10}  {r.last_urgency or '-'}")


@app.command()
@handled
def history(
    name: Annotated[str, typer.Argument(metavar="NAME", help=CLIENT_HELP)],
    born: BornOption = None,
    db: DbOption = None,
    format: TextOrJson = "text",
    no_pager: Annotated[bool, typer.Option("--no-pager", help=PAGER_HELP)] = False,
    revisions: Annotated[
        bool, typer.Option("--revisions", help="Also list each amended visit's earlier revisions.")
    ] = False,
) -> None:
    """A client's consultations: date, urgency, key measures and what changed since the visit before.

    Example: advisor history "Zoë Ødegård" --format json
    """

    with Store(db, create=False) as store:
        client = store.require(name, born_date(born))
        visits = store.history(client)
        earlier = {v.id: store.revisions(v.id) for v in visits if v.amended} if revisions else None
    if format == "json":
        print_json(history_mod.to_json(visits, earlier))
    else:
        lines = [visible(line) for line in history_mod.to_lines(client.name, visits, earlier)]
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
    fitter: FitterOption = None,
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
        written = visits.write_report(
            store, store.consultation(consultation), out, paper_size(paper), actor=actor(fitter)
        )
    say(f"Report written to {written}")


@app.command("export")
@handled
def export_command(
    name: Annotated[str, typer.Argument(metavar="NAME", help=CLIENT_HELP)],
    out: Annotated[
        str, typer.Option("--out", "-o", metavar="PATH", help="The JSON file to write; - for standard output.")
    ],
    born: BornOption = None,
    db: DbOption = None,
    fitter: FitterOption = None,
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

    day_of_birth, who = born_date(born), actor(fitter)
    with Store(db, create=False) as store:
        if out == "-":  # as '-' reads standard input wherever a file is read
            text, count = transfer.export_document(store, name, as_fhir=format == "fhir", born=day_of_birth, actor=who)
            typer.echo(text, nl=False)
            say(f"Exported {count} consultation{'s' if count != 1 else ''} to standard output", err=True)
            return
        written, count = transfer.export_client(
            store, name, out, force=force, as_fhir=format == "fhir", born=day_of_birth, actor=who
        )
    say(f"Exported {count} consultation{'s' if count != 1 else ''} to {written}")


@app.command("import")
@handled
def import_command(
    file: Annotated[
        str, typer.Argument(metavar="FILE", help="A file written by 'advisor export' (its own JSON or a FHIR Bundle).")
    ],
    db: DbOption = None,
    consent: Annotated[
        bool,
        typer.Option(
            "--consent",
            help="The client agreed to their answers being kept (needed for a FHIR Bundle, which carries no consent).",
        ),
    ] = False,
    fitter: FitterOption = None,
) -> None:
    """Add a client's consultations from an export file; visits already stored are skipped.
    The client's consent goes with the advisor's own export; a FHIR Bundle needs --consent.

    Example: advisor import zoe.json
    """

    with contextlib.ExitStack() as stack:
        opened: list[Store] = []

        def store() -> Store:  # opened (and created) only for a file that passed its checks
            if not opened:
                opened.append(stack.enter_context(Store(db)))
            return opened[0]

        # A Bundle's visits are assessed again, the first with the client's last stored visit.
        name, visits, carried = transfer.read_export(file, transfer.stored_before(store))
        if not consent:
            needed = _consent_needed(store(), file, name, carried)
            if needed is not None:
                raise AdvisorError([needed])
        client, added, skipped = transfer.import_client(
            store(), name, visits, carried, actor=actor(fitter), consent=consent
        )
    extra = f" ({skipped} already there)" if skipped else ""
    say(f"Imported {added} consultation{'s' if added != 1 else ''} for {client}{extra}")


def _consent_needed(store: Store, file: str, name: str, carried: ClientSummary | None) -> Problem | None:
    """Why an import needs --consent, if it does: the client is new and the file carries no
    consent (a FHIR Bundle never does), or the client is stored without consent."""
    found = store.find(name, carried.born if carried else None)
    if found is None and carried is not None and carried.id:
        found = store.find(carried.id)  # brought here before, renamed since
    if found is not None:
        if found.consented:
            return None
        why = f"'{visible(found.name)}' is stored without their consent (recorded before consent was asked)"
    elif carried is not None and carried.consent:
        return None
    else:
        what = "a FHIR Bundle" if carried is None else "the export"
        why = f"{file} holds the visits of a new client, '{visible(name)}', and {what} carries no consent"
    return Problem(
        "--consent",
        f"{why}: ask the client whether they agree to their answers being kept, and add --consent when they "
        "do; nothing was imported",
    )


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
    fitter: FitterOption = None,
) -> None:
    """Copy every client's consultations into another store, such as a studio's SQLite file into a
    shared PostgreSQL database; visits already there are skipped, so running it again is safe.

    Example: advisor migrate --to studio-copy.sqlite3
    """
    with Store(source, create=False) as origin, Store(to) as target:
        clients_copied, added, skipped = transfer.copy_all(origin, target, actor=actor(fitter))
        shown = target.name
    extra = f" ({skipped} already there)" if skipped else ""
    say(
        f"Copied {added} consultation{'s' if added != 1 else ''} of {clients_copied} "
        f"client{'s' if clients_copied != 1 else ''} to {shown}{extra}"
    )
