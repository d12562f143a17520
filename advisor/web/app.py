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
import secrets
from collections.abc import AsyncIterator
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
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, PlainTextResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp

from advisor.core import fitrecord, knowledge
from advisor.core import questionnaire as qmod
from advisor.core.actions import STOP_RIDING
from advisor.core.answers import Answers
from advisor.core.assessment import Assessment
from advisor.core.errors import AdvisorError
from advisor.core.followup import Previous
from advisor.core.pipeline import assess
from advisor.core.text import MAX_NAME, MAX_NOTE, one_line, problem_with
from advisor.output import formats
from advisor.output.diagram import to_svg
from advisor.output.report import STATUS_WORDS, flexibility_over_visits
from advisor.records import history
from advisor.records.store import Consultation, Decision, Store
from advisor.web import forms
from advisor.web.security import (
    REPORT_CSP,
    SecurityHeaders,
    Throttle,
    csrf_ok,
    csrf_token,
)

HERE = Path(__file__).resolve().parent
FORM = "fitter"


LOOPBACK_NAMES = ["127.0.0.1", "localhost", "::1", "[::1]"]
SESSION_AGE = 12 * 3600  # seconds: a working day at the studio
MAX_BODY = 256_000  # bytes: the whole questionnaire is a few kilobytes


def run(studio: ASGIApp, host: str, port: int) -> None:
    """Serve the studio until Ctrl-C or SIGTERM."""
    # Access logs name paths only; the password travels in a POST body and is never printed.
    # No proxy headers: an X-Forwarded-For from anyone must not pick the address a login is slowed by.
    uvicorn.run(studio, host=host, port=port, log_level="warning", server_header=False, proxy_headers=False)


