"""The report as plain Markdown, for email or notes: the same content as the other formats."""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import lru_cache

from advisor.core.text import visible
from advisor.output.report import (
    DAYS,
    DECLINED_NOTE,
    FOR_THE_CLINICIAN,
    PROGRAMME_INTRO,
    STATUS_WORDS,
    Programme,
    Report,
)

# Characters that could format text, start a link or open raw HTML; every other one is left
# alone so the file stays pleasant to read as plain text.
_SPECIAL = re.compile(r"([\\`*_\[\]<>])")


# Most of a report's text is the knowledge base's, and comes back in every report: escaped once
# (bounded: names and notes add texts without end in a long-running studio).
@lru_cache(maxsize=20_000)
def esc(text: str) -> str:
    """Text as itself: no Markdown formatting, link or raw HTML can come from data."""
    return _SPECIAL.sub(r"\\\1", visible(text))  # a newline must not start a heading


def render(report: Report) -> str:
    out: list[str] = []
    add = out.append
    if report.studio_name:
        add(f"**{esc(report.studio_name)}**  ")
    if report.studio_contact:
        add(f"{esc(report.studio_contact)}")
    if report.studio_name or report.studio_contact:
        add("")
    add(f"# {esc(report.title)}")
    add("")
    add(esc(report.meta))
    add("")
    if report.amended:
        add(f"**{esc(report.amended)}**")
        add("")
    ref = report.referral
    add(f"## {'⚠ ' if report.stop else ''}Referral: {esc(ref.title)}")
    add("")
    add(f"**{esc(ref.headline)}**")
    add("")
    for note in ref.notes:
        add(f"**{esc(note)}**")
        add("")
    add(esc(ref.advice))
    add("")
    if report.stop:
        for reasons, todo, tell in report.referral.action_groups():
            out.extend(f"- **{esc(r)}**" for r in reasons)
            add("")
            add(f"  What to do: {esc(todo)}")
            add("")
            add(f"  Tell the doctor: {esc(tell)}")
            add("")
        add(f"**{esc(report.stop_line)}**")
        add("")
    else:
        add("Why:")
        add("")
        out.extend(f"- {esc(r)}" for r in ref.reasons)
        add("")

    add("## Riding and the bike: what to do now" if report.stop else "## Bike-fit adjustments")
    add("")
    if report.adjustments:
        for _phase, title, items in report.phases:
            if not report.stop:
                add(f"*{esc(title)}*")
                add("")
            for i, a in items:
                add(f"{i}. **{esc(a.name)}**: {esc(a.change)}")
                add(f"   - Step: {esc(a.step)}")
                add(f"   - Check afterwards: {esc(a.check)}")
                out.extend(f"   - For you: {esc(n)}" for n in a.notes)
                add(f"   - Why: {esc(' '.join(a.because))}")
            add("")
    else:
        add("No bike changes are needed from your answers.")
        add("")
    if report.diagram:
        marks = "; ".join(esc(text) for text in report.diagram.legend_text())
        add(f"Marked on the bike diagram (HTML and PDF reports): {marks}.")
        add("")
    if report.fit:
        add("## Fit record: the bike before and after")
        add("")
        if report.fit.bike_line:
            add(f"**{esc(report.fit.bike_line)}**")
            add("")
        if report.fit.rows:
            add("| Setting | Before | After | Change |")
            add("|---|---|---|---|")
            for fit_row in report.fit.rows:
                cells = (fit_row.label, fit_row.before, fit_row.after, fit_row.change)
                add("| " + " | ".join(_cell(c) for c in cells) + " |")
            add("")
        for status in report.fit.statuses:
            add(f"- {esc(status.adjustment)}: {STATUS_WORDS[status.status]}")
        if report.fit.statuses:
            add("")

    if report.stop:
        add("---")
        add("")
        add(f"*{FOR_THE_CLINICIAN}*")
        add("")
        _reassess(report, add)
        _since_last(report, out)
        _agreed(report, out)
    else:
        if report.programme:
            _programme(report, report.programme, out)
        _since_last(report, out)
        _exercises(report, out)
        _agreed(report, out)
        _reassess(report, add)
    add("## Your answers")
    add("")
    for group in report.answers:
        add(f"### {esc(group.title)}")
        add("")
        out.extend(f"- {esc(line.label)}: {esc(line.value)}" for line in group.lines)
        add("")
    if report.not_assessed:
        add("### Not assessed")
        add("")
        out.extend(f"- {esc(item)}" for item in report.not_assessed)
        add("")
    add("## Why these recommendations")
    add("")
    for i, (effect, lines) in enumerate(report.reasons, 1):
        add(f"{i}. **{esc(effect)}**")
        out.extend(f"   - `{w.rule}`: {esc(w.description)} ({esc(w.cited())})" for w in lines)
    add("")
    if report.held_by_tier:
        tier = report.referral.urgency
        add(f"### Held back by the {tier} referral (not prescribed)")
        add("")
        add(f"Held back by the {tier} referral: {esc(report.held_by_tier[0].reason)} Not prescribed.")
        add("")
        out.extend(
            f"- {esc(w.name)} ({'bike change' if w.kind == 'adjustment' else w.kind})" for w in report.held_by_tier
        )
        add("")
    if report.order_reasons:
        add("### The order of the exercises")
        add("")
        out.extend(f"- {esc(name)}: {esc(why)}" for name, why in report.order_reasons)
        add("")
    add("### Sources")
    add("")
    for s in report.sources:
        add(f"- {s.id}: {esc(s.citation)} ({esc(s.locator)}){' <' + s.link + '>' if s.link else ''}")
    add("")
    add("---")
    add("")
    add(f"*{esc(report.disclaimer)}*")
    add("")
    return "\n".join(out)


