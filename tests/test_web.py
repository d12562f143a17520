"""The studio over HTTP: headers, login, CSRF, escaping, the form's names, saves under load.

The tests that save and read consultations run on a SQLite file and on a PostgreSQL store.
"""

from __future__ import annotations

import html
import json
import re
import sqlite3
import threading
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import httpx
import pytest
from starlette.testclient import TestClient
from typer.testing import CliRunner

from advisor.cli import app as cli
from advisor.core.rulebase import questionnaire as qmod
from advisor.records import config
from advisor.records.store import Store
from advisor.web import security
from advisor.web.app import create_app
from tests.postgres_server import PASSWORD, PostgresServer
from tests.web_server import running

FORM = qmod.load("fitter")
SAFE = {q.id: "false" for q in FORM.questions if q.id.startswith("rf_")}


def csrf(page: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', page)
    assert found, "no CSRF token on the page"
    return found.group(1)


def answers(**extra: str) -> dict[str, str]:
    return {**SAFE, "passive_slr_deg": "62", "low_back_pain": "long_rides", "back_pain_intensity": "3", **extra}


@pytest.fixture
def studio(tmp_path: Path) -> TestClient:
    return TestClient(create_app(str(tmp_path / "studio.db")), base_url="http://127.0.0.1")


@pytest.fixture
def studio_on(store_at: str) -> Iterator[tuple[TestClient, str]]:
    """The studio on either store (conftest.py), and where its records are; started and
    stopped as a server is (its lifespan closes the store)."""
    with TestClient(create_app(store_at), base_url="http://127.0.0.1") as client:
        yield client, store_at


def _save_form(review: str, client: str, date: str) -> dict[str, str]:
    """What the review page's Save sends, with the client's consent ticked: its CSRF and save
    tokens and the fit record it carries in hidden fields (the answers are added by the test)."""
    token = re.search(r'name="save_token" value="([^"]+)"', review)
    assert token
    hidden = dict(re.findall(r'<input type="hidden" name="(fit\.[^"]+)" value="([^"]*)"', review))
    return {
        "csrf": csrf(review),
        "save_token": token.group(1),
        "client": client,
        "date": date,
        "consent": "yes",
        **hidden,
    }


def test_every_page_sends_the_security_headers(studio: TestClient) -> None:
    for path in ("/", "/consult", "/login"):
        r = studio.get(path)
        assert r.status_code == 200, path
        assert "default-src 'self'" in r.headers["content-security-policy"]
        assert "frame-ancestors 'none'" in r.headers["content-security-policy"]
        assert r.headers["x-content-type-options"] == "nosniff"
        assert r.headers["x-frame-options"] == "DENY"
        assert r.headers["cache-control"] == "no-store"
    static = studio.get("/static/studio.js")
    assert static.status_code == 200 and "no-store" not in static.headers.get("cache-control", "")


def test_the_form_speaks_the_answer_files_language(studio: TestClient) -> None:
    page = studio.get("/consult").text
    assert '<input id="client" name="client"' in page
    for q in FORM.questions:
        assert f'name="{q.id}"' in page, q.id
    assert 'name="rf_chest_pain" value="true"' in page and 'name="rf_chest_pain" value="false"' in page
    # Numbers are typed as text with a number keypad: a browser's number field drops a decimal
    # comma (1,5 would arrive as 15), and the studio reads "1,5" as an answer file's 1.5.
    assert re.search(r'name="passive_slr_deg" inputmode="(numeric|decimal)"', page)
    assert 'type="number"' not in page
    assert len(re.findall(r'type="checkbox" id="q-knee_pain-\d" name="knee_pain"', page)) == 4
    assert 'id="q-knee_pain-none" name="knee_pain" value="none"' in page  # "no knee pain" can be recorded
    # The safety screen comes first.
    assert page.index('id="section-safety"') < page.index('id="section-rider"')
    assert 'id="advice"' in page and 'role="status"' in page


def test_live_advice_follows_the_answers_and_a_red_flag_at_once(studio: TestClient) -> None:
    token = csrf(studio.get("/consult").text)
    quiet = studio.post("/consult/advice", data={"csrf": token, "client": "Ana", **answers()})
    assert (
        quiet.status_code == 200 and "No warning signs" in quiet.text and 'data-exercise="strap-stretch"' in quiet.text
    )
    red = studio.post("/consult/advice", data={"csrf": token, "client": "Ana", **answers(rf_chest_pain="true")})
    assert "EMERGENCY" in red.text and "data-exercise" not in red.text
    partial = studio.post("/consult/advice", data={"csrf": token, "rf_chest_pain": "false"})
    assert "safety screen" in partial.text


def test_live_advice_says_what_the_report_says_for_this_rider(studio: TestClient) -> None:
    """The notes under the headline and on each exercise, what is held back and when to
    re-assess are on the tablet as in the terminal and the report."""
    token = csrf(studio.get("/consult").text)
    after_birth = studio.post(
        "/consult/advice",
        data={"csrf": token, "client": "Ana", **answers(age="16", sex="female", given_birth_last_year="true")},
    ).text
    assert "parent or guardian" in after_birth and "pelvic health" in after_birth
    assert "ridge or a dip" in after_birth  # the deadbug's watch for abdominal separation
    assert "Re-assess:" in after_birth
    leg = studio.post("/consult/advice", data={"csrf": token, "client": "Ana", **answers(pain_below_knee="true")}).text
    assert "Held back for now" in leg and "Book a physical therapist within 1-2 weeks" in leg


def test_without_javascript_the_form_posts_and_the_advice_page_saves(studio_on: tuple[TestClient, str]) -> None:
    studio, records = studio_on
    token = csrf(studio.get("/consult").text)
    review = studio.post("/consult/review", data={"csrf": token, "client": "Ana", **answers()})
    assert review.status_code == 200 and "Save the consultation" in review.text
    saved = studio.post(
        "/consult/save",
        data={
            "csrf": csrf(review.text),
            "client": "Ana",
            "date": "2026-11-30",
            "consent": "yes",
            **answers(),
            "decline": ["strap-stretch"],
            "note-strap-stretch": "hip pinches",
        },
        follow_redirects=False,
    )
    assert saved.status_code == 303
    visit = studio.get(saved.headers["location"])
    assert "report.pdf" in visit.text
    pdf = studio.get(saved.headers["location"] + "/report.pdf")
    assert pdf.content.startswith(b"%PDF") and pdf.headers["cache-control"] == "no-store"
    # The same record the CLI reads.
    history = CliRunner().invoke(cli, ["history", "Ana", "--db", records, "--format", "json"])
    assert '"declined"' not in history.stdout and '"strap-stretch"' in history.stdout
    assert '"accepted": false' in history.stdout


def test_saving_one_reviewed_form_twice_records_one_visit(studio_on: tuple[TestClient, str]) -> None:
    """A double click on Save sends the form twice: the second post leads to the first visit."""
    studio, records = studio_on
    start = csrf(studio.get("/consult").text)
    review = studio.post("/consult/review", data={"csrf": start, "client": "Bo", **answers()})
    token = re.search(r'name="save_token" value="([^"]+)"', review.text)
    assert token, "the review form carries no save token"
    form = {
        "csrf": csrf(review.text),
        "save_token": token.group(1),
        "client": "Bo",
        "date": "2026-11-30",
        "consent": "yes",
        **answers(),
    }
    first = studio.post("/consult/save", data=form, follow_redirects=False)
    again = studio.post("/consult/save", data=form, follow_redirects=False)
    assert first.status_code == again.status_code == 303
    assert first.headers["location"] == again.headers["location"]
    listed = CliRunner().invoke(cli, ["history", "Bo", "--db", records, "--format", "json"])
    assert len(json.loads(listed.stdout)) == 1, listed.stdout
    # Back to the review page, a decision changed, saved again: that is a consultation of its
    # own, not lost; nor does the token lead another client's form to Bo's visit.
    changed = studio.post("/consult/save", data={**form, "decline": "strap-stretch"}, follow_redirects=False)
    other_client = studio.post("/consult/save", data={**form, "client": "Cy"}, follow_redirects=False)
    assert len({first.headers["location"], changed.headers["location"], other_client.headers["location"]}) == 3
    listed = CliRunner().invoke(cli, ["history", "Bo", "--db", records, "--format", "json"])
    assert len(json.loads(listed.stdout)) == 2, listed.stdout
    # Each review gives its form a token of its own.
    second_review = studio.post("/consult/review", data={"csrf": csrf(review.text), "client": "Bo", **answers()})
    other = re.search(r'name="save_token" value="([^"]+)"', second_review.text)
    assert other and other.group(1) != token.group(1)


@pytest.mark.parametrize("name", ["..", ".", "Bo/..", "a&b=c #1 +"])
def test_every_client_name_opens_its_page_from_the_list(studio: TestClient, name: str) -> None:
    """A browser folds "." and ".." out of an address's path, so a client's page takes the name
    in the query; the list links there, and the page is that client's."""
    token = csrf(studio.get("/consult").text)
    saved = studio.post(
        "/consult/save",
        data={"csrf": token, "client": name, "date": "2026-11-30", "consent": "yes", **answers()},
        follow_redirects=False,
    )
    assert saved.status_code == 303
    listing = studio.get("/").text
    link = re.search(r'<a class="row-link" href="(/client\?id=c-[a-z0-9]+)">', listing)
    assert link, listing
    href = html.unescape(link.group(1))
    assert ".." not in href.split("?")[0]  # nothing a browser could fold
    page = studio.get(href)
    assert page.status_code == 200 and "2026-11-30" in page.text
    assert html.escape(name) in page.text


def test_the_fit_record_is_entered_saved_and_carried_to_the_next_visit(studio_on: tuple[TestClient, str]) -> None:
    """The bike's settings before and after, read as `advisor consult` reads them: checked,
    shown on the review before saving, stored, in the visit and its report, and offered as a
    hint next time (never stored unless typed)."""
    studio, records = studio_on
    page = studio.get("/consult").text
    assert 'name="fit.before.saddle_height_mm"' in page and 'name="fit.after.cleat_left"' in page
    fit = {
        "fit.before.saddle_height_mm": "721",
        "fit.after.saddle_height_mm": "715,5",  # a decimal comma, as typed
        "fit.before.cleat_left": "worn",  # after left empty: unchanged today
        "fit.before.spacers_mm": "-",  # not measured
        "fit.before.bar_drop_mm": "80",
        "fit.after.bar_drop_mm": "-",  # measured before, not after
    }
    bad = studio.post("/consult/review", data={"csrf": csrf(page), "client": "Di", **answers(), **fit,
                                               "fit.after.saddle_tilt_deg": "40"})  # fmt: skip
    # Sent back exactly as typed: the comma kept, and "after" left empty where it was empty.
    assert bad.status_code == 422 and "out of range" in bad.text and 'value="715,5"' in bad.text
    assert re.search(r'id="fit.after.cleat_left"[^>]*value=""', bad.text)
    assert 'aria-describedby="fit.after.saddle_tilt_deg-error"' in bad.text
    assert 'href="#fit.after.saddle_tilt_deg"' in bad.text  # the error summary links to the field
    assert "No warning signs" in bad.text  # the advice stays, beside the setting to mend
    review = studio.post("/consult/review", data={"csrf": csrf(page), "client": "Di", **answers(), **fit})
    assert review.status_code == 200
    assert "Fit record: the bike before and after" in review.text and "715.5" in review.text
    form = _save_form(review.text, "Di", "2026-11-30")
    saved = studio.post("/consult/save", data={**form, **answers()}, follow_redirects=False)
    assert saved.status_code == 303
    again_saved = studio.post("/consult/save", data={**form, **answers()}, follow_redirects=False)
    assert again_saved.headers["location"] == saved.headers["location"]  # a double click, with a fit record
    visit = studio.get(saved.headers["location"]).text
    report = studio.get(saved.headers["location"] + "/report.html").text
    for shown in (visit, report):
        assert "Fit record: the bike before and after" in shown and "715.5" in shown
    listed = json.loads(CliRunner().invoke(cli, ["history", "Di", "--db", records, "--format", "json"]).stdout)
    assert len(listed) == 1
    assert listed[0]["fit"]["before"] == {"saddle_height_mm": 721.0, "cleat_left": "worn", "bar_drop_mm": 80.0}
    assert listed[0]["fit"]["after"] == {"saddle_height_mm": 715.5, "cleat_left": "worn"}
    # Next time the bike as this visit left it is shown as last visit's, not as today's value,
    # and "Same as last visit" takes it as today's "before" only when pressed.
    again = studio.get("/consult?client=Di").text
    assert re.search(r'name="fit.before.saddle_height_mm"[^>]*value=""[^>]*data-last="715.5"', again)
    assert re.search(r'name="fit.before.bar_drop_mm"[^>]*data-last="80"', again)
    assert re.search(r'<td class="last">(<span[^<]*</span>)?715.5</td>', again)
    same = studio.post("/consult/form", data={"csrf": csrf(again), "client": "Di", **answers(), "fill": "same:fit"})
    assert re.search(r'name="fit.before.saddle_height_mm"[^>]*value="715.5"', same.text)
    assert re.search(r'name="fit.after.saddle_height_mm"[^>]*value=""', same.text)


def test_the_fitter_from_the_settings_is_shown_and_kept_with_each_visit(
    studio_on: tuple[TestClient, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The studio's header names the fitter of the settings; a saved visit keeps the name, so
    its page and report still name who fitted it after the settings change. The fit table has
    its change column and the bike above it."""
    monkeypatch.setenv("ADVISOR_CONFIG_DIR", str(tmp_path / "config"))
    studio, _ = studio_on
    assert 'class="fitter"' not in studio.get("/consult").text  # not set: nobody named
    config.set_value("studio.fitter", "Ana Lind")
    page = studio.get("/consult").text
    assert '<p class="fitter">Fitter: Ana Lind</p>' in page
    fit = {
        "fit.before.bike_make": "Canyon",
        "fit.before.bike_model": "Endurace CF",
        "fit.before.bike_size": "M",
        "fit.before.handlebar_stack_mm": "590",
        "fit.after.handlebar_stack_mm": "605",
        "fit.before.hood_reach_mm": "555,5",
        "fit.after.hood_reach_mm": "545",
    }
    review = studio.post("/consult/review", data={"csrf": csrf(page), "client": "Di", **answers(), **fit})
    assert review.status_code == 200 and '<p class="fitter">Fitter: Ana Lind</p>' in review.text
    form = _save_form(review.text, "Di", "2026-11-30")
    saved = studio.post("/consult/save", data={**form, **answers()}, follow_redirects=False)
    assert saved.status_code == 303
    config.set_value("studio.fitter", "Ben Roy")
    visit = studio.get(saved.headers["location"]).text
    report = studio.get(saved.headers["location"] + "/report.html").text
    assert '<p class="fitter">Fitter: Ben Roy</p>' in visit  # who is fitting now
    assert '<p class="fitted-by">Fitted by Ana Lind</p>' in visit  # who fitted this visit
    assert "Fitted by Ana Lind" in report and "Ben Roy" not in report
    for shown in (review.text, visit, report):
        assert "Bike: Canyon Endurace CF, size M" in shown and '<th scope="col">Change</th>' in shown
        assert '<td class="change"><strong>+15 mm</strong></td>' in shown
        assert '<td class="change"><strong>\u221210.5 mm</strong></td>' in shown
        assert "<td>Bike make</td>" not in shown


def test_a_mistyped_setting_never_hides_an_emergency(studio: TestClient) -> None:
    page = studio.get("/consult").text
    data = {"csrf": csrf(page), "client": "Ed", **answers(rf_chest_pain="true"), "fit.after.saddle_height_mm": "7155"}
    back = studio.post("/consult/review", data=data)
    assert back.status_code == 422 and "out of range" in back.text and "EMERGENCY" in back.text


def test_a_bad_answer_comes_back_with_its_message(studio: TestClient) -> None:
    token = csrf(studio.get("/consult").text)
    r = studio.post("/consult/review", data={"csrf": token, "client": "Ana", **answers(passive_slr_deg="400")})
    assert r.status_code == 422 and "out of range" in r.text and 'value="400"' in r.text


def test_a_missing_or_wrong_csrf_token_changes_nothing(studio: TestClient, tmp_path: Path) -> None:
    studio.get("/consult")
    for token in (None, "forged"):
        data = {"client": "Mallory", "date": "2026-11-30", "consent": "yes", **answers()}
        if token:
            data["csrf"] = token
        assert studio.post("/consult/save", data=data).status_code == 403
    assert not (tmp_path / "studio.db").exists() or _count(tmp_path / "studio.db") == 0


def _count(db: Path) -> int:
    with sqlite3.connect(db) as conn:
        return int(conn.execute("SELECT count(*) FROM consultations").fetchone()[0])


def test_hostile_client_names_are_escaped_everywhere(studio: TestClient) -> None:
    name = '<script>alert("x")</script><img src=x onerror=alert(1)>'
    token = csrf(studio.get("/consult").text)
    saved = studio.post(
        "/consult/save",
        data={"csrf": token, "client": name, "date": "2026-11-30", "consent": "yes", **answers()},
        follow_redirects=False,
    )
    assert saved.status_code == 303
    for page in (
        studio.get("/").text,
        studio.get(saved.headers["location"]).text,
        studio.get("/consult?client=" + name).text,
    ):
        assert "<script>alert" not in page and "<img src=x" not in page
        assert "&lt;script&gt;" in page


def test_a_password_means_a_login_slow_wrong_guesses_and_a_safe_cookie(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    waits: list[float] = []

    async def sleep(seconds: float) -> None:
        waits.append(seconds)

    monkeypatch.setattr(security.asyncio, "sleep", sleep)
    studio = TestClient(create_app(str(tmp_path / "studio.db"), password="correct horse"), base_url="http://127.0.0.1")
    assert studio.get("/", follow_redirects=False).status_code == 303
    assert studio.get("/consult", follow_redirects=False).headers["location"].startswith("/login")
    token = csrf(studio.get("/login").text)
    for _ in range(3):
        assert studio.post("/login", data={"csrf": token, "password": "wrong"}).status_code == 401
    assert waits == sorted(waits) and waits[-1] > waits[0]  # each wrong guess waits longer
    assert studio.post("/login", data={"password": "correct horse"}).status_code == 403  # no token
    ok = studio.post("/login", data={"csrf": token, "password": "correct horse"}, follow_redirects=False)
    assert ok.status_code == 303
    cookie = ok.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=lax" in cookie
    assert studio.get("/").status_code == 200


def test_serving_beyond_this_computer_needs_a_password(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ADVISOR_PASSWORD", raising=False)
    result = CliRunner().invoke(cli, ["serve", "--host", "0.0.0.0"])
    assert result.exit_code == 2 and "a password is needed" in result.stderr
    assert security.is_loopback("127.0.0.1") and security.is_loopback("::1") and not security.is_loopback("0.0.0.0")


def test_twenty_fitters_saving_at_once_lose_nothing(store_at: str) -> None:
    with running(store_at) as base:
        failures: list[str] = []

        def one(n: int) -> None:
            with httpx.Client(base_url=base, timeout=60, follow_redirects=True) as client:
                token = csrf(client.get("/consult").text)
                data = {"csrf": token, "client": f"Rider {n}", "date": "2026-11-30", "consent": "yes", **answers()}
                r = client.post("/consult/save", data=data)
                if r.status_code != 200 or "Saved." not in r.text:
                    failures.append(f"{n}: {r.status_code}")

        threads = [threading.Thread(target=one, args=(n,)) for n in range(20)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    assert failures == []
    with Store(store_at) as store:
        assert sorted(c.visits for c in store.clients()) == [1] * 20


def test_a_returning_client_finds_last_visits_answers_but_not_the_safety_screen(
    studio_on: tuple[TestClient, str],
) -> None:
    studio, _ = studio_on
    token = csrf(studio.get("/consult").text)
    data = {
        "csrf": token,
        "client": "Ana",
        "date": "2026-11-30",
        "consent": "yes",
        **answers(age="47", discipline="gravel"),
    }
    assert studio.post("/consult/save", data=data, follow_redirects=False).status_code == 303
    page = studio.get("/consult?client=ana").text  # names match whatever their case
    # The rider's details and riding are filled in; the safety screen is asked afresh.
    assert re.search(r'name="age"[^>]*value="47"', page) and 'value="gravel" checked' in page
    assert 'name="rf_chest_pain" value="false" checked' not in page
    # What may have changed (a measurement, a symptom) is left to answer today, last visit's
    # answer beside it, taken as today's only when the fitter says "Same as last visit".
    assert re.search(r'name="passive_slr_deg"[^>]*value=""', page) and "Last visit: 62°" in page
    assert 'value="long_rides" checked' not in page and "Last visit: Only on long rides" in page
    fields = {"csrf": csrf(page), "client": "Ana", "fill": "same:flexibility"}
    same = studio.post("/consult/form", data=fields).text
    assert re.search(r'name="passive_slr_deg"[^>]*value="62"', same)
    assert 'value="long_rides" checked' not in same  # another section: not taken
    symptoms = studio.post("/consult/form", data={**fields, "fill": "same:symptoms"}).text
    assert 'value="long_rides" checked' in symptoms


def test_serve_prints_its_address_and_stops_cleanly_on_sigterm(tmp_path: Path) -> None:
    import os
    import signal

    from tests.web_server import free_port, serve_process

    port = free_port()
    env = {**os.environ, "ADVISOR_DB": str(tmp_path / "studio.db"), "ADVISOR_PASSWORD": "s3cret-studio"}
    proc = serve_process(port, env)
    assert proc.stdout is not None
    line = proc.stdout.readline()
    assert f"http://127.0.0.1:{port}/" in line
    for _ in range(100):  # the page answers once it is up
        try:
            r = httpx.post(f"http://127.0.0.1:{port}/login", data={"password": "s3cret-studio"}, timeout=2)
            break
        except httpx.ConnectError:
            import time

            time.sleep(0.05)
    assert r.status_code == 403  # no CSRF token
    proc.send_signal(signal.SIGTERM)
    out, err = proc.communicate(timeout=15)
    # uvicorn finishes the requests in flight, then lets SIGTERM end the process as usual.
    assert proc.returncode in (0, -signal.SIGTERM)
    assert "s3cret-studio" not in out + err and "Traceback" not in err


def test_every_control_has_a_label(studio: TestClient) -> None:
    """Screen readers and keyboards: each visible input is inside its label or named by one."""
    from html.parser import HTMLParser

    class Controls(HTMLParser):
        def __init__(self) -> None:
            super().__init__()
            self.depth = 0  # inside <label>
            self.for_ids: set[str] = set()
            self.unlabelled: list[str] = []
            self.ids: list[tuple[str, str]] = []

        def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
            a = dict(attrs)
            if tag == "label":
                self.depth += 1
                if a.get("for"):
                    self.for_ids.add(a["for"] or "")
            if tag in ("input", "select", "textarea") and a.get("type") != "hidden":
                if self.depth:
                    return
                self.ids.append((a.get("id") or "", a.get("name") or ""))

        def handle_endtag(self, tag: str) -> None:
            if tag == "label":
                self.depth -= 1

    for path in ("/consult", "/"):
        parser = Controls()
        parser.feed(studio.get(path).text)
        missing = [name for control_id, name in parser.ids if control_id not in parser.for_ids]
        assert missing == [], (path, missing)


def test_a_foreign_host_name_gets_nothing_without_a_password(tmp_path: Path) -> None:
    """DNS rebinding: a page elsewhere that points its name at 127.0.0.1 must not read the records."""
    foreign = TestClient(create_app(str(tmp_path / "studio.db")), base_url="http://attacker.example:8000")
    assert foreign.get("/").status_code == 400 and foreign.get("/consult").status_code == 400
    assert (
        TestClient(create_app(str(tmp_path / "studio.db")), base_url="http://localhost:8000").get("/").status_code
        == 200
    )


def test_parallel_wrong_guesses_queue_and_each_waits_longer(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import asyncio

    waits: list[float] = []

    async def sleep(seconds: float) -> None:
        waits.append(seconds)

    monkeypatch.setattr(security.asyncio, "sleep", sleep)
    throttle = security.Throttle()

    async def guesses() -> list[bool]:
        tries = [throttle.check("10.0.0.9", f"guess {n}", "right") for n in range(5)]
        return [*await asyncio.gather(*tries), await throttle.check("10.0.0.9", "right", "right")]

    results = asyncio.run(guesses())
    assert results == [False] * 5 + [True]
    assert waits == [0.5, 1.0, 2.0, 4.0, 8.0]  # one at a time; even the right one waited its turn


def test_live_advice_reads_the_last_visit_as_the_saved_consultation_will(studio_on: tuple[TestClient, str]) -> None:
    studio, _ = studio_on
    token = csrf(studio.get("/consult").text)
    first = {"csrf": token, "client": "Ana", "date": "2026-01-10", "consent": "yes", **answers(back_pain_intensity="2")}
    assert studio.post("/consult/save", data=first, follow_redirects=False).status_code == 303
    worse = {"csrf": token, "client": "Ana", "date": "2026-11-30", "consent": "yes", **answers(back_pain_intensity="5")}
    live = studio.post("/consult/advice", data=worse).text
    review = studio.post("/consult/review", data=worse).text
    assert (
        "Book a physical therapist within 1-2 weeks" in live and "Book a physical therapist within 1-2 weeks" in review
    )


def test_odd_requests_get_short_refusals_with_the_headers(studio: TestClient) -> None:
    odd = ("/visits/99999999999999999999999", "/visits/" + "9" * 5000, "/visits/x/report.pdf", "/visits/²")
    for path in odd:
        r = studio.get(path)
        assert (
            r.status_code == 404 and r.headers["cache-control"] == "no-store" and "content-security-policy" in r.headers
        )
    studio.get("/consult")
    big = studio.post(
        "/consult/advice", content=b"a=" + b"x" * 400_000, headers={"content-type": "application/x-www-form-urlencoded"}
    )
    assert big.status_code == 413
    upload = studio.post("/consult/save", files={"client": ("a.txt", b"Ana")})
    assert upload.status_code == 400


def test_logging_out_ends_the_session_even_for_a_copied_cookie(tmp_path: Path) -> None:
    app_ = create_app(str(tmp_path / "studio.db"), password="a studio password")
    fitter = TestClient(app_, base_url="http://127.0.0.1")
    before = csrf(fitter.get("/login").text)
    fitter.post("/login", data={"csrf": before, "password": "a studio password"})
    assert csrf(fitter.get("/").text) != before  # a new session at login
    copied = dict(fitter.cookies)
    fitter.post("/logout", data={"csrf": csrf(fitter.get("/").text)})
    thief = TestClient(app_, base_url="http://127.0.0.1", cookies=copied)
    assert thief.get("/", follow_redirects=False).status_code == 303
    assert "Log out" not in TestClient(app_, base_url="http://127.0.0.1").get("/login").text


def test_a_password_of_spaces_is_no_password(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ADVISOR_PASSWORD", "   ")
    result = CliRunner().invoke(cli, ["serve", "--host", "0.0.0.0"])
    assert result.exit_code == 2 and "a password is needed" in result.stderr


def test_a_tampered_note_is_stored_on_one_line(studio: TestClient, tmp_path: Path) -> None:
    token = csrf(studio.get("/consult").text)
    data = {"csrf": token, "client": "Ana", "date": "2026-11-30", "consent": "yes", **answers()}
    data |= {"decline": "strap-stretch", "note-strap-stretch": "hip\n# pinches\x1b[2J" + "x" * 3000}
    assert studio.post("/consult/save", data=data, follow_redirects=False).status_code == 303
    with sqlite3.connect(tmp_path / "studio.db") as conn:
        (note,) = conn.execute("SELECT note FROM decisions WHERE item = 'strap-stretch'").fetchone()
    assert note.startswith("hip # pinches [2J") and len(note) == 2000 and "\n" not in note and "\x1b" not in note


def test_serve_names_a_server_database_without_its_password(postgres: PostgresServer) -> None:
    import os
    import signal

    from tests.web_server import free_port, serve_process

    url, port = postgres.new_store(), free_port()
    env = {**os.environ, "ADVISOR_DB": url}
    proc = serve_process(port, env)
    assert proc.stdout is not None
    assert f"http://127.0.0.1:{port}/" in proc.stdout.readline()
    assert proc.stdout.readline().startswith(f"Records: postgresql://fitter:***@127.0.0.1:{postgres.port}/studio")
    for _ in range(100):  # the page answers once the server is up
        try:
            r = httpx.get(f"http://127.0.0.1:{port}/", timeout=10)
            break
        except httpx.ConnectError:
            import time

            time.sleep(0.05)
    assert r.status_code == 200
    proc.send_signal(signal.SIGTERM)
    out, err = proc.communicate(timeout=15)
    assert "Traceback" not in err
    for form in (PASSWORD, quote(PASSWORD, safe=""), "p@ss"):
        assert form not in out + err


def test_serve_with_a_wrong_database_password_stops_before_serving(postgres: PostgresServer) -> None:
    wrong = postgres.url(password="not the password")
    result = CliRunner().invoke(cli, ["serve", "--db", wrong])
    assert result.exit_code == 2 and "the server refused the password" in result.stderr
    assert "The studio is at" not in result.output and "not the password" not in result.output


def test_serve_on_a_port_in_use_says_so_and_prints_no_address(tmp_path: Path) -> None:
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = CliRunner().invoke(
            cli, ["serve", "--port", str(port), "--db", str(tmp_path / "s.db")], env={"ADVISOR_PASSWORD": ""}
        )
    assert result.exit_code == 2, result.output
    assert "cannot be used" in result.stderr and "http://" not in result.stdout


def test_one_addresss_burst_of_guesses_never_keeps_another_waiting() -> None:
    """40 wrong guesses from one address (each waiting longer) while staff elsewhere logs in:
    the right password from the other address answers at once, and the burst is bounded."""
    import asyncio
    import time as clock

    throttle = security.Throttle()

    async def scene() -> tuple[float, list[bool]]:
        attack = [asyncio.ensure_future(throttle.check("10.0.0.66", f"guess {n}", "right")) for n in range(40)]
        await asyncio.sleep(0.05)  # the burst is queued and waiting
        started = clock.monotonic()
        assert await throttle.check("10.0.0.7", "right", "right")
        elapsed = clock.monotonic() - started
        for task in attack:
            task.cancel()
        done = await asyncio.gather(*attack, return_exceptions=True)
        return elapsed, [r for r in done if isinstance(r, bool)]

    elapsed, refused_at_once = asyncio.run(scene())
    assert elapsed < 0.2
    # Beyond the per-address queue, guesses were refused without waiting or comparing.
    assert refused_at_once.count(False) >= 40 - security.MAX_QUEUED_GUESSES


def test_a_locked_database_keeps_a_save_waiting_but_never_the_other_pages(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Another program holds the records' write lock: the save waits (here up to 1 s) and then
    says the consultation was not stored and how to save it again, while every other page
    goes on answering; once the lock is gone the same form saves."""
    import sqlite3
    import threading
    import time as clock

    from advisor.records import sqlite_file

    monkeypatch.setattr(sqlite_file, "BUSY_TIMEOUT_MS", 1_000)
    db = tmp_path / "studio.db"
    studio = TestClient(create_app(str(db)), base_url="http://127.0.0.1")
    start = csrf(studio.get("/consult").text)
    review = studio.post("/consult/review", data={"csrf": start, "client": "Bo", **answers()})
    token = re.search(r'name="save_token" value="([^"]+)"', review.text)
    assert token
    form = {
        "csrf": csrf(review.text),
        "save_token": token.group(1),
        "client": "Bo",
        "date": "2026-11-30",
        "consent": "yes",
        **answers(),
    }
    holder = sqlite3.connect(db, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    saved: list[object] = []

    def save() -> None:
        saved.append(studio.post("/consult/save", data=form, follow_redirects=False))

    saver = threading.Thread(target=save)
    saver.start()
    clock.sleep(0.2)  # the save is waiting for the lock
    started = clock.monotonic()
    assert studio.get("/consult").status_code == 200
    assert clock.monotonic() - started < 0.5  # the page did not wait behind the save
    saver.join(10)
    holder.execute("ROLLBACK")
    holder.close()
    response = saved[0]
    assert isinstance(response, httpx.Response) and response.status_code == 503
    assert "could not be stored" in response.text and "press Save again" in response.text
    assert "Traceback" not in response.text
    again = studio.post("/consult/save", data=form, follow_redirects=False)
    assert again.status_code == 303


def test_a_records_file_deleted_under_the_studio_is_said_and_never_made_again(tmp_path: Path) -> None:
    db = tmp_path / "studio.db"
    studio = TestClient(create_app(str(db)), base_url="http://127.0.0.1")
    assert studio.get("/").status_code == 200
    for leftover in tmp_path.glob("studio.db*"):
        leftover.unlink()
    gone = studio.get("/")
    assert gone.status_code == 503 and "has gone" in gone.text and "Traceback" not in gone.text
    assert not db.exists()  # not re-created empty (and world-readable) behind the studio's back
