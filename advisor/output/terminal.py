"""The assessment in the terminal: referral first, then fit, exercises, what was not assessed.

Drawn on a ``Screen`` (plain text, with escape codes only on a terminal): every answer and
name prints as it is, brackets and all, and can never act on the terminal. Labels hang, so
wrapped lines stay under their value.
"""

from __future__ import annotations

from advisor.output.report import Report
from advisor.output.screen import Screen

URGENCY_STYLE = {
    "emergency": "bold white on red",
    "urgent": "bold red",
    "soon": "bold yellow",
    "routine": "bold green",
}
BORDER_STYLE = {"emergency": "red", "urgent": "red", "soon": "yellow", "routine": "green"}
DISCLAIMER = "This advice is not a medical diagnosis and does not replace a physical therapist or doctor."


def _heading(screen: Screen, title: str) -> None:
    screen.blank()
    screen.line((title, "bold underline"))


def render_stop(report: Report, screen: Screen) -> None:
    """Emergency or urgent: the reason and the action first, and almost nothing else."""
    ref = report.referral
    inner = screen.inner(1)
    inner.line((ref.headline, URGENCY_STYLE.get(ref.urgency, "bold")))
    for note in ref.notes:
        inner.blank()
        inner.line((note, "bold"))
    for reasons, todo, tell in ref.action_groups():
        inner.blank()
        for reason in reasons:
            inner.rows([("•", reason, "bold")], 0)
        inner.rows([("What to do:", todo, ""), ("Tell the doctor:", tell, "")], 2)
    inner.blank()
    inner.line((report.stop_line, "bold"))
    screen.box(inner, ref.title.upper(), BORDER_STYLE.get(ref.urgency, "white"), (0, 1))


def render(report: Report, screen: Screen, *, explain: bool = False) -> None:
    ref = report.referral
    who = f" for {report.client}" if report.client else ""
    screen.line((f"Bike-fit and exercise advice{who} ({report.date.isoformat()}, {report.questionnaire})", "bold"))
    if report.amended:
        screen.line((report.amended, "italic"))
    if report.stop:
        render_stop(report, screen)
        if explain:
            render_trace(report, screen)
        screen.line((DISCLAIMER, "italic"))
        return

    inner = screen.inner(2)
    inner.line((ref.headline, URGENCY_STYLE.get(ref.urgency, "bold")))
    for note in ref.notes:
        inner.blank()
        inner.line((note, "bold"))
    inner.blank()
    inner.line((ref.advice, ""))
    inner.blank()
    inner.line(("Why:", "bold"))
    inner.rows([("•", reason, "") for reason in ref.reasons], 0)
    screen.box(inner, f"Referral: {ref.title}", BORDER_STYLE.get(ref.urgency, "white"), (1, 2))

    if report.findings:
        _heading(screen, "What your answers show")
        for f in report.findings:
            screen.rows([("•", f"{f.name}: {f.summary}", "")], 1)
            for b in f.because:
                screen.rows([("", b, "dim")], 3)

    _heading(screen, "Bike-fit adjustments (most important first)")
    for _phase, title, numbered in report.phases:
        screen.line((" " + title, "italic"))
        for i, a in numbered:
            screen.line((f" {i}. {a.name}", "bold"))
            lines = [("What:", a.change, ""), ("Step:", a.step, ""), ("Check:", a.check, "")]
            lines += [("For you:", n, "") for n in a.notes]
            lines += [("Why:", b, "dim") for b in a.because]
            screen.rows(lines, 4)
    if not report.adjustments:
        screen.line((" None needed from your answers.", ""))

    _heading(screen, "Exercise plan")
    if not report.exercises:
        screen.line((" No exercises suggested from your answers.", ""))
    for i, e in enumerate(report.exercises, 1):
        screen.line((f" {i}. {e.name}", "bold"), (f"  ({e.target})", ""))
        lines = [("Dose:", e.dose, "")]
        lines += [("Steps:" if n == 1 else "", f"{n}. {step}", "") for n, step in enumerate(e.steps, 1)]
        if e.progression:
            lines.append(("Harder:", e.progression, ""))
        lines.append(("Easier:", e.regression, ""))
        if e.equipment:
            lines.append(("Needs:", ", ".join(e.equipment), ""))
        lines += [("Caution:", c, "yellow") for c in e.cautions]
        lines += [("For you:", n, "") for n in e.notes]
        lines += [("Why:", b, "dim") for b in e.because]
        screen.rows(lines, 4)

    if report.held_back:
        _heading(screen, "Held back for safety")
        for w in report.held_back:
            screen.rows([("•", f"{w.name}: {w.reason}", "")], 1)

    _heading(screen, "When to re-assess")
    when = f" (by {report.reassess_date.isoformat()})" if report.reassess_date else ""
    screen.rows([("", report.reassess_advice + when, "")], 0)

    _heading(screen, "Not assessed")
    if report.not_assessed:
        for item in report.not_assessed:
            screen.rows([("•", item, "")], 1)
    else:
        screen.line((" Everything the advisor can judge was answered.", ""))

    if explain:
        render_trace(report, screen)
    screen.blank()
    screen.line((DISCLAIMER, "italic"))


def render_trace(report: Report, screen: Screen) -> None:
    _heading(screen, "Why these recommendations: the rule trace")
    for w in report.why:
        sources = ", ".join(s.id for s in w.sources)
        screen.line((f" {w.rule}", "bold"), (f" → {w.effect_id}  [{sources}]", ""))
        used = [f"{k}={_short(v)}" for k, v in w.answers.items()]
        if w.findings:
            used.append("findings: " + ", ".join(w.findings))
        screen.rows([("uses:", "; ".join(used) or "nothing (always applies)", "dim")], 4)


def _short(value: object) -> str:
    if isinstance(value, list):
        return "[" + ", ".join(map(str, value)) + "]"
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
