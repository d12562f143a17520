"""The package's shape: no import cycle, and only a few deliberate lazy imports.

The layer contracts themselves (cli > output > records > core) are checked by import-linter
in CI (`lint-imports`, configured in pyproject.toml); this file checks what it does not.
"""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "advisor"
# A lazy import keeps a library out of the start of every command that does not need it
# (`advisor assess` within 18x a bare `python -c pass`); each must say why, and they stay few:
# a command module imports what its command needs, so most laziness is the module split itself.
MAX_LAZY_IMPORTS = 10


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


MODULES = {_module_name(p): p for p in PACKAGE.rglob("*.py")}


def _is_type_checking(node: ast.If) -> bool:
    return isinstance(node.test, ast.Name) and node.test.id == "TYPE_CHECKING"


def _every_import(tree: ast.Module) -> list[ast.Import | ast.ImportFrom]:
    """Every import that can run, at the top or in a function (a lazy import still ties two
    modules together); only those under TYPE_CHECKING are left out."""
    hidden = {
        id(n)
        for block in ast.walk(tree)
        if isinstance(block, ast.If) and _is_type_checking(block)
        for n in ast.walk(block)
    }
    return [n for n in ast.walk(tree) if isinstance(n, (ast.Import, ast.ImportFrom)) and id(n) not in hidden]


def _targets(node: ast.Import | ast.ImportFrom) -> set[str]:
    if isinstance(node, ast.Import):
        return {a.name for a in node.names if a.name in MODULES}
    base = node.module or ""
    out = set()
    for alias in node.names:
        full = f"{base}.{alias.name}"
        if full in MODULES:
            out.add(full)
        elif base in MODULES:
            out.add(base)
    return out


def _graph() -> dict[str, set[str]]:
    graph = {}
    for name, path in MODULES.items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        graph[name] = set().union(*(_targets(n) for n in _every_import(tree))) - {name}
    return graph


def test_no_import_cycle() -> None:
    graph = _graph()
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    stack: list[str] = []
    cycles: list[list[str]] = []

    def visit(node: str) -> None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                cycles.append([*stack[stack.index(nxt) :], nxt])
            elif nxt not in state:
                visit(nxt)
        stack.pop()
        state[node] = 2

    for module in sorted(graph):
        if module not in state:
            visit(module)
    assert cycles == []


def test_imports_inside_functions_are_few_deliberate_and_explained() -> None:
    lazy = []
    for name, path in MODULES.items():
        lines = path.read_text(encoding="utf-8").splitlines()
        tree = ast.parse("\n".join(lines))
        for func in ast.walk(tree):
            if not isinstance(func, (ast.FunctionDef, ast.AsyncFunctionDef)):
                continue
            for node in ast.walk(func):
                if isinstance(node, (ast.Import, ast.ImportFrom)):
                    line = lines[node.lineno - 1]
                    lazy.append((f"{name}:{node.lineno}", line))
    assert len(lazy) <= MAX_LAZY_IMPORTS, lazy
    for where, line in lazy:
        # Each says why it is lazy, after the marker that lets ruff's PLC0415 pass it.
        marker = "# noqa: PLC0415"
        assert marker in line, where
        assert len(line.split(marker, 1)[1].strip()) > 10, f"{where}: say why this import is lazy"
