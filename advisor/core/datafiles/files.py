"""Writing files safely: never a half-written file, never a silent overwrite."""

from __future__ import annotations

import contextlib
import glob
import os
import re
import tempfile
import time
from pathlib import Path

from advisor.core.errors import AdvisorError, Problem

# Temporary files are named after their target; one older than this was left by a writer
# that was killed (a live writer renames its file within seconds).
STALE_AFTER_SECONDS = 600


def write_atomic(
    path: Path, data: bytes | str, *, mode: int = 0o600, make_folder: bool = False, sweep: bool = True
) -> None:
    """Write to a temporary file beside ``path``, then rename it into place.

    A crash or a full disk leaves either the old file or the new one, never a mix. Files
    are owner-only by default: what the advisor writes is health data. ``make_folder`` is
    for the advisor's own folders; a folder a user names must exist already. ``sweep=False``
    skips looking for a killed writer's leftovers, for a caller that cleared them already (a
    batch writing thousands of reports into one folder would list it once per report).
    """
    payload = data.encode("utf-8") if isinstance(data, str) else data
    folder = path.parent if str(path.parent) else Path(".")
    try:
        if make_folder:
            folder.mkdir(parents=True, exist_ok=True)
        elif not folder.is_dir():
            raise AdvisorError([Problem(str(path), f"cannot be written: the folder {folder} does not exist")])
        if sweep:
            _remove_stale_temporaries(path, whole_folder=make_folder)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=folder)
    except OSError as err:
        raise AdvisorError([Problem(str(path), f"cannot be written: {err.strerror or err}")]) from None
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(payload)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except OSError as err:
        Path(tmp).unlink(missing_ok=True)
        raise AdvisorError([Problem(str(path), f"cannot be written: {err.strerror or err}")]) from None
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


_OURS = re.compile(r"^\..+\.[a-z0-9_]{8}\.tmp$")  # ".<name>.<mkstemp's 8 characters>.tmp"


def _remove_stale_temporaries(path: Path, *, whole_folder: bool) -> None:
    """Temporary files a killed writer left, cleaned up by the next write: beside ``path``, or
    anywhere in the folder when it is the advisor's own (drafts, settings)."""
    now = time.time()
    pattern = ".*.tmp" if whole_folder else f".{glob.escape(path.name)}.*.tmp"
    for leftover in path.parent.glob(pattern):
        if not _OURS.match(leftover.name):
            continue
        with contextlib.suppress(OSError):
            if now - leftover.stat().st_mtime > STALE_AFTER_SECONDS:
                leftover.unlink()


def remove_leftovers(folder: Path) -> int:
    """Every temporary file a killed writer left in a folder only this command writes (a batch's
    output folder), whatever its age; returns how many were removed."""
    removed = 0
    for leftover in folder.glob(".*.tmp"):
        if _OURS.match(leftover.name):
            with contextlib.suppress(OSError):
                leftover.unlink()
                removed += 1
    return removed


def check_target(
    path: Path, *, option: str, keep: tuple[Path, ...] = (), overwrite: bool = True, example: str = "report.pdf"
) -> Path:
    """Refuse, before any work is done, a place the advisor must not write.

    ``keep`` are files that must never be replaced (the input being read, the database);
    without ``overwrite`` an existing file is only replaced with ``--force``.
    """
    if str(path) == "-":
        # '-' is standard output, never a file named '-': only a command with nothing else to
        # print there takes it (export --out -), and it does so before calling this.
        raise AdvisorError(
            [
                Problem(
                    "-", f"this command prints to standard output already; give a file such as {example}", field=option
                )
            ]
        )
    if path.is_dir():
        raise AdvisorError([Problem(str(path), f"is a directory; give a file name such as {example}", field=option)])
    folder = path.parent if str(path.parent) else Path(".")
    if not folder.is_dir():
        raise AdvisorError([Problem(str(path), f"cannot be written: the folder {folder} does not exist", field=option)])
    if path.exists():
        for other in keep:
            if other.exists() and os.path.samefile(path, other):
                raise AdvisorError(
                    [
                        Problem(
                            str(path), f"is {other} itself, which this command reads; give another name", field=option
                        )
                    ]
                )
        if not overwrite:
            raise AdvisorError(
                [Problem(str(path), "already exists; give another name, or add --force to replace it", field=option)]
            )
    return path


def free_path(path: Path) -> Path:
    """``path`` if nothing is there yet, else the first free ``name-2.ext``, ``name-3.ext``..."""
    if not path.exists():
        return path
    n = 2
    while True:
        candidate = path.with_name(f"{path.stem}-{n}{path.suffix}")
        if not candidate.exists():
            return candidate
        n += 1
