"""The command line: one short function per command; the work happens elsewhere.

Commands live in the modules below, grouped by who uses them; importing a module registers
its commands on the one typer app. A run imports only the module of the command it runs:
typer builds the options of every registered command before it runs one (all of them cost
about 60 ms), and each module brings its own libraries. `advisor --help`, a mistyped command
and shell completion load them all.
"""

import gc
import importlib
import os
import sys

import typer

# Start-up creates tens of thousands of objects that live as long as the process (modules,
# classes, typer's commands); the collector walking them again and again costs a short
# command about a tenth of its time. It is off while they are made; `handled` freezes them
# and turns it back on as the command starts.
gc.disable()
# pydantic looks through every installed package's entry points for plugins the first time
# it builds a model (about 10 ms); the advisor uses none. PYDANTIC_DISABLE_PLUGINS= (empty)
# in the environment loads them after all.
os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__")

from advisor import __version__  # noqa: E402
from advisor.cli import common  # noqa: E402  (after the two settings above)

# Every top-level command or group, and the module (under advisor.cli) that registers it;
# tests/test_cli.py holds this table to what the modules register.
COMMAND_MODULES = {
    "assess": "assess_cmd",
    "ask": "ask_cmd",
    "batch": "batch_cmd",
    "questionnaires": "browse",
    "rules": "browse",
    "exercises": "browse",
    "config": "browse",
    "consult": "consult_cmd",
    "clients": "records",
    "history": "records",
    "report": "records",
    "export": "records",
    "import": "records",
    "migrate": "records",
    "amend": "amend_cmd",
    "client": "record_admin",
    "erase": "record_admin",
    "audit": "record_admin",
    "backup": "record_admin",
    "users": "record_admin",
    "serve": "serve",
}
# Options of the app itself that take no value and may come before the command.
_APP_FLAGS = {"--debug"}


def command_module(argv: list[str]) -> str | None:
    """The module of the command named on this command line, or None when every command is
    needed (no command yet, --help, --version, a mistyped name)."""
    for arg in argv:
        if arg in _APP_FLAGS:
            continue
        return None if arg.startswith("-") else COMMAND_MODULES.get(arg)
    return None


def load_commands(module: str | None = None) -> typer.Typer:
    """Register one command module's commands (or every module's) and return the app."""
    for name in dict.fromkeys(COMMAND_MODULES.values()) if module is None else (module,):
        importlib.import_module(f"advisor.cli.{name}")
    return common.app


def main() -> None:
    """Console-script entry point."""
    if sys.argv[1:] == ["--version"]:  # answered before any command is loaded
        print(f"advisor {__version__}")
        return
    completing = "_ADVISOR_COMPLETE" in os.environ  # typer's shell completion lists every command
    load_commands(None if completing else command_module(sys.argv[1:]))(prog_name="advisor")


def __getattr__(name: str) -> object:
    """`advisor.cli.app`: the app with every command (what tests and other programs drive)."""
    if name == "app":
        return load_commands()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = ["COMMAND_MODULES", "app", "command_module", "load_commands", "main"]
