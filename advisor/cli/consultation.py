"""``advisor consult``: a fitter's visit, recorded with what the client agreed to.

Interactively, the fitter questionnaire walks through every question with the client's
previous answers offered as defaults (Enter keeps one); the safety screen is always asked
afresh, since warning signs can appear between visits. With ``--answers`` a file is
recorded instead. The result is shown, each recommendation is accepted or declined with a
note, the consultation is stored in one transaction, and the report shows what was agreed.
"""

from __future__ import annotations

import datetime as dt
import shlex
from collections.abc import Callable
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.text import Text

from advisor.cli import visits
from advisor.cli.interactive import (
    Interrupted,
    ask_questions,
    date_option,
    draft_answers,
    intro,
    line_reader,  # noqa: F401  (the consult command reads lines with it)
    offer_resume,
    save_and_stop,
    show_report,
    stop_panel,
)
from advisor.core.assessment import Assessment
from advisor.core.errors import AdvisorError, Problem, did_you_mean
from advisor.core.intake import answers as answers_mod, fitrecord
from advisor.core.intake.answers import Answers
from advisor.core.intake.fitrecord import FitRecord
from advisor.core.intake.interview import Draft, Interview
from advisor.core.rulebase import knowledge, questionnaire as qmod
from advisor.core.rulebase.actions import STOP_RIDING
from advisor.core.text import MAX_NAME, MAX_NOTE, checked, problem_with, visible
from advisor.output import formats
from advisor.records import config, drafts
from advisor.records.consent import CONSENT_QUESTION, CONSENT_TEXT
from advisor.records.location import locate
from advisor.records.model import ClientSummary, Decision, name_key
from advisor.records.store import PUBLIC_ID, Store, Who, client_ref

KIND = "consult"
# The one recommendation that can never be declined: it is the safety advice itself.
NOT_DECLINABLE = {STOP_RIDING}


def recommendations(result: Assessment) -> list[tuple[str, str, str]]:
    """(kind, id, name) of every recommendation a client can accept or decline."""
    return [("adjustment", a.id, a.name) for a in result.adjustments] + [
        ("exercise", e.id, e.name) for e in result.exercises
    ]


def decisions_from_flags(result: Assessment, declines: list[tuple[str, str]]) -> list[Decision]:
    """Everything accepted except the ``--decline`` ids, each with the ``--note`` given after it."""
    items = recommendations(result)
    by_id = {item_id: kind for kind, item_id, _ in items}
    problems = []
    for item_id, _ in declines:
        if item_id in NOT_DECLINABLE:
            problems.append(Problem("--decline", f"'{item_id}' cannot be declined: it is the safety advice"))
        elif item_id not in by_id:
            allowed = ", ".join(by_id) or "nothing (no recommendations)"
            problems.append(
                Problem(
                    "--decline",
                    f"'{item_id}' is not recommended in this consultation{did_you_mean(item_id, by_id)}; "
                    f"allowed: {allowed}",
                )
            )
    if problems:
        raise AdvisorError(problems)
    note_for = dict(declines)
    return [Decision(kind, item_id, item_id not in note_for, note_for.get(item_id, "")) for kind, item_id, _ in items]


def ask_decisions(console: Console, read: Callable[[str], str], result: Assessment) -> list[Decision]:
    """Let the fitter decline recommendations by number, with a note for each."""
    items = recommendations(result)
    if all(item_id in NOT_DECLINABLE for _, item_id, _ in items):
        return [Decision(kind, item_id, True) for kind, item_id, _ in items]  # nothing to choose
    console.print()
    console.print("Recommendations for this consultation:")
    for i, (kind, item_id, name) in enumerate(items, 1):
        lock = "  (safety advice: cannot be declined)" if item_id in NOT_DECLINABLE else ""
        console.print(f"  {i}) {name} [{kind}]{lock}", markup=False)
    while True:
        line = read("Numbers the client declines (e.g. 2,5), or Enter if all are agreed: ").strip()
        picked = _numbers(line, len(items))
        if picked is None:
            console.print(f"Please type numbers from 1 to {len(items)}, separated by commas, or press Enter.")
            continue
        locked = [n for n in picked if items[n - 1][1] in NOT_DECLINABLE]
        if locked:
            console.print("Stopping riding until assessed is the safety advice and cannot be declined.")
            continue
        break
    decisions = []
    for i, (kind, item_id, name) in enumerate(items, 1):
        note = _ask_note(console, read, name) if i in picked else ""
        decisions.append(Decision(kind, item_id, i not in picked, note))
    return decisions


