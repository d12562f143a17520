"""Text a person typed (names, notes, settings): its limits, and how it is shown safely.

A name or note may not hold control characters: a newline would start a heading of its own
in a Markdown report, and an escape sequence would act on the reader's terminal (clearing
it, or writing the clipboard). Text already stored is still shown through ``visible`` so
that nothing typed can ever act on a terminal.
"""

from __future__ import annotations

import unicodedata

from advisor.core.errors import AdvisorError, Problem

MAX_NAME = 200  # a client's name, a setting's value
MAX_NOTE = 2000  # a note on a declined recommendation
MAX_VISIT_NOTES = 4000  # the fitter's notes on a visit


def _is_control(ch: str) -> bool:
    # Cc: C0/C1 controls (ESC, newline, BEL...); Cf: invisible format characters such as
    # right-to-left overrides, which can make text read differently from what it is.
    return unicodedata.category(ch) in ("Cc", "Cf")


def problem_with(value: str, what: str, limit: int) -> str | None:
    """Why this text cannot be a ``what`` (too long, or holding control characters), or None."""
    if len(value) > limit:
        return f"is {len(value):,} characters long; a {what} may be at most {limit:,}"
    bad = next((ch for ch in value if _is_control(ch)), None)
    if bad is not None:
        return f"holds a control character ({_escape(bad)}); a {what} is plain text on one line"
    return None


def checked(value: str, what: str, limit: int, where: str) -> str:
    """The text, stripped; an AdvisorError naming ``where`` (an option or field) if it cannot be a ``what``."""
    value = value.strip()
    trouble = problem_with(value, what, limit)
    if trouble:
        raise AdvisorError([Problem(where, trouble)])
    return value


def one_line(value: str, limit: int) -> str:
    """Text from a form field made storable: control characters become spaces, at most ``limit`` long."""
    flat = "".join(" " if _is_control(ch) else ch for ch in value)
    return " ".join(flat.split())[:limit]


def paragraphs(value: str, limit: int) -> str:
    """Text from a form's text area made storable: its line breaks kept (as newlines), every
    other control character a space, at most ``limit`` long."""
    lines = value.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    kept = "\n".join(one_line(line, limit) for line in lines).strip()
    return kept[:limit]


def visible(text: str) -> str:
    """The text with every control character shown as an escape (\\x1b, \\n...), never acted on."""
    # isprintable() is False for every Cc and Cf character (and for a few harmless ones,
    # such as a no-break space, which the slow path then lets through).
    if text.isprintable() or not any(_is_control(ch) for ch in text):
        return text
    return "".join(_escape(ch) if _is_control(ch) else ch for ch in text)


def _escape(ch: str) -> str:
    code = ord(ch)
    named = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}
    if ch in named:
        return named[ch]
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"
