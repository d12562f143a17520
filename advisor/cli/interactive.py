"""``advisor ask``: the questionnaire in a terminal, one question at a time.

Safety first: the first prompt is the first safety question, and an emergency or urgent
answer ends the interview at once with the advice. Every answer is saved to a draft as it
is given, so Ctrl-C, end of input or a closed terminal lose nothing; ``--resume`` goes on.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import Any, NoReturn

from rich.console import Console
from rich.text import Text

from advisor.core.advice.pipeline import assess
from advisor.core.datafiles.files import check_target, free_path, write_atomic
from advisor.core.datafiles.yamlio import dump
from advisor.core.errors import AdvisorError, Problem
from advisor.core.intake import answers as answers_mod
from advisor.core.intake.interview import Draft, Interview
from advisor.core.rulebase import knowledge, questionnaire as qmod
from advisor.core.rulebase.knowledge import Tier
from advisor.core.rulebase.questionnaire import Question
from advisor.core.text import MAX_NAME, checked
from advisor.output import formats, terminal
from advisor.output.report import Report
from advisor.output.screen import Screen
from advisor.records import drafts

EXIT_INTERRUPTED = 130
RESUME_COMMAND = "advisor ask --resume"


class Interrupted(Exception):
    """Ctrl-C or end of input: the draft is saved and the user told how to resume."""


def run(
    console: Console,
    read: Callable[[str], str],
    *,
    questionnaire: str | None,
    client: str | None,
    out: str | None,
    report: str | None,
    resume: bool,
    paper: str = "a4",
    date: str | None = None,
) -> int:
    # Where the answers and the report go is checked before the first question, so a finished
    # questionnaire never ends in "cannot be written".
    if out:
        check_target(Path(out), option="--out", example="answers.yaml")
    if report:
        formats.check_path(report)
        if out and Path(out).resolve() == Path(report).resolve():
            raise AdvisorError([Problem(report, "is also the --out answers file; give the report another name")])
    day = date_option(date)
    draft = _start(console, read, questionnaire=questionnaire, client=client, resume=resume)
    if day is not None:
        draft.date = day
    # Options given now win over those saved with a draft.
    if out:
        draft.out = out
    if report:
        draft.report, draft.paper = report, paper
    form = qmod.load(draft.questionnaire)
    interview = Interview(form, knowledge.load(), draft)
    if not draft.answers:
        intro(console, form)
    try:
        stop = ask_questions(console, read, interview)
    except (KeyboardInterrupt, EOFError):
        save_and_stop(console, draft, "ask", RESUME_COMMAND)
    return _finish(console, read, interview, stop)


def save_and_stop(console: Console, draft: Draft, kind: str, resume_command: str) -> NoReturn:
    """Save the interview so far, say how to continue, and stop (exit code 130)."""
    saved = drafts.save(draft, kind)
    count = len(draft.answers)
    console.print()
    console.print(f"Stopped. {count} answer{'s' if count != 1 else ''} so far are saved in {saved}.", markup=False)
    console.print(f"To resume where you left off, run:  {resume_command}")
    raise Interrupted


def _start(
    console: Console,
    read: Callable[[str], str],
    *,
    questionnaire: str | None,
    client: str | None,
    resume: bool,
) -> Draft:
    existing = drafts.load()
    if resume:
        if existing is None:
            raise AdvisorError(
                [Problem(str(drafts.path()), "there is no saved questionnaire to resume; run 'advisor ask'")]
            )
        console.print(
            f"Resuming the {existing.questionnaire} questionnaire saved {existing.saved_at} "
            f"({len(existing.answers)} answers)."
        )
        return existing
    if existing is not None and existing.answers:
        if offer_resume(read, existing, f"{existing.questionnaire} questionnaire"):
            return existing
        console.print("Starting a new questionnaire; the old draft will be replaced.")
    qid = questionnaire or "rider"
    qmod.load(qid)  # an unknown questionnaire is an error before anything is asked
    return Draft(questionnaire=qid, client=_client_name(client), date=dt.date.today())


def date_option(text: str | None) -> dt.date | None:
    """--date of ask and consult, checked before the first question like the rest of the options."""
    if text is None:
        return None
    problems: list[Problem] = []
    day = answers_mod.checked_date(text, "--date", problems)
    if problems:
        raise AdvisorError(problems)
    return day


def offer_resume(read: Callable[[str], str], draft: Draft, what: str) -> bool:
    """Ask whether to go on with a waiting draft; Enter means yes (nothing is dropped by default)."""
    try:
        reply = read(
            f"An unfinished {what} ({len(draft.answers)} answers, saved {draft.saved_at}) is waiting. Resume it? [Y/n] "
        )
    except (KeyboardInterrupt, EOFError):
        raise Interrupted from None
    return reply.strip().lower() in ("", "y", "yes")


def _client_name(client: str | None) -> str | None:
    """Checked before the first question, so nothing can stand between a red flag and its advice."""
    return checked(client, "name", MAX_NAME, "--client") or None if client is not None else None


def intro(console: Console, form: qmod.Questionnaire) -> None:

    console.print(Text(form.title, style="bold"))
    console.print(form.intro)
    console.print(
        Text(
            "Type ? for help with a question, '<' or 'back' to go back, Enter to skip an optional question, "
            "'quit' to stop and continue later.",
            style="dim",
        )
    )


def ask_questions(console: Console, read: Callable[[str], str], interview: Interview, kind: str = "ask") -> Tier | None:
    """Ask until the questionnaire is done or a red flag stops it; every answer is saved to the draft."""

    section = None
    while (q := interview.current) is not None:
        if q.section != section:
            section = q.section
            console.print()
            console.print(Text(interview.form.section_title(section), style="bold underline"))
            section_intro = interview.form.section_intro(section)
            if section_intro:
                console.print(section_intro)
        n, m = interview.progress()
        console.print()
        console.print(Text(f"Question {n} of {m}", style="dim"))
        console.print(Text(q.text, style="bold"))
        _show_choices(console, q)
        current = interview.draft.answers.get(q.id)
        while True:
            line = read(_prompt(q, current))
            reply = interview.parse(q, line)
            if reply.quit:
                raise KeyboardInterrupt  # saved and explained like Ctrl-C
            if reply.help:
                console.print(Text(q.help, style="cyan"))
                continue
            if reply.back:
                if interview.back():
                    break
                console.print("This is the first question.")
                continue
            if reply.error:
                console.print(Text(reply.error, style="yellow"))
                continue
            interview.record(reply)
            drafts.save(interview.draft, kind)
            stop = interview.red_flag_stop()
            if stop is not None:
                return stop
            break
    return None


def _show_choices(console: Console, q: Question) -> None:
    if q.type in ("choice", "multi"):
        for i, c in enumerate(q.choices, 1):
            console.print(f"  {i}) {c.label}  [{c.value}]", markup=False)
        if q.type == "multi":
            console.print("  (type all that apply, e.g. 1,3; or 'none')")


def _prompt(q: Question, current: Any) -> str:
    if q.type == "bool":
        hint = "y/n"
    elif q.type in ("int", "number"):
        hint = q.allowed().split(" from ", 1)[-1]
    elif q.type == "choice":
        hint = f"1-{len(q.choices)}"
    else:
        hint = "numbers or names"
    if current is not None:
        hint += f", Enter keeps: {q.format_value(current)}"
    elif not q.required:
        hint += ", Enter skips"
    return f"[{hint}] > "


def show_report(console: Console, report: Report) -> None:
    """The advice drawn as `advisor assess` draws it, at this console's width; rich keeps or
    drops its styles as the console's terminal allows."""
    screen = Screen(console.width, styled=True)
    terminal.render(report, screen)
    console.print(Text.from_ansi(screen.render().rstrip("\n")), soft_wrap=True)


