"""The command line: one short function per command; the work happens elsewhere."""

from __future__ import annotations

import functools
import json
import sys
from collections.abc import Callable
from enum import Enum
from typing import Annotated, Any, TypeVar

import typer

from advisor import __version__
from advisor.errors import EXIT_BAD_INPUT, EXIT_INTERNAL, AdvisorError, Problem

F = TypeVar("F", bound=Callable[..., Any])


def handled(func: F) -> F:
    """Turn every error into one stderr line per problem and an exit code, in one place."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except AdvisorError as err:
            if _state["debug"]:
                raise
            for problem in err.problems:
                typer.echo(f"error: {problem}", err=True)
            raise typer.Exit(err.exit_code) from None
        except (typer.Exit, typer.Abort):
            raise
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


def _is_cli_exception(ex: Exception) -> bool:
    """Usage errors raised by the CLI framework itself, which it reports on its own."""
    return type(ex).__module__.split(".")[0] in ("click", "typer")


app = typer.Typer(
    name="advisor",
    help="Bike-fit and exercise advice for cyclists with back pain, with a graded physical-therapist referral.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
    rich_markup_mode=None,
)
questionnaires_app = typer.Typer(help="Browse the questionnaires.", no_args_is_help=True)
rules_app = typer.Typer(help="Browse and check the rules of the knowledge base.", no_args_is_help=True)
exercises_app = typer.Typer(help="Browse the exercise catalog.", no_args_is_help=True)
app.add_typer(questionnaires_app, name="questionnaires")
app.add_typer(rules_app, name="rules")
app.add_typer(exercises_app, name="exercises")

_state = {"debug": False}


class OutputFormat(str, Enum):
    text = "text"
    json = "json"


class Paper(str, Enum):
    a4 = "a4"
    letter = "letter"


REPORT_HELP = "Also write a report: .pdf, .html, .md or .json, by the file's extension."


def _console(stderr: bool = False) -> Any:
    from rich.console import Console

    # rich honours NO_COLOR itself; keep lines readable on an 80-column terminal.
    return Console(stderr=stderr, highlight=False, markup=False, soft_wrap=False)


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


@app.command()
@handled
def assess(
    file: Annotated[str, typer.Argument(help="Answer file (YAML or JSON); - reads standard input.")],
    format: Annotated[
        OutputFormat, typer.Option("--format", "-f", help="text for people, json for scripts.")
    ] = OutputFormat.text,
    explain: Annotated[bool, typer.Option("--explain", help="Add the rule trace: rule, source, answers used.")] = False,
    report: Annotated[str | None, typer.Option("--report", help=REPORT_HELP)] = None,
    paper: Annotated[Paper, typer.Option("--paper", help="Paper size of a PDF or printed HTML report.")] = Paper.a4,
) -> None:
    """Assess an answer file: referral, fit adjustments, exercises and what was not assessed.

    Example: advisor assess examples/routine-tight-hamstrings.yaml --explain
    """
    from advisor import answers as answers_mod
    from advisor import report as report_mod
    from advisor.advise import assess as run_assessment

    if report:
        report_mod.check_path(report)
    result = run_assessment(answers_mod.load(file))
    if format is OutputFormat.json:
        data = result.to_json_dict()
        sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2) + "\n")
    else:
        from advisor.render import terminal

        terminal.render(result, _console(), explain=explain)
    if report:
        written = report_mod.write(result, report, paper.value)
        typer.echo(f"Report written to {written}", err=format is OutputFormat.json)


@app.command()
@handled
def ask(
    questionnaire: Annotated[
        str | None, typer.Option("--questionnaire", "-q", help="rider (default) or fitter.")
    ] = None,
    client: Annotated[str | None, typer.Option("--client", help="The client's name, for the record.")] = None,
    out: Annotated[
        str | None, typer.Option("--out", "-o", help="Where to save the answers (default: answers-DATE.yaml).")
    ] = None,
    report: Annotated[
        str | None, typer.Option("--report", help="Also write a report; the format follows the extension.")
    ] = None,
    paper: Annotated[Paper, typer.Option("--paper", help="Paper size of a PDF or printed HTML report.")] = Paper.a4,
    resume: Annotated[
        bool, typer.Option("--resume", help="Continue the questionnaire saved when you stopped.")
    ] = False,
) -> None:
    """Answer the questionnaire in the terminal, then see the advice.

    Every answer is saved as you go; Ctrl-C stops and 'advisor ask --resume' continues.

    Example: advisor ask --questionnaire fitter --client "Zoë Ødegård" --out zoe.yaml
    """
    from advisor import ask as ask_mod

    console = _console()

    def read(prompt: str) -> str:
        from rich.text import Text

        return str(console.input(Text(prompt)))

    try:
        code = ask_mod.run(
            console,
            read,
            questionnaire=questionnaire,
            client=client,
            out=out,
            report=report,
            paper=paper.value,
            resume=resume,
        )
    except ask_mod.Interrupted:
        raise typer.Exit(ask_mod.EXIT_INTERRUPTED) from None
    raise typer.Exit(code)


DB_HELP = "The consultation database (default: the user data folder, or ADVISOR_DB)."


@app.command()
@handled
def consult(
    client: Annotated[str | None, typer.Option("--client", help="The client's name.")] = None,
    answers: Annotated[
        str | None, typer.Option("--answers", help="Record this answer file instead of asking the questions.")
    ] = None,
    report: Annotated[str | None, typer.Option("--report", help=REPORT_HELP)] = None,
    paper: Annotated[Paper, typer.Option("--paper", help="Paper size of a PDF or printed HTML report.")] = Paper.a4,
    db: Annotated[str | None, typer.Option("--db", help=DB_HELP)] = None,
    decline: Annotated[
        list[str] | None, typer.Option("--decline", help="A recommendation id the client declines (repeatable).")
    ] = None,
    note: Annotated[
        list[str] | None, typer.Option("--note", help="Why, for the --decline before it (repeatable).")
    ] = None,
    accept_all: Annotated[
        bool, typer.Option("--accept-all", help="Record every recommendation as agreed (except any --decline).")
    ] = False,
    resume: Annotated[bool, typer.Option("--resume", help="Continue the consultation saved when you stopped.")] = False,
) -> None:
    """Record a consultation: the fitter questionnaire (last visit's answers as defaults), the
    advice, what the client agrees to, and the report.

    Example: advisor consult --client "Zoë Ødegård" --report zoe.pdf
    Example: advisor consult --client "Zoë Ødegård" --answers zoe.yaml --decline strap-stretch --note "hip pain"
    """
    from advisor import consult as consult_mod

    console = _console()

    def read(prompt: str) -> str:
        from rich.text import Text

        return str(console.input(Text(prompt)))

    # Decisions are asked at the end of an interactive consultation, or after --answers when a
    # person is at the terminal; --decline, --accept-all or piped input record them as given.
    interactive = not accept_all and (answers is None or sys.stdin.isatty())
    try:
        code = consult_mod.run(
            console,
            read,
            client=client,
            answers_file=answers,
            report=report,
            paper=paper.value,
            db=db,
            declines=decline or [],
            notes=note or [],
            resume=resume,
            interactive_decisions=interactive,
        )
    except consult_mod.Interrupted:
        raise typer.Exit(130) from None
    raise typer.Exit(code)


@app.command()
@handled
def clients(
    db: Annotated[str | None, typer.Option("--db", help=DB_HELP)] = None,
    format: Annotated[OutputFormat, typer.Option("--format", "-f", help="text or json.")] = OutputFormat.text,
) -> None:
    """List the clients with their number of visits, last visit date and urgency.

    Example: advisor clients
    """
    from advisor.store import Store

    with Store(db) as store:
        rows = store.clients()
    if format is OutputFormat.json:
        data = [
            {
                "name": r.name,
                "visits": r.visits,
                "last_visit": r.last_date.isoformat() if r.last_date else None,
                "urgency": r.last_urgency,
            }
            for r in rows
        ]
        sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2) + "\n")
        return
    if not rows:
        typer.echo("No clients yet. Record one with: advisor consult --client NAME")
        return
    width = max(len(r.name) for r in rows) + 2
    typer.echo(f"{'Client':{width}} {'Visits':>6}  {'Last visit':10}  Urgency")
    for r in rows:
        last = r.last_date.isoformat() if r.last_date else "-"
        typer.echo(f"{r.name:{width}} {r.visits:>6}  {last:10}  {r.last_urgency or '-'}")


@app.command()
@handled
def history(
    name: Annotated[str, typer.Argument(help="The client's name.")],
    db: Annotated[str | None, typer.Option("--db", help=DB_HELP)] = None,
    format: Annotated[OutputFormat, typer.Option("--format", "-f", help="text or json.")] = OutputFormat.text,
) -> None:
    """A client's consultations: date, urgency, key measures and what changed since the visit before.

    Example: advisor history "Zoë Ødegård" --format json
    """
    from advisor import history as history_mod
    from advisor.store import Store

    with Store(db) as store:
        stored = store.client_name(name)
        if stored is None:
            raise AdvisorError([Problem(store.name, f"has no client named '{name}'; see 'advisor clients'")])
        visits = store.history(stored)
    if format is OutputFormat.json:
        sys.stdout.write(json.dumps(history_mod.to_json(visits), ensure_ascii=False, indent=2) + "\n")
    else:
        for line in history_mod.to_lines(stored, visits):
            typer.echo(line)


@app.command("report")
@handled
def report_command(
    consultation: Annotated[int, typer.Option("--consultation", help="The consultation id (see 'advisor history').")],
    out: Annotated[str, typer.Option("--out", "-o", help=REPORT_HELP)],
    db: Annotated[str | None, typer.Option("--db", help=DB_HELP)] = None,
    paper: Annotated[Paper, typer.Option("--paper", help="Paper size of a PDF or printed HTML report.")] = Paper.a4,
) -> None:
    """Write the report of a stored consultation again.

    Example: advisor report --consultation 12 --out zoe-2026-11-24.pdf
    """
    from advisor import consult as consult_mod
    from advisor.store import Store

    with Store(db) as store:
        written = consult_mod.write_report(store, store.consultation(consultation), out, paper.value)
    typer.echo(f"Report written to {written}")


@app.command("export")
@handled
def export_command(
    name: Annotated[str, typer.Argument(help="The client's name.")],
    out: Annotated[str, typer.Option("--out", "-o", help="The JSON file to write.")],
    db: Annotated[str | None, typer.Option("--db", help=DB_HELP)] = None,
) -> None:
    """Write every consultation of a client to one JSON file, to move them to another studio.

    Example: advisor export "Zoë Ødegård" --out zoe.json
    """
    from advisor import transfer
    from advisor.store import Store

    with Store(db) as store:
        written, count = transfer.export_client(store, name, out)
    typer.echo(f"Exported {count} consultation{'s' if count != 1 else ''} to {written}")


@app.command("import")
@handled
def import_command(
    file: Annotated[str, typer.Argument(help="A file written by 'advisor export'.")],
    db: Annotated[str | None, typer.Option("--db", help=DB_HELP)] = None,
) -> None:
    """Add a client's consultations from an export file; visits already stored are skipped.

    Example: advisor import zoe.json
    """
    from advisor import transfer
    from advisor.store import Store

    with Store(db) as store:
        client, added, skipped = transfer.import_client(store, file)
    extra = f" ({skipped} already there)" if skipped else ""
    typer.echo(f"Imported {added} consultation{'s' if added != 1 else ''} for {client}{extra}")


config_app = typer.Typer(help="Settings such as the studio's name on reports.", no_args_is_help=True)
app.add_typer(config_app, name="config")


@config_app.command("set")
@handled
def config_set(
    key: Annotated[str, typer.Argument(help="studio.name or studio.contact")],
    value: Annotated[str, typer.Argument(help="The value; an empty string removes it.")],
) -> None:
    """Set a setting, kept in your user config folder.

    Example: advisor config set studio.name "Velo Physio Studio"
    """
    from advisor import config

    saved = config.set_value(key, value)
    typer.echo(f"{key} saved in {saved}")


@config_app.command("get")
@handled
def config_get(key: Annotated[str, typer.Argument(help="studio.name or studio.contact")]) -> None:
    """Print one setting (nothing if it is not set).

    Example: advisor config get studio.name
    """
    from advisor import config

    value = config.get(key)
    if value is not None:
        typer.echo(value)


@config_app.command("list")
@handled
def config_list() -> None:
    """List every setting with its value and what it is for.

    Example: advisor config list
    """
    from advisor import config

    values = config.load()
    for key, meaning in config.KEYS.items():
        typer.echo(f"{key} = {values.get(key, '')}    # {meaning}")
    typer.echo(f"(stored in {config.path()})")


@questionnaires_app.command("list")
@handled
def questionnaires_list() -> None:
    """List the questionnaires.

    Example: advisor questionnaires list
    """
    from advisor import questionnaire as qmod

    for qid in qmod.available():
        form = qmod.load(qid)
        typer.echo(f"{form.id:8} {len(form.questions):3} questions  {form.title}")


@questionnaires_app.command("show")
@handled
def questionnaires_show(
    qid: Annotated[str, typer.Argument(metavar="ID", help="rider or fitter")],
) -> None:
    """Show every question of a questionnaire with its type, range and when it is asked.

    Example: advisor questionnaires show fitter
    """
    from advisor import questionnaire as qmod
    from advisor.render import browse

    browse.questionnaire(qmod.load(qid), _console())


@rules_app.command("list")
@handled
def rules_list() -> None:
    """List every rule: id, stage, what it does.

    Example: advisor rules list
    """
    from advisor import knowledge
    from advisor.render import browse

    browse.rule_list(knowledge.load(), _console())


@rules_app.command("show")
@handled
def rules_show(rule_id: Annotated[str, typer.Argument(metavar="ID")]) -> None:
    """Show one rule: description, conditions, effect and sources.

    Example: advisor rules show fnd-hamstrings-pslr
    """
    from advisor import knowledge
    from advisor.render import browse

    kb = knowledge.load()
    browse.rule(kb, _lookup(kb.rules, rule_id, "rule"), _console())


@rules_app.command("check")
@handled
def rules_check(
    rules_dir: Annotated[
        str | None,
        typer.Option("--rules-dir", help="Check this rules folder instead of the bundled one."),
    ] = None,
) -> None:
    """Lint the knowledge base; exit 1 with file:line problems if any.

    Checks answer ids, choice values and thresholds against the questionnaires, catalog
    and source ids, duplicate ids, and that some answer set can trigger every rule.

    Example: advisor rules check
    """
    from pathlib import Path

    from advisor import knowledge, lint, resources

    root = Path(rules_dir) if rules_dir else resources.rules_dir()
    if not root.is_dir():
        raise AdvisorError([Problem(str(root), "is not a folder of rule files")])
    kb = knowledge.load_dir(root)
    problems = lint.check(kb)
    for p in problems:
        typer.echo(str(p))
    if problems:
        typer.echo(f"{len(problems)} problem(s) found.", err=True)
        raise typer.Exit(1)
    typer.echo(
        f"OK: {len(kb.rules)} rules, {len(kb.findings)} findings, {len(kb.adjustments)} adjustments, "
        f"{len(kb.exercises)} exercises checked."
    )


@exercises_app.command("list")
@handled
def exercises_list() -> None:
    """List the exercise catalog.

    Example: advisor exercises list
    """
    from advisor import knowledge

    for ex in sorted(knowledge.load().exercises.values(), key=lambda e: (e.priority, e.id)):
        typer.echo(f"{ex.id:26} {ex.level:9} {ex.name}")


@exercises_app.command("show")
@handled
def exercises_show(exercise_id: Annotated[str, typer.Argument(metavar="ID")]) -> None:
    """Show one exercise: steps, dose, progression, regression, equipment, cautions, sources.

    Example: advisor exercises show deadbug
    """
    from advisor import knowledge
    from advisor.render import browse

    kb = knowledge.load()
    browse.exercise(kb, _lookup(kb.exercises, exercise_id, "exercise"), _console())


def _lookup(items: dict[str, Any], key: str, kind: str) -> Any:
    from advisor.errors import did_you_mean

    if key not in items:
        raise AdvisorError(
            [
                Problem(
                    kind,
                    f"unknown {kind} id '{key}'{did_you_mean(key, items)}; see 'advisor {kind}s list'",
                )
            ]
        )
    return items[key]


def main() -> None:
    """Console-script entry point."""
    app(prog_name="advisor")


__all__ = ["EXIT_BAD_INPUT", "app", "main"]
