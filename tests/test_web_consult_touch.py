"""A whole fitting in the studio on the touch devices a fitter uses (tablet landscape and
portrait, phone), through the harness in tests/browser.py: every control of the consultation,
review and visit pages reachable by a tap, Save by tap, a red flag's advice on screen at once,
"Change answers" keeping everything, questions shown only when they apply, the error summary,
the draft resumed after the tab is closed, last visit's measurements taken only when confirmed,
and axe-core finding nothing at WCAG 2.1 A/AA in each of those states."""

from __future__ import annotations

import json
import shutil
import time
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from typer.testing import CliRunner

from advisor.cli import app as cli
from tests.browser import (
    Device,
    assert_no_violations,
    covered_controls,
    focus_obscured,
    new_touch_context,
    report,
    shot,
    small_targets,
    tap,
)
from tests.web_server import running

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

DOCS = Path(__file__).resolve().parent.parent / "docs"


@pytest.fixture
def studio(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[str, Path]:
    monkeypatch.setenv("ADVISOR_DATA_DIR", str(tmp_path / "data"))
    return str(tmp_path / "studio.db"), tmp_path


def _history(db: str, client: str) -> list[dict[str, object]]:
    out = CliRunner().invoke(cli, ["history", client, "--db", db, "--format", "json"])
    assert out.exit_code == 0, out.output
    return list(json.loads(out.stdout))


def _reachable(page: Page, where: str) -> None:
    """Every control is the element a finger finds at its centre, focus never lands under a
    fixed or sticky part of the page, and every touch target is at least 44 x 44 px."""
    covered = covered_controls(page)
    assert not covered, report(f"controls covered on the {where}", covered)
    hidden = focus_obscured(page)
    assert not hidden, report(f"focus lands under something on the {where}", hidden)
    small = small_targets(page)
    assert not small, report(f"touch targets under 44 px on the {where}", small)


def _live(page: Page, text: str) -> None:
    from playwright.sync_api import expect

    expect(page.locator("#advice")).to_contain_text(text, timeout=10_000)
    expect(page.locator("#advice")).not_to_have_attribute("aria-busy", "true", timeout=10_000)


def _start(page: Page, base: str, client: str) -> None:
    page.goto(base + "/consult")
    page.fill("#client", client)
    page.locator("#client").blur()
    tap(page, "button[data-fill=safety-no]")
    _live(page, "No warning signs")


def test_a_whole_fitting_by_touch(browser: Browser, device: Device, studio: tuple[str, Path]) -> None:
    db, tmp = studio
    with running(db) as base:
        context = new_touch_context(browser, device)
        page = context.new_page()
        _start(page, base, "Zoë Ødegård")
        tap(page, 'input[name="age"]')
        page.fill('input[name="age"]', "47")
        tap(page, 'input[name="low_back_pain"][value="most_rides"]')
        tap(page, 'input[name="passive_slr_deg"]')
        page.fill('input[name="passive_slr_deg"]', "62")
        tap(page, 'input[name="knee_pain"][value="none"]')
        _live(page, "Strap stretch")
        _reachable(page, "consultation page")
        assert_no_violations(page)
        shot(page, tmp / f"consult-{device.name}.png", full_page=False)
        tap(page, "text=Review the advice and save")
        page.wait_for_selector("h1:has-text('Review the advice')")
        _reachable(page, "review page")
        assert_no_violations(page)
        tap(page, 'input[name="decline"][value="strap-stretch"]')
        tap(page, "#note-strap-stretch")
        page.fill("#note-strap-stretch", "hip pinches")
        tap(page, "#consent")  # a new client: their consent, read to them, ticked
        tap(page, "text=Save the consultation")  # Save, by tap
        page.wait_for_selector(".notice:has-text('Saved.')")
        _reachable(page, "visit page")
        assert_no_violations(page)
        context.close()
    saved = _history(db, "Zoë Ødegård")
    assert len(saved) == 1 and saved[0]["answers"]["knee_pain"] == []  # type: ignore[index]


def test_a_red_flag_puts_its_advice_on_screen_at_once(
    browser: Browser, device: Device, studio: tuple[str, Path]
) -> None:
    """Wherever the fitter is on the page: within 3 s the emergency advice is inside the viewport,
    and nothing covers it."""
    db, tmp = studio
    with running(db) as base:
        context = new_touch_context(browser, device)
        page = context.new_page()
        _start(page, base, "Ann")
        tap(page, 'input[name="rf_chest_pain"][value="true"]')
        started = time.monotonic()
        headline = page.locator("#advice .referral .headline")
        while True:
            box = headline.bounding_box() if headline.count() else None
            if box and "EMERGENCY" in headline.inner_text() and box["y"] >= 0 and box["y"] + 20 <= device.height:
                break
            assert time.monotonic() - started < 3, "the emergency advice is not on screen 3 s after the red flag"
            time.sleep(0.05)
        centre = page.evaluate(
            """() => { const r = document.querySelector('#advice .referral .headline').getBoundingClientRect();
                       const el = document.elementFromPoint(r.left + 10, r.top + r.height / 2);
                       return !!el && !!el.closest('#advice'); }"""
        )
        assert centre, "something covers the emergency advice"
        assert_no_violations(page)
        shot(page, tmp / f"red-flag-{device.name}.png", full_page=False)
        if device.name != "landscape":  # the sheet goes back to the answers, where the fitter was
            tap(page, "#close-advice")
            assert page.locator("#advice-bar").inner_text().startswith("Emergency")
        context.close()


def test_change_answers_keeps_everything(browser: Browser, device: Device, studio: tuple[str, Path]) -> None:
    db, _ = studio
    with running(db) as base:
        context = new_touch_context(browser, device)
        page = context.new_page()
        _start(page, base, "Bo")
        page.fill("#date", "2026-11-02")
        page.fill('input[name="age"]', "38")
        tap(page, 'input[name="discipline"][value="gravel"]')
        tap(page, 'input[name="knee_pain"][value="front"]')
        page.fill('[id="fit.before.saddle_height_mm"]', "721,5")
        page.fill('[id="fit.after.saddle_height_mm"]', "725")
        page.fill("#notes", "New cleats.\nLeft knee to watch.")
        tap(page, "text=Review the advice and save")
        page.wait_for_selector("h1:has-text('Review the advice')")
        page.once("dialog", lambda dialog: dialog.accept())
        tap(page, "button:has-text('Change answers')")
        page.wait_for_selector("h1:has-text('Consultation for Bo')")
        assert page.input_value("#client") == "Bo" and page.input_value("#date") == "2026-11-02"
        assert page.input_value('input[name="age"]') == "38"
        assert page.is_checked('input[name="discipline"][value="gravel"]')
        assert page.is_checked('input[name="knee_pain"][value="front"]')
        assert page.is_checked('input[name="rf_chest_pain"][value="false"]')
        assert page.input_value('[id="fit.before.saddle_height_mm"]') == "721,5"
        assert page.input_value('[id="fit.after.saddle_height_mm"]') == "725"
        assert page.input_value('[id="fit.after.cleat_left"]') == ""
        assert page.input_value("#notes") == "New cleats.\nLeft knee to watch."
        context.close()


def test_questions_appear_only_when_they_apply(browser: Browser, studio: tuple[str, Path]) -> None:
    from tests.browser import DEVICES

    db, _ = studio
    with running(db) as base:
        context = new_touch_context(browser, DEVICES[1])
        page = context.new_page()
        _start(page, base, "Cy")
        pregnant, score, crash = "#field-pregnant", "#field-back_pain_intensity", "#field-crash_kind"
        assert page.locator(pregnant).is_hidden() and page.locator(score).is_hidden()
        assert page.locator(crash).is_hidden() and page.locator("#section-follow_up").is_hidden()
        tap(page, 'input[name="sex"][value="female"]')
        assert page.locator(pregnant).is_visible()
        tap(page, 'input[name="sex"][value="male"]')
        assert page.locator(pregnant).is_hidden()
        tap(page, 'input[name="low_back_pain"][value="long_rides"]')
        assert page.locator(score).is_visible()
        page.fill('input[name="back_pain_intensity"]', "9")
        tap(page, 'input[name="low_back_pain"][value="none"]')
        assert page.locator(score).is_hidden()
        _live(page, "No warning signs")
        assert "7/10" not in page.locator("#advice").inner_text()  # a hidden answer is not sent
        # A radio can be cleared.
        tap(page, "#field-sex button.clear")
        assert not page.is_checked('input[name="sex"][value="male"]')
        assert page.locator("#field-sex button.clear").is_hidden()
        context.close()
        # Without the script every question shows, saying when it is asked.
        plain = new_touch_context(browser, DEVICES[1], java_script_enabled=False).new_page()
        plain.goto(base + "/consult")
        assert plain.locator(pregnant).is_visible()
        assert "Asked only when Sex: Female or Other" in plain.locator(pregnant).inner_text()
        plain.context.close()


def test_the_error_summary_takes_the_fitter_to_each_field(
    browser: Browser, device: Device, studio: tuple[str, Path]
) -> None:
    db, _ = studio
    with running(db) as base:
        context = new_touch_context(browser, device)
        page = context.new_page()
        page.goto(base + "/consult")
        page.fill('input[name="passive_slr_deg"]', "500")
        tap(page, "text=Review the advice and save")
        page.wait_for_selector("#error-summary")
        assert page.evaluate("document.activeElement.id") == "error-summary"
        assert page.locator('input[name="passive_slr_deg"]').get_attribute("aria-invalid") == "true"
        assert page.locator('#error-summary a[href="#client"]').count() == 1
        assert page.locator('#error-summary a[href="#q-rf_chest_pain-0"]').count() == 1
        assert_no_violations(page)
        _reachable(page, "consultation page with errors")
        tap(page, '#error-summary a[href="#q-passive_slr_deg"]')
        box = page.locator('input[name="passive_slr_deg"]').bounding_box()
        assert box is not None and 0 <= box["y"] <= device.height
        context.close()


def test_the_draft_is_resumed_after_the_tab_is_closed(browser: Browser, studio: tuple[str, Path]) -> None:
    from tests.browser import DEVICES

    db, _ = studio
    with running(db) as base:
        context = new_touch_context(browser, DEVICES[0])
        page = context.new_page()
        _start(page, base, "Dee")
        page.fill('input[name="age"]', "52")
        page.fill('[id="fit.before.saddle_height_mm"]', "700")
        page.fill("#notes", "bring the old shoes")
        _live(page, "No warning signs")
        page.wait_for_timeout(400)  # the last keystroke's update
        _live(page, "No warning signs")
        context.close()  # the tab (and the browser) closed without saving
        again = new_touch_context(browser, DEVICES[0]).new_page()
        again.goto(base + "/consult?client=Dee")
        assert "unsaved consultation" in again.locator(".notice").first.inner_text()
        assert again.input_value('input[name="age"]') == "52"
        assert again.is_checked('input[name="rf_fever_or_unwell"][value="false"]')
        assert again.input_value('[id="fit.before.saddle_height_mm"]') == "700"
        assert again.input_value("#notes") == "bring the old shoes"
        assert_no_violations(again)
        # Leaving with unsaved answers asks first.
        tap(again, 'input[name="sex"][value="female"]')
        asked: list[str] = []
        again.once("dialog", lambda dialog: (asked.append(dialog.type), dialog.dismiss()))
        again.locator("header a[href='/consult']").click()
        again.wait_for_timeout(300)
        assert asked == ["beforeunload"] and again.url.endswith("/consult?client=Dee")
        again.context.close()


def test_last_visits_measurements_are_taken_only_when_confirmed(browser: Browser, studio: tuple[str, Path]) -> None:
    from tests.browser import DEVICES

    db, _ = studio
    with running(db) as base:
        context = new_touch_context(browser, DEVICES[1])
        page = context.new_page()
        _start(page, base, "Eve")
        page.fill('input[name="passive_slr_deg"]', "62")
        page.fill('[id="fit.after.saddle_height_mm"]', "712")
        tap(page, "text=Review the advice and save")
        tap(page, "#consent")
        tap(page, "text=Save the consultation")
        page.wait_for_selector(".notice:has-text('Saved.')")
        page.goto(base + "/consult?client=Eve")
        assert page.input_value('input[name="passive_slr_deg"]') == ""
        assert "Last visit: 62°" in page.locator("#field-passive_slr_deg").inner_text()
        assert page.input_value('[id="fit.before.saddle_height_mm"]') == ""
        assert_no_violations(page)
        _reachable(page, "returning client's consultation")
        tap(page, "button[data-fill='same:flexibility']")
        assert page.input_value('input[name="passive_slr_deg"]') == "62"
        tap(page, "button[data-fill='same:fit']")
        assert page.input_value('[id="fit.before.saddle_height_mm"]') == "712"
        # Opened afresh (the draft set aside) and saved without "Same as last visit": not recorded.
        page.goto(base + "/consult?client=Eve&fresh=1")
        assert page.input_value('input[name="passive_slr_deg"]') == ""
        tap(page, "button[data-fill=safety-no]")
        tap(page, "text=Review the advice and save")
        tap(page, "text=Save the consultation")
        page.wait_for_selector(".notice:has-text('Saved.')")
        second = _history(db, "Eve")[1]["answers"]
        assert isinstance(second, dict) and "passive_slr_deg" not in second
        context.close()


def test_readme_pictures_of_the_studio_on_a_tablet(browser: Browser, studio: tuple[str, Path]) -> None:
    """The README's pictures, made here so they always show what the studio looks like."""
    from tests.browser import DEVICES

    db, tmp = studio
    with running(db) as base:
        for device, name in ((DEVICES[0], "studio-tablet-landscape.png"), (DEVICES[1], "studio-tablet-portrait.png")):
            context = new_touch_context(browser, device)
            page = context.new_page()
            _start(page, base, "Zoë Ødegård")
            page.fill('input[name="age"]', "47")
            tap(page, 'input[name="low_back_pain"][value="most_rides"]')
            page.fill('input[name="passive_slr_deg"]', "62")
            _live(page, "Strap stretch")
            page.locator("#section-flexibility").scroll_into_view_if_needed()
            shot(page, tmp / name, full_page=False)
            DOCS.mkdir(exist_ok=True)
            shutil.copy(tmp / name, DOCS / name)
            context.close()