def _finish(console: Console, read: Callable[[str], str], interview: Interview, stop: Tier | None) -> int:
    draft = interview.draft
    doc, answers = draft_answers(interview)
    report = formats.report_for(assess(answers), draft.paper)
    console.print()
    if stop is not None:
        stop_panel(console, stop)
    show_report(console, report)
    saved = _save_answers(console, read, doc, draft.out)
    console.print(f"\nYour answers are saved in {saved}")
    console.print(f"Run 'advisor assess {saved}' to see this advice again.")
    if draft.report:
        written = formats.write(report, draft.report)
        console.print(f"Report written to {written}")
    drafts.clear()
    return 0


def draft_answers(interview: Interview) -> tuple[dict[str, Any], answers_mod.Answers]:
    """The interview's answers as an answer-file document and as validated Answers."""
    draft = interview.draft
    doc: dict[str, Any] = {"questionnaire": draft.questionnaire}
    if draft.client:
        doc["client"] = draft.client
    doc["date"] = draft.date.isoformat()
    doc["answers"] = {qid: draft.answers[qid] for qid in interview.form.ids() if qid in draft.answers}
    return doc, answers_mod.validate(doc, "<questionnaire>")


def line_reader(console: Console) -> Callable[[str], str]:
    """Read one typed line after a prompt, printed as plain text (never rich markup)."""

    def read(prompt: str) -> str:
        return str(console.input(Text(prompt)))

    return read


def stop_panel(console: Console, tier: Tier) -> None:
    """The questionnaire stops; the assessment that follows shows the reason and what to do."""

    console.print(Text(f"{tier.id.upper()}: the questionnaire stops here because of your answers.", style="bold red"))


def _save_answers(console: Console, read: Callable[[str], str], doc: dict[str, Any], out: str | None) -> Path:
    text = "# Answers from 'advisor ask'. Check them with: advisor assess <this file>\n" + dump(doc)
    if out:
        target = Path(out)
        if target.exists():
            try:
                reply = read(f"{target} already exists. Overwrite it? [y/N] ")
            except (KeyboardInterrupt, EOFError):
                reply = ""
            if reply.strip().lower() not in ("y", "yes"):
                target = free_path(target)
                console.print(f"Keeping the existing file; saving to {target} instead.")
    else:
        target = free_path(Path(f"answers-{doc['date']}.yaml"))
    write_atomic(target, text)
    return target
