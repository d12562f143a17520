"""`advisor serve`: the fitter's studio in a browser, served by this computer.

Health data never crosses the studio's network in clear text: beyond this computer (any
address but 127.0.0.0/8, ::1 and localhost) the studio serves HTTPS, with the fitter's
certificate (--cert and --key) or its own (made on first start; --self-signed asks for it on
this computer too), or sits behind a TLS proxy on this computer (--behind-proxy). Plain HTTP
beyond this computer only with --insecure-http, and a warning.
"""

from __future__ import annotations

import os
import socket
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from advisor.cli.common import AdvisorError, DbOption, app, handled, say
from advisor.core.datafiles.yamlio import read_text
from advisor.core.errors import Problem, missing_extra
from advisor.records.location import locate
from advisor.records.paths import data_dir
from advisor.records.store import Store

if TYPE_CHECKING:
    from advisor.web.tls import Certificate

ENV_PASSWORD = "ADVISOR_PASSWORD"
TLS_FOLDER = "tls"  # in the user data folder: the studio's own certificate and its key
NEEDS_PASSWORD = f"so a password is needed: set {ENV_PASSWORD} or give --password-file FILE"


@app.command()
@handled
def serve(
    host: Annotated[
        str,
        typer.Option(
            "--host",
            metavar="HOST",
            help="Address to listen on. Beyond this computer (not 127.x, ::1 or localhost) it needs a password "
            "and serves HTTPS.",
        ),
    ] = ("127.0.0.1"),
    port: Annotated[int, typer.Option("--port", min=1, max=65535, metavar="PORT", help="Port to listen on.")] = 8000,
    db: DbOption = None,
    password_file: Annotated[
        str | None,
        typer.Option(
            "--password-file",
            metavar="FILE",
            help=f"A file holding the studio's password, 12 characters or more (or set {ENV_PASSWORD}).",
        ),
    ] = None,
    cert: Annotated[
        str | None,
        typer.Option("--cert", metavar="FILE", help="Serve HTTPS with this certificate (PEM; the chain may follow)."),
    ] = None,
    key: Annotated[
        str | None,
        typer.Option("--key", metavar="FILE", help="The private key of --cert's certificate (PEM, no passphrase)."),
    ] = None,
    self_signed: Annotated[
        bool,
        typer.Option(
            "--self-signed",
            help="Serve HTTPS with the studio's own certificate, made on first start and kept in the user data "
            "folder (the default beyond this computer).",
        ),
    ] = False,
    behind_proxy: Annotated[
        bool,
        typer.Option(
            "--behind-proxy",
            help="A TLS proxy on this computer serves the studio: cookies are sent over HTTPS only, and the "
            "proxy's X-Forwarded-For/-Proto are believed from this computer only. Needs a password.",
        ),
    ] = False,
    insecure_http: Annotated[
        bool,
        typer.Option(
            "--insecure-http",
            help="Serve plain HTTP beyond this computer: passwords and health records readable on the network.",
        ),
    ] = False,
) -> None:
    """Serve the studio: clients, consultations with live advice, reports. Ctrl-C stops it.

    For the tablet, on the studio's network and over HTTPS with the studio's own certificate:
    ADVISOR_PASSWORD='three words here' advisor serve --host 0.0.0.0

    Example: advisor serve --help
    """
    try:
        from advisor.web import app as studio_app, security, tls  # noqa: PLC0415  lazy: the studio extra, only to serve
    except ImportError as err:
        raise missing_extra("studio", err, "advisor serve") from None

    local = security.is_loopback(host)
    problems: list[Problem] = []
    password = _password(password_file, security.MIN_PASSWORD, problems)
    missing = password is None and password_file is None  # (a file's own problem is said already)
    if missing and not local:
        problems.append(
            Problem("--host", f"serving on {host} lets other computers reach the records, {NEEDS_PASSWORD}")
        )
    elif missing and behind_proxy:
        problems.append(
            Problem("--behind-proxy", f"the proxy lets other computers reach the records, {NEEDS_PASSWORD}")
        )
    given = None
    if _one_way(host, local, cert, key, self_signed, behind_proxy, insecure_http, problems) and cert and key:
        given, wrong = tls.check_given(cert, key)
        problems += wrong
    if problems:
        raise AdvisorError(problems)

    own = self_signed or not (local or given or behind_proxy or insecure_http)
    https = bool(given or own or behind_proxy)
    # Opens the records first: a wrong --db stops here, with exit code 2. HSTS only with the
    # fitter's certificate: were a browser told to keep to HTTPS with the studio's own, a new
    # one (made for a new address, or near the old one's end) would lock the tablet out, with
    # no way past the warning, until the new one is trusted on it.
    studio = studio_app.create_app(db, password, https=https, hsts=given is not None)
    certificate = tls.own_certificate(data_dir() / TLS_FOLDER, host) if own else given
    _check_free(host, port)  # before the address is printed: it would be another program's
    shown = f"[{host}]" if ":" in host else host
    typer.echo(f"The studio is at {'https' if certificate else 'http'}://{shown}:{port}/  (Ctrl-C stops it)")
    say(f"Records: {locate(db).shown}")  # a database URL's password is shown as ***
    if certificate is not None:
        _tell(certificate, own)
        if host in tls.WILDCARDS:  # 0.0.0.0 is no address to type: the certificate's are
            names = [n for n in certificate.names if not security.is_loopback(n)]
            say("  on the tablet: " + ", ".join(f"https://{f'[{n}]' if ':' in n else n}:{port}/" for n in names))
    if behind_proxy:
        say("Behind a TLS proxy: its X-Forwarded-For and X-Forwarded-Proto are believed from this computer only.")
    if insecure_http and not local:
        say(
            f"warning: plain HTTP on {host}: the password and the clients' health records cross the network "
            "readable by anyone on it. Leave out --insecure-http to serve HTTPS.",
            err=True,
        )
    with Store(db) as store:
        accounts = store.users()
    if accounts:
        plural = "s" if len(accounts) != 1 else ""
        say(f"Sign-in: each fitter with their account ({len(accounts)} account{plural}; advisor users list)")
    elif password is not None:
        say("Sign-in: the studio's shared password")
    cert_file, key_file = (certificate.cert, certificate.key) if certificate else (None, None)
    studio_app.run(studio, host, port, certfile=cert_file, keyfile=key_file, behind_proxy=behind_proxy)


