"""The browser-test harness (tests/browser.py) finds what it is for, and only that, on small pages
made for it: a check that finds nothing on the studio proves something only if it finds the fault
where there is one.

The pages are answered by Playwright's router, under the studio's own script policy, so axe is
seen to load where an inline script may not.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from advisor.web.security import CSP
from tests import browser as harness

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

URL = "http://harness.test/"
# The studio's policy, but for styles: these pages carry theirs in a <style> element.
POLICY = CSP.replace("style-src 'self'", "style-src 'self' 'unsafe-inline'")


@pytest.fixture(scope="module")
def phone(browser: Browser) -> Iterator[Page]:
    context = harness.new_touch_context(browser, harness.DEVICES[-1])
    yield context.new_page()
    context.close()


def load(page: Page, body: str, style: str = "") -> Page:
    """``body`` as the page at URL, under the studio's script policy."""
    html = f"""<!doctype html><html lang="en"><head><meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1"><title>Harness</title>
        <style>body {{ margin: 0; font: 18px/1.5 sans-serif; }} {style}</style></head>
        <body><main>{body}</main></body></html>"""
    page.unroute("**/*")
    page.route(
        "**/*",
        lambda route: route.fulfill(
            status=200,
            body=html,
            headers={"Content-Type": "text/html; charset=utf-8", "Content-Security-Policy": POLICY},
        ),
    )
    page.goto(URL)
    return page


def test_axe_loads_under_the_studio_policy_and_names_each_rule(phone: Page, axe_script: str) -> None:
    page = load(phone, '<h1>Form</h1><img src="data:image/gif;base64,R0lGODlhAQABAAAAACw="><input id="x">')
    # An inline script, as page.add_script_tag makes, is refused by the policy...
    with pytest.raises(Exception, match="Content Security Policy"):
        page.add_script_tag(content=axe_script)
    # ...so the harness brings axe in through the DevTools protocol.
    found = {v.rule: v for v in harness.axe_violations(page)}
    assert {"image-alt", "label"} <= set(found), found
    assert found["label"].targets == ("#x",) and found["label"].impact == "critical"
    assert str(found["label"]).startswith("label (critical): Form elements must have labels; at #x")
    with pytest.raises(AssertionError, match=r"(?s)image-alt.*label"):
        harness.assert_no_violations(page)
    assert harness.axe_violations(page, context="h1") == []


def test_a_control_under_a_fixed_bar_or_an_overlay_is_covered(phone: Page) -> None:
    page = load(
        phone,
        """<p style="height: 1500px">Text</p>
        <label class="option"><input type="radio" name="r" value="a"> Yes</label>
        <p style="width: 120px"><a href="/x">a link long enough to wrap over three lines</a></p>
        <div style="position: relative"><button id="under">Save</button>
          <div class="veil" style="position: absolute; inset: 0; background: #fff8"></div></div>
        <p style="height: 1500px">More text</p>
        <button id="last">Last</button>
        <footer id="bar" style="position: fixed; bottom: 0; left: 0; right: 0; height: 120px"></footer>""",
    )
    found = {c.control.split(" ")[0]: c for c in harness.covered_controls(page)}
    assert set(found) == {"button#under", "button#last"}, found
    assert found["button#under"].by == "div.veil" and found["button#under"].detail == ""
    assert found["button#last"].by == "footer#bar" and found["button#last"].detail == "fixed: footer#bar"
    assert page.evaluate("scrollY") == 0


def test_text_a_sticky_panel_slides_over_is_covered(phone: Page) -> None:
    page = load(
        phone,
        """<div id="panel" style="position: sticky; top: 0; height: 1000px; background: #eee">Advice</div>
        <h2>Fit record</h2><p>Saddle height 724 mm</p>""",
    )
    found = harness.covered_text(page)
    assert [c.control for c in found] == ['h2 "Fit record"', 'p "Saddle height 724 mm"'], found
    assert all(c.detail == 'sticky: div#panel "Advice"' for c in found)


