"""Validating parsed data files into pydantic models, with ``file:line`` problems."""

from __future__ import annotations

from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from advisor.core.datafiles import resources
from advisor.core.datafiles.yamlio import LineDict, LineList, load_file
from advisor.core.errors import AdvisorError, Problem

M = TypeVar("M", bound=BaseModel)


def line_at(raw: Any, loc: tuple[Any, ...]) -> int | None:
    """The line of the deepest part of ``raw`` that ``loc`` reaches."""
    line = getattr(raw, "line", None)
    node = raw
    for part in loc:
        if (isinstance(node, LineDict) and part in node) or (
            isinstance(node, LineList) and isinstance(part, int) and part < len(node)
        ):
            line = node.line_of(part)
            node = node[part]
        else:
            break
    return line


def field_name(loc: tuple[Any, ...]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out


def validate(model: type[M], raw: Any, file: str, problems: list[Problem], prefix: tuple[Any, ...] = ()) -> M | None:
    """Validate ``raw`` as ``model``; on failure add one problem per error and return None."""
    try:
        return model.model_validate(raw)
    except ValidationError as err:
        for e in err.errors():
            loc = tuple(e["loc"])
            message = e["msg"]
            if e["type"] == "extra_forbidden":
                message = "unknown field"
            elif e["type"] == "missing":
                message = "is required"
            elif "input" in e and e["type"] not in ("missing",):
                message = f"{message} (got {e['input']!r})"
            problems.append(Problem(file, message, line_at(raw, loc), field_name(prefix + loc)))
        return None


def load_model(model: type[M], path: Path) -> tuple[M, Any, str]:
    """Read a bundled data file and validate it as ``model``: (parsed, raw, short name).

    Raises an AdvisorError listing every problem, each with file, line and field.
    """
    name = resources.display_path(path)
    raw = load_file(path, name)
    problems: list[Problem] = []
    parsed = validate(model, raw, name, problems)
    if parsed is None:
        raise AdvisorError(problems)
    return parsed, raw, name
