"""The knowledge base: rules, catalogs, referral tiers, sources and coverage areas.

Every YAML file under ``rules/`` is read; each top-level key names what it holds. The
loader checks structure (fields, types, ids, sources) and reports ``file:line`` problems;
``advisor rules check`` (lint.py) adds the cross-references.
"""

from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from advisor.core.datafiles import resources, startup_cache
from advisor.core.datafiles.datafile import validate
from advisor.core.datafiles.yamlio import LineDict, LineList, load_file
from advisor.core.errors import AdvisorError, Problem
from advisor.core.rulebase.actions import ACTIONS, POSITIONS, Position
from advisor.core.rulebase.conditions import ConditionParser
from advisor.core.rulebase.figures import Picture

ID = r"^[a-z][a-z0-9-]*$"


class _Entry(BaseModel):
    model_config = ConfigDict(defer_build=True, extra="forbid")
    id: str
    line: int = Field(default=0, exclude=True)
    file: str = Field(default="", exclude=True)


class _Sourced(_Entry):
    """An entry that makes a claim: it cites the sources that state it, or, where none does,
    is marked as expert opinion with a one-line reason (``advisor rules check`` holds both)."""

    source: list[str] = []
    expert_opinion: str = ""


class Source(_Entry):
    """A work a physical therapist can look up, and what in it the rules rely on."""

    id: str = Field(pattern=r"^R\d+$")
    # The loader takes what is there; `advisor rules check` (lint.py) refuses a source a
    # reader could not look up: no authors, year, title, locator or DOI/PMID/URL.
    authors: str = ""
    year: int | None = None  # None for an undated web page, which then gives 'accessed'
    accessed: str = ""
    title: str = ""
    published: str = ""  # journal, volume(issue):pages; or the publisher
    doi: str = ""
    pmid: str = ""
    url: str = ""
    locator: str = ""  # page, table, figure or section of the statement
    states: str = ""  # what the work states, in the project's own words
    # guideline, review, study, clinical-reference, health-service-page, textbook or
    # web-article (a coaching, retail or practice site's article: never a safety rule's only support)
    kind: str = ""

    def citation(self) -> str:
        """One line a reader can look the work up with."""
        when = str(self.year) if self.year else f"n.d., accessed {self.accessed}"
        parts = [f"{self.authors} ({when}). {self.title}. {self.published}."]
        if self.doi:
            parts.append(f"doi:{self.doi}")
        if self.pmid:
            parts.append(f"PMID {self.pmid}")
        if self.url and not self.doi:
            parts.append(self.url)
        return " ".join(parts)

    def link(self) -> str:
        if self.doi:
            return f"https://doi.org/{self.doi}"
        if self.pmid:
            return f"https://pubmed.ncbi.nlm.nih.gov/{self.pmid}/"
        return self.url


class Tier(_Entry):
    id: Literal["emergency", "urgent", "soon", "routine"]
    rank: int
    title: str
    headline: str
    advice: str
    # Said instead in a fitter's consultation, where the fit is already under way.
    fitter_headline: str = ""
    fitter_advice: str = ""
    exercises: Literal["none", "gentle", "all"]
    fit: Literal["stop", "all"]
    progressions: bool
    reassess_weeks: int | None = None
    reassess: str
    # The re-assessment said instead when one of these findings is made (flexibility to re-test).
    reassess_when_findings: list[str] = []
    reassess_flexibility: str = ""
    # Why a recommendation is held back at this tier (a tier that holds nothing back needs none).
    held_back: str = ""
    # A stop tier's last line; a tier that allows fit changes paces them in steps instead:
    # so many bike changes per step, the first step's heading and each later step's
    # ("{changes}" and "{step}" are filled in).
    stop_line: str = ""
    # A stop tier's words for the doctor end with the pain the rider reported in these
    # answers ("{pain}" in reported_pain is filled in), and only that pain.
    tell_doctor_answers: list[str] = []
    reported_pain: str = ""
    bike_changes_per_step: int | None = None
    first_step: str = ""
    later_step: str = ""


