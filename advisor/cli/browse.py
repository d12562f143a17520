"""Commands that browse and check the knowledge base, and the settings."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from advisor.cli.common import (
    AdvisorError,
    app,
    format_option,
    handled,
    print_json,
    say,
)
from advisor.cli.console import make_console
from advisor.core.datafiles import resources
from advisor.core.datafiles.files import check_target, write_atomic
from advisor.core.errors import Problem, did_you_mean
from advisor.core.rulebase import knowledge, lint, questionnaire as qmod
from advisor.exchange import fhir
from advisor.output import catalog
from advisor.output.diagram import to_svg
from advisor.output.pictures import exercise_picture
from advisor.records import config

questionnaires_app = typer.Typer(help="Browse the questionnaires.", no_args_is_help=True)
rules_app = typer.Typer(help="Browse and check the rules of the knowledge base.", no_args_is_help=True)
exercises_app = typer.Typer(help="Browse the exercise catalog.", no_args_is_help=True)
config_app = typer.Typer(help="Settings: the studio's name on reports, the fitter's name.", no_args_is_help=True)
app.add_typer(questionnaires_app, name="questionnaires")
app.add_typer(rules_app, name="rules")
app.add_typer(exercises_app, name="exercises")
app.add_typer(config_app, name="config")
KEY_HELP = f"The setting: {', '.join(config.KEYS)}."


@config_app.command("set")
@handled
def config_set(
    key: Annotated[str, typer.Argument(metavar="KEY", help=KEY_HELP)],
    value: Annotated[str, typer.Argument(metavar="VALUE", help="The value; an empty string removes it.")],
) -> None:
    """Set a setting, kept in your user config folder.

    Example: advisor config set studio.name "Velo Physio Studio"
    """

    saved = config.set_value(key, value)
    say(f"{key} saved in {saved}" if value.strip() else f"{key} removed from {saved}")


@config_app.command("get")
@handled
def config_get(key: Annotated[str, typer.Argument(metavar="KEY", help=KEY_HELP)]) -> None:
    """Print one setting (nothing if it is not set).

    Example: advisor config get studio.name
    """

    value = config.get(key)
    if value is not None:
        say(value)


# --format of the listings: text for people, json for scripts (every listing the same way).
ListFormat = Annotated[str, format_option("text", "json", help="text or json.")]


@config_app.command("list")
@handled
def config_list(format: ListFormat = "text") -> None:
    """List every setting with its value and what it is for.

    Example: advisor config list --format json
    """

    values = config.load()
    if format == "json":
        print_json([{"key": k, "value": values.get(k, ""), "meaning": m} for k, m in config.KEYS.items()])
        return
    for key, meaning in config.KEYS.items():
        say(f"{key} = {values.get(key, '')}    # {meaning}")
    typer.echo(f"(stored in {config.path()})", err=True)  # a note for the reader, not a row


@questionnaires_app.command("list")
@handled
def questionnaires_list(format: ListFormat = "text") -> None:
    """List the questionnaires.

    Example: advisor questionnaires list
    """

    if format == "json":
        forms = [qmod.load(qid) for qid in qmod.available()]
        print_json([{"id": f.id, "title": f.title, "questions": len(f.questions)} for f in forms])
        return
    for qid in qmod.available():
        form = qmod.load(qid)
        typer.echo(f"{form.id:8} {len(form.questions):3} questions  {form.title}")


@questionnaires_app.command("show")
@handled
def questionnaires_show(
    qid: Annotated[str, typer.Argument(metavar="ID", help="rider or fitter")],
    format: Annotated[
        str,
        format_option(
            "text", "fhir", help="text to read, or fhir: the questionnaire as a FHIR R4 Questionnaire (JSON)."
        ),
    ] = "text",
) -> None:
    """Show every question of a questionnaire with its type, range and when it is asked.

    Example: advisor questionnaires show fitter --format fhir
    """
    form = qmod.load(qid)
    if format == "fhir":
        print_json(fhir.questionnaire_resource(form))
        return
    catalog.questionnaire(form, make_console())


@rules_app.command("list")
@handled
def rules_list(format: ListFormat = "text") -> None:
    """List every rule: id, stage, what it does.

    Example: advisor rules list
    """
    if format == "json":
        kb = knowledge.load()
        print_json(
            [
                {
                    "id": r.id,
                    "stage": r.stage,
                    "action": r.action,
                    "target": r.target,
                    "source": list(r.source),
                    "expert_opinion": r.expert_opinion.strip() or None,
                }
                for r in kb.rules.values()
            ]
        )
        return

    catalog.rule_list(knowledge.load(), make_console())


@rules_app.command("show")
@handled
def rules_show(rule_id: Annotated[str, typer.Argument(metavar="ID")]) -> None:
    """Show one rule: description, conditions, effect and sources.

    Example: advisor rules show fnd-hamstrings-pslr
    """

    kb = knowledge.load()
    catalog.rule(kb, _lookup(kb.rules, rule_id, "rule"), make_console())


@rules_app.command("check")
@handled
def rules_check(
    rules_dir: Annotated[
        str | None,
        typer.Option("--rules-dir", metavar="DIR", help="Check this rules folder instead of the bundled one."),
    ] = None,
) -> None:
    """Lint the knowledge base; exit 1 with file:line problems if any.

    Checks answer ids, choice values and thresholds against the questionnaires, catalog
    and source ids, duplicate ids, and that some answer set can trigger every rule.

    Example: advisor rules check
    """

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
def exercises_list(format: ListFormat = "text") -> None:
    """List the exercise catalog.

    Example: advisor exercises list
    """

    if format == "json":
        exercises = sorted(knowledge.load().exercises.values(), key=lambda e: (e.priority, e.id))
        print_json([{"id": e.id, "level": e.level, "name": e.name, "target": e.target} for e in exercises])
        return
    for ex in sorted(knowledge.load().exercises.values(), key=lambda e: (e.priority, e.id)):
        typer.echo(f"{ex.id:26} {ex.level:9} {ex.name}")


@exercises_app.command("show")
@handled
def exercises_show(
    exercise_id: Annotated[str, typer.Argument(metavar="ID")],
    picture: Annotated[
        str | None,
        typer.Option("--picture", metavar="PATH", help="Also write the exercise's picture as an SVG file."),
    ] = None,
) -> None:
    """Show one exercise: steps, dose, progression, regression, equipment, cautions, sources.

    Example: advisor exercises show deadbug

    Example: advisor exercises show bird-dog --picture bird-dog.svg
    """
    kb = knowledge.load()
    exercise = _lookup(kb.exercises, exercise_id, "exercise")
    target = check_target(Path(picture), option="--picture", example="picture.svg") if picture else None
    catalog.exercise(kb, exercise, make_console())
    if target is not None:
        svg = to_svg(exercise_picture(exercise.picture), f"{exercise.name}: the key positions")
        write_atomic(target, svg, mode=0o644)  # a drawing from the catalog, not health data
        say(f"Picture written to {target}")


def _lookup(items: dict[str, Any], key: str, kind: str) -> Any:

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
