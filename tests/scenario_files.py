"""Reading the persona scenarios in tests/scenarios/.

A scenario names its outcome in a sentence, gives answers (inline, or an example file
from examples/), and lists the expected referral, findings, adjustments, exercises and
held-back items in output order. ``safety_screen: all_no_unless_given`` answers every
safety question not listed with false, so a scenario shows only what matters to it.
``previous`` holds the answers of the client's last visit, for the follow-up rules;
``previous_advised`` the exercises its advice gave and ``previous_fit`` its fit record
(``before``/``after``); ``fit`` is this visit's fit record.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from advisor.core.intake import answers as answers_mod
from advisor.core.intake.answers import Answers
from advisor.core.rulebase import questionnaire as qmod
from advisor.core.rulebase.followup import Previous

ROOT = Path(__file__).resolve().parent.parent
SCENARIOS = ROOT / "tests" / "scenarios"
EXAMPLES = ROOT / "examples"


# Every key a scenario may hold; an unknown key is an error, so a misspelt expectation
# cannot pass silently.
TOP_KEYS = {
    "name",
    "source",
    "questionnaire",
    "date",
    "safety_screen",
    "answers",
    "example",
    "previous",
    "previous_advised",
    "previous_fit",
    "fit",
    "expect",
}
EXPECT_KEYS = {
    "urgency",
    "findings",
    "adjustments",
    "adjustments_include",
    "exercises_include",
    "exercises_exclude",
    "exercises",
    "withheld",
    "rules_fired",
    "rules_not_fired",
    "actions_include",
    "actions_exclude",
    "phases",
    "notes_on",
    "notes_say",
    "never_says",
}


@dataclass
class Scenario:
    path: Path
    name: str
    answers: Answers
    expect: dict[str, Any]
    previous: dict[str, Any] | Previous | None = None
    source: list[str] | None = None


def load(path: Path) -> Scenario:
    doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    unknown = (set(doc) - TOP_KEYS) | (set(doc.get("expect") or {}) - EXPECT_KEYS)
    if unknown:
        raise ValueError(f"{path.name}: unknown scenario keys {sorted(unknown)}")
    if "example" in doc:
        answers = answers_mod.load(str(EXAMPLES / doc["example"]))
    else:
        given = dict(doc.get("answers") or {})
        if doc.get("safety_screen") == "all_no_unless_given":
            form = qmod.load(doc.get("questionnaire", "rider"))
            for q in form.questions:
                if q.required:
                    given.setdefault(q.id, False)
        raw = {
            "questionnaire": doc.get("questionnaire", "rider"),
            "date": doc.get("date"),
            "answers": given,
            **({"fit": doc["fit"]} if "fit" in doc else {}),
        }
        answers = answers_mod.validate(raw, str(path))
    return Scenario(
        path=path,
        name=doc["name"],
        answers=answers,
        expect=doc["expect"],
        previous=_previous(doc),
        source=doc.get("source"),
    )


def _previous(doc: dict[str, Any]) -> dict[str, Any] | Previous | None:
    if "previous_advised" not in doc and "previous_fit" not in doc:
        return doc.get("previous")
    last = dt.date.fromisoformat(str(doc["date"])) - dt.timedelta(weeks=6) if doc.get("date") else None
    return Previous(doc.get("previous") or {}, doc.get("previous_advised"), doc.get("previous_fit"), last)


def all_scenarios() -> list[Scenario]:
    return [load(p) for p in sorted(SCENARIOS.glob("*.yaml"))]
