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
from advisor.core.intake.answers import Answers
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
from advisor.records.model import Consultation, Decision, name_key
from advisor.records.store import Store
from advisor.web import forms
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
    """
    studio = _Studio(db, password)
    routes = [
        Route("/", studio.clients),
        Route("/login", studio.login, methods=["GET", "POST"]),
        Route("/logout", studio.logout, methods=["POST"]),
        # A client's page takes the name in the query: a name such as ".." or "Bo/.." in the
        # path would be folded away by the browser before the request is sent.
        Route("/client", studio.client),
        Route("/clients/{name:path}", studio.client),  # the address earlier versions linked to
        Route("/consult", studio.consult_form),
        Route("/consult/form", studio.form_again, methods=["POST"]),
        Route("/consult/advice", studio.live_advice, methods=["POST"]),
        Route("/consult/draft/discard", studio.discard_draft, methods=["POST"]),
        Route("/consult/review", studio.review, methods=["POST"]),
        Route("/consult/save", studio.save, methods=["POST"]),
        Route("/visits/{cid:str}", studio.visit),
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


SAVED_TOKENS = 1000  # saved consultation forms remembered, against a second save of one


def _digest(data: FormData) -> str:
    """What a consultation form says, whatever the order of its fields (its CSRF token aside)."""
    fields = sorted((key, value) for key, value in data.multi_items() if key != "csrf" and isinstance(value, str))
    return hashlib.blake2b(repr(fields).encode("utf-8"), digest_size=16).hexdigest()


class _Studio:
    def __init__(self, db: str | None, password: str | None) -> None:
        # One store for the studio's life: a server's connections are pooled, and a wrong
        # password or an unreachable server stops `advisor serve` before it starts.
        self.store = Store(db)
        self.password = password
        self.throttle = Throttle()
        self.signed_in: set[str] = set()  # session ids given at login; logout removes one
        # A double click on Save (or a browser sending the form again) posts one consultation
        # twice: each review page gives its form a token, and the same form (token, client,
        # answers and decisions alike) sent again leads to the visit it saved instead of a
        # second one. A form changed after going back is a consultation of its own. The most
        # recent tokens are kept, in this process: a restart forgets them.
        self.saved: dict[str, tuple[str, int]] = {}
        self.save_lock = asyncio.Lock()
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
        html = self.templates.get_template(name).render(
            csrf=csrf_token(request),
            login=self.password is not None and self.is_signed_in(request),
            fitter=_fitter(),
            **context,
        )
        return HTMLResponse(html, status_code=status)

    def is_signed_in(self, request: Request) -> bool:
        return request.session.get("user") in self.signed_in

    def guard(self, request: Request) -> Response | None:
        """A login page instead, when a password is set and this browser has not given it."""
        if self.password is None or self.is_signed_in(request):
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
        if self.password is None:
            return RedirectResponse("/", status_code=303)
        target = request.query_params.get("next", "/")
        target = target if target.startswith("/") and not target.startswith("//") else "/"
        if request.method == "GET":
            return self.page(request, "login.html.j2", error="", next=target)
        data = await self.posted(request)
        address = request.client.host if request.client else "?"
        given = data.get("password")
        if isinstance(given, str) and await self.throttle.check(address, given, self.password):
            # A new session at login: nothing planted before it (a CSRF token) carries over.
            request.session.clear()
            sid = secrets.token_urlsafe(24)
            self.signed_in.add(sid)
            request.session["user"] = sid
            return RedirectResponse(target, status_code=303)
        return self.page(request, "login.html.j2", status=401, error="That password is not right.", next=target)

    async def logout(self, request: Request) -> Response:
        await self.posted(request)
        self.signed_in.discard(request.session.get("user"))  # a copied cookie is worthless from now on
        request.session.clear()
        return RedirectResponse("/login" if self.password else "/", status_code=303)

    async def clients(self, request: Request) -> Response:
        if (denied := self.guard(request)) is not None:
            return denied
        query = request.query_params.get("q", "").strip()
        rows = self.store.clients()
        if query:
            rows = [r for r in rows if query.casefold() in r.name.casefold()]
        # Consultations started and not saved (a new client's included): found here, resumed in a tap.
        waiting = await run_in_threadpool(_unsaved)
        return self.page(request, "clients.html.j2", rows=rows, query=query, waiting=waiting)

    async def client(self, request: Request) -> Response:
        if (denied := self.guard(request)) is not None:
            return denied
        name = request.path_params.get("name") or request.query_params.get("name", "")
        stored = self.store.client_name(name)
        if stored is None:
            raise HTTPException(404, "No client of that name.")

        visits = self.store.history(stored)
        timeline = history.timeline(visits)
        dated = [(v.date, v.answers) for v in visits]
        charts = [flexibility_over_visits(self.kb, self.form, dated), pain_over_visits(self.kb, self.form, dated)]
        return self.page(
            request,
            "client.html.j2",
            client=stored,
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

    async def consult_form(self, request: Request) -> Response:
        """A new consultation: a client's unsaved draft when there is one (unless ``fresh``),
        else last visit's answers as `advisor consult` offers them, measurements and the
        safety screen left to be taken afresh."""
        if (denied := self.guard(request)) is not None:
            return denied
        client = one_line(request.query_params.get("client", ""), MAX_NAME).strip()
        stored = self.store.client_name(client) if client else None
        client = stored or client
        notice = ""
        if client and "fresh" not in request.query_params:
            draft, notice = await run_in_threadpool(_load_draft, client)
            if draft is not None:
                fields = {
                    **forms.fields_of(draft.answers),
                    **{k: [v] for k, v in draft.fit_fields.items()},
                    "notes": [draft.notes],
                }
                _, date, parsed, last = self.parse_fields(fields, client, draft.date.isoformat(), for_saving=False)
                return self.consult_page(request, client, date, parsed, last, resumed=draft.saved_at, notice=notice)
        today = dt.date.today()
        last = self.store.previous(stored, today) if stored else None
        values = self.form.carried_over(last.answers, steady_only=True) if last else {}
        parsed = forms.Parsed(None, values, {})
        return self.consult_page(request, client, today, parsed, last, notice=notice)

    async def form_again(self, request: Request) -> Response:
        """The consultation form filled with what was posted: "Change answers" from the review
        page, and the fill buttons ("No to all", "Same as last visit") without the script."""
        if (denied := self.guard(request)) is not None:
            return denied
        data = await self.posted(request)
        fields = _fields(data)
        client = str(data.get("client") or "").strip()
        _, date, parsed, last = self.parse_fields(fields, client, str(data.get("date") or ""), for_saving=False)
        action = str(data.get("fill") or "")
        if action:
            values, typed = forms.filled(
                parsed.values,
                parsed.typed_fit,
                action,
                self.form,
                last.answers if last else {},
                _last_fit(last),
                follow_up=last is not None,
            )
            fields = {**forms.fields_of(values), **{k: [v] for k, v in typed.items()}, "notes": [parsed.notes]}
            _, date, parsed, last = self.parse_fields(fields, client, date.isoformat(), for_saving=False)
        return self.consult_page(request, client, date, parsed, last)

    def consult_page(
        self,
        request: Request,
        client: str,
        date: dt.date,
        parsed: forms.Parsed,
        last: Consultation | None = None,
        status: int = 200,
        resumed: dt.datetime | None = None,
        notice: str = "",
    ) -> HTMLResponse:
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
            client=client,
            date=date.isoformat(),
            values=parsed.values,
            typed_fit=parsed.typed_fit,
            notes=parsed.notes,
            max_notes=MAX_VISIT_NOTES,
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
        for key, label in (("client", "Client's name"), ("date", "Date")):
            if key in errors:
                out.append({"links": [(key, label)], "message": errors[key]})
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
        known = {"client", "date", *self.form.ids()}
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
        client, date, parsed, last = self.read_form(data, for_saving=False)
        earlier = str(data.get("draft_client") or "").strip()
        state, waiting = "none", None
        if client and not problem_with(client, "name", MAX_NAME):
            if name_key(earlier) != name_key(client):
                # Another page's unsaved consultation for this name is never overwritten unseen:
                # the fitter opens it, or says to keep these answers instead.
                waiting = await run_in_threadpool(_waiting_draft, client)
            if waiting is None:
                # Every answer is kept as it is given: a closed tab, a flat battery or a crash
                # loses nothing, and the client's consultation opens where it stopped.
                await run_in_threadpool(self.keep_draft, client, date, parsed)
                state = "kept"
                if earlier and name_key(earlier) != name_key(client):
                    # The name was corrected ("Ann" to "Anna Rossi"): the draft moves with it.
                    await run_in_threadpool(drafts.clear, DRAFTS, earlier)
            else:
                state = "waiting"
        advice = {**self.advice(parsed, last), "waiting": waiting}
        html = self.templates.get_template("advice.html.j2").render(advice=advice)
        return HTMLResponse(html, headers={"X-Draft": state})

    def keep_draft(self, client: str, date: dt.date, parsed: forms.Parsed) -> None:
        """The client's draft, the same file `advisor consult --client NAME --resume` goes on from:
        only answers that apply and can be read, so the terminal takes it as it is."""
        answers = {
            qid: value
            for qid, value in forms.applicable(parsed.values, self.form, follow_up=True)[0].items()
            if qid not in parsed.errors
        }
        draft = Draft(
            questionnaire=FORM,
            client=client,
            date=date,
            answers=answers,
            fit_fields=parsed.typed_fit,
            notes=parsed.notes,
            db=self.store.location.without_password(),
        )
        drafts.save(draft, DRAFTS)

    async def discard_draft(self, request: Request) -> Response:
        if (denied := self.guard(request)) is not None:
            return denied
        data = await self.posted(request)
        client = str(data.get("client") or "").strip()
        if client:
            await run_in_threadpool(drafts.clear, DRAFTS, client)
        return RedirectResponse("/consult?fresh=1&client=" + quote(client, safe=""), status_code=303)

    def read_form(self, data: FormData, *, for_saving: bool) -> tuple[str, dt.date, forms.Parsed, Consultation | None]:
        """The client, the date, the answers of a consultation form and the client's visit before."""
        client = str(data.get("client") or "").strip()
        return self.parse_fields(_fields(data), client, str(data.get("date") or ""), for_saving=for_saving)

    def parse_fields(
        self, fields: dict[str, list[str]], client: str, date_text: str, *, for_saving: bool
    ) -> tuple[str, dt.date, forms.Parsed, Consultation | None]:
        """A form's fields read: to be saved, it needs a name. The follow-up section counts only
        for a client with an earlier visit."""
        date, date_error = _date(date_text)
        stored = self.store.client_name(client) if client else None
        last = self.store.previous(stored, date) if stored else None
        parsed = forms.parse(fields, self.form, client, date, with_fit=for_saving, follow_up=last is not None)
        if date_error:
            parsed.errors["date"] = date_error
        if for_saving:
            trouble = problem_with(client, "name", MAX_NAME) if client else "give the client's name"
            if trouble:
                parsed.errors["client"] = trouble
            if not date_error and date > dt.date.today():
                # A record is of a visit that happened: a slip of the date picker is caught here.
                parsed.errors["date"] = f"{date.isoformat()} is after today; give the day of the visit"
        return client, date, parsed, last

    async def submitted(
        self, request: Request
    ) -> Response | tuple[FormData, str, dt.date, forms.Parsed, Consultation | None]:
        """A consultation form sent to be reviewed or saved: the login and the form checked, or
        the page that refuses it, its errors listed. Returns (form, client, date, answers, visit before)."""
        if (denied := self.guard(request)) is not None:
            return denied
        data = await self.posted(request)
        client, date, parsed, last = self.read_form(data, for_saving=True)
        if parsed.answers is None or parsed.errors:
            return self.consult_page(request, client, date, parsed, last, status=422)
        return data, client, date, parsed, last

    async def review(self, request: Request) -> Response:
        if isinstance(sent := await self.submitted(request), Response):
            return sent
        _, client, date, parsed, last = sent
        assert parsed.answers is not None  # submitted() refuses a form without them
        previous = _previous(last)
        result = assess(parsed.answers, previous)
        fit = None if parsed.answers.fit.is_empty() else parsed.answers.fit
        return self.page(
            request,
            "review.html.j2",
            client=client,
            date=date.isoformat(),
            report=formats.report_for(result, fit=fit),
            ignored=[self.form.question(qid).label for qid in parsed.ignored],
            # Everything as it was sent (answers that do not apply too), so "Change answers"
            # brings the form back exactly; saving reads it again the same way.
            hidden={**forms.fields_of(parsed.values), **{k: [v] for k, v in parsed.typed_fit.items()}},
            notes=parsed.notes,
            not_declinable={STOP_RIDING},
            save_token=secrets.token_urlsafe(16),
        )

    def previous_visit(self, client: str, date: dt.date) -> Previous | None:
        stored = self.store.client_name(client)
        last = self.store.previous(stored, date) if stored else None
        return _previous(last)

    async def save(self, request: Request) -> Response:
        if isinstance(sent := await self.submitted(request), Response):
            return sent
        data, client, date, parsed, _ = sent
        assert parsed.answers is not None  # submitted() refuses a form without them
        token = str(data.get("save_token") or "")[:64]
        sent_form = _digest(data)
        # One save at a time: the token is checked and the visit recorded together. The work
        # itself runs off the event loop, so a locked database keeps this save waiting (up to
        # the store's busy timeout) while every other page goes on answering.
        async with self.save_lock:
            earlier = self.saved.get(token)
            if earlier is not None and earlier[0] == sent_form:
                request.session["saved"] = earlier[1]
                return RedirectResponse(f"/visits/{earlier[1]}", status_code=303)
            try:
                cid = await run_in_threadpool(self.record_visit, data, client, date, parsed.answers, parsed.notes)
            except AdvisorError as err:
                reason = err.problems[0].message if err.problems else "the records cannot be written"
                raise HTTPException(
                    503,
                    f"The consultation could not be stored ({reason}). Nothing is lost: go back, and press "
                    "Save again in a moment.",
                ) from None
            if token:
                if len(self.saved) >= SAVED_TOKENS:
                    del self.saved[next(iter(self.saved))]  # the oldest
                self.saved[token] = (sent_form, cid)
        # "Saved" is said once, on the page the save leads to; the visit's address stays its own.
        request.session["saved"] = cid
        return RedirectResponse(f"/visits/{cid}", status_code=303)

    def record_visit(self, data: FormData, client: str, date: dt.date, given: Answers, notes: str) -> int:
        """Assess and store one reviewed consultation (blocking: run off the event loop)."""
        # Who fitted the bike is kept with the visit: its report names them for good.
        answers = given.model_copy(update={"client": client, "fit": given.fit.by(_fitter())})
        result = assess(answers, self.previous_visit(client, date))
        decisions = self.decisions(data, result)
        name = self.store.client_name(client) or client
        cid = self.store.record(name, answers, result, decisions, notes)
        drafts.clear(DRAFTS, name)  # saved: the unfinished copy is done with
        return cid

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
        return self.page(request, "visit.html.j2", visit=visit, report=report, saved=saved)

    async def report(self, request: Request) -> Response:
        if (denied := self.guard(request)) is not None:
            return denied
        kind = request.path_params["kind"]
        if kind not in ("pdf", "html"):
            raise HTTPException(404, "Reports are PDF or HTML.")
        visit, report = await run_in_threadpool(self.stored, request.path_params["cid"])
        # A client of a thousand visits makes a PDF of seconds: rendered off the event loop.
        body = await run_in_threadpool(formats.render, report, f".{kind}")
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


def _waiting_draft(client: str) -> Draft | None:
    """The client's unsaved consultation, if one waits (one that cannot be read waits too: it
    is not overwritten either)."""
    try:
        return drafts.load(DRAFTS, client)
    except AdvisorError:
        return Draft(questionnaire=FORM, client=client, date=dt.date.today())


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


def _load_draft(client: str) -> tuple[Draft | None, str]:
    """The client's unfinished consultation, or why it cannot be used (never an error page:
    the consultation can always start afresh)."""
    try:
        return drafts.load(DRAFTS, client), ""
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
