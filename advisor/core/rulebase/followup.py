"""Answers derived from a client's previous visit (questionnaires/derived/follow-up.yaml).

They let rules speak of change: a flexibility test that crossed its cut-off, pain that got
worse. They are computed here, never asked, and only when both visits answered.
"""

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from advisor.core.datafiles import resources, startup_cache
from advisor.core.datafiles.datafile import load_model
from advisor.core.datafiles.yamlio import LineList
from advisor.core.errors import AdvisorError, Problem, did_you_mean
from advisor.core.rulebase import questionnaire as qmod
from advisor.core.rulebase.conditions import Group
from advisor.core.rulebase.questionnaire import Question, Questionnaire, Section, load


class DerivedDef(BaseModel):
    model_config = ConfigDict(defer_build=True, extra="forbid")
    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    source: str = Field(alias="from")
    kind: Literal["previous", "change", "advised"]
    label: str = Field(min_length=1, max_length=40)


class DerivedFile(BaseModel):
    model_config = ConfigDict(defer_build=True, extra="forbid")
    id: str
    title: str
    derived: list[DerivedDef]


@cache
def derived_definitions() -> tuple[str, tuple[DerivedDef, ...]]:
    """The follow-up answers derived from a previous visit (title, definitions)."""
    return startup_cache.cached("follow-up", _checked_definitions)


def _checked_definitions() -> tuple[str, tuple[DerivedDef, ...]]:
    parsed, raw, name = load_model(DerivedFile, resources.questionnaires_dir() / "derived" / "follow-up.yaml")
    problems: list[Problem] = []
    fitter = load("fitter")
    for i, d in enumerate(parsed.derived):
        source = fitter.get(d.source)
        if source is None:
            problems.append(
                Problem(
                    name,
                    f"'{d.source}' is not a question{did_you_mean(d.source, fitter.ids())}",
                    _line(raw, i),
                    f"derived[{i}].from",
                )
            )
        elif d.kind == "advised" and source.type != "multi":
            problems.append(
                Problem(
                    name,
                    f"'advised' lists exercises among a multi-choice question's choices; '{d.source}' is {source.type}",
                    _line(raw, i),
                    f"derived[{i}].kind",
                )
            )
        elif d.kind == "change" and source.type not in ("int", "number", "choice"):
            problems.append(
                Problem(
                    name,
                    f"a change needs a number or choice question; '{d.source}' is {source.type}",
                    _line(raw, i),
                    f"derived[{i}].kind",
                )
            )
    if problems:
        raise AdvisorError(problems)
    return parsed.title, tuple(parsed.derived)


def derived_question(d: DerivedDef, source: Question) -> Question:
    """The derived answer as a question (never asked), so it can be validated, shown and linted."""
    if d.kind in ("previous", "advised"):
        return source.model_copy(
            update={
                "id": d.id,
                "label": d.label,
                "required": False,
                "ask_when": None,
                "condition": Group("all", (), 0),
                "text": f"{source.text} (last visit)" if d.kind == "previous" else d.label,
                "section": "follow_up_derived",
            }
        )
    if source.type == "choice":
        span = float(len(source.choices) - 1)
        unit = "steps"
    else:
        assert source.min is not None and source.max is not None
        span = float(source.max - source.min)
        # A change on a 0-10 rating is in points: "+2 points", not "2/10".
        unit = "points" if source.unit == "/10" else source.unit
    return Question(
        id=d.id,
        label=d.label,
        text=f"Change in: {source.text}",
        help="Derived from the previous visit; not asked.",
        type="int" if source.type in ("int", "choice") else "number",
        min=-span,
        max=span,
        unit=unit,
        section="follow_up_derived",
        condition=Group("all", (), 0),
    )


def form_for(qid: str, values: Mapping[str, Any]) -> Questionnaire:
    """The questionnaire that names these answers: with the derived follow-up answers only
    when some are present, so a first assessment does not load their definitions."""
    form = load(qid)
    known = set(form.ids())
    return with_follow_up(qid) if any(answer not in known for answer in values) else form


@cache
def with_follow_up(qid: str) -> Questionnaire:
    """A questionnaire plus the answers derived from a previous visit, in a last section."""
    form = load(qid)
    title, defs = derived_definitions()
    fitter = load("fitter")
    extra = [derived_question(d, fitter.question(d.source)) for d in defs]
    section = Section(id="follow_up_derived", title=title, questions=extra)
    return Questionnaire(
        id=form.id,
        title=form.title,
        intro=form.intro,
        sections=[*form.sections, section],
        questions=[*form.questions, *extra],
        file=form.file,
    )


def _line(raw: Any, index: int) -> int | None:
    items = raw.get("derived") if isinstance(raw, dict) else None
    return items.line_of(index) if isinstance(items, LineList) else None


@dataclass(frozen=True)
class Previous:
    """What a follow-up compares with: the last visit's answers, the exercises its advice
    gave (None when not known, as for answers alone), its fit record and its date."""

    answers: Mapping[str, Any]
    exercises: Sequence[str] | None = None
    fit: Mapping[str, Any] | None = None  # {"before": {...}, "after": {...}}
    date: dt.date | None = None

    @classmethod
    def of_visit(
        cls, answers: Mapping[str, Any], result: Mapping[str, Any], fit: Mapping[str, Any] | None, date: dt.date
    ) -> "Previous":
        """A stored visit as the next one compares with it (its result as stored JSON)."""
        exercises = [e["id"] for e in result.get("exercises", []) if isinstance(e, Mapping) and "id" in e]
        return cls(answers, exercises, fit or None, date)


def derive(previous: Mapping[str, Any] | Previous, current: Mapping[str, Any]) -> dict[str, Any]:
    last = previous if isinstance(previous, Previous) else Previous(previous)  # answers alone, as tests give
    previous = last.answers
    _, defs = derived_definitions()
    fitter = qmod.load("fitter")
    out: dict[str, Any] = {}
    for d in defs:
        if d.kind == "advised":
            if last.exercises is not None:
                choices = fitter.question(d.source).values
                out[d.id] = [e for e in choices if e in last.exercises]
            continue
        if d.source not in previous:
            continue
        before = previous[d.source]
        if d.kind == "previous":
            out[d.id] = before
            continue
        if d.source not in current:
            continue
        now = current[d.source]
        source = fitter.question(d.source)
        if source.type == "choice":
            values = source.values
            if before in values and now in values:
                out[d.id] = values.index(now) - values.index(before)
        elif isinstance(now, (int, float)) and isinstance(before, (int, float)):
            change = now - before
            out[d.id] = round(change, 1) if isinstance(change, float) else change
    return out
