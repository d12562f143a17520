"""The interactive questionnaire: which question comes next, and what an input means.

This module holds the logic only (no terminal): the cursor, 'back', skipping, conditional
questions, progress, reading a typed answer, and when a red flag ends the interview.
``advisor/cli/interactive.py`` drives it in a terminal; drafts.py keeps a Draft on disk.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ConfigDict

from advisor.core.engines import triage
from advisor.core.intake.answers import check_value
from advisor.core.rulebase.conditions import answers_used, holds
from advisor.core.rulebase.knowledge import KnowledgeBase, Tier
from advisor.core.rulebase.questionnaire import Question, Questionnaire

YES = {"y", "yes", "true", "1"}
NO = {"n", "no", "false", "0"}
NONE_WORDS = {"none", "nothing", "0", "-"}


class Draft(BaseModel):
    """Where an interview stands: its answers, what was skipped, and what comes next."""

    model_config = ConfigDict(defer_build=True)
    questionnaire: str
    client: str | None = None
    date: dt.date
    answers: dict[str, Any] = {}
    skipped: list[str] = []
    history: list[str] = []  # question ids in the order they were asked, for 'back'
    out: str | None = None
    report: str | None = None
    db: str | None = None  # a consultation's store
    paper: str = "a4"
    saved_at: dt.datetime | None = None
    # The studio's consultation form keeps its fit record as typed ("fit.before.<setting>" ->
    # text) in the client's draft too; `advisor consult` asks the fit record afresh.
    fit_fields: dict[str, str] = {}
    notes: str = ""  # the studio's notes on the visit, as typed so far


@dataclass(frozen=True)
class Reply:
    """What a typed line means: exactly one of the fields is set."""

    value: Any = None
    is_answer: bool = False
    skip: bool = False
    keep: bool = False
    back: bool = False
    help: bool = False
    quit: bool = False
    error: str | None = None


class Interview:
    def __init__(self, form: Questionnaire, kb: KnowledgeBase, draft: Draft) -> None:
        self.form = form
        self.kb = kb
        self.draft = draft
        self.cursor = self._first_open()

    # --- where we are ------------------------------------------------------------------
    def applicable(self, q: Question) -> bool:
        return holds(q.condition, self.draft.answers)

    def _undecided(self, q: Question) -> bool:
        """A conditional question whose deciding answers are still to come.

        An answer that can no longer come (its own question does not apply: no back pain,
        so no weeks of it) decides nothing, so a question that hangs on it is not counted.
        """
        return any(self._may_come(dep) for dep in answers_used(q.condition))

    def _may_come(self, qid: str) -> bool:
        if qid in self.draft.answers or qid in self.draft.skipped:
            return False
        dep = self.form.get(qid)
        return dep is not None and (self.applicable(dep) or self._undecided(dep))

    def _first_open(self) -> int | None:
        for i, q in enumerate(self.form.questions):
            if self.applicable(q) and q.id not in self.draft.answers and q.id not in self.draft.skipped:
                return i
        return None

    def _next_after(self, index: int) -> int | None:
        # Once an emergency or urgent tier is reached, only the questions that could still
        # raise it are asked (a head injury after a crash, saddle numbness with back pain);
        # the rest would only delay the advice to get care.
        reached = set(self.form.ids()[: index + 1])
        tier = triage.settled_tier(self.kb, self.draft.answers, reached)
        focus = tier.fit == "stop"
        for i in range(index + 1, len(self.form.questions)):
            q = self.form.questions[i]
            if self.applicable(q) and (not focus or triage.ceiling(self.kb, [q.id], self.draft.answers) > tier.rank):
                return i
        return None

    @property
    def current(self) -> Question | None:
        return None if self.cursor is None else self.form.questions[self.cursor]

    def progress(self) -> tuple[int, int]:
        """(N, M) for 'Question N of M', counting questions that apply or may yet apply."""
        counted = [i for i, q in enumerate(self.form.questions) if self.applicable(q) or self._undecided(q)]
        n = sum(1 for i in counted if self.cursor is not None and i < self.cursor) + 1
        return n, len(counted)

    # --- moving ------------------------------------------------------------------------
    def record(self, reply: Reply) -> None:
        """Apply an answer, skip or keep to the current question and move on."""
        q = self.current
        assert q is not None and self.cursor is not None
        if reply.is_answer:
            self.draft.answers[q.id] = reply.value
            if q.id in self.draft.skipped:
                self.draft.skipped.remove(q.id)
        elif reply.skip:
            self.draft.answers.pop(q.id, None)
            if q.id not in self.draft.skipped:
                self.draft.skipped.append(q.id)
        self._prune()
        self.draft.history.append(q.id)
        self.cursor = self._next_after(self.cursor)

    def continue_after_history(self) -> None:
        """Put the cursor after the last question asked (for a walk through every question)."""
        if not self.draft.history:
            self.cursor = 0
            return
        self.cursor = self._next_after(self.form.ids().index(self.draft.history[-1]))

    def back(self) -> bool:
        """Return to the question asked before the current one; False at the start."""
        while self.draft.history:
            qid = self.draft.history.pop()
            index = self.form.ids().index(qid)
            earlier = self.cursor is None or index < self.cursor
            if earlier and self.applicable(self.form.questions[index]):
                self.cursor = index
                return True
        return False

    def _prune(self) -> None:
        """Drop answers to questions that no longer apply (e.g. pain intensity after 'no pain')."""
        for q in self.form.questions:
            if q.id in self.draft.answers and not self.applicable(q):
                del self.draft.answers[q.id]

    # --- safety ------------------------------------------------------------------------
    def red_flag_stop(self) -> Tier | None:
        """The emergency or urgent tier once the answers settle it; the interview ends there."""
        ids = self.form.ids()
        reached = set(ids if self.cursor is None else ids[: self.cursor])
        # Every question still to come counts, optional ones too: a crash is urgent, but a
        # head injury in it, asked next, is an emergency.
        unanswered = [
            q.id
            for q in self.form.questions
            if q.id not in self.draft.answers
            and q.id not in self.draft.skipped
            and (q.required or self.applicable(q) or self._undecided(q))
        ]
        return triage.stops_here(self.kb, self.draft.answers, unanswered, reached)

    # --- reading input -----------------------------------------------------------------
    def parse(self, q: Question, text: str) -> Reply:
        raw = text.strip()
        word = raw.lower()
        if word == "?":
            return Reply(help=True)
        # "<" always goes back; "back" too, unless it is an answer here (knee pain at the back).
        if word == "<" or (word == "back" and not _is_choice(q, word)):
            return Reply(back=True)
        if word in ("quit", "exit"):
            return Reply(quit=True)
        if not raw:
            if q.id in self.draft.answers:
                return Reply(keep=True)
            if q.required:
                return Reply(error=f"This question must be answered: {q.allowed()}.")
            return Reply(skip=True)
        value: Any
        if q.type == "bool":
            if word in YES:
                value = True
            elif word in NO:
                value = False
            else:
                return Reply(error="Please answer y (yes) or n (no).")
        elif q.type in ("int", "number"):
            number = _number(raw, q.unit)
            if number is None:
                return Reply(error=f"Please type a number: {q.allowed()}.")
            value = number
        elif q.type == "choice":
            picked = _choice(q, raw)
            if picked is None:
                return Reply(
                    error=f"Please type a number from 1 to {len(q.choices)}, or one of: {', '.join(q.values)}."
                )
            value = picked
        else:
            picked_many = _choices(q, raw)
            if picked_many is None:
                return Reply(
                    error=f"Type the numbers or names of all that apply, separated by commas, or 'none'. "
                    f"Choices: {', '.join(q.values)}."
                )
            value = picked_many
        checked, error = check_value(q, value)
        if error:
            return Reply(error=error)
        return Reply(value=checked, is_answer=True)


def _number(raw: str, unit: str) -> int | float | None:
    text = raw.replace(",", ".").strip()
    if unit and text.endswith(unit):
        text = text[: -len(unit)].strip()
    text = text.rstrip("°").strip()
    if not re.fullmatch(r"[-+]?\d+(\.\d+)?", text):
        return None
    return float(text) if "." in text else int(text)


def _is_choice(q: Question, word: str) -> bool:
    return q.type in ("choice", "multi") and any(word in (c.value.lower(), c.label.lower()) for c in q.choices)


def _choice(q: Question, raw: str) -> str | None:
    """A choice by its number, its value or label, or the start of one that no other shares."""
    word = raw.strip().lower()
    if not word:
        return None
    if word.isdigit():
        n = int(word)
        return q.choices[n - 1].value if 1 <= n <= len(q.choices) else None
    for c in q.choices:
        if word in (c.value.lower(), c.label.lower(), c.value.replace("_", " ")):
            return c.value
    starting = {c.value for c in q.choices if c.value.lower().startswith(word) or c.label.lower().startswith(word)}
    return starting.pop() if len(starting) == 1 else None


def _choices(q: Question, raw: str) -> list[str] | None:
    if raw.strip().lower() in NONE_WORDS:
        return []
    picked: list[str] = []
    for part in re.split(r"[,\s]+", raw.strip()):
        if not part:
            continue
        value = _choice(q, part)
        if value is None:
            return None
        if value not in picked:
            picked.append(value)
    return picked
