"""The assessment in the terminal: referral first, then fit, exercises, what was not assessed.

Everything is printed as rich Text (never markup), so answers and names containing
brackets print as they are. Labels hang, so wrapped lines stay indented at 80 columns.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from advisor.core.assessment import Assessment, phase_title

if TYPE_CHECKING:
    from rich.console import Console, RenderableType

URGENCY_STYLE = {
    "emergency": "bold white on red",
    "urgent": "bold red",
    "soon": "bold yellow",
    "routine": "bold green",
}
BORDER_STYLE = {"emergency": "red", "urgent": "red", "soon": "yellow", "routine": "green"}
DISCLAIMER = "This advice is not a medical diagnosis and does not replace a physical therapist or doctor."


def rows(items: list[tuple[str, str, str]], indent: int) -> RenderableType:
    """Label/value rows with a hanging indent: wrapped text stays under its value."""
    from rich.padding import Padding
    from rich.table import Table
    from rich.text import Text

    grid = Table.grid(padding=(0, 1))
    grid.add_column(no_wrap=True)
    grid.add_column(overflow="fold")
    for label, value, style in items:
        grid.add_row(Text(label, style="bold" if style == "" else style), Text(value, style=style))
    return Padding(grid, (0, 0, 0, indent), expand=False)


def _heading(console: Console, title: str) -> None:
    from rich.text import Text

    console.print()
    console.print(Text(title, style="bold underline"))


def render_stop(result: Assessment, console: Console) -> None:
    """Emergency or urgent: the reason and the action first, and almost nothing else."""
    from rich.console import Group
    from rich.panel import Panel
    from rich.text import Text

    ref = result.referral
    style = URGENCY_STYLE.get(ref.urgency, "bold")
    parts: list[RenderableType] = [Text(ref.headline, style=style)]
    for reasons, todo, tell in ref.action_groups():
        parts.append(Text(""))
        for reason in reasons:
            parts.append(rows([("•", reason, "bold")], 0))
        parts.append(rows([("What to do:", todo, ""), ("Tell the doctor:", tell, "")], 2))
    stop_line = "Until a doctor has examined you: do not ride, exercise or change your bike."
    parts += [Text(""), Text(stop_line, style="bold")]
    console.print(
        Panel(
            Group(*parts),
            title=f"{ref.title.upper()}",
            border_style=BORDER_STYLE.get(ref.urgency, "white"),
            padding=(0, 1),
        )
    )


def render(result: Assessment, console: Console, *, explain: bool = False) -> None:
    from rich.panel import Panel
    from rich.table import Table
    from rich.text import Text

    ref = result.referral
    style = URGENCY_STYLE.get(ref.urgency, "bold")
    who = f" for {result.client}" if result.client else ""
    console.print(
        Text(
            f"Bike-fit and exercise advice{who} ({result.date.isoformat()}, {result.questionnaire} questionnaire)",
            style="bold",
        )
    )
    if ref.stop_riding:
        render_stop(result, console)
        if explain:
            render_trace(result, console)
        console.print(Text(DISCLAIMER, style="italic"))
        return
    from rich.console import Group

    reasons = Table.grid(padding=(0, 1))
    reasons.add_column(no_wrap=True)
    reasons.add_column(overflow="fold")
    for reason in ref.reasons:
        reasons.add_row("•", Text(reason))
    body = Group(
        Text(ref.headline, style=style),
        Text(""),
        Text(ref.advice),
        Text(""),
        Text("Why:", style="bold"),
        reasons,
    )
    console.print(
        Panel(
            body,
            title=f"Referral: {ref.title.upper()}",
            border_style=BORDER_STYLE.get(ref.urgency, "white"),
            padding=(1, 2),
        )
    )

    if result.findings:
        _heading(console, "What your answers show")
        for f in result.findings:
            console.print(rows([("•", f"{f.name}: {f.summary}", "")], 1))
            for b in f.because:
                console.print(rows([("", b, "dim")], 3))

    _heading(console, "Bike-fit adjustments (most important first)")
    phase = 0
    for i, a in enumerate(result.adjustments, 1):
        if a.phase != phase:
            phase = a.phase
            console.print(Text(" " + phase_title(phase), style="italic"))
        console.print(Text(f" {i}. {a.name}", style="bold"))
        lines = [("What:", a.change, ""), ("Step:", a.step, ""), ("Check:", a.check, "")]
        lines += [("For you:", n, "") for n in a.notes]
        lines += [("Why:", b, "dim") for b in a.because]
        console.print(rows(lines, 4))
    if not result.adjustments:
        console.print(" None needed from your answers.")

    _heading(console, "Exercise plan")
    if not result.exercises:
        console.print(" No exercises suggested from your answers.")
    for i, e in enumerate(result.exercises, 1):
        console.print(Text.assemble((f" {i}. {e.name}", "bold"), f"  ({e.target})"))
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
        console.print(rows(lines, 4))

    held = [w for w in result.withheld if w.rule is not None]
    if held:
        _heading(console, "Held back for safety")
        for w in held:
            console.print(rows([("•", f"{w.name}: {w.reason}", "")], 1))

    _heading(console, "When to re-assess")
    when = f" (by {result.reassess.date.isoformat()})" if result.reassess.date else ""
    console.print(rows([("", result.reassess.advice + when, "")], 0))

    _heading(console, "Not assessed")
    if result.not_assessed:
        for item in result.not_assessed:
            console.print(rows([("•", item, "")], 1))
    else:
        console.print(" Everything the advisor can judge was answered.")

    if explain:
        render_trace(result, console)
    console.print()
    console.print(Text(DISCLAIMER, style="italic"))


def render_trace(result: Assessment, console: Console) -> None:
    from rich.text import Text

    _heading(console, "Why these recommendations: the rule trace")
    for t in result.trace:
        console.print(Text.assemble((f" {t.rule}", "bold"), f" → {t.effect}  [{', '.join(t.source)}]"))
        used = [f"{k}={_short(v)}" for k, v in t.answers.items()]
        if t.findings:
            used.append("findings: " + ", ".join(t.findings))
        console.print(rows([("uses:", "; ".join(used) or "nothing (always applies)", "dim")], 4))


def _short(value: object) -> str:
    if isinstance(value, list):
        return "[" + ", ".join(map(str, value)) + "]"
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
