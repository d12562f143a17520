"""experta must import and run on this Python through the compatibility module."""

from __future__ import annotations

import subprocess
import sys


def test_experta_imports_and_fires_a_rule_on_this_python() -> None:
    code = (
        "from advisor.core.engines._experta import Fact, KnowledgeEngine, Rule\n"
        "class E(KnowledgeEngine):\n"
        "    fired = False\n"
        "    @Rule(Fact(x=1))\n"
        "    def r(self):\n"
        "        E.fired = True\n"
        "e = E(); e.reset(); e.declare(Fact(x=1)); e.run()\n"
        "assert E.fired\n"
        "print(sys.version_info[:2])\n"
    )
    proc = subprocess.run([sys.executable, "-c", "import sys\n" + code], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr


def test_experta_is_imported_only_through_the_compat_module() -> None:
    from pathlib import Path

    package = Path(__file__).resolve().parent.parent / "advisor"
    offenders = [
        p.name
        for p in package.rglob("*.py")
        if p.name != "_experta.py" and ("import experta" in p.read_text() or "from experta" in p.read_text())
    ]
    assert offenders == []
