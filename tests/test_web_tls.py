"""The studio beyond this computer: HTTPS (the fitter's certificate, the studio's own, or a
proxy's), refusals that name every problem at once, passwords long enough, loopback addresses,
the Permissions-Policy and error pages in the studio's look.

Every server here listens on a loopback address (one test on 0.0.0.0, spoken to on 127.0.0.1);
the browser test drives Debian's Chromium, trusting exactly the studio's certificate.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import os
import re
import shutil
import signal
import ssl
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from starlette.testclient import TestClient
from typer.testing import CliRunner

from advisor.cli import app as cli
from advisor.web import security, tls
from advisor.web.app import create_app
from tests.web_server import free_port, running, serve_process

PASSWORD = "a long studio password"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


def csrf(page: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', page)
    assert found, "no CSRF token on the page"
    return found.group(1)


def make_certificate(folder: Path, name: str = "fitter", key: ec.EllipticCurvePrivateKey | None = None) -> Path:
    """A certificate for 127.0.0.1 as a fitter might bring one (made with mkcert or a CA of the
    studio's own): ``name``.pem and ``name``-key.pem in ``folder``; returns the certificate's path."""
    key = key or ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "studio.example")])
    now = dt.datetime.now(dt.timezone.utc)
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=30))
        .add_extension(
            x509.SubjectAlternativeName([x509.DNSName("localhost"), x509.IPAddress(ip("127.0.0.1"))]), critical=False
        )
        .sign(key, hashes.SHA256())
    )
    (folder / f"{name}.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    (folder / f"{name}-key.pem").write_bytes(key_pem)
    return folder / f"{name}.pem"


def ip(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address:
    return ipaddress.ip_address(text)


def trusting(cert: Path) -> ssl.SSLContext:
    """A client that trusts this certificate and nothing else."""
    return ssl.create_default_context(cafile=str(cert))


def serve_env(tmp_path: Path, password: str | None = PASSWORD) -> dict[str, str]:
    env = {**os.environ, "ADVISOR_DB": str(tmp_path / "studio.db"), "ADVISOR_DATA_DIR": str(tmp_path / "data")}
    env.pop("ADVISOR_PASSWORD", None)
    if password is not None:
        env["ADVISOR_PASSWORD"] = password
    return env


@pytest.fixture
def studio_process() -> Iterator[list[subprocess.Popen[str]]]:
    """`advisor serve` processes a test starts, stopped (SIGTERM) however the test ends."""
    started: list[subprocess.Popen[str]] = []
    yield started
    for proc in started:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.communicate(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.communicate()


def start(started: list[subprocess.Popen[str]], port: int, env: dict[str, str], *options: str) -> list[str]:
    """Start `advisor serve` and read what it prints before serving (up to its fingerprint)."""
    proc = serve_process(port, env, *options)
    started.append(proc)
    assert proc.stdout is not None
    lines = [proc.stdout.readline()]
    assert "The studio is at" in lines[0], lines[0] + (proc.stderr.read() if proc.stderr else "")
    lines.append(proc.stdout.readline())  # Records: ...
    if lines[0].startswith("The studio is at https"):
        while "fingerprint" not in lines[-1]:
            lines.append(proc.stdout.readline())
    return lines


def answered(url: str, verify: ssl.SSLContext | bool = True) -> httpx.Response:
    """GET ``url`` once the server answers (it is still starting when its address is printed)."""
    deadline = time.monotonic() + 15
    while True:
        try:
            return httpx.get(url, timeout=5, verify=verify)
        except httpx.ConnectError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)


def log_in(base: str, verify: ssl.SSLContext) -> httpx.Response:
    with httpx.Client(base_url=base, verify=verify) as client:
        token = csrf(client.get("/login").text)
        return client.post("/login", data={"csrf": token, "password": PASSWORD}, follow_redirects=False)


# --- refusals ----------------------------------------------------------------------------------


def test_a_refusal_names_every_problem_at_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Beyond this computer without a password and without a usable way to HTTPS: both said,
    exit code 2, before anything listens (no address printed)."""
    monkeypatch.delenv("ADVISOR_PASSWORD", raising=False)
    monkeypatch.setenv("ADVISOR_DATA_DIR", str(tmp_path / "data"))
    runner = CliRunner()
    missing = runner.invoke(
        cli, ["serve", "--host", "0.0.0.0", "--cert", str(tmp_path / "no.pem"), "--key", str(tmp_path / "no-key.pem")]
    )
    assert missing.exit_code == 2 and "http" not in missing.stdout
    assert "a password is needed" in missing.stderr
    assert f"{tmp_path / 'no.pem'}: no such file" in missing.stderr
    assert f"{tmp_path / 'no-key.pem'}: no such file" in missing.stderr
    proxied = runner.invoke(cli, ["serve", "--host", "0.0.0.0", "--behind-proxy"])
    assert proxied.exit_code == 2 and "a password is needed" in proxied.stderr
    assert "plain HTTP" in proxied.stderr and "--insecure-http" in proxied.stderr
    half = runner.invoke(cli, ["serve", "--cert", str(make_certificate(tmp_path))])
    assert half.exit_code == 2 and "give both --cert FILE and --key FILE" in half.stderr
    both = runner.invoke(cli, ["serve", "--self-signed", "--insecure-http"])
    assert both.exit_code == 2 and "choose one" in both.stderr
    assert not (tmp_path / "data").exists()  # no certificate made for a studio that did not start


def test_plain_http_beyond_this_computer_only_when_asked_for(tmp_path: Path) -> None:
    """Behind a proxy the studio listens on this computer; on 0.0.0.0 it would be reachable in
    plain HTTP around the proxy, so that needs --insecure-http too."""
    env = serve_env(tmp_path)
    refused = CliRunner().invoke(cli, ["serve", "--host", "0.0.0.0", "--behind-proxy"], env=env)
    assert refused.exit_code == 2, refused.output
    assert "--behind-proxy: serving on 0.0.0.0 lets the network reach the studio in plain HTTP" in refused.stderr
    assert "add --insecure-http" in refused.stderr and "The studio is at" not in refused.stdout


def test_insecure_http_serves_and_warns(tmp_path: Path, studio_process: list[subprocess.Popen[str]]) -> None:
    port = free_port()
    lines = start(studio_process, port, serve_env(tmp_path), "--host", "0.0.0.0", "--insecure-http")
    assert lines[0].startswith(f"The studio is at http://0.0.0.0:{port}/")
    assert answered(f"http://127.0.0.1:{port}/login").status_code == 200
    proc = studio_process[0]
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=15)
    assert "warning: plain HTTP on 0.0.0.0" in err and "readable by anyone" in err
    assert not (tmp_path / "data" / "tls").exists()


