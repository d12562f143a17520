"""The report as one self-contained HTML file: inline CSS, inline SVG, print CSS, all text escaped."""

from __future__ import annotations

import base64
from functools import cache
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from advisor.core.rulebase.figures import Picture
from advisor.output.diagram import to_svg
from advisor.output.drawn import picture_diagram
from advisor.output.report import DAYS, DECLINED_NOTE, FOR_THE_CLINICIAN, PROGRAMME_INTRO, STATUS_WORDS, Report

# Weeks of the programme's log in the HTML print: as many as always fit on its one page, on
# A4 and on Letter: three, or two when more than two exercises wait under "when these are
# easy" (the PDF measures its page and prints as many as fit, up to four).
WEEKS_PRINTED, WEEKS_PRINTED_LONG = 3, 2


@cache
def _template() -> Any:
    env = Environment(
        loader=PackageLoader("advisor.output", "templates"),
        autoescape=select_autoescape(default=True, default_for_string=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    return env.get_template("report.html.j2")


def _data_uri(logo: tuple[bytes, str] | None) -> str:
    """The logo inside the file itself: the HTML report stays one file with nothing fetched."""
    return f"data:{logo[1]};base64,{base64.b64encode(logo[0]).decode('ascii')}" if logo else ""


def css_string(text: str) -> str:
    """Text as a quoted CSS string (a page footer's content): every character that is not a
    letter, a digit or a space is escaped, so nothing in a name can end the string or the style."""
    return '"' + "".join(c if c.isalnum() or c == " " else f"\\{ord(c):x} " for c in text) + '"'


# (id(picture), title) -> (the picture, its SVG): each exercise's picture written once.
_svgs: dict[tuple[int, str], tuple[Picture, str]] = {}


def _picture_svg(picture: Picture, title: str) -> str:
    hit = _svgs.get((id(picture), title))
    if hit is not None and hit[0] is picture:
        return hit[1]
    if len(_svgs) > 256:
        _svgs.clear()
    svg = to_svg(picture_diagram(picture), title)
    _svgs[(id(picture), title)] = (picture, svg)
    return svg


def warm_up() -> None:
    _template()


def _weeks(report: Report) -> int:
    if report.programme is None:
        return 0
    printed = WEEKS_PRINTED if len(report.programme.later) <= 2 else WEEKS_PRINTED_LONG
    return min(printed, report.programme.weeks)


def render(report: Report) -> str:
    svg = to_svg(report.diagram) if report.diagram else ""
    # Each panel at its own size: side by side on paper and a wide screen, stacked on a phone.
    charts = [
        (c, [to_svg(d, words, sized=True, css_class="panel") for d, words in zip(c.diagrams, c.readings, strict=True)])
        for c in (report.follow_up.charts if report.follow_up else [])
    ]
    pictures = {
        e.id: _picture_svg(report.pictures[e.id], f"{e.name}: the key positions")
        for e in report.exercises
        if e.id in report.pictures
    }
    return str(
        _template().render(
            report=report,
            diagram_svg=svg,
            charts=charts,
            pictures=pictures,
            status_words=STATUS_WORDS,
            logo_uri=_data_uri(report.studio_logo),
            for_the_clinician=FOR_THE_CLINICIAN,
            programme_intro=PROGRAMME_INTRO,
            declined_note=DECLINED_NOTE,
            days=DAYS,
            weeks=_weeks(report),
            footer=css_string(f"{report.client or 'Bike-fit report'} · {report.date.isoformat()} · not medical advice"),
        )
    )
