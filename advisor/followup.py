"""Answers derived from a client's previous visit (questionnaires/derived/follow-up.yaml).

They let rules speak of change: a flexibility test that crossed its cut-off, pain that got
worse. They are computed here, never asked, and only when both visits answered.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from advisor import questionnaire as qmod


def derive(previous: Mapping[str, Any], current: Mapping[str, Any]) -> dict[str, Any]:
    _, defs = qmod.derived_definitions()
    fitter = qmod.load("fitter")
    out: dict[str, Any] = {}
    for d in defs:
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
