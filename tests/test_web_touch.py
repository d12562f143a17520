"""The studio's pages on the touch devices a fitter uses, through the harness in tests/browser.py.

Each page at each size (tablet landscape and portrait, phone): no WCAG 2.1 A/AA violation axe-core
finds, no control another element covers, no focused control hidden under a fixed or sticky part of
the page, and touch targets of at least 44 x 44 CSS pixels. What a page fails today is listed in
FAILS_TODAY, each entry an xfail(strict=True): when the page is fixed, the test fails until the
entry is removed. A screenshot of each page at each size goes to the test's tmp_path.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

import pytest
import yaml

from advisor.core.advice.pipeline import assess
from advisor.core.intake import answers as answers_mod
from advisor.core.rulebase.followup import Previous
from advisor.records.model import Decision
from advisor.records.store import Store
from tests.browser import (
    Device,
    axe_violations,
    covered_controls,
    covered_text,
    focus_obscured,
    new_touch_context,
    report,
    shot,
    sideways_overflow,
    small_targets,
)
from tests.web_server import running

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
PASSWORD = "saddle-height-721"
ZOE = "Zoë Ødegård"

# What the studio's pages fail today: (check, page) -> (the devices it fails on, what fails).
# Each is an xfail(strict=True): once a page passes, its test fails until the entry goes.
FAILS_TODAY: dict[tuple[str, str], tuple[frozenset[str], str]] = {}


@dataclass(frozen=True)
class Studio:
    base: str
    cookies: list[Any]  # a signed-in session, for a test's fresh context
    paths: dict[str, str]  # page name -> path


def _visit(
    store: Store, client: str, example: str, date: dt.date, fit: dict[str, Any] | None = None, **changed: Any
) -> int:
    """A consultation recorded as the studio records one: an example's answers (some changed),
    assessed against the client's last visit, every item agreed but the strap stretch."""
    raw = yaml.safe_load((EXAMPLES / example).read_text(encoding="utf-8"))
    raw.update(client=client, date=date.isoformat(), fit=fit or {})
    raw["answers"].update(changed)
    answers = answers_mod.validate(raw, example)
    last = store.previous(client, date)
    previous = Previous.of_visit(last.answers, last.result, last.fit, last.date) if last else None
    result = assess(answers, previous)
    decisions = [Decision("adjustment", a.id, True) for a in result.adjustments] + [
        Decision("exercise", e.id, e.id != "strap-stretch", "hip pinches" if e.id == "strap-stretch" else "")
        for e in result.exercises
    ]
    return store.record(client, answers, result, decisions, consent=True)