def _one_way(
    host: str,
    local: bool,
    cert: str | None,
    key: str | None,
    self_signed: bool,
    behind_proxy: bool,
    insecure_http: bool,
    problems: list[Problem],
) -> bool:
    """Whether the options choose one way to serve; what is wrong with them goes to ``problems``."""
    found = len(problems)
    if (cert is None) != (key is None):
        missing, present = ("--key", "--cert") if key is None else ("--cert", "--key")
        problems.append(Problem(missing, f"{present} is given without it: give both --cert FILE and --key FILE"))
    ways = [name for name, on in (("--cert", cert or key), ("--self-signed", self_signed),
                                  ("--behind-proxy", behind_proxy)) if on]  # fmt: skip
    if len(ways) > 1:
        problems.append(Problem(ways[1], f"{' and '.join(ways)} are different ways to serve HTTPS: choose one"))
    if insecure_http and (cert or key or self_signed):
        problems.append(Problem("--insecure-http", f"asks for plain HTTP, and {ways[0]} for HTTPS: choose one"))
    if behind_proxy and not local and not insecure_http:
        problems.append(
            Problem(
                "--behind-proxy",
                f"serving on {host} lets the network reach the studio in plain HTTP, around the proxy: listen on "
                "this computer (--host 127.0.0.1) where the proxy reaches it, or add --insecure-http",
            )
        )
    return len(problems) == found


def _tell(certificate: Certificate, own: bool) -> None:
    """Which certificate is served, and its fingerprint to compare with what the tablet shows."""
    names = ", ".join(certificate.names)
    if own:
        news = {
            "made": "made now",
            "kept": "kept from an earlier start",
            "renewed": "made again (trust it again on the tablet)",
        }
        say(f"HTTPS: the studio's own certificate, {news[certificate.news]}: {certificate.cert}")
    else:
        say(f"HTTPS: the certificate in {certificate.cert}")
    say(f"  valid for {names or 'the names in the certificate'}, until {certificate.not_after:%Y-%m-%d}")
    say(f"  SHA-256 fingerprint: {certificate.fingerprint}")


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


def _password(password_file: str | None, shortest: int, problems: list[Problem]) -> str | None:
    """The studio's password, from --password-file or the environment; what is wrong with it
    (unreadable, empty, shorter than ``shortest``) goes to ``problems``, naming where it came from."""
    if password_file is not None:
        source = password_file
        try:
            text = read_text(str(Path(password_file).expanduser()), limit=10_000).strip()
        except AdvisorError as err:
            problems += err.problems
            return None
        if not text:
            problems.append(Problem(password_file, "is empty; put the studio's password in it"))
            return None
    else:
        source = ENV_PASSWORD
        text = os.environ.get(ENV_PASSWORD, "").strip()
        if not text:
            return None  # spaces are no password
    if len(text) < shortest:
        problems.append(
            Problem(
                source,
                f"the studio's password is {len(text)} characters long; it needs at least {shortest} "
                "(a few words make one that is easy to type and slow to guess)",
            )
        )
    return text
