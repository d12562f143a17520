"""Unfinished interviews, kept in the user data directory so nothing is lost.

The folder follows the platform's conventions (platformdirs); ``ADVISOR_DATA_DIR``
overrides it. A rider has one draft (the questionnaire in progress); a fitter has one
per client, so an interrupted consultation waits while other clients are seen.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from pathlib import Path

from pydantic import ValidationError

from advisor.core.datafiles.files import write_atomic
from advisor.core.datafiles.yamlio import dump, parse, plain, read_text
from advisor.core.errors import AdvisorError, Problem
from advisor.core.intake.interview import Draft
from advisor.records.model import name_key
from advisor.records.paths import data_dir


def path(kind: str = "ask", client: str | None = None) -> Path:
    """Where a draft is kept: one for a rider's questionnaire ('ask'), and one per client
    for a fitter's consultations ('consult'), so starting one client never drops another's."""
    if kind == "ask":
        return data_dir() / "draft.yaml"
    key = hashlib.sha256(name_key(client or "").encode("utf-8")).hexdigest()[:16]
    return data_dir() / f"{kind}-drafts" / f"{key}.yaml"


def save(draft: Draft, kind: str = "ask") -> Path:
    target = path(kind, draft.client)
    draft.saved_at = dt.datetime.now().replace(microsecond=0)
    text = dump(draft.model_dump(mode="json"))
    # Drafts hold health answers: readable by the owner only.
    write_atomic(target, text, make_folder=True)
    return target


def load(kind: str = "ask", client: str | None = None) -> Draft | None:
    return _read(path(kind, client))


def waiting(kind: str) -> list[Draft]:
    """Every saved draft of this kind, oldest first (consultations: one per client)."""
    folder = data_dir() / f"{kind}-drafts"
    found = [d for p in sorted(folder.glob("*.yaml")) if (d := _read(p)) is not None]
    return sorted(found, key=lambda d: (d.saved_at or dt.datetime.min, d.client or ""))


def _read(target: Path) -> Draft | None:
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


def clear(kind: str = "ask", client: str | None = None) -> None:
    path(kind, client).unlink(missing_ok=True)
