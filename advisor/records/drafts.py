"""Unfinished interviews, kept in the user data directory so nothing is lost.

The folder follows the platform's conventions (platformdirs); ``ADVISOR_DATA_DIR``
overrides it. One draft is kept: the interview in progress.
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from advisor.core.errors import AdvisorError, Problem
from advisor.core.files import write_atomic
from advisor.core.yamlio import parse, plain, read_text

ENV_DATA_DIR = "ADVISOR_DATA_DIR"


def data_dir() -> Path:
    override = os.environ.get(ENV_DATA_DIR)
    if override:
        return Path(override).expanduser()
    from platformdirs import user_data_dir

    return Path(user_data_dir("bikefit-advisor", appauthor=False))


class Draft(BaseModel):
    """Where an interview stands: its answers, what was skipped, and what comes next."""

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


def path(kind: str = "ask") -> Path:
    """One draft per kind of interview: 'ask' (a rider) or 'consult' (a fitter's visit)."""
    return data_dir() / ("draft.yaml" if kind == "ask" else f"{kind}-draft.yaml")


def save(draft: Draft, kind: str = "ask") -> Path:
    target = path(kind)
    draft.saved_at = dt.datetime.now().replace(microsecond=0)
    text = yaml.safe_dump(draft.model_dump(mode="json"), sort_keys=False, allow_unicode=True)
    # Drafts hold health answers: readable by the owner only.
    write_atomic(target, text, mode=0o600)
    return target


def load(kind: str = "ask") -> Draft | None:
    target = path(kind)
    if not target.exists():
        return None
    raw = plain(parse(read_text(str(target)), str(target)))
    try:
        return Draft.model_validate(raw)
    except ValidationError as err:
        first = err.errors()[0]
        where = ".".join(str(x) for x in first["loc"])
        raise AdvisorError(
            [Problem(str(target), f"is not a readable draft ({where}: {first['msg']}); delete it to start afresh")]
        ) from None


def clear(kind: str = "ask") -> None:
    path(kind).unlink(missing_ok=True)
