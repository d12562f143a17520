"""Answer files: reading them and checking every answer against its questionnaire."""

import datetime as dt
import math
from typing import Any

from pydantic import BaseModel, ConfigDict

from advisor.core.assessment import RESULT_FORMAT
from advisor.core.datafiles.yamlio import LineDict, parse, read_text
from advisor.core.engines import triage
from advisor.core.errors import AdvisorError, Problem, did_you_mean
from advisor.core.intake import fitrecord
from advisor.core.intake.fitrecord import FitRecord
from advisor.core.rulebase import followup, knowledge, questionnaire as qmod
from advisor.core.rulebase.questionnaire import Question, Questionnaire
from advisor.core.text import MAX_NAME, problem_with

TOP_LEVEL_KEYS = ("questionnaire", "client", "date", "answers", "fit")


class Answers(BaseModel):
    """A validated set of answers, ready for the engine."""

    model_config = ConfigDict(defer_build=True, frozen=True)

    questionnaire: str
    client: str | None = None
    date: dt.date
    values: dict[str, Any]
    # The bike's settings before and after, when a fitter measured them (an empty record made
    # without building its validator, which importing this module would otherwise do).
    fit: FitRecord = FitRecord.model_construct()
    source: str = "<answers>"


def check_value(q: Question, value: Any) -> tuple[Any, str | None]:
    """Return (normalised value, None) or (None, what is wrong)."""
    allowed = q.allowed()
    if q.type == "bool":
        if isinstance(value, bool):
            return value, None
        return None, f"{_shown(value)} is not a yes/no answer; allowed: {allowed}"
    if q.type in ("int", "number"):
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            return None, f"{_shown(value)} is not a number; allowed: {allowed}"
        if isinstance(value, float) and not math.isfinite(value):  # an int is finite, however long
            return None, f"{_shown(value)} is not a finite number; allowed: {allowed}"
        if q.type == "int":
            if isinstance(value, float) and not value.is_integer():
                return None, f"{_shown(value)} is not a whole number; allowed: {allowed}"
            value = int(value)
        assert q.min is not None and q.max is not None
        if not q.min <= value <= q.max:
            return None, f"{_shown(value)} is out of range; allowed: {allowed}"
        return value, None
    if q.type == "choice":
        if isinstance(value, str) and value in q.values:
            return value, None
        hint = did_you_mean(str(value), q.values) if isinstance(value, str) else ""
        return None, f"{_shown(value)} is not a valid choice{hint}; allowed: {allowed}"
    # multi
    if isinstance(value, str) and value in q.values:
        return None, f"{_shown(value)} must be given as a list, e.g. [{_shown(value)[1:-1]}]; allowed: {allowed}"
    if not isinstance(value, list):
        return None, f"{_shown(value)} is not a list; allowed: {allowed}"
    chosen: list[str] = []
    for item in value:
        if not isinstance(item, str) or item not in q.values:
            hint = did_you_mean(str(item), q.values) if isinstance(item, str) else ""
            return None, f"{_shown(item)} is not a valid choice{hint}; allowed: {allowed}"
        if item in chosen:
            return None, f"{_shown(item)} is listed twice; allowed: {allowed}"
        chosen.append(item)
    # Keep the questionnaire's order so equal answers always compare equal.
    return [v for v in q.values if v in chosen], None


def load(path: str, *, stdin_text: str | None = None, questionnaire: str | None = None) -> Answers:
    """Read and validate an answer file (``-`` for standard input)."""
    name = "<stdin>" if path == "-" else path
    raw = parse(read_text(path, stdin_text=stdin_text), name)
    return validate(raw, name, questionnaire=questionnaire)


def validate(raw: Any, name: str, *, questionnaire: str | None = None) -> Answers:
    """Check a parsed answer document; report every problem at once."""
    problems: list[Problem] = []

    def line(key: str, node: Any = raw) -> int | None:
        return node.line_of(key) if isinstance(node, LineDict) else None

    if isinstance(raw, dict) and raw.get("format") == RESULT_FORMAT:
        raw = _answers_of_result(raw)
    if not isinstance(raw, dict):
        kind = "empty" if raw is None else _kind(raw)
        raise AdvisorError(
            [
                Problem(
                    name,
                    f"is {kind}; an answer file is a mapping with 'answers:' "
                    "(and optionally questionnaire, client, date)",
                )
            ]
        )
    for key in raw:
        if key not in TOP_LEVEL_KEYS:
            problems.append(
                Problem(
                    name,
                    f"unknown key{did_you_mean(str(key), TOP_LEVEL_KEYS)}; allowed: {', '.join(TOP_LEVEL_KEYS)}",
                    line(key),
                    str(key),
                )
            )

    qid = questionnaire or raw.get("questionnaire", "rider")
    names = qmod.available()
    if not isinstance(qid, str) or qid not in names:
        problems.append(
            Problem(
                name,
                f"{_shown(qid)} is not a questionnaire{did_you_mean(str(qid), names)}; allowed: {', '.join(names)}",
                line("questionnaire"),
                "questionnaire",
            )
        )
        raise AdvisorError(problems)
    form = qmod.load(qid)

    client = raw.get("client")
    if client is not None:
        if not isinstance(client, (str, int)) or isinstance(client, bool):
            problems.append(
                Problem(
                    name,
                    f"{_shown(client)} is not a name; give the client's name as text",
                    line("client"),
                    "client",
                )
            )
            client = None
        else:
            client = str(client).strip() or None
            trouble = problem_with(client, "name", MAX_NAME) if client else None
            if trouble:
                problems.append(Problem(name, trouble, line("client"), "client"))
                client = None

    date = _date(raw.get("date"), name, line("date"), problems)

    answers_raw = raw.get("answers")
    if answers_raw is None:
        problems.append(Problem(name, "is missing; list the answers under 'answers:'", None, "answers"))
        answers_raw = LineDict()
    elif not isinstance(answers_raw, dict):
        problems.append(Problem(name, "must be a mapping of answer ids to values", line("answers"), "answers"))
        answers_raw = LineDict()
    values = _check_answers(answers_raw, form, name, problems)
    fit = fitrecord.check(raw.get("fit"), name, problems)

    missing = [q.id for q in form.questions if q.required and q.id not in values]
    already_reported = {p.field for p in problems}
    missing = [m for m in missing if f"answers.{m}" not in already_reported]
    if missing and not problems and _stopped_at_red_flag(values, missing):
        missing = []  # an interview stopped at an emergency or urgent answer; see triage.py
    if missing:
        problems.append(
            Problem(
                name,
                "the safety screen is incomplete; answer true or false for: " + ", ".join(missing),
                line("answers"),
                "answers",
            )
        )
    if problems:
        raise AdvisorError(problems)
    ordered = {qid_: values[qid_] for qid_ in form.ids() if qid_ in values}
    # Every field is checked above, with messages that name the file, the field and what is
    # allowed; validating again would only cost the validator's build.
    return Answers.model_construct(
        questionnaire=form.id, client=client, date=date, values=ordered, fit=fit, source=name
    )