class CatalogFinding(_Sourced):
    id: str = Field(pattern=ID)
    name: str
    summary: str
    priority: int


class Adjustment(_Sourced):
    id: str = Field(pattern=ID)
    name: str
    change: str
    step: str
    check: str
    setting: str
    direction: str
    mark: str = ""  # a bike change's direction and step in a few words, beside its mark on the bike diagram
    # bike: a change to the bike, at most a few per step; habit: how to ride;
    # session: an appointment or a later review. Only bike changes are paced in steps.
    kind: Literal["bike", "habit", "session"] = "bike"
    # Other settings this change moves through its own step (shorter cranks come with the
    # saddle raised): two changes conflict when they move any one setting opposite ways.
    also_moves: dict[str, str] = {}
    # In a fitter's consultation this adjustment is advised in its place (the fitter is
    # doing the fit: "book a fit" becomes a judgement to make on the bike).
    in_fitter_consultation: str = ""
    priority: int


class Dose(BaseModel):
    model_config = ConfigDict(defer_build=True, extra="forbid")
    sets: str | None = None
    reps: str | None = None
    hold: str | None = None
    per_side: bool = False
    frequency: str
    days_a_week: int = Field(ge=1, le=7)  # the days a programme plans it on; 'frequency' says it in words

    def text(self) -> str:
        parts = []
        if self.sets:
            parts.append(f"{self.sets} set{'' if self.sets == '1' else 's'}")
        if self.reps:
            parts.append(f"{self.reps} rep{'' if self.reps == '1' else 's'}" + (" per side" if self.per_side else ""))
        if self.hold:
            parts.append(f"hold {self.hold}" + (" per side" if self.per_side and not self.reps else ""))
        return ", ".join(parts) + f"; {self.frequency}"


class Equipment(BaseModel):
    model_config = ConfigDict(defer_build=True, extra="forbid")
    item: str
    required: bool = True
    substitute: str = ""


class Progression(BaseModel):
    model_config = ConfigDict(defer_build=True, extra="forbid")
    text: str
    needs: list[str] = []


class Reason(BaseModel):
    """Why an entry stands where it does (an exercise's priority): a claim of its own, so it
    cites its sources or is marked expert opinion, as every claim is."""

    model_config = ConfigDict(defer_build=True, extra="forbid")
    because: str
    source: list[str] = []
    expert_opinion: str = ""


class Exercise(_Sourced):
    id: str = Field(pattern=ID)
    name: str
    target: str
    level: Literal["gentle", "moderate", "advanced"]
    position: Position
    steps: list[str] = Field(min_length=2)
    dose: Dose
    progressions: list[Progression] = Field(min_length=1)
    regression: str
    equipment: list[Equipment] = []
    cautions: list[str] = Field(min_length=1)
    replaces: list[str] = []  # easier exercises this one takes the place of when both are advised
    picture: Picture  # its key positions as a line figure (figures.py)
    priority: int  # the order of a programme, lower first; priority_reason says why
    priority_reason: Reason


class RuleDef(_Sourced):
    id: str = Field(pattern=ID)
    description: str
    because: str
    when: Any = None
    then: dict[str, str] = Field(min_length=1, max_length=1)
    # For emergency and urgent referrals: what to do about this reason, and what to tell
    # the doctor. Each warning sign has its own words (chest pain is not a spinal problem).
    what_to_do: str = ""
    tell_doctor: str = ""
    # The questionnaires this rule speaks in (empty: all). "Book a fit" is for a rider on
    # their own; in a fitter's consultation the fit is being done.
    questionnaires: list[str] = []
    condition: Any = Field(default=None, exclude=True)

    @property
    def action(self) -> str:
        return next(iter(self.then))

    @property
    def target(self) -> str:
        return next(iter(self.then.values()))

    @property
    def stage(self) -> str:
        action = ACTIONS.get(self.action)
        return action.stage if action else "triage"


