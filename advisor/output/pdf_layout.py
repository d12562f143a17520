"""Layout for the PDF report on top of fpdf2: fonts, fast word wrap, blocks that never split.

fpdf2 draws; this module decides where. Text is wrapped here, one measured word at a
time, because fpdf2's own multi_cell re-measures the growing line for every character.
"""

from __future__ import annotations

import copy
import itertools
import struct
import types
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any, BinaryIO

from fontTools import subset as ftsubset
from fontTools.ttLib import TTFont
from fpdf import FPDF, output as fpdf_output
from fpdf.drawing_primitives import convert_to_device_color
from fpdf.enums import TextMode
from fpdf.fonts import SubsetMap, TTFFont

from advisor.output.diagram import Diagram, arrow_parts

FONTS = Path(__file__).parent / "fonts"
FONT = "dejavu"
# Every colour prints dark enough in greyscale: body text near black, muted text and the
# accent (orange-800, a bike change's mark and number) at 7:1 or more on white.
INK, MUTED, LINE, ACCENT = (15, 23, 42), (71, 85, 105), (203, 213, 225), (154, 52, 18)
GUIDE = (37, 99, 235)
CAPTION_PT = 8.5  # a diagram's captions (the names of a picture's positions), in points
# The bike drawn light, so each change's mark (ACCENT, darker) stands out from the frame in
# greyscale too, where the orange and the frame's slate would be the same grey.
BIKE_PALETTE = {"frame": (148, 163, 184), "wheel": (190, 200, 212)}


class SafeText:
    """Replaces characters the font cannot draw, and remembers that it did."""

    def __init__(self, chars: frozenset[str]) -> None:
        self.chars = chars | {"\n", "\t"}
        self.replaced = False

    def __call__(self, text: str) -> str:
        if self.chars.issuperset(text):  # nearly always: no character to look at one by one
            return text
        out = []
        for ch in text:
            if ch in self.chars:
                out.append(ch)
            else:
                out.append("?")
                self.replaced = True
        return "".join(out)


# Nearly every report needs only Latin text: it gets a cut of the same font with 394 glyphs
# (AdvisorSansCommon), which a worker loads in an eighth of the full font's time and embeds in
# a third; a report with any other character (a Greek or Cyrillic name, say) gets the full
# font, of 2,500 glyphs. fonts/README.md says how both were made.
COMMON, FULL = "AdvisorSansCommon", "AdvisorSans"


@cache
def drawable(family: str) -> frozenset[str]:
    """The characters a bundled font family can draw (both weights cover the same)."""
    return frozenset(map(chr, TTFont(FONTS / f"{family}.ttf", lazy=True).getBestCmap()))


def family_for(text: Iterable[str]) -> str:
    """The smallest bundled font family that draws every character of ``text``."""
    # A report repeats most of its strings (labels, units, answers): look at each one once.
    return COMMON if drawable(COMMON).issuperset(set("".join(set(text))) - {"\n", "\t"}) else FULL


def new_pdf(paper: str, text: Iterable[str] = ()) -> tuple[Any, SafeText]:
    """A page-numbered PDF with a bundled font that draws ``text``, and the text filter for it."""
    family = family_for(text)
    pdf = _pdf_class()(format="A4" if paper == "a4" else "letter")
    pdf.set_margins(15, 12, 15)
    pdf.set_auto_page_break(True, margin=15)
    for style in ("", "B"):
        _add_font(pdf, family, style)
    return pdf, SafeText(drawable(family))


# fpdf2's add_font() parses the font file, and its output() subsets the font with fontTools,
# for every document: two fifths of a report's time, for files that never change. Here each
# file is parsed once per process, by fpdf2's own TTFFont so that widths and metrics are
# fpdf2's, and each document gets a copy with a glyph map of its own. On output, the font
# embedded keeps the file's glyph ids: the outlines of the glyphs the document uses, and
# empty ones for the rest (fontTools' "retain_gids" layout). It is put together from the
# file's stored tables, with no outline decoded, in under a millisecond.