def _ask_fit_record(console: Console, read: Callable[[str], str], last_fit: dict[str, Any], name: str) -> FitRecord:
    """The bike's settings before and after today's changes, if the fitter wants to record them.

    Which bike it is (make, model, size) is asked once, and holds before and after. Before
    defaults to last visit's after, and after to before, so only what changed is typed.
    """
    try:
        reply = read("Record the bike's settings before and after today's changes? [y/N] ")
    except (KeyboardInterrupt, EOFError):
        return FitRecord()
    if reply.strip().lower() not in ("y", "yes"):
        return FitRecord()
    form = fitrecord.form()
    console.print(form.intro + " Enter keeps the value shown; '-' means not measured.", markup=False)
    last = {**(last_fit.get("before") or {}), **(last_fit.get("after") or {})}  # the bike as it was left
    try:
        bike = _ask_settings(console, read, "", last, form.naming())
        before = _ask_settings(console, read, "Before", last_fit.get("after") or {}, form.measures())
        after = _ask_settings(console, read, "After", before, form.measures())
    except (KeyboardInterrupt, EOFError):
        console.print("\nStopped in the fit record; nothing was recorded.")
        console.print(f"To continue, run:  advisor consult --client {shlex.quote(name)} --resume", markup=False)
        raise Interrupted from None
    return FitRecord(before={**bike, **before}, after={**bike, **after})


def _ask_settings(
    console: Console,
    read: Callable[[str], str],
    when: str,
    defaults: dict[str, Any],
    settings: list[fitrecord.Setting],
) -> dict[str, float | str]:
    out: dict[str, float | str] = {}
    for setting in settings:
        default = defaults.get(setting.id)
        hint = f" [{fitrecord.shown(setting, default)}]" if default is not None else ""
        while True:
            asked = f"{when}: {setting.label}" if when else setting.label
            line = read(f"{asked} ({fitrecord.allowed(setting)}){hint}: ").strip()
            if not line or line == "-":
                value = default if not line else None
                break
            typed: Any = line
            if setting.type == "number":
                try:
                    typed = float(line.replace(",", "."))
                except ValueError:
                    typed = line
            problems: list[Problem] = []
            checked_value = fitrecord.check({"before": {setting.id: typed}}, "<typed>", problems).before
            if not problems:
                value = checked_value.get(setting.id)
                break
            console.print(f"{problems[0].message}; please type it again.", markup=False)
        if value is not None:
            out[setting.id] = value
    return out


def _ask_note(console: Console, read: Callable[[str], str], name: str) -> str:
    while True:
        note = read(f"Note for declining '{name}' (Enter for none): ").strip()
        trouble = problem_with(note, "note", MAX_NOTE)
        if trouble is None:
            return note
        console.print(f"That note {trouble}; please type it again.", markup=False)


def _numbers(line: str, count: int) -> list[int] | None:
    if not line:
        return []
    out = []
    for part in line.replace(",", " ").split():
        if not part.isdigit() or not 1 <= int(part) <= count:
            return None
        out.append(int(part))
    return sorted(set(out))


