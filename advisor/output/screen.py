"""Styled, wrapped text for a terminal: lines, label/value rows with a hanging indent, and boxes.

Printing a result is most of what `advisor assess` does, and a terminal library costs more to
load (about 60 ms) than the whole assessment; what the result needs (wrapping by display
width, bold, dim, a colour, a rounded box) is small enough to write here. The layout follows
what rich draws, so the interactive commands (which use rich) and `assess` look the same.

Every piece of text is shown through ``visible``: nothing printed can act on the terminal.
"""

from __future__ import annotations

import os
import re
import sys
import unicodedata
from typing import IO

from advisor.core.text import visible

# SGR codes: attributes stay without colour (NO_COLOR asks only that colour be left out).
_ATTRIBUTES = {"bold": "1", "dim": "2", "italic": "3", "underline": "4"}
_COLOURS = {"red": "1", "green": "2", "yellow": "3", "white": "7"}
_WORD = re.compile(r"\s*\S+")

Span = tuple[str, str]  # text, style ("bold", "dim yellow", "bold white on red"...)


def _sgr(style: str, colour: bool) -> str:
    codes: list[str] = []
    words = style.split()
    for i, word in enumerate(words):
        if word in _ATTRIBUTES:
            codes.append(_ATTRIBUTES[word])
        elif colour and word in _COLOURS:
            background = i > 0 and words[i - 1] == "on"
            codes.append(("4" if background else "3") + _COLOURS[word])
    return ";".join(codes)


def char_width(ch: str) -> int:
    """Columns a character takes on a terminal: 2 for wide East Asian ones, 0 for combining marks."""
    if unicodedata.combining(ch) or unicodedata.category(ch) in ("Mn", "Me", "Cf"):
        return 0
    return 2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1


def cell_len(text: str) -> int:
    """Columns a piece of text takes on a terminal."""
    return len(text) if text.isascii() else sum(char_width(ch) for ch in text)


def _fold(text: str, start: int, end: int, width: int) -> list[tuple[int, int]]:
    """A word longer than a line, cut into pieces that fit."""
    pieces, begin, used = [], start, 0
    for i in range(start, end):
        w = char_width(text[i])
        if used + w > width and i > begin:
            pieces.append((begin, i))
            begin, used = i, 0
        used += w
    pieces.append((begin, end))
    return pieces


def wrap(text: str, width: int) -> list[tuple[int, int]]:
    """Lines of ``text`` at most ``width`` columns, as (start, end) offsets: words stay whole
    unless longer than a line; spaces where a line breaks are dropped; a newline breaks."""
    lines: list[tuple[int, int]] = []
    width = max(1, width)
    offset = 0
    for paragraph in text.split("\n"):
        start, end, used = offset, offset, 0
        for match in _WORD.finditer(paragraph):
            m_end = offset + match.end()
            word_start = m_end - len(match.group().lstrip())
            cells = cell_len(text[end:m_end])
            if used + cells <= width:
                end, used = m_end, used + cells
                continue
            if end > start:
                lines.append((start, end))
            pieces = _fold(text, word_start, m_end, width)
            lines.extend(pieces[:-1])
            start, end = pieces[-1]
            used = cell_len(text[start:end])
        lines.append((start, end))
        offset += len(paragraph) + 1
    return lines


