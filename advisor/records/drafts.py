"""Unfinished interviews, kept in the user data directory so nothing is lost.

The folder follows the platform's conventions (platformdirs); ``ADVISOR_DATA_DIR``
overrides it. One draft is kept: the interview in progress.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import yaml
from pydantic import ValidationError

from advisor.core.errors import AdvisorError, Problem
from advisor.core.files import write_atomic
from advisor.core.interview import Draft
from advisor.core.yamlio import parse, plain, read_text
from advisor.records.paths import data_dir


def path(kind: str = "ask") -> Path:
    """One draft per kind of interview: 'ask' (a rider) or 'consult' (a fitter's visit)."""
    return data_dir() / ("draft.yaml" if kind == "ask" else f"{kind}-draft.yaml")


def save(draft: Draft, kind: str = "ask") -> Path:
    target = path(kind)
    draft.saved_at = dt.datetime.now().replace(microsecond=0)
    text = yaml.safe_dump(draft.model_dump(mode="json"), sort_keys=False, allow_unicode=True)
    # Drafts hold health answers: readable by the owner only.
    write_atomic(target, text, make_folder=True)
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
