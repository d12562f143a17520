"""The studio and the records' promises, over HTTP: one visit per save wherever it is sent from,
the fitters' own logins and the audit trail, which client a shared name means, consent before
anything is kept, erasure, and amendments. Each runs on a SQLite file and on PostgreSQL."""

from __future__ import annotations

import datetime as dt
import re
import sqlite3
import threading
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from markupsafe import escape
from starlette.testclient import TestClient

from advisor.core.advice.pipeline import assess
from advisor.core.intake import answers as answers_mod
from advisor.records import config, drafts
from advisor.records.consent import CONSENT_QUESTION, CONSENT_TEXT, CONSENT_VERSION
from advisor.records.model import ClientSummary, Decision
from advisor.records.store import Store, Who
from advisor.web import app as studio_app
from advisor.web.app import create_app
from tests.test_web import SAFE, answers, csrf
from tests.web_server import running

ACCOUNT, ACCOUNT_PASSWORD = "Ana Lind", "saddle-height-721"
NO_FLAGS = {qid: False for qid in SAFE}
BASE = "http://127.0.0.1"


@pytest.fixture(autouse=True)
def own_folders(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Drafts and settings of the test's own."""
    monkeypatch.setenv("ADVISOR_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("ADVISOR_CONFIG_DIR", str(tmp_path / "config"))


@pytest.fixture
def studio(store_at: str) -> Iterator[TestClient]:
    with TestClient(create_app(store_at), base_url=BASE) as client:
        yield client


def token_of(page: str) -> str:
    found = re.search(r'name="save_token" value="([^"]+)"', page)
    assert found, "the review form carries no save token"
    return found.group(1)


def hidden_fields(page: str) -> dict[str, list[str]]:
    """Every hidden input of a page, as the browser would post them."""
    fields: dict[str, list[str]] = {}
    for name, value in re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', page):
        fields.setdefault(name, []).append(value.replace("&amp;", "&").replace("&#39;", "'"))
    return fields


def words(page: str) -> str:
    """A page's text, its tags taken out."""
    return re.sub(r"<[^>]+>", "", page)


def reviewed(studio: TestClient, client: str, **extra: str) -> tuple[str, dict[str, object]]:
    """A consultation reviewed: the review page, and the form its Save sends (consent ticked)."""
    start = csrf(studio.get("/consult").text)
    review = studio.post("/consult/review", data={"csrf": start, "client": client, **answers(), **extra})
    assert review.status_code == 200, review.text[:2000]
    form: dict[str, object] = {**hidden_fields(review.text), "consent": "yes"}
    return review.text, form


def stored_visit(store: Store, client: str | Who, day: int = 2, **changed: object) -> int:
    values = {**NO_FLAGS, "passive_slr_deg": 62, "low_back_pain": "long_rides", "back_pain_intensity": 3, **changed}
    answers_ = answers_mod.validate({"questionnaire": "fitter", "date": f"2026-11-{day:02d}", "answers": values}, "<t>")
    result = assess(answers_)
    decisions = [Decision("exercise", e.id, e.id != "strap-stretch", "hip pinches") for e in result.exercises]
    return store.record(client, answers_, result, decisions, "first notes", actor="Cy Berg", consent=True)


def events(store_at: str, action: str) -> list[tuple[str, str, int | None, str]]:
    with Store(store_at) as store:
        return [(e.actor, e.client, e.visit, e.detail) for e in store.audit() if e.action == action]


def only(store_at: str, name: str) -> ClientSummary:
    with Store(store_at) as store:
        found = store.named(name)
    assert len(found) == 1, found
    return found[0]


# --- one save, one visit ---------------------------------------------------------------------
def test_the_same_form_sent_to_two_studios_at_once_is_one_visit(store_at: str) -> None:
    """Two studio processes on one store (two apps here, each with its own sessions): a form
    sent to both at the same moment is recorded once, and both lead to that visit."""
    assert not hasattr(studio_app, "SAVED_TOKENS")  # no list of saves in memory
    with TestClient(create_app(store_at), base_url=BASE) as one, TestClient(create_app(store_at), base_url=BASE) as two:
        _, form = reviewed(one, "Bo")
        tokens = {one: csrf(one.get("/consult").text), two: csrf(two.get("/consult").text)}
        barrier = threading.Barrier(4)
        got: list[httpx.Response] = []

        def save(studio: TestClient) -> None:
            barrier.wait()
            got.append(studio.post("/consult/save", data={**form, "csrf": tokens[studio]}, follow_redirects=False))

        threads = [threading.Thread(target=save, args=(s,)) for s in (one, two, one, two)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    assert [r.status_code for r in got] == [303] * 4
    assert len({r.headers["location"] for r in got}) == 1
    with Store(store_at) as store:
        assert len(store.history("Bo")) == 1
    assert len(events(store_at, "saved")) == 1


def test_a_save_sent_again_after_a_restart_leads_to_its_visit(store_at: str) -> None:
    with TestClient(create_app(store_at), base_url=BASE) as before:
        _, form = reviewed(before, "Bo")
        first = before.post("/consult/save", data=form, follow_redirects=False)
    with TestClient(create_app(store_at), base_url=BASE) as after:  # the studio restarted
        again = after.post(
            "/consult/save", data={**form, "csrf": csrf(after.get("/consult").text)}, follow_redirects=False
        )
        # A decision changed after going back is a consultation of its own.
        changed = {**form, "csrf": csrf(after.get("/consult").text), "decline": "strap-stretch"}
        other = after.post("/consult/save", data=changed, follow_redirects=False)
    assert first.status_code == again.status_code == other.status_code == 303
    assert first.headers["location"] == again.headers["location"] != other.headers["location"]
    with Store(store_at) as store:
        assert len(store.history("Bo")) == 2


def test_saves_at_once_from_two_served_studios_on_one_store(store_at: str) -> None:
    """The same through two real servers: a double click landing on each."""
    with running(store_at) as a, running(store_at) as b:
        with httpx.Client(base_url=a, follow_redirects=False) as client:
            start = csrf(client.get("/consult").text)
            review = client.post("/consult/review", data={"csrf": start, "client": "Di", **answers()})
            form = {**hidden_fields(review.text), "consent": "yes"}
        got: list[str] = []

        def save(base: str) -> None:
            with httpx.Client(base_url=base, follow_redirects=False) as c:
                r = c.post("/consult/save", data={**form, "csrf": csrf(c.get("/consult").text)})
                got.append(r.headers.get("location", str(r.status_code)))

        threads = [threading.Thread(target=save, args=(base,)) for base in (a, b, a, b)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    assert len(set(got)) == 1 and got[0].startswith("/visits/"), got
    with Store(store_at) as store:
        assert len(store.history("Di")) == 1


# --- accounts and the audit trail ----------------------------------------------------------------
@pytest.fixture
def with_accounts(store_at: str) -> Iterator[TestClient]:
    with Store(store_at) as store:
        store.add_user(ACCOUNT, ACCOUNT_PASSWORD, actor="test")
        store.add_user("Ben Roy", "another-password-1", actor="test")
    with TestClient(create_app(store_at), base_url=BASE) as client:
        yield client


def login(studio: TestClient, name: str, password: str) -> httpx.Response:
    token = csrf(studio.get("/login").text)
    return studio.post("/login", data={"csrf": token, "name": name, "password": password}, follow_redirects=False)


def test_with_accounts_each_fitter_logs_in_by_name(
    with_accounts: TestClient, store_at: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from advisor.web import security

    async def no_wait(_seconds: float) -> None:
        pass

    monkeypatch.setattr(security.asyncio, "sleep", no_wait)
    studio = with_accounts
    assert studio.get("/", follow_redirects=False).headers["location"] == "/login?next=%2F"
    page = studio.get("/login").text
    assert 'id="name" name="name"' in page and 'autocomplete="username"' in page and 'type="password"' in page
    wrong = login(studio, ACCOUNT.lower(), "not the password")
    assert wrong.status_code == 401 and "do not match an account" in wrong.text
    assert f'value="{ACCOUNT}"' in wrong.text  # an account's name is given back, to try again
    # A password typed into the name field by mistake is neither shown again nor stored.
    typo = login(studio, "my-secret-pass-42", "x")
    assert typo.status_code == 401 and "my-secret-pass-42" not in typo.text
    assert events(store_at, "login refused") == [(ACCOUNT, "", None, ""), ("", "", None, "no such account")]
    ok = login(studio, " ana  LIND ", ACCOUNT_PASSWORD)
    assert ok.status_code == 303 and ok.headers["location"] == "/"
    home = studio.get("/").text
    assert f'<p class="fitter">Logged in as {ACCOUNT}</p>' in home and "Log out" in home
    assert events(store_at, "login") == [(ACCOUNT, "", None, "")]
    audit_text = repr(Store(store_at).audit())
    for typed in ("not the password", "my-secret-pass-42", ACCOUNT_PASSWORD):
        assert typed not in audit_text
    if "://" not in store_at:  # nothing typed at the login is anywhere in the file
        raw = b"".join(p.read_bytes() for p in Path(store_at).parent.glob("studio.db*"))
        assert b"my-secret-pass-42" not in raw and b"not the password" not in raw
    # The shared password of a studio without accounts opens nothing here.
    studio.post("/logout", data={"csrf": csrf(home)})
    assert studio.get("/", follow_redirects=False).status_code == 303


def test_every_write_and_report_names_the_fitter_signed_in(with_accounts: TestClient, store_at: str) -> None:
    studio = with_accounts
    assert login(studio, ACCOUNT, ACCOUNT_PASSWORD).status_code == 303
    _, form = reviewed(studio, "Bo", **{"fit.before.saddle_height_mm": "720"})
    where = studio.post("/consult/save", data=form, follow_redirects=False).headers["location"]
    cid = int(where.rsplit("/", 1)[1])
    bo = only(store_at, "Bo")
    assert events(store_at, "saved") == [(ACCOUNT, bo.id, cid, "")]
    assert events(store_at, "consent") == [(ACCOUNT, bo.id, None, f"version {CONSENT_VERSION}")]
    with Store(store_at) as store:
        visit = store.consultation(cid)
    assert visit.recorded_by == ACCOUNT and visit.fit["fitter"] == ACCOUNT
    for kind in ("pdf", "html"):
        assert studio.get(f"{where}/report.{kind}").status_code == 200
    assert events(store_at, "report") == [(ACCOUNT, bo.id, cid, "pdf"), (ACCOUNT, bo.id, cid, "html")]
    # Another fitter amends the visit, then erases the client.
    studio.post("/logout", data={"csrf": csrf(studio.get("/").text)})
    assert login(studio, "Ben Roy", "another-password-1").status_code == 303
    amended = amend(studio, cid, "age was mistyped", age="48")
    assert amended.status_code == 303
    assert events(store_at, "amended") == [("Ben Roy", bo.id, cid, "revision 2")]
    erase_page = studio.get(f"/client/erase?id={bo.id}").text
    done = studio.post("/client/erase", data={"csrf": csrf(erase_page), "id": bo.id, "confirm": "bo"})
    assert done.status_code == 200
    assert events(store_at, "erased") == [("Ben Roy", bo.id, None, "1 visit")]


def test_without_accounts_the_shared_password_and_the_settings_fitter(tmp_path: Path, store_at: str) -> None:
    with TestClient(create_app(store_at, password="a studio password"), base_url=BASE) as studio:
        page = studio.get("/login").text
        assert 'name="name"' not in page and "Studio password" in page
        token = csrf(page)
        assert studio.post("/login", data={"csrf": token, "password": "a studio password"}).status_code == 200
        assert events(store_at, "login") == [("studio", "", None, "")]
        config.set_value("studio.fitter", "Eva Holm")
        _, form = reviewed(studio, "Cy")
        where = studio.post("/consult/save", data=form, follow_redirects=False).headers["location"]
        studio.get(where + "/report.pdf")
    assert events(store_at, "saved")[0][0] == "Eva Holm" and events(store_at, "report")[0][0] == "Eva Holm"


def test_a_removed_account_is_signed_out(with_accounts: TestClient, store_at: str) -> None:
    studio = with_accounts
    assert login(studio, "Ben Roy", "another-password-1").status_code == 303
    assert studio.get("/", follow_redirects=False).status_code == 200
    with Store(store_at) as store:
        store.remove_user("Ben Roy", actor="test")
    assert studio.get("/", follow_redirects=False).headers["location"].startswith("/login")


# --- which client ----------------------------------------------------------------------------------
@pytest.fixture
def two_annas(store_at: str) -> tuple[str, str]:
    with Store(store_at) as store:
        stored_visit(store, Who("Anna Rossi", dt.date(1980, 2, 1)))
        stored_visit(store, Who("Anna Rossi", dt.date(1992, 6, 15)), day=3)
        first, second = sorted(store.named("Anna Rossi"), key=lambda c: c.born or dt.date.min)
    return first.id, second.id


def test_a_name_two_clients_share_asks_which_one(studio: TestClient, two_annas: tuple[str, str], store_at: str) -> None:
    older, younger = two_annas
    start = csrf(studio.get("/consult").text)
    sent = {"csrf": start, "client": "anna rossi", **answers(age="44")}
    asked = studio.post("/consult/review", data=sent)
    assert asked.status_code == 422
    assert "2 clients are named anna rossi in the records: which one is this?" in asked.text
    for cid, born in ((older, "1980-02-01"), (younger, "1992-06-15")):
        assert f'name="client_id" value="{cid}"' in asked.text and f"born {born}, id {cid}" in words(asked.text)
    assert 'href="#client_id-0">Which client' in asked.text  # the error summary leads there
    assert re.search(r'name="age"[^>]*value="44"', asked.text)  # every answer kept
    review = studio.post("/consult/review", data={**sent, "client_id": younger})
    assert review.status_code == 200 and f"Client: Anna Rossi (born 1992-06-15, id {younger}" in words(review.text)
    assert CONSENT_QUESTION not in review.text  # consented already: not asked again
    form = hidden_fields(review.text)
    assert form["client_id"] == [younger]
    assert studio.post("/consult/save", data=form, follow_redirects=False).status_code == 303
    with Store(store_at) as store:
        assert [len(store.history(Who("", id=c))) for c in (older, younger)] == [1, 2]
    # A date of birth typed with the name settles it without asking.
    born = studio.post("/consult/review", data={**sent, "born": "1980-02-01"})
    assert born.status_code == 200 and f"id {older}" in words(born.text)


def test_a_new_client_with_a_shared_name_needs_a_date_of_birth(
    studio: TestClient, two_annas: tuple[str, str], store_at: str
) -> None:
    start = csrf(studio.get("/consult").text)
    sent = {"csrf": start, "client": "Anna Rossi", "client_id": "new", **answers()}
    no_date = studio.post("/consult/review", data=sent)
    assert no_date.status_code == 422 and "give the new client&#39;s date of birth" in no_date.text
    taken = studio.post("/consult/review", data={**sent, "born": "1980-02-01"})
    assert taken.status_code == 422 and "is in the records already: choose them" in taken.text
    review = studio.post("/consult/review", data={**sent, "born": "2001-03-04"})
    assert review.status_code == 200 and "New client: Anna Rossi, born 2001-03-04" in review.text
    assert str(escape(CONSENT_TEXT)) in review.text
    form = {**hidden_fields(review.text), "consent": "yes"}
    assert studio.post("/consult/save", data=form, follow_redirects=False).status_code == 303
    with Store(store_at) as store:
        assert sorted(str(c.born) for c in store.named("Anna Rossi")) == ["1980-02-01", "1992-06-15", "2001-03-04"]


def test_a_date_of_birth_for_a_client_recorded_without_one_asks_if_it_is_them(
    studio: TestClient, store_at: str
) -> None:
    with Store(store_at) as store:
        stored_visit(store, "Jo Berg")
    jo = only(store_at, "Jo Berg")
    start = csrf(studio.get("/consult").text)
    sent = {"csrf": start, "client": "Jo Berg", "born": "1975-05-05", **answers()}
    asked = studio.post("/consult/review", data=sent)
    assert asked.status_code == 422 and "without a date of birth: is this them, or a new client?" in asked.text
    review = studio.post("/consult/review", data={**sent, "client_id": jo.id})
    assert review.status_code == 200
    assert studio.post("/consult/save", data=hidden_fields(review.text), follow_redirects=False).status_code == 303
    assert only(store_at, "Jo Berg").born == dt.date(1975, 5, 5)  # recorded now


def test_a_client_from_the_clients_page_is_carried_by_id(
    studio: TestClient, two_annas: tuple[str, str], store_at: str
) -> None:
    older, younger = two_annas
    listing = studio.get("/").text
    assert f'href="/client?id={older}"' in listing and f'href="/client?id={younger}"' in listing
    assert "born 1980-02-01" in listing
    which = studio.get("/client?name=Anna%20Rossi")
    assert which.status_code == 200 and "Which Anna Rossi?" in which.text and f"/client?id={younger}" in which.text
    page = studio.get(f"/client?id={younger}").text
    assert "1992-06-15" in page and younger in page and f'href="/consult?client={younger}"' in page
    form = studio.get(f"/consult?client={younger}").text
    assert f'name="client_id" value="{younger}"' in form and 'value="1992-06-15"' in form
    assert f"In the records: Anna Rossi (born 1992-06-15, id {younger}" in words(form)
    # The live advice keeps this Anna's draft under her id: the other Anna's is another.
    live = studio.post("/consult/advice", data={**hidden_fields(form), "csrf": csrf(form), **answers(age="33")})
    assert live.headers["x-draft"] == "kept" and live.headers["x-draft-client"] == younger
    assert drafts.load("consult", younger) is not None and drafts.load("consult", "Anna Rossi") is None
    assert studio.get("/consult?client=" + younger).text.count("unsaved consultation of") == 1
    assert "unsaved consultation of" not in studio.get("/consult?client=" + older).text
    assert "Anna Rossi (born 1992-06-15)" in studio.get("/").text  # the unsaved one, named


# --- consent ---------------------------------------------------------------------------------------
def test_a_new_client_is_asked_for_consent_and_nothing_is_kept_without_it(studio: TestClient, store_at: str) -> None:
    review, form = reviewed(studio, "Eve", **{"fit.before.saddle_height_mm": "721,5"})
    assert str(escape(CONSENT_TEXT)) in review and CONSENT_QUESTION in review
    assert re.search(r'<input type="checkbox" id="consent" name="consent" value="yes" required>', review)
    declined = {**form, "decline": "strap-stretch", "note-strap-stretch": "hip pinches"}
    del declined["consent"]
    refused = studio.post("/consult/save", data=declined, follow_redirects=False)
    assert refused.status_code == 422
    assert (
        'aria-describedby="consent-error"' in refused.text
        and "nothing goes into the records without their consent" in refused.text
    )
    # Every answer kept, and the client's decisions with them; the same save token.
    kept = hidden_fields(refused.text)
    for key in ("passive_slr_deg", "low_back_pain", "fit.before.saddle_height_mm", "save_token"):
        assert kept[key] == form[key], key
    assert re.search(r'name="decline" value="strap-stretch" checked', refused.text)
    assert 'value="hip pinches"' in refused.text
    with Store(store_at) as store:
        assert store.clients() == [] and store.audit() == []
    saved = studio.post("/consult/save", data={**kept, "decline": "strap-stretch", "consent": "yes"})
    assert saved.status_code == 200 and "Saved." in saved.text
    eve = only(store_at, "Eve")
    assert eve.consented and eve.consent_version == CONSENT_VERSION
    page = studio.get(f"/client?id={eve.id}").text
    assert f"given {eve.consent[:10]} (wording of {CONSENT_VERSION})" in words(page) and eve.id in page
    # Consented once: never asked again.
    again, _ = reviewed(studio, "Eve")
    assert CONSENT_QUESTION not in again and 'name="consent"' not in again


def test_a_client_stored_before_consent_was_asked_is_asked_at_the_next_visit(
    studio: TestClient, store_at: str, request: pytest.FixtureRequest
) -> None:
    with Store(store_at) as store:
        stored_visit(store, "Old Timer")
    statement = "UPDATE clients SET consent = '', consent_version = ''"
    if "://" in store_at:
        request.getfixturevalue("postgres").run_sql(store_at, statement)
    else:
        with sqlite3.connect(store_at) as conn:
            conn.execute(statement)
    old = only(store_at, "Old Timer")
    page = studio.get(f"/client?id={old.id}").text
    assert "not recorded; asked at the next consultation" in page and "Date of birth" in page
    review, form = reviewed(studio, "Old Timer")
    assert CONSENT_QUESTION in review and "(their consent was never recorded)" in review
    del form["consent"]
    assert studio.post("/consult/save", data=form).status_code == 422
    assert studio.post("/consult/save", data={**form, "consent": "yes"}).status_code == 200
    assert only(store_at, "Old Timer").consent_version == CONSENT_VERSION


# --- erasure -------------------------------------------------------------------------------------
def test_erasing_a_client_asks_for_their_name_then_removes_everything(
    studio: TestClient, two_annas: tuple[str, str], store_at: str
) -> None:
    older, younger = two_annas
    # Each Anna has an unsaved consultation (kept under her id: the name is shared).
    for cid in (older, younger):
        form = studio.get(f"/consult?client={cid}").text
        live = studio.post("/consult/advice", data={**hidden_fields(form), "csrf": csrf(form), **answers()})
        assert live.headers["x-draft"] == "kept"
    client_page = studio.get(f"/client?id={younger}").text
    assert f'href="/client/erase?id={younger}">Erase this client</a>' in client_page
    confirm = studio.get(f"/client/erase?id={younger}")
    assert confirm.status_code == 200
    for said in ("1 visit:", "notes on 1 visit", "the consultation started and not saved"):
        assert said in confirm.text, said
    assert "fit records" not in confirm.text  # none was taken: not listed
    with Store(store_at) as store:
        assert len(store.named("Anna Rossi")) == 2  # opening the page erased nothing
    token = csrf(confirm.text)
    assert studio.post("/client/erase", data={"id": younger, "confirm": "Anna Rossi"}).status_code == 403  # no token
    wrong = studio.post("/client/erase", data={"csrf": token, "id": younger, "confirm": "Anna"})
    assert wrong.status_code == 422 and "nothing was erased" in wrong.text
    done = studio.post("/client/erase", data={"csrf": token, "id": younger, "confirm": " anna  rossi "})
    assert done.status_code == 200 and "Anna Rossi’s records are erased" in done.text
    with Store(store_at) as store:
        assert [c.id for c in store.named("Anna Rossi")] == [older]
        assert [(e.actor, e.client) for e in store.audit() if e.action == "erased"] == [("studio", younger)]
    assert drafts.load("consult", younger) is None and drafts.load("consult", older) is not None
    assert studio.get(f"/client?id={younger}").status_code == 404
    assert studio.post("/client/erase", data={"csrf": token, "id": younger, "confirm": "Anna Rossi"}).status_code == 404


# --- amendments -----------------------------------------------------------------------------------
def amend(studio: TestClient, cid: int, reason: str, **changed: str) -> httpx.Response:
    """Open a visit's Amend, change answers, give the reason, review and save."""
    form = studio.get(f"/visits/{cid}/amend").text
    notes = re.search(r'<textarea id="notes" name="notes"[^>]*>(.*?)</textarea>', form, re.S)
    assert notes
    sent = {
        **hidden_fields(form),
        "csrf": csrf(form),
        **answers(),
        "notes": notes.group(1),
        "reason": reason,
        **changed,
    }
    review = studio.post("/consult/review", data=sent)
    assert review.status_code == 200, review.text[:3000]
    return studio.post("/consult/save", data=hidden_fields(review.text), follow_redirects=False)


def test_amending_a_visit_keeps_the_one_before(studio: TestClient, store_at: str) -> None:
    with Store(store_at) as store:
        cid = stored_visit(store, "Fay", age=37)
        store.amend(  # made by someone else before (the fit record kept)
            cid, *_assessed(age=37, back_pain_intensity=4), [], "pain score was 4", actor="Cy Berg"
        )
    visit = studio.get(f"/visits/{cid}").text
    assert f'href="/visits/{cid}/amend"' in visit
    form = studio.get(f"/visits/{cid}/amend")
    assert form.status_code == 200 and "Amend Fay’s visit of 2026-11-02" in form.text
    assert re.search(r'name="age"[^>]*value="37"', form.text) and "first notes</textarea>" in form.text
    assert 'id="reason" name="reason"' in form.text and f'name="amend" value="{cid}"' in form.text
    assert 'name="decline" value="strap-stretch"' not in form.text  # accepted at revision 2 (no decisions)
    # The live advice of an amendment keeps no draft of the client's.
    live = studio.post("/consult/advice", data={**hidden_fields(form.text), "csrf": csrf(form.text), **answers()})
    assert live.headers["x-draft"] == "none" and drafts.load("consult", "Fay") is None
    no_reason = studio.post("/consult/review", data={**hidden_fields(form.text), "csrf": csrf(form.text), **answers()})
    assert no_reason.status_code == 422 and 'href="#reason">Reason for the amendment' in no_reason.text
    saved = amend(studio, cid, "knee pain was left out", knee_pain="front")
    assert saved.status_code == 303 and saved.headers["location"] == f"/visits/{cid}"
    page = studio.get(f"/visits/{cid}").text
    today = dt.date.today().isoformat()
    assert f"Amended on {today} by studio: knee pain was left out" in page and "Amended. This is revision 3" in page
    assert "Earlier revisions" in page
    when = r"[0-9-]+ [0-9:]+"
    assert re.search(rf"<strong>Revision 2</strong>: amended {when} by Cy Berg, because: pain score was 4", page)
    assert re.search(rf"<strong>Revision 1</strong>: recorded {when} by Cy Berg\. Visit of 2026-11-02", page)
    assert "tier-routine" in page.split("Earlier revisions")[1]
    with Store(store_at) as store:
        now = store.consultation(cid)
        assert now.revision == 3 and now.answers["knee_pain"] == ["front"] and len(store.history("Fay")) == 1
        assert now.notes == "first notes"


def test_an_amendment_sent_twice_is_made_once_and_a_stale_one_is_refused(studio: TestClient, store_at: str) -> None:
    with Store(store_at) as store:
        cid = stored_visit(store, "Gus")
    form = studio.get(f"/visits/{cid}/amend").text
    sent = {**hidden_fields(form), "csrf": csrf(form), **answers(), "reason": "age typo", "age": "40"}
    review = hidden_fields(studio.post("/consult/review", data=sent).text)
    assert review["revision"] == ["1"]
    first = studio.post("/consult/save", data=review, follow_redirects=False)
    again = studio.post("/consult/save", data=review, follow_redirects=False)
    assert first.status_code == again.status_code == 303
    stale = studio.post("/consult/save", data={**review, "reason": "another fix"})
    assert stale.status_code == 409 and "was amended by studio" in stale.text
    with Store(store_at) as store:
        assert store.consultation(cid).revision == 2 and len(store.revisions(cid)) == 1


def _assessed(**changed: object) -> tuple[answers_mod.Answers, object]:
    values = {**NO_FLAGS, "passive_slr_deg": 62, "low_back_pain": "long_rides", "back_pain_intensity": 3, **changed}
    given = answers_mod.validate({"questionnaire": "fitter", "date": "2026-11-02", "answers": values}, "<t>")
    return given, assess(given)