def _reassess(report: Report, add: Callable[[str], None]) -> None:
    add("## When to re-assess")
    add("")
    by = f" By {report.reassess_date.isoformat()}." if report.reassess_date else ""
    add(f"{esc(report.reassess_advice)}{by}")
    add("")


def _since_last(report: Report, out: list[str]) -> None:
    """What changed since the last visit: a table with each measure's way, in an arrow and words."""
    fu = report.follow_up
    if fu is None:
        return
    add = out.append
    add(f"## Since the last visit ({fu.previous_date.isoformat()})")
    add("")
    add("| Measure | Last visit | Now | Change |")
    add("|---|---|---|---|")
    for row in fu.rows:
        change = f"**{esc(row.change)}**" if row.trend in ("better", "worse") else esc(row.change)
        add(f"| {_cell(row.label)} | {_cell(row.before)} | {_cell(row.now)} | {change} |")
    for chart in fu.charts:
        add("")
        add(f"**{esc(chart.heading)}** (charted in the HTML and PDF reports)")
        add("")
        for words in chart.readings:
            add(f"- {esc(words)}")
    add("")


def _agreed(report: Report, out: list[str]) -> None:
    if not report.agreement:
        return
    add = out.append
    add("## Agreed in this consultation")
    add("")
    for agreed in report.agreement:
        decision = "not yet discussed" if not agreed.discussed else "agreed" if agreed.accepted else "DECLINED"
        note = f" ({esc(agreed.note)})" if agreed.note else ""
        add(f"- {esc(agreed.name)} ({agreed.kind}): {decision}{note}")
    add("")
    if any(not a.accepted for a in report.agreement):
        add(DECLINED_NOTE)
        add("")


def _cell(text: str) -> str:
    """Text in a table cell: escaped, and no '|' or line break to end the cell."""
    return esc(text).replace("|", "\\|").replace("\n", " ")


def _programme(report: Report, prog: Programme, out: list[str]) -> None:
    """The programme as tables: the exercises in order with their dose, then the week to tick."""
    add = out.append
    add("## Your exercise programme")
    add("")
    who = f"{esc(report.client)} · " if report.client else ""
    check = f" · next check by {prog.next_check.isoformat()}" if prog.next_check else ""
    add(f"{who}from {report.date.isoformat()}{check}")
    add("")
    add(esc(PROGRAMME_INTRO))
    add("")
    for title, items in (("Now, in this order", prog.now), ("When these are easy, add (in this order)", prog.later)):
        if not items:
            continue
        add(f"### {title}")
        add("")
        add("| # | Exercise | Sets | Reps | Hold | Days a week |")
        add("|---|---|---|---|---|---|")
        for item in items:
            add(
                f"| {item.number} | {_cell(item.name)} | {_cell(item.sets)} | {_cell(item.reps)} | "
                f"{_cell(item.hold)} | {item.days_a_week}{f' ({_cell(item.frequency)})' if item.frequency else ''} |"
            )
        add("")
    add("### Your week: tick each exercise when done, and write your pain (0-10) each day")
    add("")
    add("| Week 1 | " + " | ".join(DAYS) + " |")
    add("|---|" + "---|" * len(DAYS))
    for item in prog.now:
        boxes = " | ".join("[ ]" if planned else "-" for planned in item.days)
        add(f"| {item.number}. {_cell(item.name)} | {boxes} |")
    add("| Pain today (0-10) | " + " | ".join("___" for _ in DAYS) + " |")
    add("")


def _exercises(report: Report, out: list[str]) -> None:
    add = out.append
    add("## Exercise plan: how to do each exercise" if report.exercises else "## Exercise plan")
    add("")
    if not report.exercises:
        add("No exercises are suggested from your answers.")
        add("")
    later = {item.number for item in report.programme.later} if report.programme else set()
    for i, e in enumerate(report.exercises, 1):
        if i in later and i - 1 not in later:
            add("When those are easy, add:")
            add("")
        add(f"### {i}. {esc(e.name)} ({esc(e.target)})")
        add("")
        add(f"**Dose:** {esc(e.dose)}")
        add("")
        out.extend(f"{n}. {esc(step)}" for n, step in enumerate(e.steps, 1))
        add("")
        if e.progression:
            add(f"- Harder: {esc(e.progression)}")
        add(f"- Easier: {esc(e.regression)}")
        if e.equipment:
            add(f"- You need: {esc(', '.join(e.equipment))}")
        out.extend(f"- Caution: {esc(c)}" for c in e.cautions)
        out.extend(f"- For you: {esc(n)}" for n in e.notes)
        add(f"- Why: {esc(' '.join(e.because))}")
        add("")
    if report.held_back:
        add("## Held back for now")
        add("")
        out.extend(f"- {esc(w.name)}: {esc(w.reason)}" for w in report.held_back)
        add("")
