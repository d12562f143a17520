"""The command line: one short function per command; the work happens elsewhere.

Commands live in the modules below, grouped by who uses them; importing them registers
them on the one typer app.
"""

import gc
import os

# Start-up creates tens of thousands of objects that live as long as the process (modules,
# classes, typer's commands); the collector walking them again and again costs a short
# command about a tenth of its time. It is off while they are made; `handled` freezes them
# and turns it back on as the command starts.
gc.disable()
# pydantic looks through every installed package's entry points for plugins the first time
# it builds a model (about 10 ms); the advisor uses none. PYDANTIC_DISABLE_PLUGINS= (empty)
# in the environment loads them after all.
os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__")

from advisor.cli import assess_ask, batch_cmd, browse, records, serve  # noqa: E402, F401  (registers the commands)
from advisor.cli.common import app  # noqa: E402


def main() -> None:
    """Console-script entry point."""
    app(prog_name="advisor")


__all__ = ["app", "main"]
