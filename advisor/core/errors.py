"""Every user-facing error, in one place.

A problem names where it is (file, line, field), what is wrong and what is allowed.
The CLI turns an AdvisorError into one stderr line per problem and an exit code.
"""

from __future__ import annotations

import difflib
import shlex
import sys
from collections.abc import Iterable
from dataclasses import dataclass

EXIT_BAD_INPUT = 2
EXIT_INTERNAL = 1


@dataclass(frozen=True)
class Problem:
    """One thing wrong with one input, located as precisely as we can."""

    file: str
    message: str
    line: int | None = None
    field: str | None = None

    def __str__(self) -> str:
        where = self.file if self.line is None else f"{self.file}:{self.line}"
        field = f" {self.field}:" if self.field else ""
        return f"{where}:{field} {self.message}"


class AdvisorError(Exception):
    """Bad input: one or more problems, reported together, exit code 2."""

    def __init__(self, problems: Iterable[Problem], exit_code: int = EXIT_BAD_INPUT) -> None:
        self.problems = list(problems)
        self.exit_code = exit_code
        super().__init__("\n".join(str(p) for p in self.problems))


def single(file: str, message: str, line: int | None = None, field: str | None = None) -> AdvisorError:
    return AdvisorError([Problem(file, message, line, field)])


def nearest(word: str, choices: Iterable[str]) -> str | None:
    """The closest valid name to a misspelt one, or None when nothing is close."""
    found = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return found[0] if found else None


def did_you_mean(word: str, choices: Iterable[str]) -> str:
    guess = nearest(word, choices)
    return f" (did you mean '{guess}'?)" if guess else ""


# The optional parts of the advisor and what each brings (pyproject.toml's extras).
EXTRAS = {
    "studio": "the studio in a browser",
    "postgres": "a record on a PostgreSQL server",
    "dask": "a batch on a Dask cluster",
}


def missing_extra(extra: str, err: ImportError, where: str | None = None) -> AdvisorError:
    """The error for a command whose optional extra is not installed: what is missing and the
    exact line that installs it, with the pip of the environment the advisor runs in (which
    adds the extra's packages to the advisor already installed there)."""
    module = err.name or str(err)
    python = sys.executable or "python3"
    return AdvisorError(
        [
            Problem(
                where or extra,
                f"{EXTRAS[extra]} needs the '{extra}' extra ({module} is not installed): "
                f"{shlex.quote(python)} -m pip install 'bikefit-advisor[{extra}]'",
            )
        ]
    )
