"""Writing files safely: never a half-written file, never a silent overwrite."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from advisor.core.errors import AdvisorError, Problem


def write_atomic(path: Path, data: bytes | str, *, mode: int | None = None) -> None:
    """Write to a temporary file beside ``path``, then rename it into place.

    A crash or a full disk leaves either the old file or the new one, never a mix.
    """
    payload = data.encode("utf-8") if isinstance(data, str) else data
    folder = path.parent if str(path.parent) else Path(".")
    try:
        folder.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=folder)
    except OSError as err:
        raise AdvisorError([Problem(str(path), f"cannot be written: {err.strerror or err}")]) from None
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(payload)
            fh.flush()
            os.fsync(fh.fileno())
        # mkstemp makes owner-only files; without an explicit mode, give the usual one.
        os.chmod(tmp, mode if mode is not None else 0o666 & ~_umask())
        os.replace(tmp, path)
    except OSError as err:
        Path(tmp).unlink(missing_ok=True)
        raise AdvisorError([Problem(str(path), f"cannot be written: {err.strerror or err}")]) from None
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _umask() -> int:
    current = os.umask(0)
    os.umask(current)
    return current


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