@pytest.mark.parametrize("where", ["env", "file"])
def test_a_short_password_is_refused_naming_where_it_came_from(tmp_path: Path, where: str) -> None:
    env = serve_env(tmp_path, password="eleven char" if where == "env" else None)
    options = ["serve"]
    if where == "file":
        (tmp_path / "pw").write_text("short pw\n", encoding="utf-8")
        options += ["--password-file", str(tmp_path / "pw")]
    result = CliRunner().invoke(cli, options, env=env)
    assert result.exit_code == 2, result.output
    source = "ADVISOR_PASSWORD" if where == "env" else str(tmp_path / "pw")
    assert f"{source}: the studio's password is" in result.stderr and "at least 12" in result.stderr
    assert "eleven char" not in result.output and "short pw" not in result.output  # never shown


def test_a_key_that_is_not_the_certificates_is_named(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ADVISOR_PASSWORD", raising=False)
    cert = make_certificate(tmp_path, "one")
    make_certificate(tmp_path, "two")
    other_key = tmp_path / "two-key.pem"
    wrong = CliRunner().invoke(cli, ["serve", "--cert", str(cert), "--key", str(other_key)])
    assert wrong.exit_code == 2
    assert f"{other_key}: is not the key of the certificate in {cert}" in wrong.stderr
    key = ec.generate_private_key(ec.SECP256R1())
    locked = tmp_path / "locked-key.pem"
    locked.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.BestAvailableEncryption(b"passphrase"),
        )
    )
    result = CliRunner().invoke(cli, ["serve", "--cert", str(cert), "--key", str(locked)])
    assert result.exit_code == 2 and f"{locked}: is protected by a passphrase" in result.stderr
    swapped = CliRunner().invoke(cli, ["serve", "--cert", str(tmp_path / "one-key.pem"), "--key", str(cert)])
    assert swapped.exit_code == 2
    assert "one-key.pem: holds no PEM certificate" in swapped.stderr and "one.pem: holds no PEM private key" in (
        swapped.stderr
    )


# --- HTTPS ----------------------------------------------------------------------------------------


