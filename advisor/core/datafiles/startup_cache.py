"""The compiled knowledge base kept between runs, so a command starts without parsing YAML.

Reading and validating ``rules/`` and ``questionnaires/`` takes about a tenth of a second;
loading the same objects from a pickle takes a few milliseconds. The cache lives in the
user's cache folder (``ADVISOR_CACHE_DIR`` overrides it; ``off`` turns it off), in a
sub-folder named after a hash of everything the objects are built from: every file under
the rules and questionnaire folders in use, the advisor's core code and the Python version.
An edited rule, a new release or another Python therefore finds no entry and builds one;
entries unused for a day are removed when a new one is written.

A pickle can run code when loaded, so an entry is trusted only when the current user owns
it and its folders and nobody else can write them; anything else, and any entry that fails
to load, is ignored and rebuilt from the YAML, never trusted.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import pickle
import re
import shutil
import stat
import sys
import time
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import TypeVar

from platformdirs import user_cache_dir

from advisor.core.datafiles import resources
from advisor.core.datafiles.files import write_atomic

ENV_CACHE_DIR = "ADVISOR_CACHE_DIR"
_CORE = Path(__file__).resolve().parent.parent  # the code that builds and defines the cached objects
_ENTRY_FOLDER = re.compile(r"^[0-9a-f]{32}$")
T = TypeVar("T")


def root() -> Path | None:
    """The cache folder, or None when ``ADVISOR_CACHE_DIR=off``."""
    override = os.environ.get(ENV_CACHE_DIR, "").strip()
    if override.lower() == "off":
        return None
    if override:
        return Path(override).expanduser()
    return Path(user_cache_dir("bikefit-advisor", appauthor=False))


@cache
def _fingerprint(rules: Path, questionnaires: Path) -> str:
    digest = hashlib.blake2b(digest_size=16)
    # The folders themselves too: the entries hold file paths, for messages and `rules show`.
    digest.update(f"{sys.version}\0{rules}\0{questionnaires}\0".encode())
    sources = (
        ("rules", rules, "**/*.yaml"),
        ("questionnaires", questionnaires, "**/*.yaml"),
        ("code", _CORE, "**/*.py"),
    )
    for label, folder, pattern in sources:
        for path in sorted(p for p in folder.glob(pattern) if p.is_file()):
            digest.update(f"{label}/{path.relative_to(folder)}\0".encode())
            digest.update(path.read_bytes())
            digest.update(b"\0")
    return digest.hexdigest()


def _trusted(path: Path, *, folder: bool) -> bool:
    """Owned by the current user, and nobody else may write it (or, for the entry, read it)."""
    try:
        info = path.lstat()
    except OSError:
        return False
    if info.st_uid != os.getuid():
        return False
    if folder:
        return stat.S_ISDIR(info.st_mode) and not info.st_mode & 0o022
    return stat.S_ISREG(info.st_mode) and not info.st_mode & 0o077


def cached(name: str, build: Callable[[], T]) -> T:
    """``build()``'s result, from the cache when a trusted entry for the current files exists."""
    base = root()
    if base is None or not hasattr(os, "getuid"):  # no owner check to rely on: build every time
        return build()
    try:
        folder = base / _fingerprint(resources.rules_dir().resolve(), resources.questionnaires_dir().resolve())
    except OSError:  # a file that cannot be read: the build will say which, with its own words
        return build()
    entry = folder / f"{name}.pickle"
    if _trusted(base, folder=True) and _trusted(folder, folder=True):
        try:
            value: T = pickle.loads(_read_own(entry))
            return value
        except Exception:
            pass
    value = build()
    _store(base, folder, entry, value)
    return value


def _read_own(entry: Path) -> bytes:
    """The entry's bytes, checked on the open file itself (no link followed, owner-only), so
    nothing can be swapped in between the check and the read."""
    fd = os.open(entry, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
    with os.fdopen(fd, "rb") as fh:
        info = os.fstat(fh.fileno())
        if info.st_uid != os.getuid() or not stat.S_ISREG(info.st_mode) or info.st_mode & 0o077:
            raise PermissionError(f"{entry} is not the user's own")
        return fh.read()


def _remove_old(base: Path, keep: Path) -> None:
    """Other entries written more than a day ago (two rule folders in use at once keep theirs);
    only folders that hold nothing but entries, whatever else shares the cache folder."""
    now = time.time()
    for old in base.iterdir():
        ours = old != keep and _ENTRY_FOLDER.match(old.name) and _trusted(old, folder=True)
        only_entries = ours and all(p.suffix in (".pickle", ".tmp") for p in old.iterdir())
        if only_entries and now - old.stat().st_mtime > 86400:
            shutil.rmtree(old, ignore_errors=True)


def _store(base: Path, folder: Path, entry: Path, value: object) -> None:
    """Write the entry; a cache that cannot be written only costs the next run its speed."""
    try:
        data = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
        fresh = not folder.exists()
        base.mkdir(mode=0o700, parents=True, exist_ok=True)
        folder.mkdir(mode=0o700, exist_ok=True)
        if not (_trusted(base, folder=True) and _trusted(folder, folder=True)):
            return
        write_atomic(entry, data, mode=0o600)
        if fresh:
            _remove_old(base, keep=folder)
    except Exception:
        with contextlib.suppress(OSError):
            entry.unlink(missing_ok=True)