class Screen:
    """Lines of styled text at a fixed width, turned into one string (with escape codes only
    when ``styled``; colour codes only when also ``colour``)."""

    def __init__(self, width: int, *, styled: bool = False, colour: bool = True) -> None:
        self.width = max(1, width)
        self.styled = styled
        self.colour = colour
        self._lines: list[tuple[str, int]] = []  # as printed, and its width in columns

    def render(self) -> str:
        return "".join(line + "\n" for line, _ in self._lines)

    def _paint(self, text: str, style: str) -> str:
        codes = _sgr(style, self.colour) if self.styled and style else ""
        return f"\x1b[{codes}m{text}\x1b[0m" if codes and text else text

    def blank(self) -> None:
        self._lines.append(("", 0))

    def line(self, *spans: Span) -> None:
        """One or more styled pieces, wrapped together at the screen's width."""
        self._lines.extend(self._wrapped(spans, self.width))

    def _wrapped(self, spans: tuple[Span, ...] | list[Span], width: int) -> list[tuple[str, int]]:
        pieces = [(visible(text), style) for text, style in spans]
        plain = "".join(text for text, _ in pieces)
        bounds, at = [], 0
        for text, style in pieces:
            bounds.append((at, at + len(text), style))
            at += len(text)
        return [
            (
                "".join(
                    self._paint(plain[max(start, a) : min(end, b)], style)
                    for a, b, style in bounds
                    if a < end and b > start
                ),
                cell_len(plain[start:end]),
            )
            for start, end in wrap(plain, width)
        ]

    def rows(self, items: list[tuple[str, str, str]], indent: int) -> None:
        """Label/value rows with a hanging indent: wrapped text stays under its value. A label
        is bold, or in its row's style when the row has one."""
        if not items:
            return
        labels = [visible(label) for label, _, _ in items]
        label_w = max(cell_len(label) for label in labels)
        value_w = max(1, self.width - indent - label_w - 1)
        pad = " " * indent
        for label, (_, value, style) in zip(labels, items, strict=True):
            for i, (painted, cells) in enumerate(self._wrapped([(value, style)], value_w)):
                head = label if i == 0 else ""
                gap = " " * (label_w - cell_len(head) + 1)
                painted = pad + self._paint(head, style or "bold") + gap + painted
                self._lines.append((painted, indent + label_w + 1 + cells))

    def box(self, inner: Screen, title: str, border: str, padding: tuple[int, int]) -> None:
        """``inner`` (made ``self.width - 2 - 2 * padding[1]`` wide) in a rounded box, with the
        title centred in its top edge in the border's style."""
        pad_y, pad_x = padding
        width = max(2, self.width - 2)  # inside the two sides
        room = width - 2  # for the title, between a corner's first dash and the last
        title = f" {visible(title)} "
        while title and cell_len(title) > room:
            title = title[:-1]
        excess = room - cell_len(title)
        left = excess // 2
        edge = self._paint
        top = "─" * (left + 1) + title + "─" * (excess - left + 1)
        self._lines.append((edge("╭" + top + "╮", border), width + 2))
        side = edge("│", border)
        body = [("", 0)] * pad_y + inner._lines + [("", 0)] * pad_y
        for painted, cells in body:
            fill = " " * max(0, width - 2 * pad_x - cells)
            self._lines.append((side + " " * pad_x + painted + fill + " " * pad_x + side, width + 2))
        self._lines.append((edge("╰" + "─" * width + "╯", border), width + 2))

    def inner(self, padding_x: int) -> Screen:
        """A screen for what goes inside a box with this much padding on each side."""
        return Screen(max(1, self.width - 2 - 2 * padding_x), styled=self.styled, colour=self.colour)


def for_stream(stream: IO[str]) -> Screen:
    """A screen for this output, deciding as rich does: the width from COLUMNS, else from the
    terminal (the output's, or failing that the input's or stderr's, so `advisor assess F |
    less -R` is as wide as the window), else 80; styles on a terminal (TTY_COMPATIBLE=1 or 0
    says whether the output is one; FORCE_COLOR styles a pipe), none where TERM is dumb; no
    colour under NO_COLOR."""
    compatible = os.environ.get("TTY_COMPATIBLE", "")
    tty = compatible == "1" or (compatible != "0" and stream.isatty())
    columns = os.environ.get("COLUMNS", "")
    width = int(columns) if columns.isdigit() and int(columns) > 0 else _terminal_width(stream) or 80
    dumb = os.environ.get("TERM", "") in ("dumb", "unknown")
    styled = (tty or bool(os.environ.get("FORCE_COLOR"))) and not dumb
    colour = not os.environ.get("NO_COLOR")
    return Screen(width, styled=styled, colour=colour)


def _terminal_width(stream: IO[str]) -> int | None:
    try:
        fds = [stream.fileno(), 0, 2]
    except (OSError, ValueError, AttributeError):
        fds = [0, 2]
    for fd in fds:
        try:
            return os.get_terminal_size(fd).columns or None
        except (OSError, ValueError):
            continue
    return None


if sys.platform == "win32":  # a Windows console shows escape codes as they are until told otherwise
    import colorama

    colorama.just_fix_windows_console()
