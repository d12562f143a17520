"""What keeps the studio's records safe in a browser: login, CSRF tokens, slow wrong passwords,
and the headers every response carries.

On 127.0.0.1 the studio may run without a password (only this computer can reach it); on any
other address `advisor serve` refuses to start without one. A password is compared in constant
time and never logged; each wrong one from the same address waits longer (up to 8 s).
"""

from __future__ import annotations

import asyncio
import hmac
import ipaddress
import secrets
from collections import defaultdict

from starlette.datastructures import MutableHeaders
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

# Scripts and styles only from the studio itself; pictures may be inline (data: logos).
CSP = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "frame-ancestors 'none'; form-action 'self'; base-uri 'none'; object-src 'none'"
)
# A printable report is one self-contained file with its own inline styles.
REPORT_CSP = "default-src 'none'; img-src data:; style-src 'unsafe-inline'; frame-ancestors 'none'"
MAX_DELAY = 8.0


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class SecurityHeaders:
    """Headers on every response: a CSP, no sniffing, no framing, and no caching of anything
    but the studio's own static files (pages and reports hold health data)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        static = scope["path"].startswith("/static/")

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                headers.setdefault("Content-Security-Policy", CSP)
                headers["X-Content-Type-Options"] = "nosniff"
                headers["X-Frame-Options"] = "DENY"
                headers["Referrer-Policy"] = "no-referrer"
                if not static:
                    headers["Cache-Control"] = "no-store"
            await send(message)

        await self.app(scope, receive, with_headers)


def csrf_token(request: Request) -> str:
    """The session's token, made on first use; every form that changes something carries it."""
    token = request.session.get("csrf")
    if not isinstance(token, str):
        token = secrets.token_urlsafe(24)
        request.session["csrf"] = token
    return token


def csrf_ok(request: Request, sent: str | None) -> bool:
    expected = request.session.get("csrf")
    return isinstance(expected, str) and isinstance(sent, str) and hmac.compare_digest(expected, sent)


class Throttle:
    """Guesses from one address are taken one at a time, and after each wrong one the next waits
    longer (0.5 s, 1 s, 2 s... up to 8 s) before it is even compared: parallel guesses queue up,
    and a right password answers no sooner than a wrong one would.

    Fair between addresses: the wait happens in the address's own queue, and only the
    comparison itself takes one of the few slots shared by all, so one address's burst of
    guesses never keeps staff at another address waiting. Bounded: an address with too many
    guesses already queued is refused at once, without a comparison."""

    def __init__(self) -> None:
        self.failures: dict[str, int] = defaultdict(int)
        self.locks: dict[str, asyncio.Lock] = defaultdict(asyncio.Lock)
        self.waiting: dict[str, int] = defaultdict(int)
        self.in_flight = asyncio.Semaphore(8)  # comparisons, all addresses together

    async def check(self, address: str, given: str, expected: str) -> bool:
        if self.waiting[address] >= MAX_QUEUED_GUESSES:
            return False
        self.waiting[address] += 1
        try:
            async with self.locks[address]:
                failures = self.failures.get(address, 0)
                if failures:
                    await asyncio.sleep(min(MAX_DELAY, 0.25 * 2**failures))
                async with self.in_flight:
                    right = password_matches(given, expected)
                if right:
                    self.failures.pop(address, None)
                    return True
                self.failures[address] = failures + 1
                if len(self.failures) > 10_000:  # forget the oldest addresses rather than grow without end
                    self.failures.pop(next(iter(self.failures)))
                return False
        finally:
            self.waiting[address] -= 1
            if not self.waiting[address]:
                del self.waiting[address]
                if not self.locks[address].locked():
                    self.locks.pop(address, None)


MAX_QUEUED_GUESSES = 16  # per address; more are refused without waiting or comparing


def password_matches(given: str, expected: str) -> bool:
    return hmac.compare_digest(given.encode("utf-8", "surrogatepass"), expected.encode("utf-8", "surrogatepass"))
