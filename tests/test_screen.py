"""The terminal's text: wrapping by display width, rows, boxes, styles and what is never printed raw."""

from __future__ import annotations

import io
import os

import pytest
from hypothesis import given, settings, strategies as st

from advisor.core.advice.pipeline import assess
from advisor.core.intake.answers import load
from advisor.output import formats, terminal
from advisor.output.screen import Screen, cell_len, for_stream, wrap
from tests.scenario_files import EXAMPLES

ESC = "\x1b"
words = st.text(alphabet=st.sampled_from([*"abcdefghij ÆØÅéü李小龍ΣΩ", "\u0301", "–", "…"]), min_size=0, max_size=120)


@settings(max_examples=300, deadline=None)
@given(words, st.integers(min_value=1, max_value=40))
def test_wrapped_lines_fit_and_lose_no_word(text: str, width: int) -> None:
    lines = [text[a:b] for a, b in wrap(text, width)]
    for line in lines:
        # A character wider than the line (a wide one on a 1-column line) still prints.
        assert cell_len(line) <= width or len(line) == 1
    assert "".join("".join(lines).split()) == "".join(text.split())


def test_words_stay_whole_and_long_ones_are_cut() -> None:
    text = "raise the handlebar 5-10 mm abcdefghijklmnopqrstuvwxyz"
    assert [text[a:b] for a, b in wrap(text, 12)] == [
        "raise the",
        "handlebar",
        "5-10 mm",
        "abcdefghijkl",
        "mnopqrstuvwx",
        "yz",
    ]


def test_wide_characters_take_two_columns() -> None:
    assert cell_len("李小龍") == 6
    assert cell_len("e\u0301") == 1  # e and a combining accent: one column
    text = "李小龍 李小龍"
    assert [text[a:b] for a, b in wrap(text, 6)] == ["李小龍", "李小龍"]


def test_rows_hang_under_their_value_and_boxes_are_square() -> None:
    screen = Screen(40)
    inner = screen.inner(2)
    inner.line(("A referral title that is long enough to wrap in the box", "bold"))
    inner.rows([("•", "李小龍 has a long reason that wraps onto a second line", "")], 0)
    screen.box(inner, "Referral: 李小龍", "green", (1, 2))
    screen.rows([("What:", "one two three four five six seven eight nine", ""), ("Why:", "ten", "dim")], 4)
    lines = screen.render().splitlines()
    assert {cell_len(line) for line in lines[:8]} == {40}, lines
    assert lines[0].startswith("╭") and "Referral: 李小龍" in lines[0]
    bullet = next(i for i, line in enumerate(lines) if line.startswith("│  • 李小龍"))
    assert lines[bullet + 1].startswith("│    ") and lines[bullet + 1][5] != " "  # the hanging indent
    what = next(line for line in lines if line.startswith("    What:"))
    assert what == "    What: one two three four five six"
    assert lines[lines.index(what) + 1] == "          seven eight nine"
    assert ESC not in screen.render()  # not styled: no escape codes at all


def test_control_characters_are_shown_not_sent() -> None:
    screen = Screen(80, styled=True)
    screen.line(("Name\x1b]52;c;Y2xpcA==\x07 ok", ""))
    screen.rows([("\x1b[2J", "note\x9b31m", "")], 0)
    out = screen.render()
    assert "\\x1b]52" in out and "\\x07" in out and "\\x9b" in out
    assert ESC + "]" not in out and "\x07" not in out and "\x9b" not in out


def test_styles_and_colours() -> None:
    styled = Screen(80, styled=True)
    styled.line(("EMERGENCY", "bold white on red"), (" then plain", ""))
    assert styled.render() == "\x1b[1;37;41mEMERGENCY\x1b[0m then plain\n"
    plain_colour = Screen(80, styled=True, colour=False)
    plain_colour.line(("EMERGENCY", "bold white on red"))
    assert plain_colour.render() == "\x1b[1mEMERGENCY\x1b[0m\n"


class _Tty(io.StringIO):
    def isatty(self) -> bool:
        return True

    def fileno(self) -> int:
        raise OSError("not a real terminal")


@pytest.mark.parametrize(
    "env,tty,expect",
    [
        ({}, False, (80, False, True)),
        ({"COLUMNS": "100"}, False, (100, False, True)),
        ({}, True, (80, True, True)),
        ({"NO_COLOR": "1"}, True, (80, True, False)),
        ({"TERM": "dumb"}, True, (80, False, True)),
        ({"TERM": "dumb", "FORCE_COLOR": "1"}, True, (80, False, True)),
        ({"FORCE_COLOR": "1"}, False, (80, True, True)),
        ({"TTY_COMPATIBLE": "1"}, False, (80, True, True)),
        ({"TTY_COMPATIBLE": "0"}, True, (80, False, True)),
    ],
)
def test_a_stream_gets_its_width_and_styles(
    monkeypatch: pytest.MonkeyPatch, env: dict[str, str], tty: bool, expect: tuple[int, bool, bool]
) -> None:
    for name in ("COLUMNS", "NO_COLOR", "FORCE_COLOR", "TERM", "TTY_COMPATIBLE"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setattr(os, "get_terminal_size", _no_terminal)
    screen = for_stream(_Tty() if tty else io.StringIO())
    assert (screen.width, screen.styled, screen.colour) == expect


def _no_terminal(fd: int) -> os.terminal_size:
    raise OSError("not a terminal")


def test_piped_output_is_as_wide_as_the_window_it_was_typed_in(monkeypatch: pytest.MonkeyPatch) -> None:
    """`advisor assess F | less -R`: the output is a pipe, the input is the terminal."""
    monkeypatch.delenv("COLUMNS", raising=False)

    def size(fd: int) -> os.terminal_size:
        if fd == 0:
            return os.terminal_size((132, 40))
        raise OSError("not a terminal")

    monkeypatch.setattr(os, "get_terminal_size", size)
    assert for_stream(io.StringIO()).width == 132


@pytest.mark.parametrize("width", range(1, 31))
def test_any_width_draws_the_whole_advice(width: int) -> None:
    """However narrow the window, every word is there; from 24 columns on every line fits (the
    emergency box's widest label, "Tell the doctor:", needs that much)."""
    report = formats.report_for(assess(load(str(EXAMPLES / "urgent-pain-after-crash.yaml"))))
    screen = Screen(width)
    terminal.render(report, screen, explain=True)
    text = screen.render()
    assert "".join(report.referral.headline.split()) in "".join(text.replace("│", "").split())
    if width >= 24:
        assert max(cell_len(line) for line in text.splitlines()) <= width


def test_no_rows_draw_nothing() -> None:
    screen = Screen(40)
    screen.rows([], 2)
    assert screen.render() == ""