def _answers_of_result(result: dict[str, Any]) -> dict[str, Any]:
    """A JSON result (``assess --format json``) read back as the answer file it came from: its
    questionnaire, client, date and answers, without the answers derived from an earlier
    visit (a result read on its own has no earlier visit)."""
    derived = {d.id for d in followup.derived_definitions()[1]}
    doc = {k: result[k] for k in ("questionnaire", "client", "date") if result.get(k) is not None}
    answers = result.get("answers")
    doc["answers"] = {k: v for k, v in answers.items() if k not in derived} if isinstance(answers, dict) else answers
    return doc


def _stopped_at_red_flag(values: dict[str, Any], missing: list[str]) -> bool:
    """True when the answers already settle an emergency or urgent referral that the
    unanswered safety questions could not raise."""
    return triage.stops_here(knowledge.load(), values, missing) is not None


def _kind(value: Any) -> str:
    if isinstance(value, list):
        return "a list"
    if isinstance(value, str):
        return "a single line of text"
    if isinstance(value, bool):
        return "a yes/no value"
    if isinstance(value, (int, float)):
        return "a number"
    return f"a {type(value).__name__}"


def checked_date(text: str, where: str, problems: list[Problem]) -> dt.date:
    """A date typed as an option: the same checks as an answer file's date."""
    return _date(text, where, None, problems)


# Dates outside these years are typing mistakes (and 9999 would overflow the re-assessment date).
FIRST_YEAR, LAST_YEAR = 2000, 2100


def _date(value: Any, name: str, line: int | None, problems: list[Problem]) -> dt.date:
    if value is None:
        return dt.date.today()
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        try:
            date = dt.date.fromisoformat(value.strip())
        except ValueError:
            pass
        else:
            if FIRST_YEAR <= date.year <= LAST_YEAR:
                return date
            message = f"{value!r} is not a plausible date; allowed: years {FIRST_YEAR}-{LAST_YEAR}"
            problems.append(Problem(name, message, line, "date"))
            return dt.date.today()
    problems.append(Problem(name, f"{_shown(value)} is not a date; use the form YYYY-MM-DD", line, "date"))
    return dt.date.today()


def _shown(value: Any, limit: int = 40) -> str:
    """A value as a message quotes it: repr, cut short so a huge value cannot flood the terminal."""
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _check_answers(raw: Any, form: Questionnaire, name: str, problems: list[Problem]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    unknown = 0
    for key, value in raw.items():
        line = raw.line_of(key) if isinstance(raw, LineDict) else None
        field = f"answers.{key}"
        q = form.get(str(key))
        if q is None:
            # The first few unknown ids each get a spelling hint; a file of thousands is told
            # how many more there are (a hint for each took tens of seconds).
            unknown += 1
            if unknown <= MAX_UNKNOWN_SHOWN:
                problems.append(Problem(name, _unknown_id(str(key), form), line, field))
            continue
        if value is None:
            if q.required:
                problems.append(Problem(name, f"has no value; allowed: {q.allowed()}", line, field))
            continue  # an empty optional answer is the same as leaving it out
        checked, error = check_value(q, value)
        if error:
            problems.append(Problem(name, error, line, field))
        else:
            values[q.id] = checked
    if unknown > MAX_UNKNOWN_SHOWN:
        more = unknown - MAX_UNKNOWN_SHOWN
        problems.append(
            Problem(name, f"and {more:,} more unknown answer id{'s' if more != 1 else ''}", None, "answers")
        )
    return values


MAX_UNKNOWN_SHOWN = 10


def _unknown_id(key: str, form: Questionnaire) -> str:
    others = [qmod.load(o) for o in qmod.available() if o != form.id]
    for other in others:
        if other.get(key) is not None:
            return (
                f"is not asked by the '{form.id}' questionnaire; it belongs to '{other.id}' "
                f"(set 'questionnaire: {other.id}')"
            )
    hint = did_you_mean(key, form.ids())
    if not hint:
        for other in others:
            if did_you_mean(key, other.ids()):
                guess = did_you_mean(key, other.ids()).removesuffix("?)")
                hint = f"{guess}, asked by the '{other.id}' questionnaire?)"
                break
    return f"is not a question of the '{form.id}' questionnaire{hint}"
