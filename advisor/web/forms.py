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

from advisor.core.errors import AdvisorError
from advisor.core.intake import answers as answers_mod, fitrecord
from advisor.core.intake.answers import Answers
from advisor.core.rulebase.conditions import AnswerTest, Condition, Group, Missing, holds
from advisor.core.rulebase.questionnaire import Question, Questionnaire
from advisor.core.text import MAX_VISIT_NOTES, paragraphs

FORM_NAME = "<form>"
# The value of a multi-choice's "None of these" box: ticked, the answer is the empty list (an
# answer file's []), which a form cannot otherwise send, so "no knee pain" can be recorded.
NONE = "none"
FOLLOW_UP = "follow_up"  # the section asked only of a returning client
UNANSWERED = "needs an answer: the safety screen asks every question before any advice"


@dataclass(frozen=True)
class Parsed:
    answers: Answers | None  # None when the form cannot be assessed yet
    values: dict[str, Any]  # what was typed, to fill the form again
    errors: dict[str, str]  # question id (or "client", "date", "answers", "fit.before.<id>") -> message
    fit: dict[str, dict[str, Any]] = field(default_factory=dict)  # "before"/"after" -> setting -> value
    # Answers sent for a question whose condition does not hold (a pregnancy question after
    # "male", a back-pain score after "no back pain"): left out of the assessment, and said.
    ignored: list[str] = field(default_factory=list)
    # The fit record's fields exactly as typed, to fill the form again as it was sent.
    typed_fit: dict[str, str] = field(default_factory=dict)
    notes: str = ""  # the fitter's notes on the visit


def values_from(fields: Mapping[str, Sequence[str]], form: Questionnaire) -> dict[str, Any]:
    """The submitted fields as answer values (not yet checked)."""
    values: dict[str, Any] = {}
    for q in form.questions:
        given = [v.strip() for v in fields.get(q.id, []) if v.strip()]
        if not given:
            continue
        if q.type == "multi":
            ticked = [v for v in given if v != NONE or NONE in q.values]
            values[q.id] = ticked  # only "None of these" ticked: the empty list
        else:
            values[q.id] = _scalar(q, given[0])
    return values


def applicable(values: Mapping[str, Any], form: Questionnaire, *, follow_up: bool) -> tuple[dict[str, Any], list[str]]:
    """The answers whose question is asked given the answers before it, as `advisor ask` asks
    them, and the ids of those left out. The follow-up section is asked of a returning client only."""
    kept: dict[str, Any] = {}
    ignored: list[str] = []
    for q in form.questions:
        if q.id not in values:
            continue
        if (q.section == FOLLOW_UP and not follow_up) or not holds(q.condition, kept):
            ignored.append(q.id)
        else:
            kept[q.id] = values[q.id]
    return kept, ignored


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


def typed_fit_from(fields: Mapping[str, Sequence[str]]) -> dict[str, str]:
    """The fit record's fields as typed (nothing filled in), to show the form again."""
    typed = {}
    for setting in fitrecord.form().settings:
        for when in fitrecord.WHEN:
            name = f"fit.{when}.{setting.id}"
            text = _typed(fields, name)
            if text is not None:
                typed[name] = text
    return typed


def parse(
    fields: Mapping[str, Sequence[str]],
    form: Questionnaire,
    client: str,
    date: dt.date,
    *,
    with_fit: bool = True,
    follow_up: bool = True,
) -> Parsed:
    """The form's answers checked as an answer file's are; ``with_fit=False`` leaves the fit
    record out (the advice does not depend on it, so a half-typed setting cannot hide it).
    ``values`` keeps every answer sent, so the form shows them again; only those whose
    question applies are assessed."""
    sent = values_from(fields, form)
    values, ignored = applicable(sent, form, follow_up=follow_up)
    fit = fit_from(fields) if with_fit else {}
    typed = typed_fit_from(fields)
    notes = paragraphs(next(iter(fields.get("notes", [])), ""), MAX_VISIT_NOTES)
    doc = {"questionnaire": form.id, "client": client or None, "date": date.isoformat(), "answers": values}
    if fit:
        doc["fit"] = fit
    try:
        return Parsed(answers_mod.validate(doc, FORM_NAME), sent, {}, fit, ignored, typed, notes)
    except AdvisorError as err:
        errors: dict[str, str] = {}
        for p in err.problems:
            key = (p.field or "answers").removeprefix("answers.")
            errors.setdefault(key, p.message)
        if "safety screen is incomplete" in errors.get("answers", ""):
            # Each unanswered question named in words and linked, rather than a list of ids.
            del errors["answers"]
            for q in form.questions:
                if q.required and q.id not in values:
                    errors.setdefault(q.id, UNANSWERED)
        # A mistyped value must not hide the advice (an emergency least of all): the answers
        # are assessed without the values that cannot be read, the fit record's included, and
        # the errors say what was left out until it is mended.
        readable = {qid: v for qid, v in values.items() if qid not in errors}
        try:
            answers = answers_mod.validate({**doc, "answers": readable, "fit": None}, FORM_NAME)
        except AdvisorError:
            answers = None  # the safety screen is not complete yet
        return Parsed(answers, sent, errors, fit, ignored, typed, notes)


