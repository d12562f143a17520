"""User settings (the studio's name and contact for report headers), in the user config folder.

The folder follows the platform's conventions (platformdirs); ``ADVISOR_CONFIG_DIR``
overrides it.
"""

from __future__ import annotations

from pathlib import Path

from advisor.core.errors import AdvisorError, Problem, did_you_mean
from advisor.core.files import write_atomic
from advisor.core.text import MAX_NAME, problem_with
from advisor.core.yamlio import dump, parse, plain, read_text
from advisor.records.paths import config_dir

KEYS = {
    "studio.name": "the studio's name, printed at the top of every report",
    "studio.contact": "how to reach the studio (phone, email or address), printed under its name",
}


def path() -> Path:
    return config_dir() / "config.yaml"


def load() -> dict[str, str]:
    target = path()
    if not target.exists():
        return {}
    raw = plain(parse(read_text(str(target)), str(target)))
    if not isinstance(raw, dict):
        raise AdvisorError([Problem(str(target), "must be a mapping of settings; fix or delete it")])
    return {k: str(v) for k, v in raw.items() if k in KEYS and v is not None}


def _check_key(key: str) -> None:
    if key not in KEYS:
        raise AdvisorError(
            [Problem("config", f"unknown setting '{key}'{did_you_mean(key, KEYS)}; allowed: {', '.join(KEYS)}")]
        )


def set_value(key: str, value: str) -> Path:
    _check_key(key)
    value = value.strip()
    trouble = problem_with(value, "setting", MAX_NAME)
    if trouble:
        raise AdvisorError([Problem("config", trouble, field=key)])
    settings = load()
    if value:
        settings[key] = value
    else:
        settings.pop(key, None)
    target = path()
    write_atomic(target, dump(settings, sort_keys=True), make_folder=True)
    return target


def get(key: str) -> str | None:
    _check_key(key)
    return load().get(key)
