"""Looking after the records: a client's name and identity (client rename, client merge), their
erasure, the audit trail, a backup, and the studio's accounts (users)."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Annotated

import typer

from advisor.cli import common
from advisor.cli.common import (
    BornOption,
    DbOption,
    FitterOption,
    app,
    born_date,
    format_option,
    handled,
    print_json,
    say,
    since_date,
)
from advisor.core.datafiles.files import check_target
from advisor.core.errors import AdvisorError, Problem
from advisor.core.text import MAX_NAME, checked, visible
from advisor.records import drafts
from advisor.records.actor import actor
from advisor.records.model import name_key
from advisor.records.store import PUBLIC_ID, Store

# A studio account's password: at least this many characters, as the studio's shared password.
MIN_PASSWORD = 12
# The kind of draft `advisor consult` (and the studio) keeps for a client's unfinished visit.
CONSULT_DRAFTS = "consult"
CLIENT_HELP = "The client's name, or their id (c-..., see 'advisor clients')."

client_app = typer.Typer(
    name="client",
    help="Change a client's name, or join two records of the same rider.",
    no_args_is_help=True,
    rich_markup_mode=None,
)
app.add_typer(client_app, name="client")
users_app = typer.Typer(
    name="users",
    help="The studio's accounts: the fitters who may sign in to 'advisor serve'.",
    no_args_is_help=True,
    rich_markup_mode=None,
)
app.add_typer(users_app, name="users")


def _ask(prompt: str, *, hidden: bool = False) -> str | None:
    """A line typed at the terminal, or None when input ends (Ctrl-D) or is interrupted."""
    try:
        return str(typer.prompt(prompt, default="", show_default=False, hide_input=hidden, prompt_suffix=" "))
    except typer.Abort:
        return None


def _refused(what: str) -> AdvisorError:
    return AdvisorError([Problem(what, "not confirmed; nothing was changed")], exit_code=1)


@client_app.command("rename")
@handled
def rename_command(
    name: Annotated[str, typer.Argument(metavar="NAME", help=CLIENT_HELP)],
    new_name: Annotated[str, typer.Argument(metavar="NEW", help="The client's name from now on.")],
    born: BornOption = None,
    db: DbOption = None,
    fitter: FitterOption = None,
) -> None:
    """Change a client's name; their id, date of birth, consent and visits stay.

    Example: advisor client rename "Zoë Ødegård" "Zoë Lind"
    """
    new = checked(new_name, "name", MAX_NAME, "NEW").strip()
    if not new:
        raise AdvisorError([Problem("NEW", "give the client's new name")])
    with Store(db, create=False) as store:
        client = store.require(name, born_date(born))
        store.rename(client, new, actor=actor(fitter))
    _move_draft(client.name, new)  # an unfinished consultation goes on under the new name
    say(f"Renamed {client.name} ({client.id}) to {new}")


def _move_draft(old: str, new: str) -> None:
    """The unfinished consultation kept under one name, kept under another (drafts are found
    by the client's name); one already kept under the new name is never replaced."""
    waiting = drafts.load(CONSULT_DRAFTS, old)
    if waiting is None or name_key(old) == name_key(new) or drafts.load(CONSULT_DRAFTS, new) is not None:
        return
    drafts.save(waiting.model_copy(update={"client": new}), CONSULT_DRAFTS)
    drafts.clear(CONSULT_DRAFTS, old)


@client_app.command("merge")
@handled
def merge_command(
    source: Annotated[
        str, typer.Argument(metavar="A", help="The client whose visits move (then removed): " + CLIENT_HELP)
    ],
    target: Annotated[str, typer.Argument(metavar="B", help="The client kept, who gets A's visits: " + CLIENT_HELP)],
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do it without asking (needed without a terminal).")] = False,
    db: DbOption = None,
    fitter: FitterOption = None,
) -> None:
    """Join two records of the same rider: A's visits move to B, and A is removed. B keeps its
    name, id, date of birth and consent. Give a client by id where two share a name.

    Example: advisor client merge "Zoe Odegard" "Zoë Ødegård" --yes
    """
    with Store(db, create=False) as store:
        a, b = store.require(source), store.require(target)
        if a.id == b.id:
            raise AdvisorError([Problem(source, f"and {target} are the same client ({a.id}); nothing to merge")])
        if not yes:
            if not common.at_terminal():
                raise AdvisorError(
                    [Problem("--yes", "no terminal to confirm the merge at: add --yes to merge; nothing was changed")]
                )
            say(f"A (its visits move, then it is removed): {a.described()}")
            say(f"B (kept):                                {b.described()}")
            reply = _ask("Move A's visits to B and remove A? [y/N]")
            if (reply or "").strip().lower() not in ("y", "yes"):
                raise _refused("merge")
        moved = store.merge(a, b, actor=actor(fitter))
    # An unfinished consultation of A's goes on as B's, unless B has one of their own.
    _move_draft(a.name, b.name)
    say(f"Moved {moved} visit{'s' if moved != 1 else ''} of {a.name} ({a.id}) to {b.name} ({b.id}); {a.id} is removed")


@app.command("erase")
@handled
def erase_command(
    name: Annotated[str, typer.Argument(metavar="NAME", help=CLIENT_HELP)],
    born: BornOption = None,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Erase without asking (needed without a terminal).")] = False,
    db: DbOption = None,
    fitter: FitterOption = None,
) -> None:
    """Erase a client and everything kept about them: every visit, decision and earlier
    revision, and their unfinished consultation. The audit trail keeps only that it was done,
    when, by whom and the client's id (never their name). This cannot be undone.

    Example: advisor erase "Zoë Lind" --yes
    """
    with Store(db, create=False) as store:
        client = store.require(name, born_date(born))
        if not yes:
            if not common.at_terminal():
                raise AdvisorError(
                    [Problem("--yes", "no terminal to confirm the erasure at: add --yes to erase; nothing was erased")]
                )
            say(f"This erases {client.described()}: {client.visits} visit{'s' if client.visits != 1 else ''}")
            say("and everything kept about them, for good.")
            reply = _ask("Type the client's name to erase them:")
            if reply is None or name_key(reply) != name_key(client.name):
                raise _refused("erase")
        erased = store.erase(client, actor=actor(fitter))
    drafts.clear(CONSULT_DRAFTS, client.name)
    say(
        f"Erased {client.name} ({client.id}): {erased} visit{'s' if erased != 1 else ''} and everything kept about them"
    )
    say("Backups, exports and printed reports made before still hold them: delete those too.")


@app.command("audit")
@handled
def audit_command(
    client: Annotated[str | None, typer.Option("--client", metavar="NAME", help=CLIENT_HELP)] = None,
    born: BornOption = None,
    since: Annotated[
        str | None, typer.Option("--since", metavar="YYYY-MM-DD", help="Only what was done on or after this day.")
    ] = None,
    db: DbOption = None,
    format: Annotated[str, format_option("text", "json", help="text or json.")] = "text",
) -> None:
    """The audit trail, oldest first: when, who, what (saved, amended, report, exported,
    imported, renamed, merged, erased, ...), the client's id and the visit.

    Example: advisor audit --since 2026-01-01
    """
    day = since_date(since, "--since")
    with Store(db, create=False) as store:
        cid = None
        if client is not None:
            # An id is taken as it is: an erased client's events are found by it.
            cid = client.strip() if PUBLIC_ID.match(client.strip()) else store.require(client, born_date(born)).id
        elif born is not None:
            raise AdvisorError([Problem("--born", "goes with --client NAME, to tell apart clients who share a name")])
        events = store.audit(cid, day.isoformat() if day else None)
    if format == "json":
        print_json([dataclasses.asdict(e) for e in events])
        return
    if not events:
        typer.echo("No events recorded" + (" for this client" if cid else "") + (f" since {day}" if day else ""))
        return
    rows = [("Time", "Actor", "Action", "Client", "Visit", "Detail")]
    rows += [
        (e.at, e.actor or "-", e.action, e.client or "-", f"#{e.visit}" if e.visit else "-", e.detail) for e in events
    ]
    widths = [max(len(r[i]) for r in rows) for i in range(5)]
    for row in rows:
        say(("  ".join(f"{cell:{w}}" for cell, w in zip(row[:5], widths, strict=True)) + f"  {row[5]}").rstrip())


@app.command("backup")
@handled
def backup_command(
    path: Annotated[str, typer.Argument(metavar="PATH", help="The file to write the copy to.")],
    db: DbOption = None,
    force: Annotated[bool, typer.Option("--force", help="Replace the file if it exists.")] = False,
    fitter: FitterOption = None,
) -> None:
    """Copy the records to one file, consistent even while fitters are working (a SQLite store;
    a PostgreSQL server is backed up with pg_dump, as its administrator).

    Example: advisor backup records-backup.sqlite3
    """
    target = Path(path)
    with Store(db, create=False) as store:
        check_target(target, option="PATH", keep=store.files, overwrite=force, example="records-backup.sqlite3")
        store.backup(target, actor=actor(fitter))
        records = store.name
    say(f"Backed up the records to {target}")
    say(
        f"To restore: stop everything using the records (advisor serve, consultations in progress), "
        f"then copy {target} over {records}"
    )


@users_app.command("add")
@handled
def users_add(
    name: Annotated[str, typer.Argument(metavar="NAME", help="The fitter's account name.")],
    password_file: Annotated[
        str | None,
        typer.Option(
            "--password-file",
            metavar="FILE",
            help="Read the password from the first line of this file (asked twice, hidden, at a terminal otherwise).",
        ),
    ] = None,
    db: DbOption = None,
    fitter: FitterOption = None,
) -> None:
    """Add a studio account, with a password of at least 12 characters.

    Example: advisor users add "Ana Lind" --password-file ana-password.txt
    """
    account = checked(name, "name", MAX_NAME, "NAME").strip()
    if not account:
        raise AdvisorError([Problem("NAME", "give the account's name")])
    password = _password(password_file)
    with Store(db) as store:
        store.add_user(account, password, actor=actor(fitter))
    say(f"Added the studio account {account}")


def _password(password_file: str | None) -> str:
    if password_file is not None:
        try:
            text = Path(password_file).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as err:
            reason = err.strerror if isinstance(err, OSError) and err.strerror else "not UTF-8 text"
            raise AdvisorError(
                [Problem(password_file, f"cannot be read ({reason})", field="--password-file")]
            ) from None
        password = text.splitlines()[0] if text else ""
        where = "--password-file"
    elif common.at_terminal():
        password = _ask("Password:", hidden=True) or ""
        again = _ask("The same password again:", hidden=True) or ""
        if password != again:
            raise AdvisorError([Problem("password", "the two passwords typed differ; nothing was changed")])
        where = "password"
    else:
        raise AdvisorError(
            [
                Problem(
                    "--password-file",
                    "no terminal to type the password at: give a file holding it, --password-file FILE",
                )
            ]
        )
    if len(password) < MIN_PASSWORD:
        raise AdvisorError(
            [
                Problem(
                    where,
                    f"the password has {len(password)} characters; at least {MIN_PASSWORD} are needed "
                    "(a few words are easy to type and slow to guess)",
                )
            ]
        )
    return password


@users_app.command("list")
@handled
def users_list(
    db: DbOption = None,
    format: Annotated[str, format_option("text", "json", help="text or json.")] = "text",
) -> None:
    """List the studio's accounts.

    Example: advisor users list
    """
    with Store(db, create=False) as store:
        names = store.users()
    if format == "json":
        print_json(names)
    elif not names:
        typer.echo("No studio accounts yet. Add one with: advisor users add NAME")
    else:
        for account in names:
            say(account)


@users_app.command("remove")
@handled
def users_remove(
    name: Annotated[str, typer.Argument(metavar="NAME", help="The account's name.")],
    db: DbOption = None,
    fitter: FitterOption = None,
) -> None:
    """Remove a studio account: its fitter can no longer sign in.

    Example: advisor users remove "Ana Lind"
    """
    with Store(db, create=False) as store:
        store.remove_user(name, actor=actor(fitter))
    say(f"Removed the studio account {visible(name)}")
