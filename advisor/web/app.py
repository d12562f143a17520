"""The studio's pages: clients, a consultation on one page with live advice, visits and reports.

The pages call the same `assess` as the CLI and render the same report model; the record is the
same store `advisor history` reads. Every page works without JavaScript (forms post and the
server answers with a page); with it, the advice beside the form updates as answers change.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import hashlib
import http
import json
import secrets
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, replace
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import quote

import uvicorn
from jinja2 import ChoiceLoader, Environment, PackageLoader, StrictUndefined, select_autoescape
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.sessions import SessionMiddleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, PlainTextResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Receive, Scope, Send

from advisor.core.advice.pipeline import assess
from advisor.core.assessment import Assessment
from advisor.core.errors import AdvisorError
from advisor.core.intake import fitrecord
from advisor.core.intake.interview import Draft
from advisor.core.rulebase import knowledge, questionnaire as qmod
from advisor.core.rulebase.actions import STOP_RIDING
from advisor.core.rulebase.followup import Previous
from advisor.core.text import MAX_NAME, MAX_NOTE, MAX_VISIT_NOTES, one_line, problem_with
from advisor.output import formats
from advisor.output.diagram import to_svg
from advisor.output.progress import flexibility_over_visits, pain_over_visits
from advisor.output.report import STATUS_WORDS
from advisor.records import config, drafts, history
from advisor.records.consent import CONSENT_QUESTION, CONSENT_TEXT
from advisor.records.model import ClientSummary, Consultation, Decision, name_key
from advisor.records.store import PUBLIC_ID, ChangedMeanwhile, ConsentNeeded, Store, TwoClients, Who
from advisor.web import forms
from advisor.web.identity import Identity, identify
from advisor.web.security import (
    REPORT_CSP,
    LoopbackHostOnly,
    SecurityHeaders,
    Throttle,
    csrf_ok,
    csrf_token,
)

HERE = Path(__file__).resolve().parent
FORM = "fitter"
DRAFTS = "consult"  # the studio keeps a client's unfinished consultation where `advisor consult` does
# A new client's date of birth, as typed, kept in their draft beside the fit record's fields
# (which `advisor consult` leaves to the studio), so a resumed consultation has it too.
BORN = "client.born"
CONSENT_MISSING = "tick the box once the client agrees: nothing goes into the records without their consent"


SESSION_AGE = 12 * 3600  # seconds: a working day at the studio
MAX_BODY = 256_000  # bytes: the whole questionnaire is a few kilobytes
# X-Forwarded-For and -Proto are believed from a proxy on this computer only: anyone else could
# name any address in them, and pick the address a login is slowed by (a fresh one per guess).
PROXY_ADDRESSES = "127.0.0.0/8,::1"
# Fetched by the consultation page's script, which shows its own words on a refusal.
SCRIPT_PATHS = {"/consult/advice"}


def run(
    studio: ASGIApp,
    host: str,
    port: int,
    *,
    certfile: Path | None = None,
    keyfile: Path | None = None,
    behind_proxy: bool = False,
) -> None:
    """Serve the studio until Ctrl-C or SIGTERM: over HTTPS with ``certfile`` and ``keyfile``;
    ``behind_proxy``, taking the client's address and scheme from a TLS proxy on this computer."""
    # Access logs name paths only; the password travels in a POST body and is never printed.
    # No proxy headers unless a proxy is said to be in front, and then from this computer only.
    uvicorn.run(
        studio,
        host=host,
        port=port,
        log_level="warning",
        server_header=False,
        ssl_certfile=certfile,
        ssl_keyfile=keyfile,
        proxy_headers=behind_proxy,
        forwarded_allow_ips=PROXY_ADDRESSES,
    )


def create_app(
    db: str | None = None, password: str | None = None, *, https: bool = False, hsts: bool = False
) -> ASGIApp:
    """The studio, reading and writing the consultation store at ``db`` (the CLI's default if None).

    Without a password only this computer's own names and loopback addresses are answered: a
    web page elsewhere that points its name at 127.0.0.1 (DNS rebinding) gets 400, not the
    records. ``https``: the browser reaches the studio over HTTPS (its own or a proxy's), so
    the session cookie is sent over HTTPS only. ``hsts``: browsers are told to keep to HTTPS.

    When the records hold fitters' accounts, each fitter logs in by name, and what they save,
    amend, erase, consent to and print is recorded under their name; without accounts, the
    ``password`` (if any) is the studio's one login and the settings' fitter (studio.fitter),
    else "studio", is named instead.
    """
    studio = _Studio(db, password)
    routes = [
        Route("/", studio.clients),
        Route("/login", studio.login, methods=["GET", "POST"]),
        Route("/logout", studio.logout, methods=["POST"]),
        # A client's page takes the name in the query: a name such as ".." or "Bo/.." in the
        # path would be folded away by the browser before the request is sent.
        # A client is linked by their lasting id (?id=c-...), which no rename or shared name changes.
        Route("/client", studio.client),
        # Erasing takes a confirmation page, then a POST that names the client again: never a link.
        Route("/client/erase", studio.erase_form),
        Route("/client/erase", studio.erase, methods=["POST"]),
        Route("/clients/{name:path}", studio.client),  # the address earlier versions linked to
        Route("/consult", studio.consult_form),
        Route("/consult/form", studio.form_again, methods=["POST"]),
        Route("/consult/advice", studio.live_advice, methods=["POST"]),
        Route("/consult/draft/discard", studio.discard_draft, methods=["POST"]),
        Route("/consult/review", studio.review, methods=["POST"]),
        Route("/consult/save", studio.save, methods=["POST"]),
        Route("/visits/{cid:str}", studio.visit),
        Route("/visits/{cid:str}/amend", studio.amend_form),
        Route("/visits/{cid:str}/report.{kind:str}", studio.report),
        Mount("/static", StaticFiles(directory=HERE / "static"), name="static"),
    ]
    # A fresh secret each start: sessions end when the server does. HttpOnly, SameSite=Lax,
    # and over HTTPS, Secure: never sent where it could be read on the way.
    session = Middleware(
        SessionMiddleware,
        secret_key=secrets.token_urlsafe(32),
        same_site="lax",
        max_age=SESSION_AGE,
        https_only=https,
    )
    middleware = [session] if password else [Middleware(LoopbackHostOnly, refusal=_foreign_host), session]

    @contextlib.asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        yield
        studio.store.close()

    # The headers wrap everything, error pages included.
    return SecurityHeaders(
        Starlette(
            routes=routes,
            middleware=middleware,
            lifespan=lifespan,
            exception_handlers={
                HTTPException: _refused,
                AdvisorError: _records_unavailable,
                Exception: _server_error,  # after the response, uvicorn logs the traceback
            },
        ),
        hsts=hsts,
    )


