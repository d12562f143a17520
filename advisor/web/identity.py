"""Which client a consultation form is for: a name, a date of birth when given, and the lasting
id of a client chosen from the records.

A client chosen on the clients page, or from the list the studio offers when a name is shared,
is carried by their id (``client_id``); otherwise the name (and date of birth) typed is looked
up. A name two clients share is never guessed: the form asks which one, listing each, and a
date of birth typed for a name whose client has none recorded asks whether it is them.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from advisor.records.model import ClientSummary, name_key
from advisor.records.store import PUBLIC_ID, Store, TwoClients, Who

NEW = "new"  # the value of "A new client" among the clients a shared name could mean
EARLIEST_BIRTH = dt.date(1900, 1, 1)


@dataclass
class Identity:
    """Who the form is for, as far as it says."""

    name: str  # as typed, or as the records spell it once the client is known
    born: dt.date | None = None
    born_text: str = ""  # as typed, to show again
    known: ClientSummary | None = None  # the client in the records, when settled
    choices: list[ClientSummary] = field(default_factory=list)  # the clients the name may mean
    new: bool = False  # a new client, said so though the name is in the records
    shared: bool = False  # another client in the records has this name
    problem: str = ""  # which client is meant is not settled yet
    born_problem: str = ""

    @property
    def who(self) -> Who:
        """The client as a write to the records names them."""
        if self.known is not None:
            return Who(name="", born=self.born, id=self.known.id)
        return Who(name=self.name, born=self.born)

    @property
    def chosen(self) -> str:
        """What the form's ``client_id`` field holds."""
        return self.known.id if self.known is not None else (NEW if self.new else "")

    @property
    def draft_key(self) -> str:
        """The client's unsaved consultation is kept under their name, as `advisor consult` keeps
        it, or under their id when another client has the same name."""
        return self.known.id if self.known is not None and self.shared else self.name

    @property
    def needs_consent(self) -> bool:
        """A new client, or one whose consent was never recorded, is asked before saving."""
        return self.known is None or not self.known.consented


def born_from(text: str) -> tuple[dt.date | None, str]:
    """An optional date of birth as typed: the date, or what is wrong with it."""
    text = text.strip()
    if not text:
        return None, ""
    try:
        born = dt.date.fromisoformat(text)
    except ValueError:
        return None, f"'{text[:20]}' is not a date; use the form YYYY-MM-DD"
    if born > dt.date.today() or born < EARLIEST_BIRTH:
        return None, f"{born.isoformat()} cannot be a date of birth; check the year"
    return born, ""


def identify(store: Store, name: str, born_text: str = "", chosen: str = "") -> Identity:
    """The client a form's name, date of birth and chosen id mean (blocking: it reads the records)."""
    name = name.strip()
    born, born_problem = born_from(born_text)
    chosen = chosen.strip()
    if PUBLIC_ID.match(chosen):
        found = store.find(Who(name="", id=chosen))
        # A name typed over the chosen client's is another client: looked up by that name.
        if found is not None and (not name or name_key(name) == name_key(found.name)):
            if born is not None and found.born is not None and born != found.born:
                born_problem = (
                    f"{found.name}'s date of birth is recorded as {found.born.isoformat()}; "
                    "check it, or choose another client"
                )
            shared = len(store.named(found.name)) > 1
            return Identity(found.name, born or found.born, born_text, found, shared=shared, born_problem=born_problem)
    if not name:
        return Identity(name, born, born_text, born_problem=born_problem)
    if chosen == NEW:
        others = store.named(name)
        if not others:
            return Identity(name, born, born_text, born_problem=born_problem)
        if born is None:
            problem = f"give the new client's date of birth, to tell them from the {_clients(others)} named {name}"
            return Identity(name, None, born_text, None, others, True, True, problem, born_problem)
        same = [c for c in others if c.born == born]
        if same:
            problem = f"a client named {name} born {born.isoformat()} is in the records already: choose them"
            return Identity(name, born, born_text, None, others, False, True, problem, born_problem)
        return Identity(name, born, born_text, new=True, shared=True, born_problem=born_problem)
    try:
        found = store.find(name, born)
    except TwoClients as two:
        problem = f"{len(two.found)} clients are named {name}: say which one this is"
        return Identity(name, born, born_text, None, two.found, shared=True, problem=problem, born_problem=born_problem)
    if found is not None:
        shared = len(store.named(found.name)) > 1
        return Identity(found.name, born or found.born, born_text, found, shared=shared, born_problem=born_problem)
    others = store.named(name)
    if born is not None and any(c.born is None for c in others):
        # The records know this name without a date of birth: the same person, or another?
        problem = f"a client named {name} is in the records without a date of birth: is this them, or a new client?"
        return Identity(name, born, born_text, None, others, shared=True, problem=problem, born_problem=born_problem)
    return Identity(name, born, born_text, shared=bool(others), born_problem=born_problem)


def _clients(found: list[ClientSummary]) -> str:
    return "client" if len(found) == 1 else f"{len(found)} clients"
