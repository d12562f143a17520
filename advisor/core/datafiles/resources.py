"""Where the bundled knowledge base and questionnaires are.

An installed wheel carries them inside the package (``advisor/_data``); a source checkout
or editable install reads them from the top of the repository, where they are edited.
"""

from __future__ import annotations

import os
from pathlib import Path

_PACKAGE = Path(__file__).resolve().parents[2]  # the advisor package


def _data_root() -> Path:
    bundled = _PACKAGE / "_data"
    if (bundled / "rules").is_dir():
        return bundled
    return _PACKAGE.parent


# A knowledge author can run the advisor on a rules folder of their own: every command
# then reads it, after the same checks as `advisor rules check`.
ENV_RULES_DIR = "ADVISOR_RULES_DIR"


def rules_dir() -> Path:
    override = os.environ.get(ENV_RULES_DIR)
    return Path(override).expanduser() if override else _data_root() / "rules"


def rules_overridden() -> bool:
    return bool(os.environ.get(ENV_RULES_DIR))


def questionnaires_dir() -> Path:
    return _data_root() / "questionnaires"


def display_path(path: Path) -> str:
    """A short path for messages: relative to the data root when inside it."""
    try:
        return str(path.relative_to(_data_root()))
    except ValueError:
        return str(path)
