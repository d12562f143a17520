"""The browser-test harness: Debian's Chromium on three touch devices, axe-core, and layout checks.

Fixtures (registered for the whole suite by tests/conftest.py):

- ``browser``: one Chromium for the session (Playwright driving /usr/bin/chromium).
- ``device``: one of ``DEVICES``, parametrised with the ids "landscape", "portrait" and "phone".
- ``touch_context`` and ``touch_page``: a fresh context of ``device`` (touch, mobile viewport) and
  a page in it; ``new_touch_context(browser, device, **options)`` makes one for other scopes.
- ``axe_script``: the source of axe.min.js, installed with ``npm ci`` when missing; a test that
  calls ``axe_violations`` takes it, so that it skips (or fails) at set-up when axe is missing.

Helpers, each taking a Playwright page:

- ``axe_violations(page, context=None, tags=WCAG_21_AA)`` and ``assert_no_violations(page)``;
- ``covered_controls(page)``: controls whose centre another element covers;
- ``covered_text(page)``: the same for headings, paragraphs, list items and cells;
- ``focus_obscured(page)``: focused controls hidden under a fixed or sticky element;
- ``small_targets(page, minimum=44)``: touch targets smaller than 44 x 44 CSS pixels;
- ``sideways_overflow(page)``: what makes the page wider than the viewport;
- ``tap(page, selector)`` and ``shot(page, path)``.

axe-core comes from the npm registry at the version pinned in tests/node/package-lock.json. When
Chromium, Playwright or axe-core cannot be had, the tests that need them skip and say why, or fail
when ADVISOR_REQUIRE_BROWSER=1 (as .ci/run sets it): CI never passes by skipping them.
"""

from __future__ import annotations

import asyncio
import functools
import os
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

import pytest

if TYPE_CHECKING:
    from playwright.sync_api import Browser, BrowserContext, Page

NODE = Path(__file__).resolve().parent / "node"
AXE = NODE / "node_modules" / "axe-core" / "axe.min.js"
REQUIRED = os.environ.get("ADVISOR_REQUIRE_BROWSER", "") not in ("", "0")
# Debian's Chromium: Playwright's own download is not reachable from where the tests run.
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
# Nothing in the background that reaches the network or changes the browser during a run.
# (Playwright starts Chromium without its sandbox unless asked, which running as root needs.)
CHROMIUM_ARGS = ["--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"]
WCAG_21_AA = ("wcag2a", "wcag2aa", "wcag21a", "wcag21aa")
# Every control a fitter can tap: links, buttons, fields, disclosure summaries, option pills.
CONTROLS = "a[href], button, input:not([type=hidden]), select, textarea, summary, label.option"
TEXT = "h1, h2, h3, h4, h5, h6, p, li, dt, dd, th, td, figcaption, caption, legend"
FOCUSABLE = "a[href], button, input:not([type=hidden]), select, textarea, summary, [tabindex]:not([tabindex='-1'])"


def unavailable(reason: str) -> NoReturn:
    """Skip the test, saying why; under ADVISOR_REQUIRE_BROWSER=1 fail it instead."""
    if REQUIRED:
        pytest.fail(f"{reason} (ADVISOR_REQUIRE_BROWSER is set: the browser tests must run)", pytrace=False)
    pytest.skip(reason)


@dataclass(frozen=True)
class Device:
    """A touch device the studio is used on: a tablet on the workshop stand, or a phone."""

    name: str
    width: int
    height: int
    scale: int
    mobile: bool = True

    def context_options(self) -> dict[str, Any]:
        return {
            "viewport": {"width": self.width, "height": self.height},
            "screen": {"width": self.width, "height": self.height},
            "device_scale_factor": self.scale,
            "is_mobile": self.mobile,
            "has_touch": True,
        }


DEVICES = (
    Device("landscape", 1024, 768, scale=1),  # a tablet across: the form and the advice side by side
    Device("portrait", 768, 1024, scale=2),  # the same tablet upright: one column
    Device("phone", 390, 844, scale=2),
)


