"""The command line: one short function per command; the work happens elsewhere.

Commands live in the modules below, grouped by who uses them; importing them registers
them on the one typer app.
"""

from advisor.cli import assess_ask, batch_cmd, browse, records, serve  # noqa: F401  (registers the commands)
from advisor.cli.common import app


def main() -> None:
    """Console-script entry point."""
    app(prog_name="advisor")


__all__ = ["app", "main"]
