"""`advisor serve`: the fitter's studio in a browser, served by this computer."""

from __future__ import annotations

import os
import socket
from pathlib import Path
from typing import Annotated

import typer

from advisor.cli.common import AdvisorError, DbOption, app, handled, say
from advisor.core.errors import Problem
from advisor.core.yamlio import read_text
from advisor.records.location import locate

ENV_PASSWORD = "ADVISOR_PASSWORD"
HOST_HELP = "Address to listen on; anything but 127.0.0.1 needs a password."
PASSWORD_HELP = f"A file holding the studio's password (or set {ENV_PASSWORD})."


@app.command()
@handled
def serve(
    host: Annotated[
        str,
        typer.Option("--host", metavar="HOST", help="Address to listen on; anything but 127.0.0.1 needs a password."),
    ] = ("127.0.0.1"),
    port: Annotated[int, typer.Option("--port", min=1, max=65535, metavar="PORT", help="Port to listen on.")] = 8000,
    db: DbOption = None,
    password_file: Annotated[
        str | None,
        typer.Option(
            "--password-file", metavar="FILE", help=f"A file holding the studio's password (or set {ENV_PASSWORD})."
        ),
    ] = None,
) -> None:
    """Serve the studio: clients, consultations with live advice, reports. Ctrl-C stops it.

    Example: advisor serve --help
    """
    from advisor.web.security import is_loopback  # noqa: PLC0415  lazy: Starlette loads only to serve

    password = _password(password_file)
    if password is None and not is_loopback(host):
        raise AdvisorError(
            [
                Problem(
                    "--host",
                    f"serving on {host} lets other computers reach the records, so a password is needed: "
                    f"set {ENV_PASSWORD} or give --password-file FILE",
                )
            ]
        )
    from advisor.web.app import create_app, run  # noqa: PLC0415  lazy: the web server loads only to serve

    studio = create_app(db, password)  # opens the records first: a wrong --db stops here, with exit code 2
    _check_free(host, port)  # before the address is printed: it would be another program's
    shown = f"[{host}]" if ":" in host else host
    typer.echo(f"The studio is at http://{shown}:{port}/  (Ctrl-C stops it)")
    say(f"Records: {locate(db).shown}")  # a database URL's password is shown as ***
    run(studio, host, port)


def _check_free(host: str, port: int) -> None:
    """Refuse a port another program listens on, in words, with exit code 2."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as the server itself binds
        try:
            probe.bind((host, port))
        except OSError as err:
            other = port + 1 if port < 65535 else 8000
            problem = f"{port} on {host} cannot be used ({err.strerror or err}); give another, e.g. --port {other}"
            raise AdvisorError([Problem("--port", problem)]) from None


def _password(password_file: str | None) -> str | None:
    if password_file is not None:
        text = read_text(str(Path(password_file).expanduser()), limit=10_000).strip()
        if not text:
            raise AdvisorError([Problem(password_file, "is empty; put the studio's password in it")])
        return text
    return os.environ.get(ENV_PASSWORD, "").strip() or None  # spaces are no password
