"""The assessment in the terminal: referral first, then fit, exercises, what was not assessed.

Everything is printed as rich Text (never markup), so answers and names containing
brackets print as they are. Labels hang, so wrapped lines stay indented at 80 columns.
"""

from __future__ import annotations

from rich.cells import cell_len
from rich.console import Console, ConsoleOptions, Group, RenderableType, RenderResult
from rich.panel import Panel
from rich.segment import Segment
from rich.table import Table
from rich.text import Text

from advisor.core.text import visible
from advisor.output.report import Report

URGENCY_STYLE = {
    "emergency": "bold white on red",
    "urgent": "bold red",
    "soon": "bold yellow",
    "routine": "bold green",
}
BORDER_STYLE = {"emergency": "red", "urgent": "red", "soon": "yellow", "routine": "green"}
DISCLAIMER = "This advice is not a medical diagnosis and does not replace a physical therapist or doctor."


def console(stderr: bool = False) -> Console:
    """rich honours NO_COLOR itself; markup is off so names with brackets print as they are."""
    return Console(stderr=stderr, highlight=False, markup=False, soft_wrap=False)


class _Rows:
    """Label/value rows with a hanging indent: wrapped text stays under its value.

    A two-column table draws the same, but measures every cell of both columns first; a
    report has hundreds of these rows, and wrapping each value once is several times faster.
    """

    def __init__(self, items: list[tuple[str, str, str]], indent: int) -> None:
        self.items = items
        self.indent = indent

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        label_w = max(cell_len(label) for label, _, _ in self.items)
        value_w = max(1, options.max_width - self.indent - label_w - 1)
        pad = " " * self.indent
        for label, value, style in self.items:
            lines = Text(value, style=style).wrap(console, value_w, overflow="fold")
            for i, line in enumerate(lines):
                head = Text(label if i == 0 else "", style="bold" if style == "" else style)
                head.pad_right(label_w - head.cell_len)
                yield Text.assemble(pad, head, " ", line, end="")
                yield Segment.line()


def rows(items: list[tuple[str, str, str]], indent: int) -> RenderableType:
    """Label/value rows with a hanging indent: wrapped text stays under its value."""
    return _Rows(items, indent)


def _heading(console: Console, title: str) -> None:

    console.print()
    console.print(Text(title, style="bold underline"))


def render_stop(report: Report, console: Console) -> None:
    """Emergency or urgent: the reason and the action first, and almost nothing else."""

    ref = report.referral
    style = URGENCY_STYLE.get(ref.urgency, "bold")
    parts: list[RenderableType] = [Text(ref.headline, style=style)]
    for reasons, todo, tell in ref.action_groups():
        parts.append(Text(""))
        for reason in reasons:
            parts.append(rows([("•", reason, "bold")], 0))
        parts.append(rows([("What to do:", todo, ""), ("Tell the doctor:", tell, "")], 2))
    parts += [Text(""), Text(report.stop_line, style="bold")]
    console.print(
        Panel(
            Group(*parts),
            title=f"{ref.title.upper()}",
            border_style=BORDER_STYLE.get(ref.urgency, "white"),
            padding=(0, 1),
        )
    )


def render(report: Report, console: Console, *, explain: bool = False) -> None:

    ref = report.referral
    style = URGENCY_STYLE.get(ref.urgency, "bold")
    who = f" for {visible(report.client)}" if report.client else ""
    console.print(
        Text(f"Bike-fit and exercise advice{who} ({report.date.isoformat()}, {report.questionnaire})", style="bold")
    )
    if report.stop:
        render_stop(report, console)
        if explain:
            render_trace(report, console)
        console.print(Text(DISCLAIMER, style="italic"))
        return

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
            title=f"Referral: {ref.title}",
            border_style=BORDER_STYLE.get(ref.urgency, "white"),
            padding=(1, 2),
        )
    )

    if report.findings:
        _heading(console, "What your answers show")
        for f in report.findings:
            console.print(rows([("•", f"{f.name}: {f.summary}", "")], 1))
            for b in f.because:
                console.print(rows([("", b, "dim")], 3))

    _heading(console, "Bike-fit adjustments (most important first)")
    for _phase, title, numbered in report.phases:
        console.print(Text(" " + title, style="italic"))
        for i, a in numbered:
            console.print(Text(f" {i}. {a.name}", style="bold"))
            lines = [("What:", a.change, ""), ("Step:", a.step, ""), ("Check:", a.check, "")]
            lines += [("For you:", n, "") for n in a.notes]
            lines += [("Why:", b, "dim") for b in a.because]
            console.print(rows(lines, 4))
    if not report.adjustments:
        console.print(" None needed from your answers.")

    _heading(console, "Exercise plan")
    if not report.exercises:
        console.print(" No exercises suggested from your answers.")
    for i, e in enumerate(report.exercises, 1):
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

    if report.held_back:
        _heading(console, "Held back for safety")
        for w in report.held_back:
            console.print(rows([("•", f"{w.name}: {w.reason}", "")], 1))

    _heading(console, "When to re-assess")
    when = f" (by {report.reassess_date.isoformat()})" if report.reassess_date else ""
    console.print(rows([("", report.reassess_advice + when, "")], 0))

    _heading(console, "Not assessed")
    if report.not_assessed:
        for item in report.not_assessed:
            console.print(rows([("•", item, "")], 1))
    else:
        console.print(" Everything the advisor can judge was answered.")

    if explain:
        render_trace(report, console)
    console.print()
    console.print(Text(DISCLAIMER, style="italic"))


def render_trace(report: Report, console: Console) -> None:
    _heading(console, "Why these recommendations: the rule trace")
    for w in report.why:
        sources = ", ".join(s.id for s in w.sources)
        console.print(Text.assemble((f" {w.rule}", "bold"), f" → {w.effect_id}  [{sources}]"))
        used = [f"{k}={_short(v)}" for k, v in w.answers.items()]
        if w.findings:
            used.append("findings: " + ", ".join(w.findings))
        console.print(rows([("uses:", "; ".join(used) or "nothing (always applies)", "dim")], 4))


def _short(value: object) -> str:
    if isinstance(value, list):
        return "[" + ", ".join(map(str, value)) + "]"
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
