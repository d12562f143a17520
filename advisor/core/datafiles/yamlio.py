"""Safe YAML reading that remembers where every key stood.

Only plain data is built (no tag may construct an object), duplicate keys are refused,
and each mapping remembers the line of each key so messages can say ``file:line``.
JSON is read by the same loader: it is (near enough) a subset of YAML.

A file a user gives (answers, drafts, settings) is read more strictly than the bundled
knowledge base: numbers are the decimals the user wrote (YAML 1.1 would read ``033`` as
octal 27 and ``1:02`` as 62), dates stay text for the caller to check, and anchors and
aliases are refused (a few hundred bytes of nested aliases can expand to gigabytes).
"""

from __future__ import annotations

import os
import re
import stat
import sys
from pathlib import Path
from typing import Any

import yaml

from advisor.core.errors import AdvisorError, Problem, single

MAX_INPUT_BYTES = 1_000_000

_Base: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class LineDict(dict[Any, Any]):
    """A mapping that knows the line of each of its keys (1-based)."""

    line: int = 0
    key_lines: dict[Any, int]

    def line_of(self, key: Any) -> int:
        return self.key_lines.get(key, self.line)


class LineList(list[Any]):
    """A sequence that knows the line of each item (1-based)."""

    line: int = 0
    item_lines: list[int]

    def line_of(self, index: int) -> int:
        return self.item_lines[index] if index < len(self.item_lines) else self.line


class _DuplicateKey(Exception):
    def __init__(self, key: Any, line: int, first: int) -> None:
        self.key, self.line, self.first = key, line, first


class _Loader(_Base):
    pass


def _construct_mapping(loader: _Loader, node: yaml.MappingNode) -> LineDict:
    loader.flatten_mapping(node)
    result = LineDict()
    result.line = node.start_mark.line + 1
    result.key_lines = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        try:
            hash(key)
        except TypeError:
            raise yaml.constructor.ConstructorError(
                None, None, "a key must be a plain value", key_node.start_mark
            ) from None
        line = key_node.start_mark.line + 1
        if key in result:
            raise _DuplicateKey(key, line, result.key_lines[key])
        result[key] = loader.construct_object(value_node, deep=True)
        result.key_lines[key] = line
    return result


def _construct_sequence(loader: _Loader, node: yaml.SequenceNode) -> LineList:
    result = LineList(loader.construct_object(child, deep=True) for child in node.value)
    result.line = node.start_mark.line + 1
    result.item_lines = [child.start_mark.line + 1 for child in node.value]
    return result


_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)
_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG, _construct_sequence)


class _UserLoader(_Loader):
    """For files users write: only plain decimal numbers are numbers, and no date is parsed."""


_UNTRUSTED_TAGS = {"tag:yaml.org,2002:int", "tag:yaml.org,2002:float", "tag:yaml.org,2002:timestamp"}
_UserLoader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag not in _UNTRUSTED_TAGS]
    for first, resolvers in _Loader.yaml_implicit_resolvers.items()
}
# Up to 18 digits: longer "numbers" stay text and are refused as not a number in range.
_UserLoader.add_implicit_resolver("tag:yaml.org,2002:int", re.compile(r"^[-+]?[0-9]{1,18}$"), list("-+0123456789"))
_UserLoader.add_implicit_resolver(
    "tag:yaml.org,2002:float",
    re.compile(
        r"^(?:[-+]?(?:[0-9]{1,18}\.[0-9]*|\.[0-9]+)(?:[eE][-+]?[0-9]+)?|[-+]?[0-9]{1,18}[eE][-+]?[0-9]+"
        r"|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$"
    ),
    list("-+0123456789."),
)


def _decimal_int(loader: _UserLoader, node: yaml.ScalarNode) -> int:
    return int(loader.construct_scalar(node), 10)  # "033" is 33, never octal


_UserLoader.add_constructor("tag:yaml.org,2002:int", _decimal_int)
MAX_DEPTH = 20


def _check_plain(value: Any, name: str) -> None:
    """Refuse shared containers (anchors and aliases) and deep nesting in a user's file."""
    seen: set[int] = set()
    stack: list[tuple[Any, int]] = [(value, 0)]
    while stack:
        node, depth = stack.pop()
        if not isinstance(node, (dict, list)):
            continue
        if id(node) in seen:
            raise single(name, "uses YAML anchors and aliases (& and *), which are not allowed here; write values out")
        seen.add(id(node))
        if depth > MAX_DEPTH:
            raise single(name, f"is nested more than {MAX_DEPTH} levels deep; an answer file is a flat list of answers")
        children = node.values() if isinstance(node, dict) else node
        stack.extend((child, depth + 1) for child in children)