def run(
    console: Console,
    read: Callable[[str], str],
    *,
    client: str | None,
    answers_file: str | None,
    report: str | None,
    paper: str,
    db: str | None,
    declines: list[tuple[str, str]],
    date: str | None,
    unattended: bool,
    resume: bool,
    interactive_decisions: bool,
    born: dt.date | None = None,
    consent: bool = False,
    can_ask: bool = False,
    actor: str = "",
) -> int:
    """One consultation, start to end. ``consent``: the client's consent to keep their answers
    was given on the command line; ``can_ask``: a person is at the terminal to be asked it
    (and any question that must never be answered by a script)."""
    if report:
        records = locate(db).path  # a report never replaces the records' file
        keep = tuple(p for p in (Path(answers_file) if answers_file else None, records) if p and str(p) != "-")
        formats.check_path(report, keep=keep)
    if client is not None:
        client = checked(client, "name", MAX_NAME, "--client")
    given = client
    if client is not None and PUBLIC_ID.match(client.strip()):
        # A client named by their id: their drafts are kept under their name.
        with Store(db, create=False) as store:
            client = store.require(client, born).name
    draft = _waiting_draft(console, read, client, resume) if resume or not answers_file else None
    name = (draft.client if draft else client) or ""
    if not name.strip():
        raise AdvisorError([Problem("--client", 'give the client\'s name, e.g. --client "Zoë Ødegård"')])
    name = checked(name, "name", MAX_NAME, "--client")
    # The draft, if any, is the named client's own: drafts are found by the client's name.
    given = given if given is not None else name
    for _, note in declines:
        checked(note, "note", MAX_NOTE, "--note")
    day = date_option(date)
    if unattended:
        locate(db)  # a records address that cannot be used is said first, as it would be below
        # With --answers and nobody at a terminal to ask, what the client agreed to is said on
        # the command line: never assumed.
        raise AdvisorError(
            [
                Problem(
                    "--accept-all",
                    "with --answers and no terminal to ask at, say what the client agreed to: --accept-all, "
                    "or --decline ID for each recommendation declined; nothing was recorded",
                )
            ]
        )
    with Store(_records_of(draft, db)) as store:
        who = client_ref(given.strip(), born)
        found = store.find(who)  # a name two clients share is refused here, both listed
        if found is None and who.id is not None:
            store.require(who)
        if found is not None:
            name, who = found.name, Who(found.name, born, found.id)
        else:
            name = name.strip()
        needs_consent = not consent and (found is None or not found.consented)
        if needs_consent and not can_ask:
            raise _consent_needed(name, found)
        if answers_file and not draft:
            answers = answers_mod.load(answers_file)
            named = (answers.client or "").strip()
            if named and name_key(named) != name_key(name):
                # --client decides whose record this is; the file's own name is said, so a
                # file filed under the wrong person is seen before anything is saved.
                console.print(
                    f"Note: {answers_file} names '{visible(named)}'; these answers are recorded for "
                    f"'{visible(name)}', as --client says."
                )
            answers = answers.model_copy(update={"client": name})
            stop = None
        else:
            answers, stop = _interview(console, read, store, name, who, draft, report, paper, db)
        if day is not None:
            answers = answers.model_copy(update={"date": day})
        earlier = visits.earlier(store, who, answers.date)
        result = visits.assess_visit(answers, earlier)
        # Every --decline is checked before the advice is shown: a mistyped id is said at once.
        flagged = decisions_from_flags(result, declines) if declines or not interactive_decisions else None
        console.print()
        if stop is not None:
            stop_panel(console, stop)
        show_report(console, formats.report_for(result))
        if needs_consent:
            consent = _ask_consent(console, read, name, found, answers_file, interview=not answers_file or bool(draft))
        if flagged is not None:
            decisions = flagged
        else:
            try:
                decisions = ask_decisions(console, read, result)
            except (KeyboardInterrupt, EOFError):
                console.print("\nStopped before the decisions; nothing was recorded.")
                if not answers_file:
                    console.print(
                        f"To continue, run:  advisor consult --client {shlex.quote(name)} --resume", markup=False
                    )
                raise Interrupted from None
            if not answers_file:
                last = store.previous(who) if found is not None else None
                fit = _ask_fit_record(console, read, last.fit if last else {}, name)
                answers = answers.model_copy(update={"fit": fit})
        # Who fitted the bike is kept with the visit: its report names them for good.
        answers = answers.model_copy(update={"fit": answers.fit.by(config.fitter())})
        cid = store.record(who, answers, result, decisions, actor=actor, consent=consent)
        visit = store.consultation(cid)
        console.print(f"\nConsultation {cid} saved for {visible(name)} in {visible(store.name)}", markup=False)
        if found is None:
            _same_name_note(console, store, visit.client_id, name)
        if report:
            written = visits.write_report(store, visit, report, paper, actor=actor)
            console.print(f"Report written to {written}", markup=False)
    drafts.clear(KIND, name)
    return 0


def _consent_needed(name: str, found: ClientSummary | None) -> AdvisorError:
    """Nobody at a terminal to ask the client's consent, and no --consent: nothing is stored."""
    what = "is a new client" if found is None else "has no consent recorded (stored before consent was asked)"
    return AdvisorError(
        [
            Problem(
                "--consent",
                f"'{visible(name)}' {what} and nobody is at a terminal to ask: ask the client whether they agree "
                "to their answers being kept, and add --consent when they do; nothing was stored",
            )
        ]
    )


