"""Browsing the knowledge base in the terminal: questionnaires, rules, exercises."""

from __future__ import annotations

import sys

from rich.console import Console
from rich.text import Text

from advisor.core.rulebase.actions import STAGE_ORDER
from advisor.core.rulebase.knowledge import Exercise, KnowledgeBase, RuleDef
from advisor.core.rulebase.questionnaire import Questionnaire
from advisor.output.screen import Screen


def questionnaire(form: Questionnaire, console: Console) -> None:

    console.print(Text(f"{form.title} ({form.id}, {len(form.questions)} questions)", style="bold"))
    if form.intro:
        console.print(form.intro)
    n = 0
    for section in form.sections:
        console.print(Text(f"\n{section.title}", style="bold underline"))
        for q in section.questions:
            n += 1
            flags = []
            if q.required:
                flags.append("required")
            if q.condition is not None and q.condition.items:
                flags.append(f"asked when {q.condition.describe()}")
            console.print(Text.assemble((f"{n:2}. {q.id}", "bold"), f"  [{q.type}] {q.allowed()}"))
            console.print(f"    {q.text}")
            if flags:
                console.print(Text(f"    ({'; '.join(flags)})", style="dim"))


def rule_list(kb: KnowledgeBase, console: Console) -> None:
    width = max(len(r) for r in kb.rules) + 2
    for rule in sorted(kb.rules.values(), key=lambda r: (STAGE_ORDER[r.stage], r.id)):
        console.print(f"{rule.id:{width}} {rule.stage:9} {rule.action}: {rule.target}", soft_wrap=True)
    # The count is for the person reading; a script reading the list (or --format json) gets rows only.
    print(f"{len(kb.rules)} rules", file=sys.stderr)


def rule(kb: KnowledgeBase, r: RuleDef, console: Console) -> None:

    console.print(Text(r.id, style="bold"))
    when = [c.describe() for c in r.condition.items] or ["always"]
    lines = [
        ("Stage:", r.stage, ""),
        ("Effect:", f"{r.action}: {r.target}", ""),
        ("Description:", r.description, ""),
        ("Explains:", r.because, ""),
        *[
            (label, text, "")
            for label, text in (("What to do:", r.what_to_do), ("Tell the doctor:", r.tell_doctor))
            if text
        ],
        *[("When:" if i == 0 else "", f"- {c}", "") for i, c in enumerate(when)],
        *[
            ("Sources:" if i == 0 else "", f"[{sid}] {kb.sources[sid].citation()} ({kb.sources[sid].locator})", "")
            for i, sid in enumerate(r.source)
        ],
        *([("Expert opinion:", r.expert_opinion.strip(), "")] if r.expert_opinion else []),
    ]
    _print_rows(console, lines)
    console.print(Text(f"Defined in {r.file}:{r.line}", style="dim"))


def exercise(kb: KnowledgeBase, ex: Exercise, console: Console) -> None:

    console.print(Text(f"{ex.name} ({ex.id})", style="bold"))
    console.print(f"Target: {ex.target}")
    console.print(f"Level:  {ex.level}")
    console.print(f"Dose:   {ex.dose.text()}")
    console.print("Steps:")
    for i, step in enumerate(ex.steps, 1):
        console.print(f"  {i}. {step}")
    console.print("Progressions:")
    for p in ex.progressions:
        needs = f" (needs: {', '.join(p.needs)})" if p.needs else ""
        console.print(f"  - {p.text}{needs}")
    console.print(f"Regression: {ex.regression}")
    if ex.equipment:
        kit = [
            e.item + ("" if e.required else " (optional)") + (f", or {e.substitute}" if e.substitute else "")
            for e in ex.equipment
        ]
        console.print(f"Equipment: {'; '.join(kit)}")
    console.print("Cautions:")
    for c in ex.cautions:
        console.print(f"  - {c}")
    console.print("Sources:")
    for sid in ex.source:
        src = kb.sources[sid]
        console.print(f"  [{sid}] {src.citation()}", markup=False)
    if ex.expert_opinion:
        console.print(f"Expert opinion: {ex.expert_opinion.strip()}", markup=False)


def _print_rows(console: Console, lines: list[tuple[str, str, str]]) -> None:
    """Label/value rows drawn as the advice draws them, at this console's width."""
    screen = Screen(console.width, styled=True)
    screen.rows(lines, 0)
    console.print(Text.from_ansi(screen.render().rstrip("\n")), soft_wrap=True)
