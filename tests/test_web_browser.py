"""The studio in a real browser: Debian's Chromium driven by Playwright, with JavaScript on and off.

A fitter fills a consultation, watches the advice beside the form turn to an emergency on a red
flag, saves, and downloads the PDF; the same again with JavaScript off.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from advisor.core.rulebase import questionnaire as qmod
from tests.web_server import running

if TYPE_CHECKING:
    from playwright.sync_api import Browser

# The session's Chromium comes from the `browser` fixture (tests/browser.py): without Chromium or
# Playwright these tests skip, or fail under ADVISOR_REQUIRE_BROWSER=1 as in CI.
SAFETY = [q.id for q in qmod.load("fitter").questions if q.id.startswith("rf_")]


def _fill(page, client: str) -> None:  # type: ignore[no-untyped-def]
    page.fill("#client", client)
    for qid in SAFETY:
        page.check(f'input[name="{qid}"][value="false"]')
    page.fill("#q-passive_slr_deg", "62")
    page.check('input[name="low_back_pain"][value="long_rides"]')


def test_a_consultation_with_live_advice_a_red_flag_a_save_and_the_pdf(tmp_path: Path, browser: Browser) -> None:
    from playwright import sync_api

    with (
        running(tmp_path / "studio.db") as base,
        browser.new_context(viewport={"width": 1280, "height": 900}, accept_downloads=True) as context,
    ):
        page = context.new_page()
        page.goto(base + "/consult")
        advice = page.locator("#advice")
        assert page.locator("#advice-status").get_attribute("role") == "status"
        _fill(page, "Zoë Ødegård")
        sync_api.expect(advice).to_contain_text("No warning signs", timeout=10_000)
        sync_api.expect(advice).to_contain_text("Strap stretch")
        page.screenshot(path=str(tmp_path / "consultation.png"), full_page=False)
        # A red flag turns the advice into the emergency advice at once, without a reload.
        page.check('input[name="rf_chest_pain"][value="true"]')
        sync_api.expect(advice).to_contain_text("EMERGENCY", timeout=10_000)
        sync_api.expect(advice).not_to_contain_text("Strap stretch")
        page.check('input[name="rf_chest_pain"][value="false"]')
        sync_api.expect(advice).to_contain_text("No warning signs", timeout=10_000)
        # The fit record, typed with decimal commas as a fitter in much of Europe types them.
        page.fill('[id="fit.before.saddle_tilt_deg"]', "-1,5")
        page.fill('[id="fit.after.saddle_tilt_deg"]', "0")
        page.fill('[id="fit.before.saddle_height_mm"]', "721,5")
        page.click("text=Review the advice and save")
        sync_api.expect(page.locator("table.fit")).to_contain_text("-1.5")
        page.check('input[name="decline"][value="strap-stretch"]')
        page.fill("#note-strap-stretch", "hip pinches")
        page.check("#consent")
        page.click("text=Save the consultation")
        sync_api.expect(page.locator(".notice")).to_contain_text("Saved.")
        fit = page.locator("table.fit")
        sync_api.expect(fit).to_contain_text("-1.5")
        sync_api.expect(fit).to_contain_text("721.5")
        # The PDF opens in the tablet's viewer (to show the client), named for the client.
        link = page.locator("a[href$='report.pdf']")
        response = page.request.get(base + str(link.get_attribute("href")))
        assert response.body().startswith(b"%PDF")
        disposition = response.headers["content-disposition"]
        assert disposition.startswith("inline;") and "Zo%C3%AB%20%C3%98deg%C3%A5rd" in disposition
        link.click()
        page.wait_for_url("**/report.pdf")


def test_the_same_without_javascript(tmp_path: Path, browser: Browser) -> None:
    from playwright import sync_api

    with running(tmp_path / "studio.db") as base, browser.new_context(java_script_enabled=False) as context:
        page = context.new_page()
        page.goto(base + "/consult")
        _fill(page, "Sam")
        page.click("text=Review the advice and save")
        sync_api.expect(page.locator("#advice")).to_contain_text("No warning signs")
        page.check("#consent")
        page.click("text=Save the consultation")
        sync_api.expect(page.locator(".notice")).to_contain_text("Saved.")
        assert page.locator("a[href$='report.pdf']").count() == 1
