"""Studio account passwords, kept as scrypt hashes (hashlib's, with a salt of their own), never
in clear: 'scrypt$n$r$p$salt$hash' with the salt and hash in base64."""

from __future__ import annotations

import base64
import functools
import hashlib
import hmac
import secrets

_N, _R, _P = 2**14, 8, 1  # about 50 ms a check on a 2-core machine; 16 MiB of memory


def hashed(password: str) -> str:
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode("utf-8"), salt=salt, n=_N, r=_R, p=_P, dklen=32)
    return f"scrypt${_N}${_R}${_P}${_b64(salt)}${_b64(digest)}"


def matches(password: str, stored: str) -> bool:
    try:
        kind, n, r, p, salt, digest = stored.split("$")
        if kind != "scrypt":
            return False
        got = hashlib.scrypt(
            password.encode("utf-8"), salt=base64.b64decode(salt), n=int(n), r=int(r), p=int(p), dklen=32
        )
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(got, base64.b64decode(digest))


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


@functools.cache
def dummy() -> str:
    """A hash to check against when a name has no account, so a wrong name takes as long as a
    wrong password (made on first use: scrypt's cost is for logins, not every command)."""
    return hashed(secrets.token_urlsafe(16))