# --- error pages ---------------------------------------------------------------------------
# A page of the studio's own for every refusal: a heading, what happened in plain words, and a
# way back. They are made without the session (a 500 may come from anywhere), so they show no
# "Log out"; the page a fitter goes back to does.

HEADINGS = {
    400: "The studio cannot read this request",
    401: "Log in first",
    403: "This form cannot be used",
    404: "Not found",
    405: "Not at this address",
    409: "Changed meanwhile",
    413: "Too large",
    500: "Something went wrong",
    503: "The records cannot be reached",
}
# Said when the refusal itself gives no words of its own (Starlette's "Not Found" and such).
PLAIN_WORDS = {
    400: "The studio could not read what the browser sent.",
    401: "This page needs the studio's password.",
    403: "This page cannot be used from here.",
    404: "There is nothing at this address: the link may be old or mistyped.",
    405: "This address is not opened that way: it takes a form sent from one of the studio's pages.",
    413: "What the browser sent is larger than anything the studio's pages send.",
    500: "The studio met a problem it did not expect. Go back and try again; if it happens again, "
    "restart the studio (advisor serve) and note what was done just before.",
}


def error_page(status: int, message: str, headers: Mapping[str, str] | None = None) -> HTMLResponse:
    """A small page in the studio's look: a heading, ``message``, and a way back."""
    heading = HEADINGS.get(status) or _phrase(status)
    html = (
        _templates()
        .get_template("error.html.j2")
        .render(status=status, heading=heading, message=message, csrf="", login=False)
    )
    return HTMLResponse(html, status_code=status, headers=dict(headers or {}))


def _phrase(status: int) -> str:
    try:
        return http.HTTPStatus(status).phrase
    except ValueError:
        return "The studio cannot answer this"


async def _refused(request: Request, exc: Exception) -> Response:
    """An HTTPException (a refusal of the studio's own, or the router's 404 and 405)."""
    assert isinstance(exc, HTTPException)
    status, headers = exc.status_code, exc.headers
    if status in (204, 304):
        return Response(status_code=status, headers=headers)
    detail = exc.detail if exc.detail != _phrase(status) else ""
    if request.url.path in SCRIPT_PATHS:
        return PlainTextResponse(detail or _phrase(status), status_code=status, headers=headers)
    return error_page(status, detail or PLAIN_WORDS.get(status, _phrase(status)), headers)


async def _records_unavailable(request: Request, exc: Exception) -> Response:
    # The records cannot be read or written (a file deleted under the studio, a server
    # gone): said in words, with a status that tells a browser to try again later.
    problems = exc.problems if isinstance(exc, AdvisorError) else []
    reason = str(problems[0]) if problems else "the records cannot be reached"
    message = f"The studio cannot reach its records ({reason})."
    if request.url.path in SCRIPT_PATHS:
        return PlainTextResponse(message, status_code=503)
    return error_page(503, message)


async def _server_error(request: Request, _exc: Exception) -> Response:
    if request.url.path in SCRIPT_PATHS:
        return PlainTextResponse("The studio met a problem it did not expect.", status_code=500)
    return error_page(500, PLAIN_WORDS[500])


async def _foreign_host(scope: Scope, receive: Receive, send: Send) -> None:
    """The answer to a request naming another computer in its Host header (see LoopbackHostOnly)."""
    page = error_page(
        400,
        "Without a password the studio answers only this computer's own addresses, such as "
        "http://127.0.0.1 or http://localhost.",
    )
    await page(scope, receive, send)


def _digest(data: FormData) -> str:
    """What a consultation form says, whatever the order of its fields (its CSRF token aside)."""
    fields = sorted((key, value) for key, value in data.multi_items() if key != "csrf" and isinstance(value, str))
    return hashlib.blake2b(repr(fields).encode("utf-8"), digest_size=16).hexdigest()


def save_key(data: FormData) -> str | None:
    """A reviewed form's save key: its review page's token and what it says. The store records
    a key once, so the same form sent again (a double click on Save, a browser sending it again,
    another studio process on the same records, a restart between the two) leads to the visit
    it saved; a form changed after going back is a consultation of its own."""
    token = str(data.get("save_token") or "")[:64]
    return f"studio:{token}:{_digest(data)}" if token else None


@dataclass
class Sent:
    """A consultation form read: who it is for, the date, the answers, the client's visit
    before, and for an amendment the visit amended, why, and the revision it was made from."""

    ident: Identity
    date: dt.date
    parsed: forms.Parsed
    last: Consultation | None
    amending: Consultation | None = None
    reason: str = ""
    base: int = 0


