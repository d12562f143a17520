"""Where the records live: a SQLite file or a PostgreSQL server, and how to name it safely.

``--db``, else ``ADVISOR_DB``, else ``consultations.sqlite3`` in the user data folder. A
value with ``://`` is a URL: ``postgresql://`` (or ``postgres://``) is a shared server, any
other scheme is refused rather than taken for a file name. A URL may carry a password, so
it is only ever shown through ``shown`` (the password as ``***``), and error text from the
driver goes through ``redact`` before anyone sees it. Nothing here imports a database
library: commands that never open the store pay nothing for it.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qsl, unquote, unquote_plus, urlencode, urlsplit, urlunsplit

from advisor.core.errors import AdvisorError, Problem
from advisor.records.paths import data_dir

ENV_DB = "ADVISOR_DB"
POSTGRES_SCHEMES = ("postgresql", "postgres")
HIDDEN = "***"


@dataclass(frozen=True)
class Location:
    """A SQLite file (``path``) or a PostgreSQL URL (``url``, as given, password included)."""

    path: Path | None = None
    url: str | None = None

    @property
    def is_postgres(self) -> bool:
        return self.url is not None

    @property
    def shown(self) -> str:
        """How the records are named in messages: the path, or the URL with its password hidden."""
        return str(self.path) if self.url is None else _without_secrets(self.url, HIDDEN)

    def without_password(self) -> str:
        """What may be written down (in a draft, say) to find these records again."""
        return str(self.path) if self.url is None else _without_secrets(self.url, None)

    def secrets(self) -> list[str]:
        """The password as written in the URL and as decoded (longest first, for ``redact``)."""
        if self.url is None:
            return []
        found = [_raw_password(self.url) or ""]  # as typed, even where a URL parser would cut it short
        try:
            parts = urlsplit(self.url)
        except ValueError:  # a URL locate() refuses; the password as typed is still hidden
            parts = None
        if parts is not None:
            found.append(parts.password or "")  # as written, percent-encoding and all
            found += [raw for key, _, raw in (p.partition("=") for p in parts.query.split("&")) if key == "password"]
        found += [decoded(s) for s in found for decoded in (unquote, unquote_plus)]
        return sorted({s for s in found if s}, key=len, reverse=True)

    def redact(self, text: str) -> str:
        """``text`` (a driver's error message, say) with the password hidden wherever it appears."""
        for secret in self.secrets():
            text = text.replace(secret, HIDDEN)
        return text

    def same_place(self, other: Location) -> bool:
        return self.without_password() == other.without_password()


def locate(db: str | None) -> Location:
    """The records ``db`` names (``--db``), else ``ADVISOR_DB``, else the user data folder's file."""
    given, source = (db, "--db") if db else (os.environ.get(ENV_DB), ENV_DB)
    if not given:
        return Location(path=default_file())
    if "://" not in given:
        return Location(path=Path(given).expanduser())
    scheme = given.split("://", 1)[0].lower()
    if scheme not in POSTGRES_SCHEMES:
        raise AdvisorError(
            [
                Problem(
                    source,
                    f"is a {scheme}:// URL; give a SQLite file path or a postgresql://USER@HOST/DATABASE URL",
                )
            ]
        )
    location = Location(url=given)
    typed = _raw_password(given)
    try:
        parts = urlsplit(given)
        parts.port  # noqa: B018  (reading it checks it: a port that is not a number raises)
        readable = typed is None or (parts.password == typed and not set(typed) & set("@/?#"))
    except ValueError:
        readable = False
    if not readable:
        # Never the parser's own words: they may quote a piece of the password.
        raise AdvisorError(
            [
                Problem(
                    source,
                    "is not a valid PostgreSQL URL: write postgresql://USER:PASSWORD@HOST:PORT/DATABASE, with "
                    "any # ? / @ % in the password percent-encoded (# as %23, ? as %3F, / as %2F, @ as %40, "
                    "% as %25)",
                )
            ]
        ) from None
    if not parts.path.strip("/"):
        raise AdvisorError(
            [Problem(source, f"names no database; add it at the end: {location.shown.rstrip('/')}/studio")]
        )
    return location


def _raw_password(url: str) -> str | None:
    """The password as typed: from after ``scheme://user:`` to the last ``@``, whatever it holds."""
    rest = url.split("://", 1)[-1]
    if "@" not in rest:
        return None
    _user, colon, password = rest.rsplit("@", 1)[0].partition(":")
    return password if colon else None


def default_file() -> Path:
    return data_dir() / "consultations.sqlite3"


def _without_secrets(url: str, replacement: str | None) -> str:
    """The URL with its password replaced (or removed when ``replacement`` is None)."""
    parts = urlsplit(url)
    netloc = parts.netloc
    if "@" in netloc:
        userinfo, host = netloc.rsplit("@", 1)
        user, has_password, _ = userinfo.partition(":")
        if has_password:
            userinfo = user if replacement is None else f"{user}:{replacement}"
        netloc = f"{userinfo}@{host}"
    query = parts.query
    pairs = parse_qsl(query, keep_blank_values=True)
    if any(key == "password" for key, _ in pairs):  # libpq also takes ?password=
        kept = [(k, v) for k, v in pairs if k != "password" or replacement is not None]
        query = urlencode([(k, replacement if k == "password" else v) for k, v in kept], safe="*")
    return urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))
