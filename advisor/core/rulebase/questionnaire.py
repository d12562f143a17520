"""Questionnaire definitions: the questions, their types, ranges and when they are asked."""

from functools import cache
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, model_validator

from advisor.core.datafiles import resources, startup_cache
from advisor.core.datafiles.datafile import load_model
from advisor.core.datafiles.yamlio import LineDict, LineList
from advisor.core.errors import AdvisorError, Problem, did_you_mean
from advisor.core.rulebase.conditions import ConditionParser, Group, answers_used

QuestionType = Literal["bool", "int", "number", "choice", "multi"]


class Choice(BaseModel):
    model_config = ConfigDict(defer_build=True, extra="forbid", frozen=True)
    value: str
    label: str


class Question(BaseModel):
    model_config = ConfigDict(defer_build=True, extra="forbid")

    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    label: str = Field(min_length=1, max_length=40)  # short name for reports and tables
    text: str = Field(min_length=1)
    help: str = Field(min_length=1)
    type: QuestionType
    choices: list[Choice] = []
    min: float | None = None
    max: float | None = None
    unit: str = ""
    required: bool = False
    ask_when: Any = None
    # Measured by the fitter on the day (a goniometer reading, a test's result): last visit's
    # value is shown beside the question, never offered as today's answer.
    measured: bool = False
    after: str | None = None  # only in an extending questionnaire: where to insert
    # Filled in while loading:
    section: str = ""
    condition: Any = Field(default=None, exclude=True)
    line: int = 0

    @model_validator(mode="after")
    def _shape(self) -> "Question":
        if self.type in ("choice", "multi"):
            if not self.choices:
                raise ValueError(f"a {self.type} question needs 'choices'")
            values = [c.value for c in self.choices]
            if len(set(values)) != len(values):
                raise ValueError("choice values must be unique")
        elif self.choices:
            raise ValueError(f"a {self.type} question takes no 'choices'")
        if self.type in ("int", "number") and (self.min is None or self.max is None or self.min > self.max):
            raise ValueError("a number question needs 'min' and 'max' with min <= max")
        return self

    @property
    def values(self) -> list[str]:
        return [c.value for c in self.choices]

    def label_of(self, value: str) -> str:
        for c in self.choices:
            if c.value == value:
                return c.label
        return value

    def allowed(self) -> str:
        """What this question accepts, in words, for error messages."""
        if self.type == "bool":
            return "true or false"
        if self.type in ("int", "number"):
            kind = "a whole number" if self.type == "int" else "a number"
            return f"{kind} from {_num(self.min)} to {_num(self.max)}{_unit(self.unit)}"
        listed = ", ".join(self.values)
        if self.type == "choice":
            return f"one of: {listed}"
        return f"a list of any of: {listed} (an empty list means none)"

    def format_value(self, value: Any) -> str:
        """An answer as a person would read it."""
        if self.type == "bool":
            return "yes" if value else "no"
        if self.type in ("int", "number"):
            return f"{_num(value)}{_unit(counted(value, self.unit))}"
        if self.type == "choice":
            return self.label_of(value)
        return ", ".join(self.label_of(v) for v in value) if value else "none"


# Units that are counted nouns: one of them is singular ("1 week", "-1 step"), any other
# number plural ("0 weeks", "1.5 weeks"). Symbols and abbreviations (°, /10, mm, h) never change.
_SINGULAR = {"weeks": "week", "years": "year", "steps": "step", "points": "point", "days": "day", "sets": "set"}
_SINGULAR |= {"reps": "rep", "visits": "visit", "changes": "change", "exercises": "exercise", "times": "time"}


def counted(value: float | None, unit: str) -> str:
    """The unit as written after ``value``: singular for exactly one (or minus one)."""
    if value is not None and abs(float(value)) == 1 and unit in _SINGULAR:
        return _SINGULAR[unit]
    return unit


def amount(value: float, unit: str) -> str:
    """A number with its counted unit: '1 week', '3 weeks', '2 changes', '1 change'."""
    return f"{_num(value)} {counted(value, unit)}"


def _num(x: float | None) -> str:
    if x is None:
        return "?"
    return str(int(x)) if float(x).is_integer() else f"{x:g}"


def _unit(unit: str) -> str:
    if not unit:
        return ""
    return unit if unit in ("°", "/10") else f" {unit}"


class Section(BaseModel):
    model_config = ConfigDict(defer_build=True, extra="forbid")
    id: str
    title: str
    intro: str = ""
    # A returning client answers this section anew: last visit's answers are not offered as
    # defaults (the safety screen, what has become easy since).
    asked_afresh: bool = False
    # Answers that rarely change between visits (age, discipline, riding): the studio fills them
    # in from the last visit. The rest (flexibility, position, symptoms) it shows beside empty
    # questions, taken as today's only when the fitter says so.
    steady: bool = False
    questions: list[Question] = []


class QuestionnaireFile(BaseModel):
    model_config = ConfigDict(defer_build=True, extra="forbid")
    id: str
    title: str
    intro: str = ""
    extends: str | None = None
    sections: list[Section] = []
    add: list[Question] = []