class _Studio:
    def __init__(self, db: str | None, password: str | None) -> None:
        # One store for the studio's life: a server's connections are pooled, and a wrong
        # password or an unreachable server stops `advisor serve` before it starts.
        self.store = Store(db)
        self.password = password
        self.throttle = Throttle()
        # Session ids given at login, and the fitter's account each belongs to (None: the
        # studio's shared password); logout removes one.
        self.signed_in: dict[str, str | None] = {}
        # An amendment is checked against the visit's revision and made in one step, so the
        # same amendment sent twice is made once.
        self.amend_lock = asyncio.Lock()
        self.kb = knowledge.load()
        self.form = qmod.load(FORM)
        # Each conditional question's condition, for the page's script, and in words for a
        # browser without it (which shows every question and lets the server leave out the rest).
        self.when = {
            q.id: (json.dumps(forms.condition_json(q.condition)), forms.condition_words(q.condition, self.form))
            for q in self.form.questions
            if q.ask_when
        }
        self.templates = _templates()

    # --- pages -------------------------------------------------------------------------
    def page(self, request: Request, name: str, status: int = 200, **context: Any) -> HTMLResponse:
        account = self.account(request)
        html = self.templates.get_template(name).render(
            csrf=csrf_token(request),
            login=self.is_signed_in(request),
            account=account,
            fitter=account or _fitter(),
            **context,
        )
        return HTMLResponse(html, status_code=status)

    def is_signed_in(self, request: Request) -> bool:
        return request.session.get("user") in self.signed_in

    def account(self, request: Request) -> str | None:
        """The fitter's account this browser signed in with (None: the shared password, or no login)."""
        return self.signed_in.get(request.session.get("user") or "")

    def actor(self, request: Request) -> str:
        """Who a write is made by, for the audit trail: the fitter signed in; in a studio
        without accounts, the fitter of the settings (studio.fitter), else "studio"."""
        return self.account(request) or _fitter() or "studio"

    def needs_login(self) -> bool:
        """A studio with a password, or with fitters' accounts (`advisor users add`), asks for a login."""
        return self.password is not None or bool(self.store.users())

    def guard(self, request: Request) -> Response | None:
        """A login page instead, when the studio asks for one and this browser has not given it."""
        if self.is_signed_in(request):
            account = self.account(request)
            if account is None or account in self.store.users():
                return None
            # The account was removed since: its sessions end.
            self.signed_in.pop(request.session.get("user") or "", None)
            request.session.clear()
        elif not self.needs_login():
            return None
        # After login, a page to GET: a form's own address only takes its POST.
        target = request.url.path if request.method == "GET" else "/consult"
        if request.method == "GET" and request.url.query:
            target += "?" + request.url.query
        return RedirectResponse("/login?next=" + quote(target, safe=""), status_code=303)

    async def posted(self, request: Request) -> FormData:
        """A form that changes something (or asks for advice): small, plain text, with its CSRF token."""
        if "csrf" not in request.session:
            raise HTTPException(403, "This form has expired or did not come from the studio; reload the page.")
        length = request.headers.get("content-length")
        if length is None or not length.isdigit() or int(length) > MAX_BODY:
            raise HTTPException(413, "This form is larger than any the studio sends.")
        data = await request.form(max_files=0, max_fields=500, max_part_size=16_000)
        for value in data.values():
            if not isinstance(value, str):
                raise HTTPException(400, "The studio's forms hold text only.")
            try:
                value.encode("utf-8")
            except UnicodeEncodeError:
                raise HTTPException(400, "The form holds text that is not valid Unicode.") from None
        token = data.get("csrf")
        if not csrf_ok(request, token if isinstance(token, str) else None):
            raise HTTPException(403, "This form has expired or did not come from the studio; reload the page.")
        return data

    async def login(self, request: Request) -> Response:
        accounts = await run_in_threadpool(self.store.users)
        if self.password is None and not accounts:
            return RedirectResponse("/", status_code=303)
        target = request.query_params.get("next", "/")
        target = target if target.startswith("/") and not target.startswith("//") else "/"
        if request.method == "GET":
            return self.page(request, "login.html.j2", error="", next=target, accounts=bool(accounts), typed="")
        data = await self.posted(request)
        address = request.client.host if request.client else "?"
        given = data.get("password")
        typed = one_line(str(data.get("name") or ""), MAX_NAME).strip()
        who: str | None = None
        if isinstance(given, str) and accounts:
            found: list[str] = []

            async def compare() -> bool:
                name = await run_in_threadpool(self.store.check_user, typed, given)
                found.extend([name] if name else [])
                return name is not None

            if await self.throttle.attempt(address, compare):
                who = found[0]
        elif (
            isinstance(given, str)
            and self.password is not None
            and await self.throttle.check(address, given, self.password)
        ):
            who = ""
        if who is None:
            # Audited without what was typed: a password typed into the name field by mistake
            # is never stored. A wrong password for a fitter's account names the account.
            account = next((a for a in accounts if name_key(a) == name_key(typed)), "")
            detail = "" if account or not accounts else "no such account"
            await run_in_threadpool(self.store.log, "login refused", actor=account, detail=detail)
            error = "That name and password do not match an account." if accounts else "That password is not right."
            # The name is shown again only when it is an account's (what else was typed may be a password).
            return self.page(
                request, "login.html.j2", status=401, error=error, next=target, accounts=bool(accounts), typed=account
            )
        # A new session at login: nothing planted before it (a CSRF token) carries over.
        request.session.clear()
        sid = secrets.token_urlsafe(24)
        self.signed_in[sid] = who or None
        request.session["user"] = sid
        await run_in_threadpool(self.store.log, "login", actor=self.actor(request))
        return RedirectResponse(target, status_code=303)

    async def logout(self, request: Request) -> Response:
        await self.posted(request)
        self.signed_in.pop(request.session.get("user") or "", None)  # a copied cookie is worthless from now on
        request.session.clear()
        return RedirectResponse("/login" if self.needs_login() else "/", status_code=303)

    async def clients(self, request: Request) -> Response:
        if (denied := self.guard(request)) is not None:
            return denied
        query = request.query_params.get("q", "").strip()
        rows = self.store.clients()
        if query:
            rows = [r for r in rows if query.casefold() in r.name.casefold()]
        # Consultations started and not saved (a new client's included): found here, resumed in a tap.
        waiting = await run_in_threadpool(self.unsaved)
        return self.page(request, "clients.html.j2", rows=rows, query=query, waiting=waiting)

    def unsaved(self) -> list[tuple[Draft, str]]:
        """Each unsaved consultation and who it is for in words (a draft kept under a client's
        id, for a name two clients share, is named with their date of birth)."""
        out = []
        for draft in _unsaved():
            ref = draft.client or ""
            if PUBLIC_ID.match(ref):
                found = self.store.find(ref)
                if found is None:
                    continue
                born = f"born {found.born.isoformat()}" if found.born else "no date of birth"
                out.append((draft, f"{found.name} ({born})"))
            else:
                out.append((draft, ref))
        return out

    def which_client(self, request: Request, ref: str) -> ClientSummary | Response:
        """The client a page's ``id`` or ``name`` names; for a name two clients share, a page that
        asks which one (each linked by id)."""
        try:
            found = self.store.find(ref)
        except TwoClients as two:
            return self.page(request, "which.html.j2", asked=ref, found=two.found)
        if found is None:
            raise HTTPException(404, "No such client.")
        return found

    async def client(self, request: Request) -> Response:
        if (denied := self.guard(request)) is not None:
            return denied
        ref = request.query_params.get("id") or request.path_params.get("name") or request.query_params.get("name", "")
        found = self.which_client(request, ref)
        if isinstance(found, Response):
            return found
        visits = self.store.history(found)
        timeline = history.timeline(visits)
        dated = [(v.date, v.answers) for v in visits]
        charts = [flexibility_over_visits(self.kb, self.form, dated), pain_over_visits(self.kb, self.form, dated)]
        return self.page(
            request,
            "client.html.j2",
            client=found.name,
            person=found,
            shared=len(self.store.named(found.name)) > 1,
            timeline=list(reversed(timeline)),
            bike={v.id: history.bike_changes(v.fit) for v in visits},
            # Each panel a picture at its own size: side by side on a wide screen, one under another
            # on a phone; its reading in words is its title.
            charts=[
                (
                    c,
                    [
                        to_svg(d, words, sized=True, css_class="panel")
                        for d, words in zip(c.diagrams, c.readings, strict=True)
                    ],
                )
                for c in charts
                if c
            ],
        )

    # --- erasing a client ----------------------------------------------------------------
    def erasure(self, person: ClientSummary) -> dict[str, Any]:
        """What erasing a client takes away, counted (blocking: it reads the records)."""
        visits = self.store.history(person)
        draft_keys = {person.id, *([person.name] if len(self.store.named(person.name)) <= 1 else [])}
        return {
            "visits": len(visits),
            "notes": sum(1 for v in visits if v.notes),
            "fits": sum(1 for v in visits if v.fit.get("before") or v.fit.get("after")),
            "revisions": sum(len(self.store.revisions(v.id)) for v in visits if v.amended),
            "drafts": [key for key in sorted(draft_keys) if drafts.path(DRAFTS, key).exists()],
        }

    async def erase_form(self, request: Request) -> Response:
        if (denied := self.guard(request)) is not None:
            return denied
        found = self.which_client(request, request.query_params.get("id", ""))
        if isinstance(found, Response):
            return found
        counts = await run_in_threadpool(self.erasure, found)
        return self.page(request, "erase.html.j2", person=found, counts=counts, typed="", error="")

    async def erase(self, request: Request) -> Response:
        """Erase a client for good, once the fitter has typed their name: a POST, never a link."""
        if (denied := self.guard(request)) is not None:
            return denied
        data = await self.posted(request)
        ref = str(data.get("id") or "")
        found = self.store.find(Who(name="", id=ref)) if PUBLIC_ID.match(ref) else None
        if found is None:
            raise HTTPException(404, "No such client: erased already, or never in these records.")
        typed = one_line(str(data.get("confirm") or ""), MAX_NAME)
        counts = await run_in_threadpool(self.erasure, found)
        if name_key(typed) != name_key(found.name):
            error = (
                f"type the client's name, {found.name}, to erase their records"
                if not typed.strip()
                else (f"'{typed}' is not {found.name}'s name; nothing was erased")
            )
            return self.page(
                request, "erase.html.j2", status=422, person=found, counts=counts, typed=typed, error=error
            )
        removed = await run_in_threadpool(self.store.erase, found, actor=self.actor(request))
        for key in counts["drafts"]:
            await run_in_threadpool(drafts.clear, DRAFTS, key)
        return self.page(request, "erased.html.j2", person=found, removed=removed, counts=counts)

    # --- the consultation form -------------------------------------------------------------
    async def consult_form(self, request: Request) -> Response:
        """A new consultation: a client's unsaved draft when there is one (unless ``fresh``),
        else last visit's answers as `advisor consult` offers them, measurements and the
        safety screen left to be taken afresh. ``client`` is a name or a client's lasting id."""
        if (denied := self.guard(request)) is not None:
            return denied
        ref = one_line(request.query_params.get("client", ""), MAX_NAME).strip()
        if PUBLIC_ID.match(ref):
            ident = identify(self.store, "", "", ref)
            if ident.known is None:
                raise HTTPException(404, "No such client.")
        else:
            ident = identify(self.store, ref)
        notice = ""
        today = dt.date.today()
        if ident.name and "fresh" not in request.query_params:
            draft, notice = await run_in_threadpool(_load_draft, ident.draft_key, ident.name)
            if draft is not None:
                fields = {
                    **forms.fields_of(draft.answers),
                    **{k: [v] for k, v in draft.fit_fields.items() if k != BORN},
                    "notes": [draft.notes],
                }
                if ident.known is None and draft.fit_fields.get(BORN):
                    ident = identify(self.store, ident.name, draft.fit_fields[BORN])
                sent = self.parse_fields(fields, ident, draft.date.isoformat(), for_saving=False)
                return self.consult_page(request, sent, resumed=draft.saved_at, notice=notice)
        last = self.store.previous(ident.known, today) if ident.known else None
        values = self.form.carried_over(last.answers, steady_only=True) if last else {}
        parsed = forms.Parsed(None, values, {})
        return self.consult_page(request, Sent(ident, today, parsed, last), notice=notice)

    async def amend_form(self, request: Request) -> Response:
        """A saved visit's answers, fit record and notes in the consultation form, to correct:
        the fitter says why, reviews the advice again and saves a new revision."""
        if (denied := self.guard(request)) is not None:
            return denied
        visit = await run_in_threadpool(_visit, self.store, request.path_params["cid"])
        fit = {when: visit.fit.get(when) or {} for when in fitrecord.WHEN}
        fields = {**forms.fields_of(visit.answers, fit), "notes": [visit.notes]}
        declined = [d for d in visit.decisions if not d.accepted]
        fields["decline"] = [d.item for d in declined]
        fields.update({f"note-{d.item}": [d.note] for d in declined if d.note})
        ident = identify(self.store, "", "", visit.client_id)
        sent = self.parse_fields(fields, ident, visit.date.isoformat(), for_saving=False, amending=visit)
        return self.consult_page(request, replace(sent, base=visit.revision), carried=_carried(fields))

    async def form_again(self, request: Request) -> Response:
        """The consultation form filled with what was posted: "Change answers" from the review
        page, and the fill buttons ("No to all", "Same as last visit") without the script."""
        if (denied := self.guard(request)) is not None:
            return denied
        data = await self.posted(request)
        fields = _fields(data)
        sent = self.read_form(data, for_saving=False)
        action = str(data.get("fill") or "")
        if action:
            values, typed = forms.filled(
                sent.parsed.values,
                sent.parsed.typed_fit,
                action,
                self.form,
                sent.last.answers if sent.last else {},
                _last_fit(sent.last),
                follow_up=sent.last is not None,
            )
            fields = {**forms.fields_of(values), **{k: [v] for k, v in typed.items()}, "notes": [sent.parsed.notes]}
            again = self.parse_fields(
                fields, sent.ident, sent.date.isoformat(), for_saving=False, amending=sent.amending
            )
            sent = replace(sent, parsed=again.parsed, last=again.last)
        return self.consult_page(request, sent, carried=_carried(_fields(data)))

    def consult_page(
        self,
        request: Request,
        sent: Sent,
        status: int = 200,
        resumed: dt.datetime | None = None,
        notice: str = "",
        carried: dict[str, list[str]] | None = None,
    ) -> HTMLResponse:
        parsed, last = sent.parsed, sent.last
        follow_up = last is not None
        asked = forms.shown(parsed.values, self.form, follow_up=follow_up)
        errors = parsed.errors if status != 200 else {}
        # What may have changed since (a measurement, a symptom, the position): last visit's
        # answer shown beside the question, taken as today's only when the fitter says so.
        previous = last.answers if last else {}
        steady = self.form.carried_over(previous, steady_only=True)
        last_values = {qid: v for qid, v in self.form.carried_over(previous).items() if qid not in steady}
        return self.page(
            request,
            "consult.html.j2",
            status=status,
            form=self.form,
            client=sent.ident.name,
            ident=sent.ident,
            amending=sent.amending,
            reason=sent.reason,
            base=sent.base,
            carried=carried or {},
            date=sent.date.isoformat(),
            today=dt.date.today().isoformat(),
            values=parsed.values,
            typed_fit=parsed.typed_fit,
            notes=parsed.notes,
            max_notes=MAX_VISIT_NOTES,
            max_reason=MAX_NOTE,
            fit_form=fitrecord.form(),
            asked=asked,
            follow_up=follow_up,
            when=self.when,
            progress=_progress(self.form, parsed.values, asked),
            # Measured on the day: last visit's reading is shown beside the question, and taken
            # only when the fitter says "same as last visit".
            last_values={qid: forms.fields_of({qid: v})[qid] for qid, v in last_values.items()},
            last_words={qid: self.form.question(qid).format_value(v) for qid, v in last_values.items()},
            last_fit=_last_fit(last),
            given={e["id"] for e in (last.result.get("exercises") or [])} if last else set(),
            errors=errors,
            error_list=self.error_list(errors),
            last=last,
            resumed=resumed,
            notice=notice,
            advice=self.advice(parsed, last),
        )

    def error_list(self, errors: dict[str, str]) -> list[dict[str, Any]]:
        """The error summary's lines in the form's order: each with its links (the field's id in
        the page, what it is) and what is wrong. The safety questions still to answer are one
        line, with a link to each."""
        out: list[dict[str, Any]] = []
        heads = (
            ("reason", "reason", "Reason for the amendment"),
            ("client", "client", "Client's name"),
            ("born", "born", "Date of birth"),
            ("client_id", "client_id-0", "Which client"),
            ("date", "date", "Date"),
        )
        for key, target, label in heads:
            if key in errors:
                out.append({"links": [(target, label)], "message": errors[key]})
        unanswered = [q for q in self.form.questions if errors.get(q.id) == forms.UNANSWERED]
        if unanswered:
            links = [(f"q-{q.id}-0", q.label) for q in unanswered]
            out.append({"links": links, "message": forms.UNANSWERED, "unanswered": True})
        for q in self.form.questions:
            if q.id in errors and errors[q.id] != forms.UNANSWERED:
                target = f"q-{q.id}" if q.type in ("int", "number") else f"q-{q.id}-0"
                out.append({"links": [(target, q.label)], "message": errors[q.id]})
        for setting in fitrecord.form().settings:
            for when in fitrecord.WHEN:
                key = f"fit.{when}.{setting.id}"
                if key in errors:
                    out.append({"links": [(key, f"{setting.label}, {when}")], "message": errors[key]})
        known = {key for key, _, _ in heads} | set(self.form.ids())
        for key, message in errors.items():
            if key not in known and not key.startswith("fit."):
                out.append({"links": [], "message": message})
        return out

    def advice(self, parsed: forms.Parsed, last: Consultation | None = None) -> dict[str, Any]:
        """What the advice panel shows for these answers (with the client's last visit, as the
        saved consultation will be): the report, or why there is none yet."""
        returning = last is not None
        if parsed.answers is None:
            return {"report": None, "missing": _missing_screen(parsed), "returning": returning, "partial": True}
        previous = _previous(last)
        result = assess(parsed.answers, previous)
        beyond_safety = any(self.form.question(qid).section != forms.SAFETY for qid in parsed.answers.values)
        # Values that cannot be read are left out of this advice until they are mended: named
        # here, and marked on their fields by the page's script.
        unread = {qid: m for qid, m in parsed.errors.items() if self.form.get(qid) and m != forms.UNANSWERED}
        return {
            "report": formats.report_for(result),
            "missing": "",
            "returning": returning,
            "partial": not beyond_safety,
            "ignored": [self.form.question(qid).label for qid in parsed.ignored],
            "unread": [(self.form.question(qid).label, m) for qid, m in unread.items()],
            "invalid": json.dumps(unread),
        }

    async def live_advice(self, request: Request) -> Response:
        if self.guard(request) is not None:
            return Response(status_code=401)
        data = await self.posted(request)
        sent = self.read_form(data, for_saving=False)
        client, key = sent.ident.name, sent.ident.draft_key
        earlier = str(data.get("draft_client") or "").strip()
        state, waiting = "none", None
        # An amendment is of a saved visit: it keeps no draft. A name two clients share, before
        # the fitter says which, keeps its draft under the name; each of them keeps theirs under
        # their id.
        if sent.amending is None and client and not problem_with(client, "name", MAX_NAME):
            if name_key(earlier) != name_key(key):
                # Another page's unsaved consultation for this client is never overwritten unseen:
                # the fitter opens it, or says to keep these answers instead.
                waiting = await run_in_threadpool(_waiting_draft, key)
            if waiting is None:
                # Every answer is kept as it is given: a closed tab, a flat battery or a crash
                # loses nothing, and the client's consultation opens where it stopped.
                await run_in_threadpool(self.keep_draft, sent)
                state = "kept"
                if earlier and name_key(earlier) != name_key(key):
                    # The name was corrected ("Ann" to "Anna Rossi"): the draft moves with it.
                    await run_in_threadpool(drafts.clear, DRAFTS, earlier)
            else:
                state = "waiting"
        # The waiting draft named as it was kept (a draft kept under an id, by the client's name).
        shown = client if waiting is None or PUBLIC_ID.match(waiting.client or "") else waiting.client
        advice = {**self.advice(sent.parsed, sent.last), "waiting": waiting, "waiting_name": shown}
        html = self.templates.get_template("advice.html.j2").render(advice=advice)
        # The draft's key (the client's name, or their id), for the page to say the draft is its own.
        return HTMLResponse(html, headers={"X-Draft": state, "X-Draft-Client": quote(key, safe="")})

    def keep_draft(self, sent: Sent) -> None:
        """The client's draft, the same file `advisor consult --client NAME --resume` goes on from:
        only answers that apply and can be read, so the terminal takes it as it is."""
        parsed = sent.parsed
        answers = {
            qid: value
            for qid, value in forms.applicable(parsed.values, self.form, follow_up=sent.last is not None)[0].items()
            if qid not in parsed.errors
        }
        typed = dict(parsed.typed_fit)
        if sent.ident.known is None and sent.ident.born_text.strip():
            typed[BORN] = sent.ident.born_text.strip()[:20]
        draft = Draft(
            questionnaire=FORM,
            client=sent.ident.draft_key,
            date=sent.date,
            answers=answers,
            fit_fields=typed,
            notes=parsed.notes,
            db=self.store.location.without_password(),
        )
        drafts.save(draft, DRAFTS)

    async def discard_draft(self, request: Request) -> Response:
        if (denied := self.guard(request)) is not None:
            return denied
        data = await self.posted(request)
        key = str(data.get("draft_client") or data.get("client") or "").strip()
        if key:
            await run_in_threadpool(drafts.clear, DRAFTS, key)
        return RedirectResponse("/consult?fresh=1&client=" + quote(key, safe=""), status_code=303)

    def read_form(self, data: FormData, *, for_saving: bool) -> Sent:
        """A consultation form as posted: who it is for, the date, the answers and the client's
        visit before; for an amendment, the visit amended and why."""
        amending = None
        amend = str(data.get("amend") or "")
        if amend:
            amending = _visit(self.store, amend)
            ident = identify(self.store, "", "", amending.client_id)
        else:
            ident = identify(
                self.store, str(data.get("client") or ""), str(data.get("born") or ""), str(data.get("client_id") or "")
            )
        sent = self.parse_fields(
            _fields(data), ident, str(data.get("date") or ""), for_saving=for_saving, amending=amending
        )
        if amending is not None:
            reason = one_line(str(data.get("reason") or ""), MAX_NOTE).strip()
            base = str(data.get("revision") or "")
            sent = replace(sent, reason=reason, base=int(base) if base.isdigit() and len(base) < 9 else 0)
            if for_saving and not reason:
                sent.parsed.errors["reason"] = "say why the visit is amended; the record keeps the reason"
        return sent

    def parse_fields(
        self,
        fields: dict[str, list[str]],
        ident: Identity,
        date_text: str,
        *,
        for_saving: bool,
        amending: Consultation | None = None,
    ) -> Sent:
        """A form's fields read: to be saved, it needs a name, and to know which client it is.
        The follow-up section counts only for a client with an earlier visit."""
        date, date_error = _date(date_text)
        last = self.last_visit(ident, date, amending)
        parsed = forms.parse(fields, self.form, ident.name, date, with_fit=for_saving, follow_up=last is not None)
        if date_error:
            parsed.errors["date"] = date_error
        if for_saving:
            trouble = problem_with(ident.name, "name", MAX_NAME) if ident.name else "give the client's name"
            if trouble:
                parsed.errors["client"] = trouble
            if ident.born_problem:
                parsed.errors["born"] = ident.born_problem
            if ident.problem:
                parsed.errors["client_id"] = ident.problem
            if not date_error and date > dt.date.today():
                # A record is of a visit that happened: a slip of the date picker is caught here.
                parsed.errors["date"] = f"{date.isoformat()} is after today; give the day of the visit"
        return Sent(ident, date, parsed, last, amending)

    def last_visit(self, ident: Identity, date: dt.date, amending: Consultation | None = None) -> Consultation | None:
        """The client's visit before this one: before the visit amended, or on or before the date."""
        if amending is not None:
            earlier = self.store.before(replace(amending, date=date))
            return earlier[-1] if earlier else None
        return self.store.previous(ident.known, date) if ident.known is not None else None

    async def submitted(self, request: Request) -> Response | tuple[FormData, Sent]:
        """A consultation form sent to be reviewed or saved: the login and the form checked, or
        the page that refuses it, its errors listed. Returns (form, what it says)."""
        if (denied := self.guard(request)) is not None:
            return denied
        data = await self.posted(request)
        sent = self.read_form(data, for_saving=True)
        if sent.parsed.answers is None or sent.parsed.errors:
            return self.consult_page(request, sent, status=422, carried=_carried(_fields(data)))
        return data, sent

    async def review(self, request: Request) -> Response:
        if isinstance(got := await self.submitted(request), Response):
            return got
        data, sent = got
        return self.review_page(request, data, sent, save_token=secrets.token_urlsafe(16))

    def review_page(
        self,
        request: Request,
        data: FormData,
        sent: Sent,
        *,
        save_token: str,
        status: int = 200,
        consent_error: str = "",
    ) -> HTMLResponse:
        """The advice for a consultation form, what the client declines, and Save: for a new
        client, or one whose consent is not recorded, with the consent they are asked for."""
        parsed = sent.parsed
        assert parsed.answers is not None  # submitted() refuses a form without them
        result = assess(parsed.answers, _previous(sent.last))
        fit = None if parsed.answers.fit.is_empty() else parsed.answers.fit
        ident = sent.ident
        return self.page(
            request,
            "review.html.j2",
            status=status,
            client=ident.name,
            ident=ident,
            amending=sent.amending,
            reason=sent.reason,
            base=sent.base,
            date=sent.date.isoformat(),
            report=formats.report_for(result, fit=fit),
            ignored=[self.form.question(qid).label for qid in parsed.ignored],
            # Everything as it was sent (answers that do not apply too), so "Change answers"
            # brings the form back exactly; saving reads it again the same way.
            hidden={**forms.fields_of(parsed.values), **{k: [v] for k, v in parsed.typed_fit.items()}},
            notes=parsed.notes,
            not_declinable={STOP_RIDING},
            declined=set(data.getlist("decline")),
            decline_notes={k.removeprefix("note-"): str(v) for k, v in data.multi_items() if k.startswith("note-")},
            save_token=save_token,
            ask_consent=sent.amending is None and ident.needs_consent,
            consented=data.get("consent") == "yes",
            consent_error=consent_error,
            consent_text=CONSENT_TEXT,
            consent_question=CONSENT_QUESTION,
        )

    async def save(self, request: Request) -> Response:
        if isinstance(got := await self.submitted(request), Response):
            return got
        data, sent = got
        assert sent.parsed.answers is not None  # submitted() refuses a form without them
        if sent.amending is not None:
            return await self.save_amendment(request, data, sent)
        token = str(data.get("save_token") or "")[:64] or secrets.token_urlsafe(16)
        consent = data.get("consent") == "yes"
        if sent.ident.needs_consent and not consent:
            # Nothing is stored without the client's consent: asked again, every answer kept.
            return self.review_page(request, data, sent, save_token=token, status=422, consent_error=CONSENT_MISSING)
        # The work runs off the event loop, so a locked database keeps this save waiting (up to
        # the store's busy timeout) while every other page goes on answering. The store records
        # one visit per save key, whoever sends it again and from wherever.
        try:
            cid = await run_in_threadpool(self.record_visit, data, sent, self.actor(request), consent)
        except ConsentNeeded:
            return self.review_page(request, data, sent, save_token=token, status=422, consent_error=CONSENT_MISSING)
        except AdvisorError as err:
            reason = err.problems[0].message if err.problems else "the records cannot be written"
            raise HTTPException(
                503,
                f"The consultation could not be stored ({reason}). Nothing is lost: go back, and press "
                "Save again in a moment.",
            ) from None
        # "Saved" is said once, on the page the save leads to; the visit's address stays its own.
        request.session["saved"] = cid
        return RedirectResponse(f"/visits/{cid}", status_code=303)

    def record_visit(self, data: FormData, sent: Sent, actor: str, consent: bool) -> int:
        """Assess and store one reviewed consultation (blocking: run off the event loop)."""
        given, ident = sent.parsed.answers, sent.ident
        assert given is not None
        # Who fitted the bike is kept with the visit: its report names them for good.
        answers = given.model_copy(update={"client": ident.name, "fit": given.fit.by(self.fitted_by(actor))})
        result = assess(answers, _previous(self.last_visit(ident, sent.date)))
        decisions = self.decisions(data, result)
        cid = self.store.record(
            ident.who,
            answers,
            result,
            decisions,
            sent.parsed.notes,
            actor=actor,
            consent=consent,
            save_key=save_key(data),
        )
        drafts.clear(DRAFTS, ident.draft_key)  # saved: the unfinished copy is done with
        return cid

    def fitted_by(self, actor: str) -> str | None:
        """The name a fit record keeps: the fitter's account, else the settings' fitter."""
        return actor if actor != "studio" else _fitter()

    async def save_amendment(self, request: Request, data: FormData, sent: Sent) -> Response:
        """A new revision of a saved visit. One made from an older revision than the visit's is
        refused (someone amended it meanwhile), unless it is this very amendment sent again."""
        visit = sent.amending
        assert visit is not None and sent.parsed.answers is not None
        actor = self.actor(request)
        async with self.amend_lock:
            now = await run_in_threadpool(_visit, self.store, str(visit.id))
            if now.revision != sent.base:
                again = now.revision == sent.base + 1 and now.revised_by == actor and now.revision_reason == sent.reason
                if again:
                    return RedirectResponse(f"/visits/{visit.id}", status_code=303)
                by = f" by {now.revised_by}" if now.revised_by else ""
                raise HTTPException(
                    409,
                    f"This visit was amended{by} on {now.revised[:16].replace('T', ' ')} while these changes were "
                    "made, so they were not saved. Open the visit again to see it as it is now.",
                )
            try:
                revision = await run_in_threadpool(self.record_amendment, data, sent, now, actor)
            except ChangedMeanwhile:  # another studio process amended it at this moment
                raise HTTPException(
                    409,
                    "This visit was amended by someone else at the same moment, so these changes were not "
                    "saved. Open the visit again to see it as it is now.",
                ) from None
            except AdvisorError as err:
                reason = err.problems[0].message if err.problems else "the records cannot be written"
                raise HTTPException(
                    503,
                    f"The amendment could not be stored ({reason}). Nothing is lost: go back, and press "
                    "Save again in a moment.",
                ) from None
        request.session["amended"] = [visit.id, revision]
        return RedirectResponse(f"/visits/{visit.id}", status_code=303)

    def record_amendment(self, data: FormData, sent: Sent, was: Consultation, actor: str) -> int:
        given = sent.parsed.answers
        assert given is not None
        # The fit record keeps the name of the fitter who fitted the bike.
        fitter = str(was.fit.get(fitrecord.FITTER) or "") or self.fitted_by(actor)
        answers = given.model_copy(update={"client": was.client, "fit": given.fit.by(fitter)})
        result = assess(answers, _previous(sent.last))
        decisions = self.decisions(data, result)
        return self.store.amend(
            was.id, answers, result, decisions, sent.reason, actor=actor, notes=sent.parsed.notes, expected=was.revision
        )

    def stored(self, cid: str) -> tuple[Consultation, Any]:
        """A stored visit and its report model (blocking: run off the event loop)."""
        visit = _visit(self.store, cid)
        return visit, formats.stored_report(visit, self.store.before(visit))

    def decisions(self, data: FormData, result: Assessment) -> list[Decision]:
        declined = set(data.getlist("decline"))
        out = []
        for kind, items in (("adjustment", result.adjustments), ("exercise", result.exercises)):
            for item in items:
                refused = item.id in declined and item.id != STOP_RIDING
                # A browser sends a one-line field; a tampered form could send anything else.
                note = one_line(str(data.get(f"note-{item.id}") or ""), MAX_NOTE) if refused else ""
                out.append(Decision(kind, item.id, not refused, note))
        return out

    async def visit(self, request: Request) -> Response:
        if (denied := self.guard(request)) is not None:
            return denied
        visit, report = await run_in_threadpool(self.stored, request.path_params["cid"])
        saved = request.session.pop("saved", None) == visit.id
        amended = request.session.pop("amended", None)
        revisions = await run_in_threadpool(self.store.revisions, visit.id) if visit.amended else []
        return self.page(
            request,
            "visit.html.j2",
            visit=visit,
            report=report,
            saved=saved,
            amended=isinstance(amended, list) and amended[:1] == [visit.id],
            revisions=list(reversed(revisions)),
        )

    async def report(self, request: Request) -> Response:
        if (denied := self.guard(request)) is not None:
            return denied
        kind = request.path_params["kind"]
        if kind not in ("pdf", "html"):
            raise HTTPException(404, "Reports are PDF or HTML.")
        visit, report = await run_in_threadpool(self.stored, request.path_params["cid"])
        # A client of a thousand visits makes a PDF of seconds: rendered off the event loop.
        body = await run_in_threadpool(formats.render, report, f".{kind}")
        # A report printed (or shown to the client) is in the audit trail: by whom, of which visit.
        await run_in_threadpool(
            self.store.log, "report", actor=self.actor(request), client=visit.client_id, visit=visit.id, detail=kind
        )
        if kind == "pdf":
            # Opened in the tablet's viewer, to show the client; saved under the client's name.
            name = f"{visit.client} {visit.date.isoformat()}.pdf"
            plain = "".join(ch if ch.isascii() and (ch.isalnum() or ch in " .-") else "_" for ch in name)
            headers = {"Content-Disposition": f"inline; filename=\"{plain}\"; filename*=UTF-8''{quote(name)}"}
            return Response(body, media_type="application/pdf", headers=headers)
        return Response(body, media_type="text/html; charset=utf-8", headers={"Content-Security-Policy": REPORT_CSP})