def test_a_focused_control_under_a_fixed_footer_is_obscured(phone: Page) -> None:
    buttons = "".join(f'<p style="margin: 0 0 400px"><button id="b{i}">Step {i}</button></p>' for i in range(4))
    style = "#bar { position: fixed; bottom: 0; left: 0; right: 0; height: 100px; background: #000; }"
    page = load(phone, buttons + '<div id="bar"><button id="in-bar">Inside the bar</button></div>', style)
    found = harness.focus_obscured(page)
    # Chromium scrolls a focused control to the middle of the viewport when it can; the last
    # one, at the end of the page, stays at the bottom edge, under the bar. A control inside
    # the bar itself is never under it.
    assert [(c.control, c.by, c.detail) for c in found] == [
        ('button#b3 "Step 3"', 'div#bar "Inside the bar"', "entirely")
    ], found
    # With the bar's height kept clear of scrolling (WCAG technique C43), nothing is.
    page = load(phone, buttons + '<div id="bar"></div>', style + " html { scroll-padding-bottom: 110px; }")
    assert harness.focus_obscured(page) == []


def test_small_targets_and_the_inline_exception(phone: Page) -> None:
    page = load(
        phone,
        """<button id="tiny" style="width: 20px; height: 20px; padding: 0"></button>
        <p>Read <a id="inline" href="/a">the guide</a> before you start.</p>
        <p><a id="alone" href="/b">All visits</a></p>
        <p>Report: <a id="pdf" href="/c">PDF</a> · <a id="html" href="/d">HTML</a></p>
        <label style="display: block; min-height: 48px"><input type="checkbox" id="in-label"> Agreed</label>
        <input type="checkbox" id="bare" aria-label="Bare">
        <a id="big" href="/e" style="display: inline-block; min-width: 48px; min-height: 48px">Go</a>""",
    )
    found = {s.control.split("[")[0].split(" ")[0]: s for s in harness.small_targets(page)}
    assert set(found) == {"button#tiny", "a#alone", "a#pdf", "a#html", "input#bare"}, found
    assert (found["button#tiny"].width, found["button#tiny"].height) == (20, 20)
    assert harness.small_targets(page, minimum=10) == []


def test_what_makes_the_page_scroll_sideways(phone: Page) -> None:
    page = load(
        phone,
        """<div id="wide" style="width: 500px"><span>wide</span></div>
        <div style="overflow-x: auto"><div style="width: 900px">scrolls in its own box</div></div>""",
    )
    assert [(o.element, o.right, o.viewport) for o in harness.sideways_overflow(page)] == [
        ('div#wide "wide"', 500, 390)
    ]
    page = load(phone, '<div style="overflow-x: auto"><div style="width: 900px">in its own box</div></div>')
    assert harness.sideways_overflow(page) == []


def test_tap_sends_touch_events_and_refuses_a_covered_control(phone: Page, tmp_path: Path) -> None:
    page = load(
        phone,
        """<p style="height: 1200px"></p><button id="go">Go</button>
        <div style="position: relative"><button id="hidden">Hidden</button>
          <div style="position: absolute; inset: 0; background: #fff"></div></div>""",
    )
    page.evaluate("""() => {
        window.seen = [];
        for (const kind of ["touchstart", "touchend", "click"]) {
            document.getElementById("go").addEventListener(kind, e => window.seen.push(e.type));
        }
    }""")
    harness.tap(page, "#go")
    assert page.evaluate("window.seen") == ["touchstart", "touchend", "click"]
    page.set_default_timeout(1_000)
    with pytest.raises(Exception, match="intercepts pointer events"):
        harness.tap(page, "#hidden")
    page.set_default_timeout(10_000)
    picture = harness.shot(page, tmp_path / "sub" / "page.png")
    assert picture.read_bytes().startswith(b"\x89PNG")


def test_missing_parts_skip_or_under_ci_fail(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(harness, "REQUIRED", False)
    with pytest.raises(pytest.skip.Exception, match="no chromium"):
        harness.unavailable("no chromium")
    monkeypatch.setattr(harness, "REQUIRED", True)
    with pytest.raises(pytest.fail.Exception, match=r"no chromium \(ADVISOR_REQUIRE_BROWSER is set"):
        harness.unavailable("no chromium")
    # Without axe-core and without npm to install it, the reason says so.
    monkeypatch.setattr(harness, "AXE", tmp_path / "node_modules" / "axe-core" / "axe.min.js")
    monkeypatch.setattr(harness.shutil, "which", lambda _name: None)
    harness._axe_install.cache_clear()
    try:
        assert "there is no npm to install it" in harness._axe_install()
    finally:
        harness._axe_install.cache_clear()
