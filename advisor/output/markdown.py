"""The report as plain Markdown, for email or notes: the same content as the other formats."""

from __future__ import annotations

import re

from advisor.core.text import visible
from advisor.output.report import FOR_THE_CLINICIAN, STATUS_WORDS, Report

# Characters that could format text, start a link or open raw HTML; every other one is left
# alone so the file stays pleasant to read as plain text.
_SPECIAL = re.compile(r"([\\`*_\[\]<>])")


def esc(text: str) -> str:
    """Text as itself: no Markdown formatting, link or raw HTML can come from data."""
    return _SPECIAL.sub(r"\\\1", visible(text))  # a newline in a name must not start a heading


def _cell(text: str) -> str:
    """Text in a table cell: as itself, and a '|' in it never starts another cell."""
    return esc(text).replace("|", "\\|")


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
    else:
        add("Why:")
        add("")
        out.extend(f"- {esc(r)}" for r in ref.reasons)
        add("")

    if report.agreement:
        add("## Agreed in this consultation")
        add("")
        for agreed in report.agreement:
            decision = "agreed" if agreed.accepted else "DECLINED"
            note = f" ({esc(agreed.note)})" if agreed.note else ""
            add(f"- {esc(agreed.name)} ({agreed.kind}): {decision}{note}")
        add("")
    if report.follow_up:
        fu = report.follow_up
        add(f"## Since the last visit ({fu.previous_date.isoformat()})")
        add("")
        for row in fu.rows:
            add(f"- {esc(row.label)}: {esc(row.before_text)} -> {esc(row.after_text)}")
        for chart in fu.charts:
            add("")
            add(f"**{esc(chart.heading)}** (charted in the HTML and PDF reports)")
            add("")
            for words in chart.readings:
                add(f"- {esc(words)}")
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

    if not report.stop:
        add("## Exercise plan")
        add("")
        if not report.exercises:
            add("No exercises are suggested from your answers.")
            add("")
        for i, e in enumerate(report.exercises, 1):
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

    if report.stop:
        add("---")
        add("")
        add(f"*{FOR_THE_CLINICIAN}*")
        add("")
    add("## When to re-assess")
    add("")
    by = f" By {report.reassess_date.isoformat()}." if report.reassess_date else ""
    add(f"{esc(report.reassess_advice)}{by}")
    add("")
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
    for i, w in enumerate(report.why, 1):
        add(f"{i}. **{esc(w.effect)}** (`{w.rule}`): {esc(w.description)} ({esc(w.cited())})")
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