def create_app(db: str | None = None, password: str | None = None) -> ASGIApp:
    """The studio, reading and writing the consultation store at ``db`` (the CLI's default if None).

    Without a password only this computer's own names are answered: a web page elsewhere that
    points its name at 127.0.0.1 (DNS rebinding) gets 400, not the records.
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
        Route("/consult/advice", studio.live_advice, methods=["POST"]),
        Route("/consult/review", studio.review, methods=["POST"]),
        Route("/consult/save", studio.save, methods=["POST"]),
        Route("/visits/{cid:str}", studio.visit),
        Route("/visits/{cid:str}/report.{kind:str}", studio.report),
        Mount("/static", StaticFiles(directory=HERE / "static"), name="static"),
    ]
    middleware = [
        Middleware(TrustedHostMiddleware, allowed_hosts=["*"] if password else LOOPBACK_NAMES),
        # A fresh secret each start: sessions end when the server does. HttpOnly, SameSite=Lax.
        Middleware(SessionMiddleware, secret_key=secrets.token_urlsafe(32), same_site="lax", max_age=SESSION_AGE),
    ]

    @contextlib.asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        yield
        studio.store.close()

    async def records_unavailable(_request: Request, exc: Exception) -> Response:
        # The records cannot be read or written (a file deleted under the studio, a server
        # gone): said in words, with a status that tells a browser to try again later.
        problems = exc.problems if isinstance(exc, AdvisorError) else []
        reason = str(problems[0]) if problems else "the records cannot be reached"
        return PlainTextResponse(f"The studio cannot reach its records ({reason}).", status_code=503)

    # The headers wrap everything, error pages included.
    return SecurityHeaders(
        Starlette(
            routes=routes,
            middleware=middleware,
            lifespan=lifespan,
            exception_handlers={AdvisorError: records_unavailable},
        )
    )


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
        self.templates = Environment(
            # The studio's pages, and the report's parts they show as the HTML report does.
            loader=ChoiceLoader(
                [PackageLoader("advisor.web", "templates"), PackageLoader("advisor.output", "templates")]
            ),
            autoescape=select_autoescape(default=True, default_for_string=True),
            undefined=StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
        )
        self.templates.filters["num"] = _num
        self.templates.globals["status_words"] = STATUS_WORDS

    # --- pages -------------------------------------------------------------------------
    def page(self, request: Request, name: str, status: int = 200, **context: Any) -> HTMLResponse:
        html = self.templates.get_template(name).render(
            csrf=csrf_token(request), login=self.password is not None and self.is_signed_in(request), **context
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
        return self.page(request, "clients.html.j2", rows=rows, query=query)

    async def client(self, request: Request) -> Response:
        if (denied := self.guard(request)) is not None:
            return denied
        name = request.path_params.get("name") or request.query_params.get("name", "")
        stored = self.store.client_name(name)
        if stored is None:
            raise HTTPException(404, "No client of that name.")
        from advisor.output.report import pain_over_visits  # noqa: PLC0415  here while the studio is rewritten; move up then

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
        if (denied := self.guard(request)) is not None:
            return denied
        client = request.query_params.get("client", "").strip()
        values: dict[str, Any] = {}
        last = None
        if client:
            stored = self.store.client_name(client)
            last = self.store.previous(stored) if stored else None
            client = stored or client
            # As `advisor consult` does: last visit's answers, the safety screen asked afresh.
            values = self.form.carried_over(last.answers) if last else {}
        parsed = forms.Parsed(None, values, {})
        return self.consult_page(request, client, dt.date.today(), parsed, last)

    def consult_page(
        self, request: Request, client: str, date: dt.date, parsed: forms.Parsed, last: Any = None, status: int = 200
    ) -> HTMLResponse:
        advice = self.advice(parsed)
        return self.page(
            request,
            "consult.html.j2",
            status=status,
            form=self.form,
            client=client,
            date=date.isoformat(),
            values=parsed.values,
            fit=parsed.fit,
            fit_form=fitrecord.form(),
            # The bike as the last visit left it, shown in "before" as a hint: a setting is
            # recorded only when typed, so nothing unmeasured is stored as today's.
            last_fit={**last.fit.get("before", {}), **last.fit.get("after", {})} if last and last.fit else {},
            errors=parsed.errors if status != 200 else {},
            last=last,
            advice=advice,
        )

    def advice(self, parsed: forms.Parsed) -> dict[str, Any]:
        """What the advice panel shows for these answers (with the client's last visit, as the
        saved consultation will be): the report, or why there is none yet."""
        if parsed.answers is None:
            return {"report": None, "missing": _missing_screen(parsed)}
        client = parsed.answers.client
        previous = self.previous_visit(client, parsed.answers.date) if client else None
        result = assess(parsed.answers, previous)
        return {"report": formats.report_for(result), "missing": ""}

    async def live_advice(self, request: Request) -> Response:
        if self.guard(request) is not None:
            return Response(status_code=401)
        data = await self.posted(request)
        _, _, parsed = self.read_form(data, for_saving=False)
        html = self.templates.get_template("advice.html.j2").render(advice=self.advice(parsed))
        return HTMLResponse(html)

    def read_form(self, data: FormData, *, for_saving: bool) -> tuple[str, dt.date, forms.Parsed]:
        """The client, the date and the answers of a consultation form; to be saved, it needs a name."""
        fields = {key: [v for v in data.getlist(key) if isinstance(v, str)] for key in data}
        client = str(data.get("client") or "").strip()
        date, date_error = _date(str(data.get("date") or ""))
        parsed = forms.parse(fields, self.form, client, date, with_fit=for_saving)
        if date_error:
            parsed.errors["date"] = date_error
        if for_saving:
            trouble = problem_with(client, "name", MAX_NAME) if client else "give the client's name"
            if trouble:
                parsed.errors["client"] = trouble
        return client, date, parsed

    async def submitted(self, request: Request) -> Response | tuple[FormData, str, dt.date, forms.Parsed]:
        """A consultation form sent to be reviewed or saved: the login and the form checked, or
        the page that refuses it. Returns (form, client, date, answers read from it)."""
        if (denied := self.guard(request)) is not None:
            return denied
        data = await self.posted(request)
        client, date, parsed = self.read_form(data, for_saving=True)
        if parsed.answers is None or parsed.errors:
            return self.consult_page(request, client, date, parsed, status=422)
        return data, client, date, parsed

    async def review(self, request: Request) -> Response:
        if isinstance(sent := await self.submitted(request), Response):
            return sent
        _, client, date, parsed = sent
        assert parsed.answers is not None  # submitted() refuses a form without them
        result = assess(parsed.answers, self.previous_visit(client, date))
        fit = None if parsed.answers.fit.is_empty() else parsed.answers.fit
        return self.page(
            request,
            "review.html.j2",
            client=client,
            date=date.isoformat(),
            report=formats.report_for(result, fit=fit),
            hidden=forms.fields_of(parsed.values, parsed.fit),
            not_declinable={STOP_RIDING},
            save_token=secrets.token_urlsafe(16),
        )

    def previous_visit(self, client: str, date: dt.date) -> Previous | None:
        stored = self.store.client_name(client)
        last = self.store.previous(stored, date) if stored else None
        return Previous.of_visit(last.answers, last.result, last.fit, last.date) if last else None

    async def save(self, request: Request) -> Response:
        if isinstance(sent := await self.submitted(request), Response):
            return sent
        data, client, date, parsed = sent
        assert parsed.answers is not None  # submitted() refuses a form without them
        token = str(data.get("save_token") or "")[:64]
        sent_form = _digest(data)
        # One save at a time: the token is checked and the visit recorded together. The work
        # itself runs off the event loop, so a locked database keeps this save waiting (up to
        # the store's busy timeout) while every other page goes on answering.
        async with self.save_lock:
            earlier = self.saved.get(token)
            if earlier is not None and earlier[0] == sent_form:
                return RedirectResponse(f"/visits/{earlier[1]}", status_code=303)
            try:
                cid = await run_in_threadpool(self.record_visit, data, client, date, parsed.answers)
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
        return RedirectResponse(f"/visits/{cid}", status_code=303)

    def record_visit(self, data: FormData, client: str, date: dt.date, given: Answers) -> int:
        """Assess and store one reviewed consultation (blocking: run off the event loop)."""
        answers = given.model_copy(update={"client": client})
        result = assess(answers, self.previous_visit(client, date))
        decisions = self.decisions(data, result)
        name = self.store.client_name(client) or client
        return self.store.record(name, answers, result, decisions)

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
        return self.page(request, "visit.html.j2", visit=visit, report=report)

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
            filename = f"report-{visit.date.isoformat()}-{visit.id}.pdf"
            headers = {"Content-Disposition": f'attachment; filename="{filename}"'}
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
    message = parsed.errors.get("answers") or next(iter(parsed.errors.values()), "")
    if "safety screen is incomplete" in message:
        return "Answer every question of the safety screen to see the advice."
    return f"The advice appears when the answers can be read: {message}" if message else ""