def _add_font(pdf: Any, family: str, style: str) -> None:
    """What ``pdf.add_font(FONT, style, <the family's file>)`` does, from the parsed file."""
    parsed, outlines = _parsed(family, style)
    font = copy.copy(parsed)
    font.i = len(pdf.fonts) + 1
    # What a document changes is its own: the width table (a defaultdict, which grows on
    # lookups), the descriptor (numbered on output), the glyphs used and those missing.
    font.cw = parsed.cw.copy()
    font.desc = copy.copy(parsed.desc)
    font.missing_glyphs = []
    font.ttfont = _Embedding(outlines)
    font.subset = SubsetMap(font)
    font.codes = _Codes(font.subset)
    pdf.fonts[font.fontkey] = font


class _ReportFont(TTFFont):
    """fpdf2's TrueType font, encoding a line of text with one str.translate()."""

    __slots__ = ("codes",)
    codes: _Codes

    def encode_text(self, text: str) -> str:
        # As TTFFont.encode_text() does character by character (the bundled fonts are not
        # symbol fonts, which it maps first): each character becomes its code in the
        # document's subset, and one the font lacks is left out.
        return f"({self.escape_text(text.translate(self.codes))}) Tj"


class _Codes(dict[int, str | None]):
    """Character -> its code in a document's font subset, given on first use by the subset."""

    def __init__(self, subset: SubsetMap) -> None:
        super().__init__()
        self.subset = subset

    def __missing__(self, char: int) -> str | None:
        code = self.subset.pick(char)
        self[char] = None if code is None else chr(code)
        return self[char]


@cache
def _parsed(family: str, style: str) -> tuple[_ReportFont, _Outlines]:
    path = FONTS / f"{family}{'-Bold' if style else ''}.ttf"
    parsed = _ReportFont(FPDF(), path, FONT + style, style)
    parsed.ttfont.close()  # everything a document needs from the file is read by now
    return parsed, _outlines(path)