def _visit(store: Store, cid: str) -> Consultation:
    # str.isdigit() takes '²' and other digits int() refuses: ASCII digits only.
    if not (cid.isascii() and cid.isdigit()) or len(cid) > 18:
        raise HTTPException(404, "No such consultation.")
    try:
        return store.consultation(int(cid))
    except AdvisorError:
        raise HTTPException(404, "No such consultation.") from None


def _fields(data: FormData) -> dict[str, list[str]]:
    return {key: [v for v in data.getlist(key) if isinstance(v, str)] for key in data}


def _last_fit(last: Consultation | None) -> dict[str, Any]:
    """The bike as the last visit left it: each setting's "after", else its "before"."""
    if last is None or not last.fit:
        return {}
    return {**(last.fit.get("before") or {}), **(last.fit.get("after") or {})}


def _waiting_draft(key: str) -> Draft | None:
    """The client's unsaved consultation, if one waits (one that cannot be read waits too: it
    is not overwritten either)."""
    try:
        return drafts.load(DRAFTS, key)
    except AdvisorError:
        return Draft(questionnaire=FORM, client=key, date=dt.date.today())


def _carried(fields: dict[str, list[str]]) -> dict[str, list[str]]:
    """What the review page decided (the items declined and why), carried through the form so
    that "Change answers" and an amendment keep it."""
    return {key: values for key, values in fields.items() if key == "decline" or key.startswith("note-")}


