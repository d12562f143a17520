"""What every command shares: the app, error handling in one place, the console, options."""

from __future__ import annotations

import datetime as dt
import functools
import gc
import json
import os
import shutil
import sys
from collections.abc import Callable
from enum import Enum
from typing import Annotated, Any, TypeVar

import typer

from advisor import __version__
from advisor.core.errors import EXIT_INTERNAL, AdvisorError, Problem
from advisor.core.text import visible

F = TypeVar("F", bound=Callable[..., Any])


def handled(func: F) -> F:
    """Turn every error into one stderr line per problem and an exit code, in one place."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        # What start-up made lives as long as the process: leave it out of every collection
        # (advisor/cli/__init__.py turned the collector off while it was made).
        gc.freeze()
        gc.enable()
        try:
            return func(*args, **kwargs)
        except AdvisorError as err:
            if _state["debug"]:
                raise
            for problem in err.problems:
                say(f"error: {problem}", err=True)
            raise typer.Exit(err.exit_code) from None
        except (typer.Exit, typer.Abort):
            raise
        except BrokenPipeError:
            # The reader went away (e.g. piped into head): stop quietly, as other tools do.
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            raise typer.Exit(0) from None
        except KeyboardInterrupt:
            typer.echo("\nInterrupted.", err=True)
            raise typer.Exit(130) from None
        except Exception as ex:
            if _state["debug"] or _is_cli_exception(ex):
                raise
            typer.echo(
                f"advisor: internal error: {type(ex).__name__}: {ex} (run again with --debug for details)",
                err=True,
            )
            raise typer.Exit(EXIT_INTERNAL) from None

    return wrapper  # type: ignore[return-value]


def say(text: str, err: bool = False) -> None:
    """Print one line that may hold text a person typed: control characters are shown, never
    sent to the terminal (an escape sequence in a client's name must not clear the screen or
    write the clipboard)."""
    typer.echo(visible(text), err=err)


def _is_cli_exception(ex: Exception) -> bool:
    """Usage errors raised by the CLI framework itself, which it reports on its own."""
    return type(ex).__module__.split(".")[0] in ("click", "typer")


app = typer.Typer(
    name="advisor",
    help="Bike-fit and exercise advice for cyclists with back pain, with a graded physical-therapist referral.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=True,  # --install-completion for bash, zsh, fish and PowerShell
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},  # every command, as users expect
)


class ArgsInOrder(typer.core.TyperCommand):
    """A command that keeps its arguments as typed (ctx.meta["args"]): click gathers each
    repeated option into its own list, and a --note belongs to the --decline just before it."""

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        ctx.meta["args"] = list(args)
        return super().parse_args(ctx, args)


def paired(args: list[str], option: str, attached: str) -> list[tuple[str, str]]:
    """Each ``option`` value with the ``attached`` value given after it (before the next
    ``option``), as typed: ``--decline a --decline b --note why`` gives [(a, ""), (b, why)]."""
    pairs: list[tuple[str, str]] = []
    tokens = iter(args)
    for token in tokens:
        name, eq, value = token.partition("=")
        if name not in (option, attached):
            continue
        if not eq:
            value = next(tokens, "")
        if name == option:
            pairs.append((value, ""))
        elif not pairs or pairs[-1][1]:
            problem = f"'{value}' follows no {option}; give each {attached} after its {option}"
            raise AdvisorError([Problem(attached, problem)])
        else:
            pairs[-1] = (pairs[-1][0], value)
    return pairs


_state = {"debug": False}


def format_option(*allowed: str, help: str) -> Any:
    """The --format (-f) option of a command that prints ``allowed`` (text, json, fhir: a FHIR
    R4 resource as JSON). "--format pdf" is a natural guess: it says where a PDF comes from."""

    def chosen_format(value: str) -> str:
        chosen = value.strip().lower()
        if chosen in allowed:
            return chosen
        if chosen.lstrip(".") in ("pdf", "html", "md", "markdown"):
            raise typer.BadParameter(
                f"'{value}' is a report format; write one with --report report.{chosen.lstrip('.')}"
            )
        raise typer.BadParameter(f"'{value}' is not a format here; allowed: {', '.join(allowed)}")

    return typer.Option("--format", "-f", metavar="|".join(allowed), callback=chosen_format, help=help)


def print_json(data: Any) -> None:
    """JSON for scripts on standard output, as every --format json (or fhir) prints it."""
    sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2) + "\n")


class Paper(str, Enum):
    a4 = "a4"
    letter = "letter"


# Where US Letter is the usual paper; everywhere else A4 (ISO 216).
LETTER_TERRITORIES = {"US", "CA", "MX", "PH", "CL", "CO", "VE", "CR", "GT", "PA", "DO", "PR", "SV", "NI", "HN", "BO"}
PAPER_HELP = "Paper size of a PDF or printed HTML report (default: from the locale, A4 or US Letter)."


def paper_size(chosen: Paper | None) -> str:
    """--paper, else the paper of the locale (LC_ALL, LC_PAPER, LANG: en_US.UTF-8 means Letter)."""
    if chosen is not None:
        return chosen.value
    for name in ("LC_ALL", "LC_PAPER", "LANG"):
        value = os.environ.get(name, "")
        if value and value not in ("C", "POSIX") and not value.startswith("C."):
            territory = value.split(".")[0].partition("_")[2].upper()
            return "letter" if territory in LETTER_TERRITORIES else "a4"
    return "a4"


REPORT_HELP = "Also write a report: .pdf, .html, .md or .json, by the file's extension."


def page(text: str, use_pager: bool) -> None:
    """Print the text, through a pager ($PAGER, else less) when it is longer than the terminal
    it is going to, as git does; never when the output goes to a file or a pipe."""
    if use_pager and sys.stdout.isatty() and text.count("\n") >= shutil.get_terminal_size().lines:
        import pydoc  # noqa: PLC0415  lazy: only a long result on a terminal is paged

        os.environ.setdefault("LESS", "FRX")  # keep colours, quit at once if it fits, leave it on screen
        pydoc.pager(text)
        return
    sys.stdout.write(text)
    sys.stdout.flush()


PAGER_HELP = "Do not page long output on a terminal."


def _version(value: bool) -> None:
    if value:
        typer.echo(f"advisor {__version__}")
        raise typer.Exit()


@app.callback()
def main_options(
    debug: Annotated[bool, typer.Option("--debug", help="Show a traceback on errors.")] = False,
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Show the version.")
    ] = False,
) -> None:
    _state["debug"] = debug


DB_HELP = (
    "The consultation database: a SQLite file or a postgresql://USER@HOST/DATABASE URL "
    "(default: ADVISOR_DB, else a file in the user data folder)."
)
# The --db option of every command that reads or writes the records.
DbOption = Annotated[str | None, typer.Option("--db", metavar="PATH|URL", help=DB_HELP)]


def at_terminal() -> bool:
    """Whether a person can be asked at a terminal (standard input is one): questions that
    must never be answered by a script, such as a client's consent or a confirmation."""
    return sys.stdin.isatty()