def _ask_consent(
    console: Console,
    read: Callable[[str], str],
    name: str,
    found: ClientSummary | None,
    answers_file: str | None,
    *,
    interview: bool,
) -> bool:
    """Ask the client, once, whether their answers may be kept: True, or nothing is stored."""
    resume = f"advisor consult --client {shlex.quote(name)} --resume"
    console.print()
    who = "a new client" if found is None else "a client whose consent was never recorded"
    console.print(Text(f"Consent ({visible(name)} is {who}). Please read this to the client:", style="bold"))
    console.print(CONSENT_TEXT, markup=False)
    while True:
        try:
            reply = read(f"{CONSENT_QUESTION} [y/n] ").strip().lower()
        except (KeyboardInterrupt, EOFError):
            console.print("\nStopped at the consent question; nothing was recorded.")
            if interview:
                console.print(f"To continue, run:  {resume}", markup=False)
            raise Interrupted from None
        if reply in ("y", "yes"):
            return True
        if reply in ("n", "no"):
            break
        console.print("Please type y (they agree) or n (they do not).")
    kept = (
        f"the answers are kept for now: if they change their mind, run  {resume}"
        if interview
        else f"the answers are still in {answers_file}"
    )
    raise AdvisorError(
        [Problem(visible(name), f"did not agree to their answers being kept, so nothing was stored; {kept}")]
    )


def _same_name_note(console: Console, store: Store, new_id: str, name: str) -> None:
    """Said once, when a new client has the name of another: they may be the same rider."""
    others = [c for c in store.named(name) if c.id != new_id]
    if not others:
        return
    listed = "; ".join(c.described() for c in others)
    other = others[0].id if len(others) == 1 else "ID"
    console.print(
        f"Note: {visible(name)} ({new_id}) is a new client, and another client has this name: {visible(listed)}.",
        markup=False,
    )
    console.print(
        f"If they are the same rider, join them with:  advisor client merge {new_id} {other}",
        markup=False,
        soft_wrap=True,
    )


def _records_of(draft: Draft | None, db: str | None) -> str | None:
    """Where a resumed consultation is saved: where it was started. A draft names a server
    without its password (drafts are files), so the --db or ADVISOR_DB naming the same
    database, password and all, is used when there is one."""
    if draft is None or not draft.db:
        return db
    given = locate(db)
    return db if given.is_postgres and given.same_place(locate(draft.db)) else draft.db


def _waiting_draft(console: Console, read: Callable[[str], str], client: str | None, resume: bool) -> Draft | None:
    """The interrupted consultation to go on with, if any. Each client has their own, so
    starting one never drops another's; starting afresh over one's own is asked first."""
    if not resume:
        existing = drafts.load(KIND, client) if client else None
        if existing is None or not existing.answers:
            return None
        if offer_resume(read, existing, f"consultation for {visible(existing.client or '')}"):
            return existing
        console.print("Starting afresh; the unfinished consultation is discarded.")
        return None
    if client:
        found = drafts.load(KIND, client)
        if found is not None:
            return found
    waiting = drafts.waiting(KIND)
    names = ", ".join(f"'{visible(d.client or '')}'" for d in waiting)
    if client or not waiting:
        whose = f" for '{client}'" if client else ""
        also = f" (consultations are waiting for {names})" if waiting else ""
        raise AdvisorError([Problem("--resume", f"there is no saved consultation{whose} to resume{also}")])
    if len(waiting) > 1:
        raise AdvisorError(
            [Problem("--resume", f"consultations are waiting for {names}; add --client NAME to choose one")]
        )
    return waiting[0]


def _interview(
    console: Console,
    read: Callable[[str], str],
    store: Store,
    name: str,
    who: Who,
    draft: Draft | None,
    report: str | None,
    paper: str,
    db: str | None,
) -> tuple[Answers, Any]:
    form = qmod.load("fitter")
    if draft is None:
        last = store.previous(who)
        carried = form.carried_over(last.answers if last else {})
        draft = Draft(
            questionnaire="fitter",
            client=name,
            date=dt.date.today(),
            answers=carried,
            report=report,
            paper=paper,
            db=store.location.without_password(),
        )
        intro(console, form)
        if last:
            console.print(
                f"Last visit: {last.date.isoformat()} ({last.urgency}). Press Enter to keep an answer from then.",
                markup=False,
            )
        else:
            console.print(f"First consultation for {visible(name)}.", markup=False)
    interview = Interview(form, knowledge.load(), draft)
    interview.continue_after_history()  # every question is walked through, defaults or not
    try:
        stop = ask_questions(console, read, interview, KIND)
    except (KeyboardInterrupt, EOFError):
        save_and_stop(console, draft, KIND, f"advisor consult --client {shlex.quote(name)} --resume")
    _, answers = draft_answers(interview)
    return answers, stop