def test_https_with_the_fitters_certificate(tmp_path: Path, studio_process: list[subprocess.Popen[str]]) -> None:
    cert = make_certificate(tmp_path)
    key = tmp_path / "fitter-key.pem"
    (tmp_path / "pw").write_text(PASSWORD + "\n", encoding="utf-8")
    port = free_port()
    env = serve_env(tmp_path, password=None)
    lines = start(studio_process, port, env, "--cert", str(cert), "--key", str(key), "--password-file",
                  str(tmp_path / "pw"))  # fmt: skip
    assert lines[0].startswith(f"The studio is at https://127.0.0.1:{port}/")
    printed = x509.load_pem_x509_certificate(cert.read_bytes())
    assert f"SHA-256 fingerprint: {tls.fingerprint(printed)}" in "".join(lines)
    base = f"https://127.0.0.1:{port}"
    page = answered(base + "/login", verify=trusting(cert))
    assert page.status_code == 200
    assert page.headers["strict-transport-security"] == security.HSTS  # a certificate browsers trust
    logged_in = log_in(base, trusting(cert))
    assert logged_in.status_code == 303 and "secure" in logged_in.headers["set-cookie"].lower().split("; ")
    with pytest.raises(httpx.ConnectError):  # a client that does not trust it is refused
        httpx.get(base + "/login", timeout=5)


def test_https_with_the_studios_own_certificate(tmp_path: Path, studio_process: list[subprocess.Popen[str]]) -> None:
    port = free_port()
    lines = start(studio_process, port, serve_env(tmp_path), "--self-signed")
    folder = tmp_path / "data" / "tls"
    cert, key = folder / tls.CERT_FILE, folder / tls.KEY_FILE
    assert "the studio's own certificate, made now" in lines[2] and str(cert) in lines[2]
    made = x509.load_pem_x509_certificate(cert.read_bytes())
    assert f"SHA-256 fingerprint: {tls.fingerprint(made)}" in lines[-1]
    if os.name == "posix":
        assert key.stat().st_mode & 0o777 == 0o600 and folder.stat().st_mode & 0o777 == 0o700
    san = made.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert ip("127.0.0.1") in san.get_values_for_type(x509.IPAddress)
    assert "localhost" in san.get_values_for_type(x509.DNSName)
    base = f"https://127.0.0.1:{port}"
    page = answered(base + "/login", verify=trusting(cert))  # valid for the address served on
    assert page.status_code == 200 and "strict-transport-security" not in page.headers
    logged_in = log_in(base, trusting(cert))
    assert "secure" in logged_in.headers["set-cookie"].lower().split("; ")
    # Kept for the next start; made again, with the same key, for an address it does not name.
    kept = tls.own_certificate(folder, "127.0.0.1")
    assert kept.news == "kept" and kept.fingerprint == tls.fingerprint(made)
    moved = tls.own_certificate(folder, "10.9.8.7")
    assert moved.news == "renewed" and moved.fingerprint != kept.fingerprint
    assert {"10.9.8.7", "127.0.0.1", "localhost"} <= set(moved.names)
    again = x509.load_pem_x509_certificate(cert.read_bytes())
    assert tls.spki_pin(again) == tls.spki_pin(made)


@pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is not installed (.ci/run installs it)")
def test_a_browser_trusting_exactly_the_studios_certificate_logs_in(tmp_path: Path) -> None:
    sync_api = pytest.importorskip("playwright.sync_api")
    own = tls.own_certificate(tmp_path / "tls", "127.0.0.1")
    pin = tls.spki_pin(x509.load_pem_x509_certificate(own.cert.read_bytes()))
    with running(tmp_path / "studio.db", PASSWORD, tls=(own.cert, own.key)) as base, sync_api.sync_playwright() as pw:
        untrusting = pw.chromium.launch(executable_path=CHROMIUM)
        with pytest.raises(sync_api.Error, match="ERR_CERT_AUTHORITY_INVALID"):
            untrusting.new_page().goto(base + "/login")
        untrusting.close()
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=[f"--ignore-certificate-errors-spki-list={pin}"])
        page = browser.new_page()
        console: list[str] = []
        page.on("console", lambda message: console.append(message.text))
        page.goto(base + "/login")
        page.fill("#password", PASSWORD)
        page.click("button[type=submit]")
        sync_api.expect(page.locator("h1")).to_contain_text("Clients")
        assert page.url == base + "/"
        (cookie,) = page.context.cookies()
        assert cookie["secure"] and cookie["httpOnly"]
        page.goto(base + "/visits/999999")
        sync_api.expect(page.locator("h1")).to_contain_text("Not found")
        sync_api.expect(page.locator("[data-back]")).to_be_visible()  # there is a page to go back to
        page.click("[data-back]")
        sync_api.expect(page.locator("h1")).to_contain_text("Clients")
        browser.close()
    assert not [line for line in console if "Permissions-Policy" in line], console  # every feature named is known