def _unsaved() -> list[Draft]:
    try:
        return [d for d in drafts.waiting(DRAFTS) if d.client]
    except AdvisorError:
        return []  # an unreadable draft is said when its client's consultation is opened


def _fitter() -> str | None:
    """The fitter's name from the settings (`advisor config set studio.fitter`), read for each
    page so a change shows at once; a settings file that cannot be read names nobody, rather
    than keeping a page or a save from working."""
    try:
        return config.fitter()
    except AdvisorError:
        return None


def _load_draft(key: str, client: str) -> tuple[Draft | None, str]:
    """The client's unfinished consultation, or why it cannot be used (never an error page:
    the consultation can always start afresh)."""
    try:
        return drafts.load(DRAFTS, key), ""
    except AdvisorError as err:
        why = err.problems[0].message if err.problems else "it cannot be read"
        return None, f"An unfinished consultation for {client} was found but not used: {why}."


def _progress(form: qmod.Questionnaire, values: dict[str, Any], asked: set[str]) -> dict[str, tuple[int, int]]:
    """Per section: (questions answered, questions asked) with these answers."""
    out = {}
    for section in form.sections:
        ids = [q.id for q in section.questions if q.id in asked]
        out[section.id] = (sum(1 for qid in ids if qid in values), len(ids))
    return out