def fields_of(answers: Mapping[str, Any], fit: Mapping[str, Mapping[str, Any]] | None = None) -> dict[str, list[str]]:
    """Answer values (and the fit record's) as form fields, to carry them through a page as
    hidden inputs. A multi-choice answered "none of these" is sent as such."""
    flat: dict[str, Any] = {qid: (v or [NONE]) if isinstance(v, list) else v for qid, v in answers.items()}
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


def shown(values: Mapping[str, Any], form: Questionnaire, *, follow_up: bool) -> set[str]:
    """The questions asked given these answers (each one's condition on the answers before it)."""
    kept: dict[str, Any] = {}
    out: set[str] = set()
    for q in form.questions:
        if (q.section == FOLLOW_UP and not follow_up) or not holds(q.condition, kept):
            continue
        out.add(q.id)
        if q.id in values:
            kept[q.id] = values[q.id]
    return out


def condition_json(cond: Condition) -> dict[str, Any]:
    """A question's condition for the page's script, which shows and hides the question as
    the server decides it (the same closed language: see advisor/core/rulebase/conditions.py)."""
    if isinstance(cond, AnswerTest):
        return {"answer": cond.answer, "op": cond.op, "arg": cond.arg}
    if isinstance(cond, Missing):
        return {"answered" if cond.negated else "missing": cond.answer}
    if isinstance(cond, Group):
        return {"kind": cond.kind, "items": [condition_json(c) for c in cond.items]}
    raise ValueError(f"a questionnaire condition cannot use findings: {cond.describe()}")


def condition_words(cond: Condition, form: Questionnaire) -> str:
    """A condition in the fitter's words: "Low back pain: On most rides or Only on long rides"."""
    if isinstance(cond, AnswerTest):
        q = form.question(cond.answer)
        arg = cond.arg if isinstance(cond.arg, list) else [cond.arg]
        if cond.op in ("one_of", "equals", "is", "includes", "includes_any"):
            shown_values = " or ".join(q.format_value(v) if q.type != "multi" else q.label_of(v) for v in arg)
            return f"{q.label}: {shown_values}"
        if cond.op == "not_one_of":
            return f"{q.label}: not {' or '.join(q.format_value(v) for v in arg)}"
        if cond.op == "between":
            return f"{q.label} from {q.format_value(arg[0])} to {q.format_value(arg[1])}"
        if cond.op == "includes_at_least":
            return f"{q.label}: at least {cond.arg} ticked"
        words = {"below": "below", "above": "above", "at_least": "at least", "at_most": "at most"}[cond.op]
        return f"{q.label} {words} {q.format_value(cond.arg)}"
    if isinstance(cond, Missing):
        label = form.question(cond.answer).label
        return f"{label} answered" if cond.negated else f"{label} not answered"
    if isinstance(cond, Group):
        parts = [condition_words(c, form) for c in cond.items]
        joined = {"all": "; and ", "any": "; or "}.get(cond.kind)
        return joined.join(parts) if joined else "none of: " + "; ".join(parts)
    raise ValueError(f"a questionnaire condition cannot use findings: {cond.describe()}")


SAFETY = "safety"


def filled(
    values: dict[str, Any],
    typed_fit: dict[str, str],
    action: str,
    form: Questionnaire,
    last_answers: Mapping[str, Any],
    last_fit: Mapping[str, Any],
    *,
    follow_up: bool,
) -> tuple[dict[str, Any], dict[str, str]]:
    """A form's answers with one of its fill buttons applied, for a browser without the script
    (which does the same in the page): "safety-no" answers No to every safety question not yet
    answered; "same:<section>" takes last visit's answers of a section where nothing is given
    (what may change between visits, shown beside its question); "same:fit" takes the bike as
    last visit left it as today's "before"."""
    values, typed_fit = dict(values), dict(typed_fit)
    if action == "safety-no":
        asked = shown(values, form, follow_up=follow_up)
        for q in form.questions:
            if q.section == SAFETY and q.type == "bool" and q.id in asked and not q.ask_when:
                values.setdefault(q.id, False)
    elif action == "same:fit":
        for sid, value in last_fit.items():
            typed_fit.setdefault(f"fit.before.{sid}", str(value))
    elif action.startswith("same:"):
        section = action.removeprefix("same:")
        for q in form.questions:
            if q.section == section and q.id in last_answers:
                values.setdefault(q.id, last_answers[q.id])
    return values, typed_fit