# --- loopback, headers, error pages ---------------------------------------------------------------


def test_any_loopback_address_is_this_computer(tmp_path: Path, studio_process: list[subprocess.Popen[str]]) -> None:
    port = free_port()
    lines = start(studio_process, port, serve_env(tmp_path, password=None), "--host", "127.0.0.2")
    assert lines[0].startswith(f"The studio is at http://127.0.0.2:{port}/")
    assert answered(f"http://127.0.0.2:{port}/").status_code == 200  # no password, no login
    foreign = httpx.get(f"http://127.0.0.2:{port}/", headers={"Host": "evil.example"}, timeout=5)
    assert foreign.status_code == 400 and "only this computer" in foreign.text


@pytest.mark.parametrize(
    ("host", "status"),
    [
        ("127.0.0.1", 200), ("127.0.0.2:8000", 200), ("127.255.0.9", 200), ("localhost:8000", 200),
        ("LOCALHOST", 200), ("[::1]:8000", 200), ("[::1]", 200), ("::1", 200),
        ("evil.example", 400), ("evil.example:8000", 400), ("127.0.0.1.evil.example", 400),
        ("localhost.evil.example", 400), ("[::1]evil", 400), ("127.0.0.1:x", 400), ("10.0.0.1", 400), ("", 400),
    ],
)  # fmt: skip
def test_without_a_password_only_loopback_host_names_are_answered(tmp_path: Path, host: str, status: int) -> None:
    studio = TestClient(create_app(str(tmp_path / "studio.db")))
    assert studio.get("/", headers={"host": host}).status_code == status


def test_every_response_turns_the_tablets_devices_off(tmp_path: Path) -> None:
    studio = TestClient(create_app(str(tmp_path / "studio.db")), base_url="http://127.0.0.1")
    for path in ("/", "/consult", "/static/studio.js", "/nowhere"):
        policy = studio.get(path).headers["permissions-policy"]
        for feature in ("camera", "microphone", "geolocation", "payment", "usb"):
            assert f"{feature}=()" in policy, (path, feature)
    assert "strict-transport-security" not in studio.get("/").headers


def test_error_pages_are_pages_with_a_way_back(tmp_path: Path) -> None:
    studio = TestClient(create_app(str(tmp_path / "studio.db")), base_url="http://127.0.0.1")
    studio.get("/consult")  # a session, with its CSRF token
    refused = {
        "/visits/999999": studio.get("/visits/999999"),
        "/nowhere": studio.get("/nowhere"),
        "/logout": studio.get("/logout"),  # a form's address opened as a link
        "/consult/save": studio.post("/consult/save", data={"csrf": "forged"}),
    }
    for path, page in refused.items():
        assert page.headers["content-type"].startswith("text/html"), path
        assert "<h1>" in page.text and '<a class="button" href="/">' in page.text, path
        assert "data-back" in page.text and 'href="/static/studio.css"' in page.text, path
        assert page.headers["cache-control"] == "no-store" and "content-security-policy" in page.headers
    assert refused["/visits/999999"].status_code == 404 and "No such consultation." in refused["/visits/999999"].text
    assert refused["/logout"].status_code == 405 and refused["/logout"].headers["allow"] == "POST"
    assert refused["/consult/save"].status_code == 403 and "reload the page" in refused["/consult/save"].text
    # The live advice is fetched by the page's script, which says its own words: a short body.
    script = studio.post("/consult/advice", data={"csrf": "forged"})
    assert script.status_code == 403 and script.headers["content-type"].startswith("text/plain")
    assert script.text == "This form has expired or did not come from the studio; reload the page."
    # The records gone from under the studio: the same words as ever, in a page.
    for leftover in tmp_path.glob("studio.db*"):
        leftover.unlink()
    gone = studio.get("/")
    assert gone.status_code == 503 and gone.headers["content-type"].startswith("text/html")
    assert "The studio cannot reach its records (" in gone.text and '<a class="button" href="/">' in gone.text


def test_host_names_are_read_as_a_browser_sends_them() -> None:
    assert security.host_name("[::1]:8443") == "::1" and security.host_name("127.0.0.2:80") == "127.0.0.2"
    assert security.host_name("localhost") == "localhost" and security.host_name("[::1]x") == ""
    assert all(security.is_loopback(h) for h in ("127.0.0.1", "127.1.2.3", "::1", "localhost"))
    assert not any(security.is_loopback(h) for h in ("0.0.0.0", "::", "10.0.0.1", "localhost.example", ""))