# --- fixtures -----------------------------------------------------------------------------
@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    """One Chromium for the whole session; each test opens its own context (cheap) in it."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        unavailable("Playwright is not installed (pip install -e '.[test]')")
    if CHROMIUM is None:
        unavailable("Debian's chromium is not installed (.ci/run installs it)")
    with sync_playwright() as pw:
        launched = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        _LOOP.append(asyncio.get_running_loop())
        try:
            yield launched
        finally:
            asyncio._set_running_loop(_LOOP.pop())
            launched.close()


# Playwright's sync API marks its event loop as running in this thread between its calls, for as
# long as it lives: here the whole session. A test that calls asyncio.run() meanwhile would be
# refused ("cannot be called from a running event loop"). So the mark is lifted while a test that
# does not use the browser is set up and runs, and put back for one that does and for every
# teardown (which may close a page or a context).
_LOOP: list[asyncio.AbstractEventLoop] = []  # the loop of the session's Playwright, while it runs


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    if _LOOP:
        uses = "browser" in getattr(item, "fixturenames", ())
        asyncio._set_running_loop(_LOOP[0] if uses else None)


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_teardown(item: pytest.Item) -> None:
    if _LOOP:
        asyncio._set_running_loop(_LOOP[0])


@pytest.fixture(params=DEVICES, ids=[d.name for d in DEVICES])
def device(request: pytest.FixtureRequest) -> Device:
    chosen: Device = request.param
    return chosen


def new_touch_context(browser: Browser, device: Device, **options: Any) -> BrowserContext:
    """A fresh context (no cookies) on ``device``; ``options`` go to ``browser.new_context``.
    The pages' Content-Security-Policy stays on (no bypass_csp): the page is laid out and styled
    as a fitter's browser does it, and axe comes in through the DevTools protocol, which the
    policy does not govern."""
    context = browser.new_context(**device.context_options(), **options)
    context.set_default_timeout(10_000)
    return context


@pytest.fixture
def touch_context(browser: Browser, device: Device) -> Iterator[BrowserContext]:
    context = new_touch_context(browser, device)
    try:
        yield context
    finally:
        context.close()


@pytest.fixture
def touch_page(touch_context: BrowserContext) -> Page:
    return touch_context.new_page()


@pytest.fixture(scope="session")
def axe_script() -> str:
    """axe.min.js; ``npm ci`` in tests/node once first when it is missing and npm is there."""
    return _axe_source()


@functools.cache
def _axe_install() -> str:
    """Why axe-core could not be installed ("" when it was)."""
    if AXE.is_file():
        return ""
    npm = shutil.which("npm")
    if npm is None:
        return f"axe-core is not installed ({AXE}) and there is no npm to install it"
    done = subprocess.run([npm, "ci", "--no-audit", "--no-fund"], cwd=NODE, capture_output=True, text=True)
    if done.returncode != 0 or not AXE.is_file():
        return f"`npm ci` in tests/node did not install axe-core: {done.stderr.strip()[-500:]}"
    return ""


def _axe_source() -> str:
    problem = _axe_install()
    if problem:
        unavailable(problem)
    return _read(AXE)


@functools.cache
def _read(path: Path) -> str:
    return path.read_text(encoding="utf-8")


# --- axe ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class Violation:
    """One axe rule broken on the page, and where."""

    rule: str
    impact: str
    help: str
    targets: tuple[str, ...]  # the first few, as axe's CSS selectors
    count: int  # nodes in all
    url: str

    def __str__(self) -> str:
        more = f" and {self.count - len(self.targets)} more" if self.count > len(self.targets) else ""
        return f"{self.rule} ({self.impact}): {self.help}; at {', '.join(self.targets)}{more}"


def axe_violations(
    page: Page, context: str | None = None, tags: tuple[str, ...] = WCAG_21_AA, shown: int = 5
) -> list[Violation]:
    """axe-core's violations of ``tags`` (WCAG 2.1 A and AA unless told) in the page, or in the
    part of it the CSS selector ``context`` names."""
    if not page.evaluate("() => typeof window.axe === 'object'"):
        # page.add_script_tag would be an inline script, which the studio's CSP (script-src
        # 'self') refuses; code evaluated through the DevTools protocol is not subject to it.
        page.evaluate(_axe_source())
    found = page.evaluate(
        """async ([context, tags]) => {
            const result = await axe.run(context === null ? document : context,
                {runOnly: {type: "tag", values: tags}, resultTypes: ["violations"]});
            return result.violations.map(v => ({
                rule: v.id, impact: v.impact || "", help: v.help, url: v.helpUrl,
                targets: v.nodes.map(n => n.target.join(" ")), count: v.nodes.length}));
        }""",
        [context, list(tags)],
    )
    return [
        Violation(v["rule"], v["impact"], v["help"], tuple(v["targets"][:shown]), v["count"], v["url"]) for v in found
    ]


def assert_no_violations(page: Page, context: str | None = None, tags: tuple[str, ...] = WCAG_21_AA) -> None:
    """Fail, listing each rule, its impact and where, when axe finds anything."""
    found = axe_violations(page, context, tags)
    assert not found, report(f"axe finds {len(found)} rule(s) broken on {page.url}", found)


def report(title: str, items: list[Any]) -> str:
    """A failure message: a title and one line per item."""
    return "\n".join([title + ":", *(f"  - {item}" for item in items)])


# --- layout -------------------------------------------------------------------------------
@dataclass(frozen=True)
class Covered:
    """A control, and what the browser finds at a point of it instead (None: nothing, the point
    is outside the viewport or clipped away)."""

    control: str
    by: str | None
    detail: str = ""

    def __str__(self) -> str:
        by = self.by or "nothing (outside the viewport, or clipped)"
        return f"{self.control} is under {by}" + (f" ({self.detail})" if self.detail else "")


@dataclass(frozen=True)
class Small:
    """A touch target smaller than the minimum, with its size in CSS pixels."""

    control: str
    width: float
    height: float

    def __str__(self) -> str:
        return f"{self.control} is {self.width:g} x {self.height:g} px"


# Shared by the checks: how to name an element in a report, whether it is shown, whether a
# point found belongs to a control (the control, something inside it, or its label).
_JS_COMMON = """
const describe = el => {
    if (!el) { return null; }
    let name = el.tagName.toLowerCase();
    if (el.id) { name += "#" + el.id; }
    for (const c of el.classList) { name += "." + c; }
    for (const a of ["name", "value", "type", "href", "for"]) {
        const v = el.getAttribute(a);
        if (v !== null && !(a === "type" && name.startsWith("button"))) {
            name += `[${a}="${v.length > 40 ? v.slice(0, 40) + "…" : v}"]`;
        }
    }
    const text = (el.innerText || el.value || "").trim().replace(/\\s+/g, " ");
    if (text && !["input", "textarea", "select"].includes(el.tagName.toLowerCase())) {
        name += ` "${text.length > 40 ? text.slice(0, 40) + "…" : text}"`;
    }
    return name;
};
const shown = el => {
    const box = el.getBoundingClientRect();
    return box.width > 1 && box.height > 1
        && el.checkVisibility({checkOpacity: true, checkVisibilityCSS: true});
};
// The box a finger aims at: a link wrapped over two lines is two boxes, the larger one counts.
const target = el => {
    let best = el.getBoundingClientRect();
    if (getComputedStyle(el).display === "inline") {
        const parts = [...el.getClientRects()].filter(r => r.width > 0 && r.height > 0);
        if (parts.length > 1) { best = parts.reduce((a, b) => (a.width * a.height >= b.width * b.height ? a : b)); }
    }
    return best;
};
const owns = (el, hit) => {
    if (!hit) { return false; }
    if (el === hit || el.contains(hit)) { return true; }
    for (const label of el.labels || []) { if (label === hit || label.contains(hit)) { return true; } }
    return false;
};
const pinned = el => {
    for (let e = el; e && e !== document.documentElement; e = e.parentElement) {
        const position = getComputedStyle(e).position;
        if (position === "fixed" || position === "sticky") { return e; }
    }
    return null;
};
"""


def covered_controls(page: Page, selector: str = CONTROLS) -> list[Covered]:
    """Each shown control, scrolled to the middle of the viewport: is the element at the centre
    of its box the control itself (or inside it, or its label)? Those that are not, and what is
    there instead. The page is left scrolled to the top."""
    found = page.evaluate(
        _JS_COMMON
        + """
        selector => {
            const out = [];
            for (const el of document.querySelectorAll(selector)) {
                if (!shown(el)) { continue; }
                el.scrollIntoView({block: "center", inline: "center", behavior: "instant"});
                const box = target(el);
                const x = box.left + box.width / 2, y = box.top + box.height / 2;
                const hit = document.elementFromPoint(x, y);
                if (!owns(el, hit)) {
                    const holder = hit && pinned(hit);
                    out.push({control: describe(el), by: describe(hit),
                              detail: holder ? `${getComputedStyle(holder).position}: ${describe(holder)}` : ""});
                }
            }
            window.scrollTo({top: 0, left: 0, behavior: "instant"});
            return out;
        }""",
        selector,
    )
    return [Covered(c["control"], c["by"], c["detail"]) for c in found]


def covered_text(page: Page, selector: str = TEXT) -> list[Covered]:
    """``covered_controls`` for what a fitter reads: headings, paragraphs, list items, cells.
    Text a sticky panel slides over, with no scroll position that shows it, is found here."""
    return covered_controls(page, selector)


def focus_obscured(page: Page, selector: str = FOCUSABLE) -> list[Covered]:
    """Each shown focusable control, focused in document order as Tab would (``element.focus()``
    scrolls it into view as the browser chooses): is any of it under a fixed or sticky element
    that is not its own ancestor? WCAG 2.4.11 asks that it is not entirely hidden; a control
    partly hidden is reported too, with how much of it (of its centre and four corners)."""
    found = page.evaluate(
        _JS_COMMON
        + """
        selector => {
            const out = [];
            window.scrollTo({top: 0, left: 0, behavior: "instant"});
            for (const el of document.querySelectorAll(selector)) {
                if (!shown(el) || el.disabled) { continue; }
                el.focus();
                if (document.activeElement !== el) { continue; }
                const box = target(el);
                const inset = Math.min(2, box.width / 4, box.height / 4);
                const points = [[box.left + box.width / 2, box.top + box.height / 2],
                    [box.left + inset, box.top + inset], [box.right - inset, box.top + inset],
                    [box.left + inset, box.bottom - inset], [box.right - inset, box.bottom - inset]];
                let hidden = 0, by = null;
                for (const [x, y] of points) {
                    const hit = document.elementFromPoint(x, y);
                    const holder = hit && !owns(el, hit) ? pinned(hit) : null;
                    if (holder && !holder.contains(el)) { hidden += 1; by = by || holder; }
                }
                if (hidden) {
                    out.push({control: describe(el), by: describe(by),
                              detail: hidden === points.length ? "entirely" : `${hidden} of ${points.length} points`});
                }
            }
            document.activeElement && document.activeElement.blur();
            window.scrollTo({top: 0, left: 0, behavior: "instant"});
            return out;
        }""",
        selector,
    )
    return [Covered(c["control"], c["by"], c["detail"]) for c in found]


def small_targets(page: Page, minimum: float = 44, selector: str = CONTROLS) -> list[Small]:
    """Shown controls whose box is smaller than ``minimum`` CSS pixels either way (the spirit of
    WCAG 2.5.5). A field inside its label is measured by the label, which takes its taps. A link
    in running text is exempt, as WCAG's "inline" exception has it: displayed inline, in a block
    whose own text, the text of its links and buttons left out, holds at least two words."""
    found = page.evaluate(
        _JS_COMMON
        + """
        ([selector, minimum]) => {
            const block = el => {
                let b = el.parentElement;
                while (b && getComputedStyle(b).display.startsWith("inline")) { b = b.parentElement; }
                return b;
            };
            const inSentence = el => {
                if (el.tagName !== "A" || getComputedStyle(el).display !== "inline") { return false; }
                const around = block(el);
                if (!around) { return false; }
                const copy = around.cloneNode(true);
                for (const c of copy.querySelectorAll("a, button")) { c.remove(); }
                const words = copy.textContent.match(/[\\p{L}\\p{N}]+/gu) || [];
                return words.length >= 2;
            };
            const out = [];
            for (const el of document.querySelectorAll(selector)) {
                if (!shown(el) || inSentence(el)) { continue; }
                const label = el.tagName === "INPUT" ? el.closest("label") : null;
                const box = target(label || el);
                if (box.width < minimum || box.height < minimum) {
                    out.push({control: describe(el), width: Math.round(box.width * 10) / 10,
                              height: Math.round(box.height * 10) / 10});
                }
            }
            return out;
        }""",
        [selector, minimum],
    )
    return [Small(s["control"], s["width"], s["height"]) for s in found]


@dataclass(frozen=True)
class Overflow:
    """An element that reaches past the right edge of the viewport, making the page scroll sideways."""

    element: str
    right: float
    viewport: int

    def __str__(self) -> str:
        return f"{self.element} reaches x = {self.right:g} px, past the {self.viewport} px viewport"


def sideways_overflow(page: Page) -> list[Overflow]:
    """When the page is wider than the viewport (WCAG 1.4.10, reflow), the elements that make it
    so: those past the right edge whose parent is not, leaving out what scrolls inside a box of
    its own (overflow other than visible)."""
    found = page.evaluate(
        _JS_COMMON
        + """
        () => {
            const root = document.documentElement, width = root.clientWidth;
            if (root.scrollWidth <= width) { return []; }
            const past = el => el.getBoundingClientRect().right > width + 0.5;
            const contained = el => {
                for (let e = el.parentElement; e && e !== document.body && e !== root; e = e.parentElement) {
                    if (getComputedStyle(e).overflowX !== "visible") { return true; }
                }
                return false;
            };
            const out = [];
            for (const el of document.body.querySelectorAll("*")) {
                if (!past(el) || !shown(el) || contained(el)) { continue; }
                if (el.parentElement && el.parentElement !== document.body && past(el.parentElement)) { continue; }
                out.push({element: describe(el), right: Math.round(el.getBoundingClientRect().right * 10) / 10});
            }
            return out.length ? out : [{element: "the page", right: root.scrollWidth}];
        }"""
    )
    width = page.evaluate("() => document.documentElement.clientWidth")
    return [Overflow(o["element"], o["right"], width) for o in found]


# --- actions ------------------------------------------------------------------------------
def tap(page: Page, selector: str) -> None:
    """Scroll the (first) element into view and tap it with a real touch event. Playwright first
    waits until the element is the one a finger would hit there, so a covered control fails."""
    target = page.locator(selector).first
    target.scroll_into_view_if_needed()
    target.tap()


def shot(page: Page, path: Path | str, full_page: bool = True) -> Path:
    """A screenshot (the whole page unless told), animations stopped and the caret hidden."""
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(out), full_page=full_page, animations="disabled", caret="hide")
    return out
