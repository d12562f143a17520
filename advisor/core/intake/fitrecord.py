"""A fit record: the bike's measured settings before and after a consultation's changes.

What can be recorded is data (questionnaires/bike/fit-record.yaml). A record does not change
the advice; it is stored with the visit, compared in `history` and shown in the report, where
a recommended change the numbers do not show as made stays open.

The record also says which bike it is (the settings marked ``names_bike``: make, model, size)
and who fitted it (``fitter``). The fitter's name is kept in the record, with the visit, rather
than read from the settings when a report is printed: a report printed again years later, or
on another fitter's computer sharing the studio's records, still names who did the fit.
"""

from __future__ import annotations

import math
from functools import cache
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from advisor.core.datafiles import resources, startup_cache
from advisor.core.datafiles.datafile import load_model
from advisor.core.datafiles.yamlio import LineDict
from advisor.core.errors import Problem
from advisor.core.text import MAX_NAME, problem_with

WHEN = ("before", "after")
FITTER = "fitter"  # the fit: block's key for who fitted the bike
MINUS = "\u2212"  # a change's sign: the minus sign, as wide as the plus and never taken for a dash


class Setting(BaseModel):
    model_config = ConfigDict(defer_build=True, extra="forbid")
    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    label: str
    type: Literal["number", "text"] = "number"
    unit: str = ""
    min: float | None = None
    max: float | None = None
    shows: str | None = None  # the adjustment 'setting' this measure shows (catalog)
    names_bike: bool = False  # says which bike (make, model, size) rather than how it is set
    help: str


class FitRecordForm(BaseModel):
    model_config = ConfigDict(defer_build=True, extra="forbid")
    id: str
    title: str
    intro: str
    settings: list[Setting] = Field(min_length=1)

    def setting(self, sid: str) -> Setting | None:
        return next((s for s in self.settings if s.id == sid), None)

    def measures(self) -> list[Setting]:
        """The settings of the table: those that say how the bike is set."""
        return [s for s in self.settings if not s.names_bike]

    def naming(self) -> list[Setting]:
        """The settings that say which bike it is (make, model, size), in order."""
        return [s for s in self.settings if s.names_bike]


class FitRecord(BaseModel):
    """Measured settings by id, before and after the changes (either may be empty), and the
    name of the fitter who took them, where known."""

    model_config = ConfigDict(defer_build=True, frozen=True)
    before: dict[str, float | str] = {}
    after: dict[str, float | str] = {}
    fitter: str | None = None

    def changed(self) -> list[str]:
        """Settings measured both times whose value changed."""
        return [s for s in self.before if s in self.after and self.after[s] != self.before[s]]

    def is_empty(self) -> bool:
        """Nothing measured or named (who fitted the bike is not a measurement)."""
        return not self.before and not self.after

    def by(self, fitter: str | None) -> FitRecord:
        """This record with the fitter's name, unless it already names one."""
        return self if self.fitter or not fitter else self.model_copy(update={"fitter": fitter})

    def stored(self) -> dict[str, Any]:
        """As a visit keeps it: before, after, and the fitter when known (no empty key)."""
        return self.model_dump(exclude_none=True)

    def bike(self, when: str = "after") -> str:
        """Which bike, in words: 'Canyon Endurace CF, size M'; '' when not named. Each part
        is the one of ``when``, else the other's (the make is given once, not twice)."""
        other = self.before if when == "after" else self.after
        mine = self.after if when == "after" else self.before
        return bike_words({s.id: mine.get(s.id, other.get(s.id)) for s in form().naming()})


@cache
def form() -> FitRecordForm:
    def parsed() -> FitRecordForm:
        return load_model(FitRecordForm, resources.questionnaires_dir() / "bike" / "fit-record.yaml")[0]

    return startup_cache.cached("fit-record", parsed)


def bike_words(named: dict[str, Any]) -> str:
    """'Canyon Endurace CF, size M' from the naming settings' values (any may be missing)."""
    make, model, size = (named.get(k) for k in ("bike_make", "bike_model", "bike_size"))
    words = " ".join(str(v) for v in (make, model) if v)
    if size:
        words = f"{words}, size {size}" if words else f"size {size}"
    return words


def check(raw: Any, name: str, problems: list[Problem]) -> FitRecord:
    """The ``fit:`` block of an answer file: before/after mappings of known settings, and the
    fitter's name."""
    # Made without validation: _check_values has checked every value against the form.
    if raw is None:
        return FitRecord.model_construct()
    line = raw.line if isinstance(raw, LineDict) else None
    if not isinstance(raw, dict):
        problems.append(Problem(name, "must be a mapping with 'before:', 'after:' and/or 'fitter:'", line, "fit"))
        return FitRecord.model_construct()
    parts: dict[str, dict[str, float | str]] = {}
    fitter = None
    for key, values in raw.items():
        at = raw.line_of(key) if isinstance(raw, LineDict) else None
        if key == FITTER:
            fitter = _check_fitter(values, name, at, problems)
            continue
        if key not in WHEN:
            problems.append(Problem(name, f"unknown key; allowed: {', '.join(WHEN)}, {FITTER}", at, f"fit.{key}"))
            continue
        if not isinstance(values, dict):
            problems.append(Problem(name, "must be a mapping of setting ids to values", at, f"fit.{key}"))
            continue
        parts[key] = _check_values(values, f"fit.{key}", name, problems)
    return FitRecord.model_construct(before=parts.get("before", {}), after=parts.get("after", {}), fitter=fitter)


def _check_fitter(value: Any, name: str, at: int | None, problems: list[Problem]) -> str | None:
    """The fitter's name: a name as a client's is (one line, not too long); empty is none."""
    if value is None:
        return None
    if not isinstance(value, str):
        message = f"{str(value)[:40]!r} is not a name; allowed: the fitter's name as text"
        problems.append(Problem(name, message, at, "fit.fitter"))
        return None
    text = value.strip()
    trouble = problem_with(text, "name", MAX_NAME)
    if trouble:
        problems.append(Problem(name, f"{text[:40]!r} {trouble}", at, "fit.fitter"))
        return None
    return text or None


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
                problems.append(Problem(name, f"{str(value)[:40]!r} {trouble}; allowed: {allowed(setting)}", at, field))
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


def change(setting: Setting, before: float | str | None, after: float | str | None) -> str:
    """The change from before to after as a fit report gives it: the signed difference with
    its unit for a number ('+4 mm', '\u22121.5°'), 'changed' for text; '' when the setting did
    not change or was not measured both times."""
    if before is None or after is None or before == after:
        return ""
    if isinstance(before, str) or isinstance(after, str):
        return "changed"
    difference = round(after - before, 6)  # 720.3 - 720.1 is 0.2, not 0.19999999999995
    if difference == 0:
        return "changed"  # a difference below a millionth of the unit, yet not the same value
    return ("+" if difference > 0 else MINUS) + shown(setting, abs(difference))


def _num(value: float | None) -> str:
    if value is None:
        return "?"
    return str(int(value)) if float(value).is_integer() else f"{value:g}"
