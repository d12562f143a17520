"""User settings (the studio's name and contact for report headers, the fitter's name), in the
user config folder.

The folder follows the platform's conventions (platformdirs); ``ADVISOR_CONFIG_DIR``
overrides it.
"""

from __future__ import annotations

import stat
from pathlib import Path

from advisor.core.datafiles.files import write_atomic
from advisor.core.datafiles.yamlio import dump, parse, plain, read_text
from advisor.core.errors import AdvisorError, Problem, did_you_mean
from advisor.core.text import MAX_NAME, problem_with
from advisor.records.paths import config_dir

KEYS = {
    "studio.name": "the studio's name, printed at the top of every report",
    "studio.contact": "how to reach the studio (phone, email or address), printed under its name",
    "studio.logo": "a PNG or JPEG logo printed at the top of every report (copied into the settings folder)",
    "studio.fitter": "the fitter's name, recorded with each consultation and printed on its report as 'Fitted by ...'",
}


def path() -> Path:
    return config_dir() / "config.yaml"


def load() -> dict[str, str]:
    target = path()
    if not target.exists():
        return {}
    if target.is_dir():
        raise AdvisorError([Problem(str(target), "is a folder; the settings file must be a file: remove the folder")])
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
    if key == "studio.logo" and value:
        value = _keep_logo(Path(value).expanduser())
    if value:
        settings[key] = value
    else:
        settings.pop(key, None)
    target = path()
    write_atomic(target, dump(settings, sort_keys=True), make_folder=True)
    return target


MAX_LOGO_BYTES = 1_000_000
_IMAGE_KINDS = {b"\x89PNG\r\n\x1a\n": ("png", "image/png"), b"\xff\xd8\xff": ("jpg", "image/jpeg")}


def _image_kind(data: bytes) -> tuple[str, str] | None:
    return next((kind for magic, kind in _IMAGE_KINDS.items() if data.startswith(magic)), None)


def _read_image(path: Path) -> bytes | None:
    """At most MAX_LOGO_BYTES + 1 bytes of a regular file; None for anything else. A device
    (/dev/zero) never ends, a pipe can block for ever, and a 2 GB file would be read whole."""
    try:
        info = path.stat()
        if not stat.S_ISREG(info.st_mode) or info.st_size > MAX_LOGO_BYTES:
            return None
        with path.open("rb") as handle:
            return handle.read(MAX_LOGO_BYTES + 1)
    except OSError:
        return None


def _keep_logo(source: Path) -> str:
    """Copy a logo into the settings folder (so moving the original never breaks a report)."""
    name = str(source)
    if not source.is_file():
        raise AdvisorError([Problem(name, "is not a file; give the path of a PNG or JPEG logo", field="studio.logo")])
    data = _read_image(source)
    if data is None or len(data) > MAX_LOGO_BYTES:
        raise AdvisorError([Problem(name, "is larger than 1 MB; give a smaller logo", field="studio.logo")])
    kind = _image_kind(data)
    if kind is None:
        raise AdvisorError([Problem(name, "is not a PNG or JPEG image", field="studio.logo")])
    target = config_dir() / f"logo.{kind[0]}"
    write_atomic(target, data, make_folder=True, mode=0o644)
    return str(target)


def logo(settings: dict[str, str]) -> tuple[bytes, str] | None:
    """The studio's logo named in these settings as (image bytes, MIME type), if set and still readable."""
    where = settings.get("studio.logo")
    if not where:
        return None
    data = _read_image(Path(where))
    if data is None:
        return None
    kind = _image_kind(data)
    return (data, kind[1]) if kind and len(data) <= MAX_LOGO_BYTES else None


def get(key: str) -> str | None:
    _check_key(key)
    return load().get(key)


def fitter() -> str | None:
    """The fitter's name (``studio.fitter``), which a consultation records with its fit record
    when it is saved; None when not set."""
    return load().get("studio.fitter")