class Notice(_Sourced):
    """A sentence said with the referral, whatever the tier (a parent or guardian for a minor)."""

    id: str = Field(pattern=ID)
    text: str
    priority: int
    # The tiers it is said at (empty: every tier); a safety net the emergency and urgent
    # referrals already give in their own last word is not said twice there.
    tiers: list[str] = []


class Chart(_Sourced):
    """A measured test charted over visits: its cut-off (by sex where the source gives one) and
    which way is better."""

    id: str = Field(pattern=ID)
    answer: str
    better: Literal["higher", "lower"]
    cutoff: float
    cutoff_by_sex: dict[str, float] = {}

    def cutoff_for(self, sex: Any) -> float:
        return self.cutoff_by_sex.get(sex, self.cutoff) if isinstance(sex, str) else self.cutoff


class PainChart(_Sourced):
    """Pain charted over visits, lower being better, on the question's own scale: a rating
    (0-10), an ordinal scale drawn with its words (none, mild ...), or the places that hurt
    counted and named. ``none_when``: the answers that mean no such pain (0) where the rating
    itself is not asked."""

    id: str = Field(pattern=ID)
    answer: str
    scale: Literal["rating", "ordinal", "places"]
    title: str = ""  # the panel's title; the question's label when empty
    none_when: Any = None
    none_text: str = "none"  # how a visit that none_when holds for reads beside its point
    condition: Any = Field(default=None, exclude=True)


class Area(_Entry):
    id: str = Field(pattern=ID)
    name: str
    assessed_when: Any
    condition: Any = Field(default=None, exclude=True)


SECTIONS: dict[str, type[_Entry]] = {
    "sources": Source,
    "tiers": Tier,
    "findings": CatalogFinding,
    "adjustments": Adjustment,
    "exercises": Exercise,
    "rules": RuleDef,
    "areas": Area,
    "charts": Chart,
    "pain_charts": PainChart,
    "notices": Notice,
}


# The sections whose entries make claims, each citing its sources.
SOURCED = ("findings", "adjustments", "exercises", "rules", "charts", "pain_charts", "notices")


@dataclass
class KnowledgeBase:
    sources: dict[str, Source] = field(default_factory=dict)
    tiers: dict[str, Tier] = field(default_factory=dict)
    findings: dict[str, CatalogFinding] = field(default_factory=dict)
    adjustments: dict[str, Adjustment] = field(default_factory=dict)
    exercises: dict[str, Exercise] = field(default_factory=dict)
    rules: dict[str, RuleDef] = field(default_factory=dict)
    areas: dict[str, Area] = field(default_factory=dict)
    charts: dict[str, Chart] = field(default_factory=dict)
    pain_charts: dict[str, PainChart] = field(default_factory=dict)
    notices: dict[str, Notice] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)

    def section(self, name: str) -> dict[str, Any]:
        section: dict[str, Any] = getattr(self, name)
        return section

    def catalog_for(self, action: str) -> dict[str, Any]:
        """The entries a rule with this action may name as its target."""
        catalog = ACTIONS[action].catalog
        if catalog == "positions":
            return {p: p for p in POSITIONS}
        return self.section(catalog)


def load_dir(root: Path) -> KnowledgeBase:
    """Read every YAML file under ``root``; problems are collected, not raised."""
    kb = KnowledgeBase()
    files = sorted(root.rglob("*.yaml"))
    if not files:
        kb.problems.append(Problem(str(root), "holds no rule files (*.yaml)"))
    for path in files:
        _load_file(path, kb)
    _check_structure(kb)
    return kb


