"""Who is acting on the records, for the audit trail: the fitter named with --fitter, else
ADVISOR_FITTER, else the login name of the person at this computer. The studio names the
fitter signed in instead."""

from __future__ import annotations

import getpass
import os

ENV_FITTER = "ADVISOR_FITTER"


def actor(given: str | None = None) -> str:
    named = (given or os.environ.get(ENV_FITTER, "")).strip()
    if named:
        return " ".join(named.split())[:80]
    try:
        return f"{getpass.getuser()} (login)"
    except (KeyError, OSError):  # no user name for this uid (a container)
        return f"uid {os.getuid()}" if hasattr(os, "getuid") else "unknown"