@dataclass(frozen=True)
class _Outlines:
    """A bundled font file, cut into the pieces its embedded copies are put together from."""

    tables: dict[str, bytes]  # as stored, but for glyf, loca and hmtx; post without glyph names
    glyphs: tuple[bytes, ...]  # each glyph's outline as stored, by glyph id
    metrics: tuple[tuple[bytes, bytes], ...]  # each glyph's hmtx entry, as stored and blanked
    needs: tuple[frozenset[int], ...]  # each glyph's id, with those of the glyphs it is made of
    ids: dict[str, int]  # glyph name -> glyph id
    long_loca: bool

    def embedded(self, names: Iterable[str]) -> bytes:
        """The font file to embed for a document that draws the glyphs ``names``."""
        keep = set().union({0}, *(self.needs[self.ids[name]] for name in names))  # 0: .notdef
        glyf = [outline if gid in keep else b"" for gid, outline in enumerate(self.glyphs)]
        hmtx = [stored if gid in keep else blank for gid, (stored, blank) in enumerate(self.metrics)]
        offsets = [0, *itertools.accumulate(map(len, glyf))]
        if self.long_loca:
            loca = struct.pack(f">{len(offsets)}I", *offsets)
        else:  # stored outlines all have even lengths, so every offset halves exactly
            loca = struct.pack(f">{len(offsets)}H", *(offset // 2 for offset in offsets))
        return _sfnt({**self.tables, "glyf": b"".join(glyf), "loca": loca, "hmtx": b"".join(hmtx)})


@cache
def _outlines(path: Path) -> _Outlines:
    font = TTFont(path, lazy=True)
    try:
        order = font.getGlyphOrder()
        ids = {name: gid for gid, name in enumerate(order)}
        glyf, loca, stored = font["glyf"], font["loca"], font.reader["glyf"]
        needs: dict[int, frozenset[int]] = {}

        def made_of(gid: int) -> frozenset[int]:
            if gid not in needs:
                parts = glyf[order[gid]].getComponentNames(glyf)
                needs[gid] = frozenset({gid}).union(*(made_of(ids[part]) for part in parts))
            return needs[gid]

        # hmtx: an advance and a left side bearing for the first glyphs, then bearings only.
        # The PDF gives every advance itself; a glyph left out gets zeros, which compress
        # to nothing, except the last advance, which the glyphs after it share.
        long = font["hhea"].numberOfHMetrics
        hmtx = font.reader["hmtx"]
        entries = [hmtx[4 * gid : 4 * gid + 4] for gid in range(long)]
        entries += [hmtx[4 * long + 2 * i : 4 * long + 2 * i + 2] for i in range(len(order) - long)]
        metrics = [(entry, bytes(len(entry))) for entry in entries]
        metrics[long - 1] = (entries[long - 1], entries[long - 1])

        tables = {tag: font.reader[tag] for tag in font.reader.tables if tag not in ("glyf", "loca", "hmtx")}
        # Glyph names are for font editors: a PDF's text is mapped by its ToUnicode table.
        tables["post"] = struct.pack(">I", 0x00030000) + tables["post"][4:32]
        return _Outlines(
            tables=tables,
            glyphs=tuple(stored[loca[gid] : loca[gid + 1]] for gid in range(len(order))),
            metrics=tuple(metrics),
            needs=tuple(made_of(gid) for gid in range(len(order))),
            ids=ids,
            long_loca=font["head"].indexToLocFormat == 1,
        )
    finally:
        font.close()


def _sfnt(tables: dict[str, bytes]) -> bytes:
    """A TrueType file of these tables, with its directory and checksums."""
    tags = sorted(tables)
    power = 1 << (len(tags).bit_length() - 1)  # the directory's binary search fields
    directory = [
        struct.pack(">IHHHH", 0x00010000, len(tags), 16 * power, power.bit_length() - 1, 16 * (len(tags) - power))
    ]
    body: list[bytes] = []
    offset = 12 + 16 * len(tags)
    head = 0
    for tag in tags:
        data = tables[tag]
        if tag == "head":
            head = offset
            data = data[:8] + bytes(4) + data[12:]  # checkSumAdjustment, set below
        padded = data + bytes(-len(data) % 4)
        directory.append(struct.pack(">4sIII", tag.encode("latin-1"), _checksum(padded), offset, len(data)))
        body.append(padded)
        offset += len(padded)
    font = bytearray(b"".join(directory + body))
    font[head + 8 : head + 12] = struct.pack(">I", (0xB1B0AFBA - _checksum(font)) & 0xFFFFFFFF)
    return bytes(font)


def _checksum(data: bytes | bytearray) -> int:
    return sum(struct.unpack(f">{len(data) // 4}I", data)) & 0xFFFFFFFF


class _Embedding:
    """A document's bundled font as fpdf2's output() sees it, in place of a fontTools TTFont."""

    def __init__(self, outlines: _Outlines) -> None:
        self.outlines = outlines
        self.names: list[str] = []

    def keep(self, names: Iterable[str]) -> None:
        self.names = list(names)

    def getGlyphID(self, name: str) -> int:
        return self.outlines.ids[name]

    def save(self, file: BinaryIO) -> None:
        file.write(self.outlines.embedded(self.names))

    def close(self) -> None:
        pass

    def __contains__(self, tag: str) -> bool:
        return tag in self.outlines.tables


class _Subsetter(ftsubset.Subsetter):
    """fontTools' subsetter, which output() calls for every font: a bundled font is cut above."""

    def populate(self, glyphs: Iterable[str] = (), **kwargs: Any) -> None:
        self.glyph_list = list(glyphs)
        super().populate(glyphs=self.glyph_list, **kwargs)

    def subset(self, font: Any) -> None:
        if isinstance(font, _Embedding):
            font.keep(self.glyph_list)
        else:
            super().subset(font)


# output() reaches fontTools.subset through this name (fpdf2 2.8, which pyproject.toml pins
# and tests/test_reports.py checks): every name stays fontTools' own but the subsetter.
fpdf_output.ftsubset = types.SimpleNamespace(**{**vars(ftsubset), "Subsetter": _Subsetter})


@cache
def _pdf_class() -> Any:
    class ReportPDF(FPDF):
        def footer(self) -> None:
            pass  # written for every page at once by write_footers(), when the count is known

    return ReportPDF


# Word widths in font units, per bundled font file: the knowledge base's texts hold a few
# thousand distinct words, and every report repeats them.
_word_widths: dict[str, dict[str, int]] = {}

# Wrapped blocks, by text, font file, size and width. A block is usually measured (to keep
# it on one page) and then drawn, and most of a report's text is the knowledge base's, which
# comes back in report after report: each is wrapped once.
_wrapped: dict[tuple[str, Path, float, float], tuple[str, ...]] = {}


def wrap(pdf: Any, text: str, width: float) -> list[str]:
    """Greedy word wrap with the current font, in linear time.

    fpdf2's own multi_cell re-measures the growing line for every character, which made a
    report take most of a second; measuring each word once keeps it to a few milliseconds.
    """
    cw = pdf.current_font.cw  # code point -> width in 1/1000 em, the font's default for others
    scale = pdf.font_size_pt * 0.001 / pdf.k
    # The same words come back on every line and in every report: each is measured once.
    known = _word_widths.setdefault(str(pdf.current_font.ttffile), {})
    if len(known) > 50_000:  # names and notes add words without end in a long-running studio
        known.clear()

    def char_width(c: str) -> float:
        return float(cw[ord(c)] * scale)

    def width_of(s: str) -> float:
        units = known.get(s)
        if units is None:
            units = sum(map(cw.__getitem__, map(ord, s)))
            if len(s) <= 64:  # words; not the pieces of an unbroken run of text being cut up
                known[s] = units
        return float(units * scale)

    space = width_of(" ")
    lines: list[str] = []
    for paragraph in text.split("\n"):
        line, used = "", 0.0
        for word in paragraph.split(" "):
            w = width_of(word)
            if line and used + space + w > width:
                lines.append(line)
                line, used = "", 0.0
            while w > width:  # a word longer than the line: break it where it fills the line
                cut, filled = 0, 0.0
                while cut < len(word) and filled + char_width(word[cut]) <= width:
                    filled += char_width(word[cut])
                    cut += 1
                cut = max(cut, 1)
                lines.append(word[:cut])
                word = word[cut:]
                w = width_of(word)
            line, used = (f"{line} {word}", used + space + w) if line else (word, w)
        lines.append(line)
    return lines


def block(
    pdf: Any,
    text: str,
    size: float,
    *,
    bold: bool = False,
    colour: tuple[int, int, int] = INK,
    x: float | None = None,
    width: float | None = None,
    line_h: float | None = None,
    align: str = "L",
    draw: bool = True,
) -> float:
    """Write (or, with draw=False, only measure) a wrapped block; returns its height in mm."""
    style = "B" if bold else ""
    if pdf.font_style != style or pdf.font_size_pt != size or pdf.font_family != FONT:
        pdf.set_font(FONT, style, size)
    left = pdf.l_margin if x is None else x
    avail = (pdf.w - pdf.r_margin - left) if width is None else width
    step = line_h or size * 0.45
    key = (text, pdf.current_font.ttffile, size, avail)
    lines = _wrapped.get(key)
    if lines is None:
        if len(_wrapped) > 20_000:  # names and notes add blocks without end in a long-running studio
            _wrapped.clear()
        lines = _wrapped[key] = tuple(wrap(pdf, text, avail))
    if draw:
        pdf.set_text_color(rgb(colour))
        for line in lines:
            line_at(pdf, line, left, avail, step, align)
    return len(lines) * step


def line_at(pdf: Any, line: str, left: float, width: float, height: float, align: str = "L") -> None:
    """One line of text where ``cell(width, height, line, align)`` would put it, then the next line.

    fpdf2's cell() lays out styled fragments for every call, half a report's time; a
    wrapped line needs only its position, so it is placed with text(), as cell() would.
    """
    if pdf.will_page_break(height):
        pdf.add_page()
    if align == "L":
        dx = pdf.c_margin
    else:
        used = sum(map(pdf.current_font.cw.__getitem__, map(ord, line))) * pdf.font_size_pt * 0.001 / pdf.k
        dx = width - pdf.c_margin - used if align == "R" else (width - used) / 2
    if line:
        put_text(pdf, left + dx, pdf.y + 0.5 * height + 0.3 * pdf.font_size, line)
    pdf.set_xy(pdf.l_margin, pdf.y + height)


def put_text(pdf: Any, x: float, y: float, text: str, colour: tuple[int, int, int] | None = None) -> None:
    """What ``pdf.text(x, y, text)`` writes, without its per-call checks and conversions.

    fpdf2's text() checks for a page, converts the text for core fonts, handles text modes,
    underlines and links, and serialises the text colour on every call: a fifth of a report's
    time, for lines that need none of it. This writes the same operators (fpdf2 2.8, which
    pyproject.toml pins; tests/test_report_pages.py holds the two to the same bytes), and
    leaves anything unusual to text() itself. With ``colour`` the text is in that colour
    whatever the page's state (a footer written after the page's own content).
    """
    if pdf.text_mode != TextMode.FILL or pdf.underline or pdf.strikethrough or pdf._record_text_quad_points:
        pdf.text(x, y, text)
        return
    if not pdf.current_font_is_set_on_page:
        pdf._out(pdf._set_font_for_page(pdf.current_font, pdf.font_size_pt))
    op = f"BT {x * pdf.k:.2f} {(pdf.h - y) * pdf.k:.2f} Td {pdf.current_font.encode_text(text)} ET"
    shown = rgb(colour) if colour is not None else pdf.text_color
    if colour is not None or pdf.fill_color != shown:
        serialized = _colour_ops.get(shown)
        if serialized is None:
            serialized = _colour_ops[shown] = shown.serialize().lower()
        op = f"q {serialized} {op} Q"
    pdf._out(op)


def text_width(pdf: Any, text: str) -> float:
    """The width of ``text`` in the current font, in mm (get_string_width without its checks)."""
    cw = pdf.current_font.cw
    return float(sum(map(cw.__getitem__, map(ord, text))) * pdf.font_size_pt * 0.001 / pdf.k)


def centred(pdf: Any, text: str, left: float, width: float, top: float, height: float) -> None:
    """Text centred in a box, where ``cell(width, height, text, align="C")`` at (left, top) puts it."""
    put_text(pdf, left + (width - text_width(pdf, text)) / 2, top + 0.5 * height + 0.3 * pdf.font_size, text)


def write_footers(pdf: Any, text: str) -> None:
    """Each page's foot: ``text`` at the left, "Page N of M" at the right, 8 pt. Written once
    every page exists, so the count is known (and no page-count alias is left to replace)."""
    last, total = pdf.page, pdf.pages_count
    for number in range(1, total + 1):
        pdf.page = number
        pdf.current_font_is_set_on_page = False  # this page's stream sets its own font
        pdf.set_font(FONT, "", 8)
        y = pdf.h - 12 + 2.5 + 0.3 * pdf.font_size
        put_text(pdf, pdf.l_margin + pdf.c_margin, y, text, MUTED)
        right = f"Page {number} of {total}"
        put_text(pdf, pdf.w - pdf.r_margin - pdf.c_margin - text_width(pdf, right), y, right, MUTED)
    pdf.page = last
    pdf.current_font_is_set_on_page = False


_colour_ops: dict[Any, str] = {}  # a text colour -> its operator, made once


@cache
def rgb(colour: tuple[int, int, int]) -> Any:
    """fpdf2's colour for an RGB triple, made once: set_text_color() and the like take it as
    it is, where they would convert the three numbers on every call (every block and shape)."""
    return convert_to_device_color(*colour)


def keep(pdf: Any, height: float) -> None:
    """Start a new page unless ``height`` mm still fit on this one (so blocks never split)."""
    if pdf.will_page_break(height):
        pdf.add_page()


Cell = Any  # (text, size, bold, colour) or a list of them stacked in one cell


def table_height(pdf: Any, widths: tuple[float, ...], rows: list[list[Cell]], t: Any = str) -> float:
    """How tall these rows will be, so a short table can be kept whole on one page."""
    return sum(table_row(pdf, widths, cells, t, draw=False) for cells in rows)


@dataclass(frozen=True)
class Span:
    """A line across a whole table (a group's title): it stays with the row after it."""

    text: str
    size: float
    bold: bool
    colour: tuple[int, int, int]

    def height(self, pdf: Any, width: float, t: Any = str) -> float:
        return block(pdf, t(self.text), self.size, bold=self.bold, width=width, draw=False) + 2.4

    def draw(self, pdf: Any, width: float, t: Any = str) -> None:
        pdf.ln(1.2)
        block(pdf, t(self.text), self.size, bold=self.bold, colour=self.colour, width=width)
        pdf.ln(1.2)


Row = list[Cell] | Span


def row_height(pdf: Any, widths: tuple[float, ...], row: Row, t: Any = str) -> float:
    return row.height(pdf, sum(widths), t) if isinstance(row, Span) else table_row(pdf, widths, row, t, draw=False)


def table(
    pdf: Any,
    widths: tuple[float, ...],
    header: list[Cell],
    rows: list[Row],
    t: Any = str,
    continued: str = "",
) -> None:
    """Rows under a header; a row never splits, and where the table goes on to another page
    that page starts with ``continued`` (a line naming the table) and the header again. A
    group's title (a Span) stays with the row after it."""
    heights = [row_height(pdf, widths, row, t) for row in rows]
    table_row(pdf, widths, header, t)
    for i, row in enumerate(rows):
        need = heights[i] + (heights[i + 1] if isinstance(row, Span) and i + 1 < len(rows) else 0)
        if pdf.will_page_break(need):
            pdf.add_page()
            if continued:
                block(pdf, t(continued), 8.5, bold=True, colour=MUTED, line_h=4.6)
            table_row(pdf, widths, header, t)
        if isinstance(row, Span):
            row.draw(pdf, sum(widths), t)
        else:
            table_row(pdf, widths, row, t)


def table_row(pdf: Any, widths: tuple[float, ...], cells: list[Cell], t: Any = str, *, draw: bool = True) -> float:
    """One table row that never splits: cells wrap, the row is as tall as its tallest cell."""
    pad = 1.2

    def parts(cell: Cell) -> list[tuple[str, float, bool, tuple[int, int, int]]]:
        return cell if isinstance(cell, list) else [cell]

    def height(cell: Cell, w: float) -> float:
        return sum(block(pdf, t(p[0]), p[1], bold=p[2], width=w - 2 * pad, draw=False) for p in parts(cell))

    row_h = max(height(c, w) for c, w in zip(cells, widths, strict=True)) + 2 * pad
    if not draw:
        return row_h
    keep(pdf, row_h)
    y = pdf.get_y()
    x = pdf.l_margin
    for cell, w in zip(cells, widths, strict=True):
        pdf.set_xy(x + pad, y + pad)
        for text, size, bold, colour in parts(cell):
            block(pdf, t(text), size, bold=bold, colour=colour, x=x + pad, width=w - 2 * pad)
        x += w
    pdf.set_draw_color(rgb(LINE))
    pdf.set_line_width(0.2)
    pdf.line(pdf.l_margin, y + row_h, pdf.l_margin + sum(widths), y + row_h)
    pdf.set_xy(pdf.l_margin, y + row_h)
    return row_h


def draw_diagram(pdf: Any, diagram: Diagram, t: SafeText, box_w: float = 86.0) -> None:
    """Draw a diagram (bike or chart) centred, with its legend, on one page."""
    scale = box_w / diagram.width
    box_h = diagram.height * scale
    legend_h = 6 * ((len(diagram.legend) + 2) // 3)
    keep(pdf, box_h + legend_h + 6)
    x0 = (pdf.w - box_w) / 2
    y0 = pdf.get_y() + 2
    draw_shapes(pdf, diagram, t, x0, y0, box_w, BIKE_PALETTE)
    pdf.set_y(y0 + box_h + 2)
    block(pdf, t("     ".join(diagram.legend_text())), 8.5, align="C", line_h=4.5)


def draw_shapes(
    pdf: Any,
    diagram: Diagram,
    t: SafeText,
    x0: float,
    y0: float,
    box_w: float,
    palette: dict[str, tuple[int, int, int]] | None = None,
) -> None:
    """The diagram's shapes only, ``box_w`` mm wide with its top left corner at (x0, y0);
    ``palette`` recolours roles (the bike's frame and wheels)."""
    scale = box_w / diagram.width

    def pt(x: float, y: float) -> tuple[float, float]:
        return x0 + x * scale, y0 + y * scale

    colours = {
        "frame": (51, 65, 85),
        "wheel": (148, 163, 184),
        "part": INK,
        "mark": ACCENT,
        "guide": GUIDE,
        "zone": (220, 252, 231),
        "paper": (255, 255, 255),
        "grid": (226, 232, 240),
        "axis": MUTED,
        "data": (154, 52, 18),
        **(palette or {}),
    }
    widths = {"frame": 1.3, "wheel": 0.8, "part": 1.3, "mark": 1.0, "guide": 0.6, "zone": 0.1, "paper": 0.1}
    widths |= {"grid": 0.25, "axis": 0.35, "data": 0.7}
    for s in diagram.shapes:
        colour = colours[s.role]
        pdf.set_draw_color(rgb(colour))
        pdf.set_fill_color(rgb(colour))
        line_w = widths[s.role] * (box_w / 86.0) ** 0.5 * diagram.line
        pdf.set_line_width(line_w)
        if s.dashed:
            pdf.set_dash_pattern(dash=1.6, gap=1.1)
        else:
            pdf.set_dash_pattern()
        p = s.points
        if s.kind == "rect":
            ax, ay = pt(p[0], p[1])
            pdf.rect(ax, ay, p[2] * scale, p[3] * scale, style="F")
        elif s.kind == "square":
            ax, ay = pt(p[0] - p[2], p[1] - p[2])
            pdf.rect(ax, ay, 2 * p[2] * scale, 2 * p[2] * scale, style="F")
        elif s.kind == "line":
            (ax, ay), (bx, by) = pt(p[0], p[1]), pt(p[2], p[3])
            pdf.line(ax, ay, bx, by)
        elif s.kind == "arrow":
            # Worked out in mm, from the shaft's width on the page: the head is as much wider
            # than the shaft here as in the SVG.
            (ax, ay, bx, by), head = arrow_parts((*pt(p[0], p[1]), *pt(p[2], p[3])), line_w)
            pdf.line(ax, ay, bx, by)
            pdf.polygon(head, style="F")
        elif s.kind == "polyline":
            pdf.polyline([pt(p[i], p[i + 1]) for i in range(0, len(p), 2)])
        elif s.kind == "circle":
            cx, cy = pt(p[0], p[1])
            filled = s.role in ("mark", "data", "paper") or (s.role == "guide" and not s.dashed)
            pdf.circle(cx, cy, p[2] * scale, style="F" if filled else "D")
        elif s.kind == "text" and s.size:
            # At its size in the drawing (in points: mm x 72 / 25.4), its baseline on its point.
            x, y = pt(p[0], p[1])
            text = t(s.text)
            pdf.set_font(FONT, "B" if s.bold else "", s.size * scale * 72 / 25.4)
            pdf.set_text_color(rgb(colour))
            width = pdf.get_string_width(text)
            put_text(pdf, x - {"start": 0.0, "middle": width / 2, "end": width}[s.anchor], y, text)
        elif s.kind == "text":  # a caption under an exercise's position: 8.5 pt, as all text is 8 or more
            cx, cy = pt(p[0], p[1])
            pdf.set_font(FONT, "", CAPTION_PT)
            pdf.set_text_color(rgb(INK if s.role in ("frame", "wheel") else colour))
            centred(pdf, t(s.text), cx - 18, 36, cy - 3.2, 4)
        elif s.kind == "badge":
            cx, cy = pt(p[0], p[1])
            pdf.set_dash_pattern()
            pdf.circle(cx, cy, 2.6, style="F")
            pdf.set_font(FONT, "B", 8)
            pdf.set_text_color(rgb((255, 255, 255)))
            centred(pdf, s.text, cx - 2.6, 5.2, cy - 2.2, 4.4)
    pdf.set_dash_pattern()