@cache
def _templates() -> Environment:
    """The studio's pages (error pages included), and the report's parts they show as the HTML
    report does: one environment for the process."""
    env = Environment(
        loader=ChoiceLoader([PackageLoader("advisor.web", "templates"), PackageLoader("advisor.output", "templates")]),
        autoescape=select_autoescape(default=True, default_for_string=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["num"] = _num
    env.globals["status_words"] = STATUS_WORDS
    return env


def _previous(last: Consultation | None) -> Previous | None:
    """A stored visit as the follow-up rules read it."""
    return Previous.of_visit(last.answers, last.result, last.fit, last.date) if last else None


def _num(value: float) -> str:
    """130 rather than 130.0 in a form's min and max."""
    return str(int(value)) if float(value).is_integer() else str(value)


def _date(text: str) -> tuple[dt.date, str]:
    if not text.strip():
        return dt.date.today(), ""
    try:
        return dt.date.fromisoformat(text.strip()), ""
    except ValueError:
        return dt.date.today(), f"'{text[:20]}' is not a date; use the form YYYY-MM-DD"


def _missing_screen(parsed: forms.Parsed) -> str:
    if forms.UNANSWERED in parsed.errors.values():
        return "Answer every question of the safety screen to see the advice."
    message = parsed.errors.get("answers") or next(iter(parsed.errors.values()), "")
    return f"The advice appears when the answers can be read: {message}" if message else ""
