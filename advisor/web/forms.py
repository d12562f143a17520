"""An HTML form of the fitter questionnaire, and its submitted fields back to an answer file.

Every input's name is the question id and its values are those of answer files: true/false
for yes/no, choice ids, checkboxes sharing the name for a multi-choice, numbers. A field left
empty (or a multi-choice with nothing ticked) is not answered. The fit record's settings are
named as an answer file's fields are: fit.before.<setting id> and fit.after.<setting id>.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from advisor.core import answers as answers_mod
from advisor.core import fitrecord
from advisor.core.answers import Answers
from advisor.core.errors import AdvisorError
from advisor.core.questionnaire import Question, Questionnaire

FORM_NAME = "<form>"


@dataclass(frozen=True)
class Parsed:
    answers: Answers | None  # None when the form cannot be assessed yet
    values: dict[str, Any]  # what was typed, to fill the form again
    errors: dict[str, str]  # question id (or "client", "date", "answers", "fit.before.<id>") -> message
    fit: dict[str, dict[str, Any]] = field(default_factory=dict)  # "before"/"after" -> setting -> value


def values_from(fields: Mapping[str, Sequence[str]], form: Questionnaire) -> dict[str, Any]:
    """The submitted fields as answer values (not yet checked)."""
    values: dict[str, Any] = {}
    for q in form.questions:
        given = [v.strip() for v in fields.get(q.id, []) if v.strip()]
        if not given:
            continue
        values[q.id] = given if q.type == "multi" else _scalar(q, given[0])
    return values


def _scalar(q: Question, text: str) -> Any:
    if q.type == "bool":
        return {"true": True, "false": False}.get(text.lower(), text)
    if q.type in ("int", "number"):
        return _number(text)
    return text


def fit_from(fields: Mapping[str, Sequence[str]]) -> dict[str, dict[str, Any]]:
    """The fit record's fields as an answer file's ``fit:`` block (not yet checked), read as
    `advisor consult` reads them: "-" or nothing typed is not measured, and an "after" left
    empty where "before" was measured is unchanged by today's work (the same value)."""
    fit: dict[str, dict[str, Any]] = {}
    for setting in fitrecord.form().settings:
        typed = {when: _typed(fields, f"fit.{when}.{setting.id}") for when in fitrecord.WHEN}
        if typed["after"] is None and typed["before"] not in (None, "-"):
            typed["after"] = typed["before"]
        for when, text in typed.items():
            if text is not None and text != "-":
                fit.setdefault(when, {})[setting.id] = text if setting.type == "text" else _number(text)
    return fit


def _typed(fields: Mapping[str, Sequence[str]], name: str) -> str | None:
    given = [v.strip() for v in fields.get(name, []) if v.strip()]
    return given[0] if given else None


def _number(text: str) -> Any:
    try:
        number = float(text.replace(",", "."))
    except ValueError:
        return text  # refused with a message by the check
    return int(number) if number.is_integer() else number  # 400, not 400.0, when shown again


def parse(
    fields: Mapping[str, Sequence[str]], form: Questionnaire, client: str, date: dt.date, *, with_fit: bool = True
) -> Parsed:
    """The form's answers checked as an answer file's are; ``with_fit=False`` leaves the fit
    record out (the advice does not depend on it, so a half-typed setting cannot hide it)."""
    values = values_from(fields, form)
    fit = fit_from(fields) if with_fit else {}
    doc = {"questionnaire": form.id, "client": client or None, "date": date.isoformat(), "answers": values}
    if fit:
        doc["fit"] = fit
    try:
        return Parsed(answers_mod.validate(doc, FORM_NAME), values, {}, fit)
    except AdvisorError as err:
        errors: dict[str, str] = {}
        for p in err.problems:
            key = (p.field or "answers").removeprefix("answers.")
            errors.setdefault(key, p.message)
        # A mistyped setting must not hide the advice (an emergency least of all): when the
        # fit record is all that is wrong, the answers without it are still assessed.
        if all(key.startswith("fit") for key in errors):
            return Parsed(answers_mod.validate({**doc, "fit": None}, FORM_NAME), values, errors, fit)
        return Parsed(None, values, errors, fit)


def fields_of(answers: Mapping[str, Any], fit: Mapping[str, Mapping[str, Any]] | None = None) -> dict[str, list[str]]:
    """Answer values (and the fit record's) as form fields, to carry them through a page as
    hidden inputs."""
    flat = dict(answers)
    for when, settings in (fit or {}).items():
        flat.update({f"fit.{when}.{sid}": value for sid, value in settings.items()})
    for sid in (fit or {}).get("before", {}):
        # Measured before and not after: "-" says so (an empty "after" would read as unchanged).
        flat.setdefault(f"fit.after.{sid}", "-")
    out: dict[str, list[str]] = {}
    for qid, value in flat.items():
        if isinstance(value, list):
            out[qid] = [str(v) for v in value]
        elif isinstance(value, bool):
            out[qid] = ["true" if value else "false"]
        elif isinstance(value, float) and value.is_integer():
            out[qid] = [str(int(value))]
        else:
            out[qid] = [str(value)]
    return out
