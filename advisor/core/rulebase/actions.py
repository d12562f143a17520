"""The one vocabulary of what a rule can do: its `then:` key, its stage, what it names.

Every other module (the loader, the engine's firing order, assembly, the linter, the
report's "why" page) reads this table, so adding an action is one line here plus its
handling in assemble.py.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, get_args

Stage = Literal["triage", "finding", "fit", "exercise", "safety", "tailor"]
# Fixed firing order between stages: warning signs first, then what the answers show,
# then what to do about it, then what safety holds back. A rule may only rely on a
# finding's absence when findings are all made in an earlier stage.
# Tailoring notes come last: they only annotate what was advised.
STAGE_ORDER: dict[str, int] = {stage: rank for rank, stage in enumerate(get_args(Stage))}

# Body positions an exercise can be done in; a safety rule may hold back every exercise in one.
Position = Literal["lying-on-back", "lying-on-front", "all-fours", "kneeling", "sitting", "standing"]
POSITIONS: tuple[str, ...] = get_args(Position)

# Catalog ids the assembly itself adds, whatever the rules say: the safety advice of a stop
# tier, and a professional fit where two bike changes pull one setting opposite ways
# (CONFLICT_RULE names that decision in the trace). The linter checks they exist.
STOP_RIDING = "stop-riding-until-assessed"
PROFESSIONAL_FIT = "professional-bike-fit"
CONFLICT_RULE = "fit-conflict-resolution"

Catalog = Literal["tiers", "findings", "adjustments", "exercises", "positions", "notices"]


@dataclass(frozen=True)
class Action:
    name: str  # the key under a rule's `then:`
    stage: Stage
    catalog: Catalog  # what the rule's target names
    words: str  # how the report's "why" page introduces the effect


ACTIONS: dict[str, Action] = {
    a.name: a
    for a in (
        Action("refer", "triage", "tiers", "referral"),
        Action("finding", "finding", "findings", "finding"),
        Action("adjust", "fit", "adjustments", "adjustment"),
        Action("exercise", "exercise", "exercises", "exercise"),
        Action("withhold_exercise", "safety", "exercises", "held back"),
        Action("withhold_adjustment", "safety", "adjustments", "held back"),
        Action("withhold_position", "safety", "positions", "held back: exercises done"),
        Action("note_exercise", "tailor", "exercises", "note"),
        Action("note_adjustment", "tailor", "adjustments", "note"),
        Action("notify", "tailor", "notices", "said with the referral"),
    )
}