def parse(text: str, name: str, *, trusted: bool = False) -> Any:
    """Parse YAML or JSON text; any problem becomes an AdvisorError naming ``name``.

    ``trusted`` is for the bundled knowledge base (anchors allowed, YAML 1.1 numbers);
    everything else a user gives is read strictly (see the module's docstring).
    """
    try:
        if trusted:
            return yaml.load(text, Loader=_Loader)
        value = yaml.load(text, Loader=_UserLoader)
        _check_plain(value, name)
        return value
    except _DuplicateKey as dup:
        raise single(name, f"duplicate key '{dup.key}' (first given on line {dup.first})", dup.line) from None
    except yaml.MarkedYAMLError as err:
        mark = err.problem_mark or err.context_mark
        line = mark.line + 1 if mark is not None else None
        what = err.problem or "not valid YAML"
        ctx = err.context_mark
        if err.context and ctx is not None and line is not None and ctx.line + 1 != line:
            what = f"{what} ({err.context} started on line {ctx.line + 1})"
        if isinstance(err, yaml.constructor.ConstructorError) and "tag" in what:
            what = f"{what}; only plain data (maps, lists, text, numbers, true/false) is allowed"
        raise single(name, f"not valid YAML/JSON: {what}", line) from None
    except yaml.YAMLError as err:
        raise single(name, f"not valid YAML/JSON: {err}") from None
    except RecursionError:
        raise single(name, f"is nested more than {MAX_DEPTH} levels deep") from None


def read_text(path: str, *, limit: int = MAX_INPUT_BYTES, stdin_text: str | None = None) -> str:
    """Read a UTF-8 text file (or standard input for ``-``) with a size limit."""
    if path == "-":
        data = (stdin_text if stdin_text is not None else _read_stdin(limit + 1)).encode("utf-8")
        name = "<stdin>"
    else:
        name = path
        p = Path(path)
        if not p.exists():
            raise single(name, "no such file")
        if p.is_dir():
            raise single(name, "is a directory; give the path of an answers file (.yaml or .json)")
        try:
            mode = p.stat().st_mode
            if not stat.S_ISREG(mode):
                # A device such as /dev/zero never ends, and a pipe can block for ever.
                raise single(name, "is not a regular file (a device, pipe or socket); give the path of a file")
            size = p.stat().st_size
            if size > limit:
                raise _too_big(name, size, limit)
            with p.open("rb") as handle:
                data = handle.read(limit + 1)  # the file may have grown since stat
        except PermissionError:
            raise single(name, "cannot be read: permission denied") from None
        except OSError as err:
            raise single(name, f"cannot be read: {err.strerror or err}") from None
    if len(data) > limit:
        raise _too_big(name, len(data), limit)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as err:
        line = data[: err.start].count(b"\n") + 1
        raise single(name, f"is not UTF-8 text (bad byte 0x{data[err.start]:02x}); save it as UTF-8", line) from None


def _read_stdin(limit: int) -> str:
    raw = sys.stdin.buffer.read(limit) if hasattr(sys.stdin, "buffer") else sys.stdin.read(limit)
    if isinstance(raw, str):
        return raw
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as err:
        line = raw[: err.start].count(b"\n") + 1
        raise single("<stdin>", "is not UTF-8 text; send UTF-8", line) from None


def _too_big(name: str, size: int, limit: int) -> AdvisorError:
    return AdvisorError([Problem(name, f"is too large ({size:,} bytes); answer files may be at most {limit:,} bytes")])


class _PlainDumper(yaml.SafeDumper):
    """Writes every value out: a file the advisor writes never holds the aliases it refuses to read."""

    def ignore_aliases(self, data: Any) -> bool:
        return True


def dump(data: Any, *, sort_keys: bool = False) -> str:
    """YAML for a file a person may read and edit (UTF-8 text, no anchors or aliases)."""
    return yaml.dump(data, Dumper=_PlainDumper, sort_keys=sort_keys, allow_unicode=True)


def plain(value: Any) -> Any:
    """The same data with LineDict/LineList turned back into dict/list (for dumping)."""
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    return value


def load_file(path: str | os.PathLike[str], name: str | None = None) -> Any:
    """Read and parse a data file from the knowledge base or questionnaires.

    ``name`` is how messages refer to the file (a short path), defaulting to ``path``.
    """
    try:
        text = read_text(str(path), limit=10 * MAX_INPUT_BYTES)
    except AdvisorError as err:
        raise AdvisorError([Problem(name or p.file, p.message, p.line, p.field) for p in err.problems]) from None
    return parse(text, name or str(path), trusted=True)


__all__ = ["LineDict", "LineList", "Problem", "load_file", "parse", "read_text"]
