"""A fit record: the bike's measured settings before and after a consultation's changes.

What can be recorded is data (questionnaires/bike/fit-record.yaml). A record does not change
the advice; it is stored with the visit, compared in `history` and shown in the report, where
a recommended change the numbers do not show as made stays open.
"""

import math
from functools import cache
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from advisor.core import resources, startup_cache
from advisor.core.datafile import load_model
from advisor.core.errors import Problem
from advisor.core.text import MAX_NAME, problem_with
from advisor.core.yamlio import LineDict

WHEN = ("before", "after")


class Setting(BaseModel):
    model_config = ConfigDict(defer_build=True, extra="forbid")
    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    label: str
    type: Literal["number", "text"] = "number"
    unit: str = ""
    min: float | None = None
    max: float | None = None
    shows: str | None = None  # the adjustment 'setting' this measure shows (catalog)
    help: str


class FitRecordForm(BaseModel):
    model_config = ConfigDict(defer_build=True, extra="forbid")
    id: str
    title: str
    intro: str
    settings: list[Setting] = Field(min_length=1)

    def setting(self, sid: str) -> Setting | None:
        return next((s for s in self.settings if s.id == sid), None)


class FitRecord(BaseModel):
    """Measured settings by id, before and after the changes (either may be empty)."""

    model_config = ConfigDict(defer_build=True, frozen=True)
    before: dict[str, float | str] = {}
    after: dict[str, float | str] = {}

    def changed(self) -> list[str]:
        """Settings measured both times whose value changed."""
        return [s for s in self.before if s in self.after and self.after[s] != self.before[s]]

    def is_empty(self) -> bool:
        return not self.before and not self.after


@cache
def form() -> FitRecordForm:
    def parsed() -> FitRecordForm:
        return load_model(FitRecordForm, resources.questionnaires_dir() / "bike" / "fit-record.yaml")[0]

    return startup_cache.cached("fit-record", parsed)


def check(raw: Any, name: str, problems: list[Problem]) -> FitRecord:
    """The ``fit:`` block of an answer file: before/after mappings of known settings."""
    # Made without validation: _check_values has checked every value against the form.
    if raw is None:
        return FitRecord.model_construct()
    line = raw.line if isinstance(raw, LineDict) else None
    if not isinstance(raw, dict):
        problems.append(Problem(name, "must be a mapping with 'before:' and/or 'after:'", line, "fit"))
        return FitRecord.model_construct()
    parts: dict[str, dict[str, float | str]] = {}
    for key, values in raw.items():
        at = raw.line_of(key) if isinstance(raw, LineDict) else None
        if key not in WHEN:
            problems.append(Problem(name, "unknown key; allowed: before, after", at, f"fit.{key}"))
            continue
        if not isinstance(values, dict):
            problems.append(Problem(name, "must be a mapping of setting ids to values", at, f"fit.{key}"))
            continue
        parts[key] = _check_values(values, f"fit.{key}", name, problems)
    return FitRecord.model_construct(before=parts.get("before", {}), after=parts.get("after", {}))


def _check_values(values: dict[Any, Any], where: str, name: str, problems: list[Problem]) -> dict[str, float | str]:
    out: dict[str, float | str] = {}
    known = form()
    for sid, value in values.items():
        at = values.line_of(sid) if isinstance(values, LineDict) else None
        field = f"{where}.{sid}"
        setting = known.setting(str(sid))
        if setting is None:
            ids = ", ".join(s.id for s in known.settings)
            problems.append(Problem(name, f"is not a fit-record setting; allowed: {ids}", at, field))
            continue
        if value is None:
            continue  # not measured
        if setting.type == "text":
            text = str(value).strip() if isinstance(value, (str, int, float)) and not isinstance(value, bool) else None
            trouble = "is not text" if text is None else problem_with(text, "setting", MAX_NAME)
            if trouble:
                problems.append(Problem(name, trouble, at, field))
            elif text:
                out[setting.id] = text
            continue
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            message = f"{str(value)[:40]!r} is not a number; allowed: {allowed(setting)}"
            problems.append(Problem(name, message, at, field))
        elif (setting.min is not None and value < setting.min) or (setting.max is not None and value > setting.max):
            problems.append(Problem(name, f"{value} is out of range; allowed: {allowed(setting)}", at, field))
        else:
            out[setting.id] = float(value)
    return out


def allowed(setting: Setting) -> str:
    if setting.type == "text":
        return "a short text"
    return f"a number from {_num(setting.min)} to {_num(setting.max)} {setting.unit}".rstrip()


def shown(setting: Setting, value: float | str | None) -> str:
    """A value as a person reads it: '724 mm', '-1.5°', '2° heel in'."""
    if value is None:
        return "-"
    if isinstance(value, str):
        return value
    unit = setting.unit
    return f"{_num(value)}{unit}" if unit == "°" else f"{_num(value)} {unit}".rstrip()


def _num(value: float | None) -> str:
    if value is None:
        return "?"
    return str(int(value)) if float(value).is_integer() else f"{value:g}"
