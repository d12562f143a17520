"""What keeps the studio's records safe in a browser: login, CSRF tokens, slow wrong passwords,
the Host names answered, and the headers every response carries.

On a loopback address (127.0.0.0/8, ::1, localhost) the studio may run without a password
(only this computer can reach it); on any other address `advisor serve` refuses to start
without one, and serves HTTPS. A password is compared in constant time and never logged; each
wrong one from the same address waits longer (up to 8 s). When the records hold fitters'
accounts (`advisor users add NAME`), each fitter logs in with their own name and password
(scrypt hashes in the records), slowed the same way, instead of the shared password.
"""

from __future__ import annotations

import asyncio
import hmac
import ipaddress
import secrets
from collections import defaultdict
from collections.abc import Awaitable, Callable

from starlette.datastructures import MutableHeaders
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

MIN_PASSWORD = 12  # characters: a few words, easy to type on a tablet, slow to guess

# Scripts and styles only from the studio itself; pictures may be inline (data: logos).
CSP = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "frame-ancestors 'none'; form-action 'self'; base-uri 'none'; object-src 'none'"
)
# A printable report is one self-contained file with its own inline styles.
REPORT_CSP = "default-src 'none'; img-src data:; style-src 'unsafe-inline'; frame-ancestors 'none'"
# The studio uses none of a tablet's sensors, devices or payment: no page (nor anything a page
# might one day embed) may ask for them.
PERMISSIONS_POLICY = ", ".join(
    f"{feature}=()"
    for feature in (
        "camera", "microphone", "geolocation", "display-capture", "payment", "usb", "serial", "hid",
        "midi", "accelerometer", "gyroscope", "magnetometer", "screen-wake-lock",
        "idle-detection", "xr-spatial-tracking", "browsing-topics",
    )
)  # fmt: skip
# With a certificate the fitter gave (one browsers trust): a browser that has been to the
# studio once goes on asking it over HTTPS only, for a year, even when "http://" is typed.
HSTS = "max-age=31536000"
MAX_DELAY = 8.0


def is_loopback(host: str) -> bool:
    """127.0.0.0/8, ::1 and localhost: addresses only this computer reaches."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def host_name(header: str) -> str:
    """The name or address of a Host header, its port and an IPv6 address's brackets taken
    off ("[::1]:8000" is "::1"); "" when it cannot be a host."""
    header = header.strip()
    if header.startswith("["):
        end = header.find("]")
        rest = header[end + 1 :] if end > 0 else "?"
        return header[1:end] if rest == "" or (rest[:1] == ":" and rest[1:].isdigit()) else ""
    if header.count(":") == 1:
        name, port = header.split(":")
        return name if port.isdigit() else ""
    return header  # a name, an IPv4 address, or an IPv6 address without brackets


class LoopbackHostOnly:
    """Without a password: only requests that name this computer (a loopback address or
    localhost) in their Host header are answered. A web page elsewhere whose name is pointed
    at 127.0.0.1 (DNS rebinding) sends its own name, and gets ``refusal`` instead."""

    def __init__(self, app: ASGIApp, refusal: ASGIApp) -> None:
        self.app = app
        self.refusal = refusal

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            host = next((v.decode("latin-1") for k, v in scope["headers"] if k == b"host"), "")
            if not is_loopback(host_name(host)):
                await self.refusal(scope, receive, send)
                return
        await self.app(scope, receive, send)


class SecurityHeaders:
    """Headers on every response: a CSP, no sniffing, no framing, no powerful features, and no
    caching of anything but the studio's own static files (pages and reports hold health
    data); with ``hsts``, Strict-Transport-Security as well."""

    def __init__(self, app: ASGIApp, *, hsts: bool = False) -> None:
        self.app = app
        self.hsts = hsts

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
                headers["Permissions-Policy"] = PERMISSIONS_POLICY
                if self.hsts:
                    headers["Strict-Transport-Security"] = HSTS
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
        """The studio's one shared password."""

        async def compare() -> bool:
            return password_matches(given, expected)

        return await self.attempt(address, compare)

    async def attempt(self, address: str, compare: Callable[[], Awaitable[bool]]) -> bool:
        """Any check of a login (an account's name and password): queued and slowed as above."""
        if self.waiting[address] >= MAX_QUEUED_GUESSES:
            return False
        self.waiting[address] += 1
        try:
            async with self.locks[address]:
                failures = self.failures.get(address, 0)
                if failures:
                    await asyncio.sleep(min(MAX_DELAY, 0.25 * 2**failures))
                async with self.in_flight:
                    right = await compare()
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