def _signed_in(browser: Browser, base: str) -> list[Any]:
    context = browser.new_context()
    try:
        page = context.new_page()
        page.goto(base + "/login")
        page.fill("#password", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_url(base + "/")
        return list(context.cookies())
    finally:
        context.close()


@pytest.fixture(scope="module")
def empty_studio(browser: Browser, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Studio]:
    with running(tmp_path_factory.mktemp("empty") / "studio.db", PASSWORD) as base:
        yield Studio(base, _signed_in(browser, base), {"login": "/login?next=%2F", "clients-empty": "/"})


@pytest.fixture(scope="module")
def studio(browser: Browser, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Studio]:
    db = tmp_path_factory.mktemp("studio") / "studio.db"
    with Store(db) as store:
        _visit(store, ZOE, "routine-low-back-tight-hamstrings.yaml", dt.date(2026, 10, 6), passive_slr_deg=55)
        fit = {"before": {"saddle_height_mm": 721.5, "saddle_tilt_deg": -1.5}, "after": {"saddle_height_mm": 724}}
        visit = _visit(store, ZOE, "routine-low-back-tight-hamstrings.yaml", dt.date(2026, 11, 3), fit)
        _visit(store, "Jo Lindqvist", "routine-knee-pain.yaml", dt.date(2026, 11, 10))
        _visit(store, "Sam Okafor", "urgent-pain-after-crash.yaml", dt.date(2026, 11, 17))
        _visit(store, "Alex Moreau", "emergency-saddle-numbness-off-bike.yaml", dt.date(2026, 11, 24))
        zoe = store.require(ZOE).id
    with running(db, PASSWORD) as base:
        paths = {
            "clients": "/",
            "client": "/client?name=" + quote(ZOE),
            "visit": f"/visits/{visit}",
            "erase": f"/client/erase?id={zoe}",
            "amend": f"/visits/{visit}/amend",
        }
        yield Studio(base, _signed_in(browser, base), paths)


PAGES = ["login", "clients-empty", "clients", "client", "visit", "erase", "amend"]


@dataclass(frozen=True)
class Opened:
    name: str
    device: Device
    page: Page

    def expect_today(self, request: pytest.FixtureRequest, check: str) -> None:
        """Mark the test xfail(strict=True) when FAILS_TODAY says this check fails here."""
        devices, reason = FAILS_TODAY.get((check, self.name), (frozenset(), ""))
        if self.device.name in devices:
            request.applymarker(pytest.mark.xfail(strict=True, reason=reason))


@pytest.fixture(scope="module")
def loaded(browser: Browser) -> Iterator[dict[tuple[str, str], Page]]:
    """Pages loaded once for the module, by (page, device): every check below only reads the
    page (each leaves it scrolled to the top, nothing focused), so they share one load."""
    pages: dict[tuple[str, str], Page] = {}
    yield pages
    for page in pages.values():
        page.context.close()


@pytest.fixture(params=PAGES)
def opened(
    request: pytest.FixtureRequest, browser: Browser, device: Device, loaded: dict[tuple[str, str], Page]
) -> Opened:
    """One of the studio's pages on the device (signed in, but for the login page), in a context
    of its own: the two studios share a host, and with it the session cookie's name."""
    name = request.param
    if (name, device.name) not in loaded:
        where: Studio = request.getfixturevalue("empty_studio" if name in ("login", "clients-empty") else "studio")
        page = new_touch_context(browser, device).new_page()
        if name != "login":
            page.context.add_cookies(where.cookies)
        response = page.goto(where.base + where.paths[name])
        assert response is not None and response.ok, f"{name}: {response and response.status}"
        if name == "login":
            assert page.locator("#password").count() == 1
        else:
            assert "/login" not in page.url, "the signed-in session was not taken"
        loaded[name, device.name] = page
    return Opened(name, device, loaded[name, device.name])


def test_no_axe_violation(opened: Opened, request: pytest.FixtureRequest, axe_script: str) -> None:
    opened.expect_today(request, "axe")
    found = axe_violations(opened.page)
    assert not found, report(f"axe (WCAG 2.1 A/AA) on {opened.name}, {opened.device.name}", found)


def test_no_axe_best_practice_issue(opened: Opened, request: pytest.FixtureRequest, axe_script: str) -> None:
    """axe's best practices: headings in order, landmarks, one main heading (what a screen reader's
    user finds the way by, though WCAG does not require it in so many words)."""
    opened.expect_today(request, "axe best-practice")
    found = axe_violations(opened.page, tags=("best-practice",))
    assert not found, report(f"axe (best practice) on {opened.name}, {opened.device.name}", found)


def test_no_covered_control(opened: Opened, request: pytest.FixtureRequest, tmp_path: Path) -> None:
    shot(opened.page, tmp_path / f"{opened.name}-{opened.device.name}.png")
    opened.expect_today(request, "covered")
    found = covered_controls(opened.page)
    assert not found, report(f"covered controls on {opened.name}, {opened.device.name}", found)


def test_no_covered_text(opened: Opened, request: pytest.FixtureRequest) -> None:
    opened.expect_today(request, "covered text")
    found = covered_text(opened.page)
    assert not found, report(f"covered text on {opened.name}, {opened.device.name}", found)


def test_no_focused_control_hidden(opened: Opened, request: pytest.FixtureRequest) -> None:
    opened.expect_today(request, "focus")
    found = focus_obscured(opened.page)
    assert not found, report(f"focused controls under a fixed or sticky element on {opened.name}", found)


def test_touch_targets_are_44_px(opened: Opened, request: pytest.FixtureRequest) -> None:
    opened.expect_today(request, "small")
    found = small_targets(opened.page)
    assert not found, report(f"targets under 44 x 44 px on {opened.name}, {opened.device.name}", found)


def test_no_sideways_scrolling(opened: Opened, request: pytest.FixtureRequest) -> None:
    opened.expect_today(request, "overflow")
    found = sideways_overflow(opened.page)
    assert not found, report(f"wider than the viewport: {opened.name}, {opened.device.name}", found)