# --fitter of every command that writes the records or reads them out: the audit trail's actor.
FitterOption = Annotated[
    str | None,
    typer.Option(
        "--fitter",
        metavar="NAME",
        help="Who is doing this, for the records' audit trail (default: ADVISOR_FITTER, else your login name).",
    ),
]
# --born of every command that names a client: tells apart clients who share a name.
BornOption = Annotated[
    str | None,
    typer.Option(
        "--born",
        metavar="YYYY-MM-DD",
        help="The client's date of birth, to tell apart clients who share a name.",
    ),
]
# The oldest date of birth taken as typed: anything earlier is a typing mistake.
FIRST_BORN_YEAR = 1900


def born_date(text: str | None) -> dt.date | None:
    """--born, checked: a real date, not in the future."""
    if text is None:
        return None
    try:
        day = dt.date.fromisoformat(text.strip())
    except ValueError:
        raise AdvisorError([Problem("--born", f"'{text}' is not a date; use the form YYYY-MM-DD")]) from None
    if day.year < FIRST_BORN_YEAR or day > dt.date.today():
        raise AdvisorError(
            [Problem("--born", f"'{text}' is not a plausible date of birth (from {FIRST_BORN_YEAR} to today)")]
        )
    return day


def since_date(text: str | None, option: str) -> dt.date | None:
    """A date option such as --since: YYYY-MM-DD."""
    if text is None:
        return None
    try:
        return dt.date.fromisoformat(text.strip())
    except ValueError:
        raise AdvisorError([Problem(option, f"'{text}' is not a date; use the form YYYY-MM-DD")]) from None