def _load_file(path: Path, kb: KnowledgeBase) -> None:
    name = resources.display_path(path)
    try:
        raw = load_file(path, name)
    except AdvisorError as err:
        kb.problems.extend(err.problems)
        return
    if not isinstance(raw, LineDict):
        kb.problems.append(Problem(name, f"must be a mapping with one or more of: {', '.join(SECTIONS)}"))
        return
    parser = ConditionParser(name, kb.problems)
    for key, items in raw.items():
        model = SECTIONS.get(key)
        if model is None:
            kb.problems.append(
                Problem(
                    name,
                    f"unknown section; allowed: {', '.join(SECTIONS)}",
                    raw.line_of(key),
                    str(key),
                )
            )
            continue
        if not isinstance(items, LineList):
            kb.problems.append(Problem(name, "must be a list of entries", raw.line_of(key), str(key)))
            continue
        target = kb.section(key)
        for i, item in enumerate(items):
            entry = validate(model, item, name, kb.problems, (key, i))
            if entry is None:
                continue
            entry.line, entry.file = items.line_of(i), name
            if entry.id in target:
                first = target[entry.id]
                kb.problems.append(
                    Problem(
                        name,
                        f"duplicate id '{entry.id}' (first in {first.file}:{first.line})",
                        entry.line,
                        f"{key}[{i}].id",
                    )
                )
                continue
            if isinstance(entry, RuleDef):
                entry.condition = parser.parse_list(entry.when, f"rules[{i}].when", entry.line)
                if entry.action not in ACTIONS:
                    kb.problems.append(
                        Problem(
                            name,
                            f"unknown action '{entry.action}'; allowed: {', '.join(ACTIONS)}",
                            entry.line,
                            f"rules[{i}].then",
                        )
                    )
            elif isinstance(entry, Area):
                entry.condition = parser.parse_list(entry.assessed_when, f"areas[{i}].assessed_when", entry.line)
            elif isinstance(entry, PainChart) and entry.none_when is not None:
                entry.condition = parser.parse_list(entry.none_when, f"pain_charts[{i}].none_when", entry.line)
            target[entry.id] = entry


def _check_structure(kb: KnowledgeBase) -> None:
    """Checks the engine cannot run without: sources exist, all four tiers exist."""
    for ex in kb.exercises.values():  # the reason for its priority is a claim too
        why = ex.priority_reason
        if not why.source and not why.expert_opinion.strip():
            message = "priority_reason: cite a source that states it, or mark it 'expert_opinion' with a reason"
            kb.problems.append(Problem(ex.file, message, ex.line, f"{ex.id}.priority_reason"))
        kb.problems.extend(
            Problem(ex.file, f"unknown source '{sid}'; add it to the sources list", ex.line, f"{ex.id}.priority_reason")
            for sid in why.source
            if sid not in kb.sources
        )
    for section in SOURCED:
        for entry in kb.section(section).values():
            if not entry.source and not entry.expert_opinion.strip():
                kb.problems.append(
                    Problem(
                        entry.file,
                        "cite a source that states this, or mark it 'expert_opinion' with a one-line reason",
                        entry.line,
                        f"{entry.id}.source",
                    )
                )
            for sid in entry.source:
                if sid not in kb.sources:
                    kb.problems.append(
                        Problem(
                            entry.file,
                            f"unknown source '{sid}'; add it to the sources list",
                            entry.line,
                            f"{entry.id}.source",
                        )
                    )
    missing = {"emergency", "urgent", "soon", "routine"} - set(kb.tiers)
    if missing and kb.tiers:
        kb.problems.append(Problem("rules", f"referral tiers missing: {', '.join(sorted(missing))}"))
    for tier in kb.tiers.values():
        if "physical therapist" not in tier.advice or (
            tier.fitter_advice and "physical therapist" not in tier.fitter_advice
        ):
            kb.problems.append(
                Problem(
                    tier.file,
                    "every referral must name a physical therapist",
                    tier.line,
                    f"{tier.id}.advice",
                )
            )


def load() -> KnowledgeBase:
    """The knowledge base in use (bundled, or ADVISOR_RULES_DIR); raises on structural problems."""
    return _load(resources.rules_dir())


@cache
def _load(root: Path) -> KnowledgeBase:
    def checked() -> KnowledgeBase:
        kb = load_dir(root)
        if kb.problems:
            raise AdvisorError(kb.problems)
        return kb

    return startup_cache.cached("knowledge", checked)