class Questionnaire(BaseModel):
    model_config = ConfigDict(defer_build=True)
    id: str
    title: str
    intro: str
    sections: list[Section]
    questions: list[Question]
    file: str
    # Built once from ``questions``; build a new Questionnaire (not model_copy) to change them.
    _by_id: dict[str, Question] = PrivateAttr(default_factory=dict)
    _ids: list[str] = PrivateAttr(default_factory=list)

    def model_post_init(self, __context: Any) -> None:
        self._by_id = {q.id: q for q in self.questions}
        self._ids = [q.id for q in self.questions]

    def question(self, qid: str) -> Question:
        return self._by_id[qid]

    def get(self, qid: str) -> Question | None:
        return self._by_id.get(qid)

    def ids(self) -> list[str]:
        return list(self._ids)

    def carried_over(self, previous: dict[str, Any], *, steady_only: bool = False) -> dict[str, Any]:
        """Last visit's answers to offer as defaults: those this form asks and does not ask
        afresh; ``steady_only`` keeps only the steady sections' answers, and never a measurement."""
        afresh = {q.id for s in self.sections if s.asked_afresh for q in s.questions}
        steady = {q.id for s in self.sections if s.steady for q in s.questions if not q.measured}
        return {
            qid: v
            for qid, v in previous.items()
            if qid in self._by_id and qid not in afresh and (qid in steady or not steady_only)
        }

    def section_intro(self, section_id: str) -> str:
        return next((s.intro for s in self.sections if s.id == section_id), "")

    def section_title(self, section_id: str) -> str:
        for s in self.sections:
            if s.id == section_id:
                return s.title
        return section_id


def available() -> list[str]:
    return sorted(p.stem for p in resources.questionnaires_dir().glob("*.yaml"))


@cache
def load(qid: str) -> Questionnaire:
    """Load a bundled questionnaire by id (``rider`` or ``fitter``)."""
    names = available()
    if qid not in names:
        raise AdvisorError(
            [
                Problem(
                    "questionnaire",
                    f"unknown questionnaire '{qid}'{did_you_mean(qid, names)}; allowed: {', '.join(names)}",
                )
            ]
        )
    return startup_cache.cached(
        f"questionnaire-{qid}", lambda: load_path(resources.questionnaires_dir() / f"{qid}.yaml")
    )


def load_path(path: Path, _seen: tuple[str, ...] = ()) -> Questionnaire:
    parsed, raw, name = load_model(QuestionnaireFile, path)
    problems: list[Problem] = []
    if parsed.extends:
        if parsed.extends in _seen or parsed.extends == parsed.id:
            raise AdvisorError(
                [
                    Problem(
                        name,
                        f"'{parsed.extends}' extends itself",
                        raw.line_of("extends"),
                        "extends",
                    )
                ]
            )
        base = load_path(path.with_name(f"{parsed.extends}.yaml"), (*_seen, parsed.id))
        sections = [s.model_copy(deep=True) for s in base.sections]
    else:
        sections = parsed.sections
    for si, section in enumerate(sections):
        for qi, q in enumerate(section.questions):
            q.section = section.id
            if not parsed.extends:
                q.line = _line(raw, "sections", si, "questions", qi)
    ordered = [q for s in sections for q in s.questions]
    for ai, q in enumerate(parsed.add):
        q.line = _line(raw, "add", ai)
        anchor = next((i for i, existing in enumerate(ordered) if existing.id == q.after), None)
        if anchor is None:
            problems.append(
                Problem(
                    name,
                    f"'after: {q.after}' names no question{did_you_mean(q.after or '', [x.id for x in ordered])}",
                    q.line,
                    f"add[{ai}].after",
                )
            )
            continue
        q.section = ordered[anchor].section
        ordered.insert(anchor + 1, q)
    seen: dict[str, int] = {}
    for q in ordered:
        if q.id in seen:
            problems.append(
                Problem(
                    name,
                    f"duplicate question id '{q.id}' (first on line {seen[q.id]})",
                    q.line,
                    "id",
                )
            )
        seen.setdefault(q.id, q.line)
    parser = ConditionParser(name, problems)
    for q in ordered:
        q.condition = (
            parser.parse_list(q.ask_when, f"{q.id}.ask_when", q.line) if q.ask_when else Group("all", (), q.line)
        )
    _check_conditions(ordered, name, problems)
    if problems:
        raise AdvisorError(problems)
    for s in sections:
        s.questions = [q for q in ordered if q.section == s.id]
    return Questionnaire(
        id=parsed.id,
        title=parsed.title,
        intro=parsed.intro,
        sections=sections,
        questions=ordered,
        file=name,
    )


def _line(raw: Any, *path: Any) -> int:
    node, line = raw, getattr(raw, "line", 0)
    for part in path:
        if isinstance(node, (LineDict, LineList)):
            line = node.line_of(part)
            node = node[part]
    return int(getattr(node, "line", line))


def _check_conditions(ordered: list[Question], name: str, problems: list[Problem]) -> None:
    """A question may only depend on questions asked before it."""
    asked: set[str] = set()
    for q in ordered:
        for dep in answers_used(q.condition):
            if dep not in asked:
                problems.append(
                    Problem(
                        name,
                        f"ask_when uses '{dep}', which is not asked before '{q.id}'",
                        q.line,
                        f"{q.id}.ask_when",
                    )
                )
        asked.add(q.id)
