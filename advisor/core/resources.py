"""Where the bundled knowledge base and questionnaires are.

An installed wheel carries them inside the package (``advisor/_data``); a source checkout
or editable install reads them from the top of the repository, where they are edited.
"""

from __future__ import annotations

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent.parent  # the advisor package


def _data_root() -> Path:
    bundled = _PACKAGE / "_data"
    if (bundled / "rules").is_dir():
        return bundled
    return _PACKAGE.parent


def rules_dir() -> Path:
    return _data_root() / "rules"


def questionnaires_dir() -> Path:
    return _data_root() / "questionnaires"


def display_path(path: Path) -> str:
    """A short path for messages: relative to the data root when inside it."""
    try:
        return str(path.relative_to(_data_root()))
    except ValueError:
        return str(path)
