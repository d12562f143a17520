"""The records' pages by touch on the devices a fitter uses, through the harness in tests/browser.py:
a new client's consent on the review page, erasing a client, amending a visit, a fitter's own
login, and a name two clients share. At each step: nothing covered, focus never hidden, targets of
44 px, axe-core finding nothing at WCAG 2.1 A/AA, and a screenshot in the test's tmp_path."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from advisor.records.consent import CONSENT_VERSION
from advisor.records.store import Store, Who
from tests.browser import DEVICES, Device, assert_no_violations, new_touch_context, shot, sideways_overflow, tap
from tests.test_web_consult_touch import _live, _reachable, _start
from tests.test_web_records import stored_visit
from tests.web_server import running

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

PHONE = DEVICES[2]


@pytest.fixture
def records(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[str, Path]:
    monkeypatch.setenv("ADVISOR_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("ADVISOR_CONFIG_DIR", str(tmp_path / "config"))
    return str(tmp_path / "studio.db"), tmp_path


def _checked(page: Page, where: str, picture: Path) -> None:
    """The page as a fitter has it: reachable by touch, axe clean, no sideways scrolling; and a picture."""
    _reachable(page, where)
    assert_no_violations(page)
    assert not sideways_overflow(page), where
    shot(page, picture)


def _in_view(page: Page, selector: str, device: Device) -> bool:
    box = page.locator(selector).bounding_box()
    return box is not None and box["y"] >= 0 and box["y"] + box["height"] <= device.height


def test_a_new_clients_consent_by_touch(browser: Browser, device: Device, records: tuple[str, Path]) -> None:
    db, tmp = records
    with running(db) as base:
        context = new_touch_context(browser, device)
        page = context.new_page()
        _start(page, base, "Zoë Ødegård")
        tap(page, "#born")
        page.fill("#born", "1979-04-12")
        page.fill('input[name="passive_slr_deg"]', "62")
        _live(page, "Strap stretch")
        tap(page, "text=Review the advice and save")
        page.wait_for_selector("h1:has-text('Review the advice')")
        assert page.locator(".consent").is_visible() and not page.is_checked("#consent")
        assert "New client: Zoë Ødegård, born 1979-04-12" in page.locator(".who").inner_text()
        _checked(page, "review page asking for consent", tmp / f"consent-{device.name}.png")
        tap(page, 'input[name="decline"][value="strap-stretch"]')
        page.fill("#note-strap-stretch", "hip pinches")
        tap(page, "text=Save the consultation")  # without the client's consent
        page.wait_for_selector("#consent-error")
        assert page.evaluate("document.activeElement.id") == "consent"
        assert _in_view(page, "#consent-error", device)
        assert page.is_checked('input[name="decline"][value="strap-stretch"]')
        assert page.input_value("#note-strap-stretch") == "hip pinches"
        shot(page, tmp / f"consent-error-{device.name}.png", full_page=False)
        _checked(page, "review page, consent missing", tmp / f"consent-error-full-{device.name}.png")
        with Store(db) as store:
            assert store.clients() == []  # nothing kept without it
        tap(page, "#consent")
        tap(page, "text=Save the consultation")
        page.wait_for_selector(".notice:has-text('Saved.')")
        context.close()
    with Store(db) as store:
        (zoe,) = store.clients()
        assert zoe.consent_version == CONSENT_VERSION and zoe.born == dt.date(1979, 4, 12)
        assert [d.accepted for d in store.history(zoe)[0].decisions if d.item == "strap-stretch"] == [False]


@pytest.mark.parametrize("device", [DEVICES[1], PHONE], ids=["portrait", "phone"])
def test_erasing_a_client_by_touch(browser: Browser, device: Device, records: tuple[str, Path]) -> None:
    db, tmp = records
    with Store(db) as store:
        stored_visit(store, Who("Jo Lindqvist", dt.date(1985, 1, 9)))
        stored_visit(store, "Sam Okafor")
        jo = store.named("Jo Lindqvist")[0]
    with running(db) as base:
        context = new_touch_context(browser, device)
        page = context.new_page()
        page.goto(base + "/")
        tap(page, "a:has-text('Jo Lindqvist')")
        page.wait_for_selector("h1:has-text('Jo Lindqvist')")
        assert "1985-01-09" in page.locator(".facts").inner_text() and jo.id in page.locator(".facts").inner_text()
        _checked(page, "client page", tmp / f"client-{device.name}.png")
        tap(page, "text=Erase this client")
        page.wait_for_selector("h1:has-text('Erase Jo Lindqvist')")
        _checked(page, "erase confirmation", tmp / f"erase-{device.name}.png")
        tap(page, "#confirm")
        page.fill("#confirm", "Jo")
        tap(page, "text=Erase for good")
        page.wait_for_selector("#confirm-error")
        _checked(page, "erase confirmation, name mistyped", tmp / f"erase-error-{device.name}.png")
        page.fill("#confirm", "jo lindqvist")
        tap(page, "text=Erase for good")
        page.wait_for_selector("h1:has-text('records are erased')")
        _checked(page, "erased", tmp / f"erased-{device.name}.png")
        tap(page, "text=Back to the clients")
        page.wait_for_selector("h1:has-text('Clients')")
        assert "Jo Lindqvist" not in page.locator("main").inner_text()
        context.close()
    with Store(db) as store:
        assert [c.name for c in store.clients()] == ["Sam Okafor"]


@pytest.mark.parametrize("device", [DEVICES[0], PHONE], ids=["landscape", "phone"])
def test_amending_a_visit_by_touch(browser: Browser, device: Device, records: tuple[str, Path]) -> None:
    db, tmp = records
    with Store(db) as store:
        cid = stored_visit(store, "Alex Moreau", age=51)
    with running(db) as base:
        context = new_touch_context(browser, device)
        page = context.new_page()
        page.goto(f"{base}/visits/{cid}")
        tap(page, "a[href$='/amend']")
        page.wait_for_selector("h1:has-text('Amend Alex Moreau')")
        assert page.input_value('input[name="age"]') == "51" and page.input_value("#notes") == "first notes"
        _checked(page, "amendment form", tmp / f"amend-{device.name}.png")
        tap(page, 'input[name="knee_pain"][value="front"]')
        _live(page, "Knee")
        tap(page, "text=Review the amended advice")  # no reason given
        page.wait_for_selector("#error-summary")
        assert page.locator('#error-summary a[href="#reason"]').count() == 1
        assert page.is_checked('input[name="knee_pain"][value="front"]')  # nothing lost
        tap(page, '#error-summary a[href="#reason"]')
        page.fill("#reason", "front knee pain was left out")
        tap(page, "text=Review the amended advice")
        page.wait_for_selector("h1:has-text('Review the amendment')")
        _checked(page, "amendment review", tmp / f"amend-review-{device.name}.png")
        tap(page, "text=Save the amendment")
        page.wait_for_selector(".notice:has-text('Amended.')")
        assert "front knee pain was left out" in page.locator(".amended").inner_text()
        assert "Revision 1" in page.locator(".revisions").inner_text()
        _checked(page, "amended visit", tmp / f"amended-{device.name}.png")
        context.close()
    with Store(db) as store:
        visit = store.consultation(cid)
        assert visit.revision == 2 and visit.answers["knee_pain"] == ["front"] and visit.notes == "first notes"


def test_a_fitter_logs_in_by_name_by_touch(browser: Browser, records: tuple[str, Path]) -> None:
    db, tmp = records
    with Store(db) as store:
        store.add_user("Ana Lind", "saddle-height-721", actor="test")
    with running(db) as base:
        context = new_touch_context(browser, PHONE)
        page = context.new_page()
        page.goto(base + "/")
        page.wait_for_selector("h1:has-text('Log in')")
        _checked(page, "login with accounts", tmp / "login-accounts-phone.png")
        tap(page, "#name")
        page.fill("#name", "Ana Lind")
        tap(page, "#password")
        page.fill("#password", "saddle-height-721")
        tap(page, "button:has-text('Log in')")
        page.wait_for_selector("h1:has-text('Clients')")
        assert page.locator(".fitter").inner_text() == "Logged in as Ana Lind"
        _checked(page, "clients, logged in", tmp / "clients-logged-in-phone.png")
        tap(page, "button:has-text('Log out')")
        page.wait_for_selector("h1:has-text('Log in')")
        context.close()


def test_a_shared_name_is_chosen_by_touch(browser: Browser, records: tuple[str, Path]) -> None:
    db, tmp = records
    with Store(db) as store:
        stored_visit(store, Who("Anna Rossi", dt.date(1980, 2, 1)))
        stored_visit(store, Who("Anna Rossi", dt.date(1992, 6, 15)), day=3)
        younger = next(c for c in store.named("Anna Rossi") if c.born == dt.date(1992, 6, 15))
    with running(db) as base:
        context = new_touch_context(browser, DEVICES[1])
        page = context.new_page()
        _start(page, base, "Anna Rossi")
        tap(page, "text=Review the advice and save")
        page.wait_for_selector("fieldset.which")
        _checked(page, "which Anna", tmp / "which-portrait.png")
        tap(page, f'input[name="client_id"][value="{younger.id}"]')
        tap(page, "text=Review the advice and save")
        page.wait_for_selector("h1:has-text('Review the advice')")
        assert younger.id in page.locator(".who").inner_text()
        assert page.locator("#consent").count() == 0  # she consented at her first visit
        tap(page, "text=Save the consultation")
        page.wait_for_selector(".notice:has-text('Saved.')")
        context.close()
    with Store(db) as store:
        assert len(store.history(younger)) == 2
