"""The rich console of the interactive and browsing commands (ask, consult, the browsers).

Only their command modules import this one: rich costs about 60 ms to load, which assess,
the record commands and JSON output never pay.
"""

from __future__ import annotations

from rich.console import Console


def make_console(stderr: bool = False) -> Console:
    """Markup is off, so names with brackets print as they are; rich honours NO_COLOR itself."""
    return Console(stderr=stderr, highlight=False, markup=False, soft_wrap=False)
