"""HTTPS for the studio: a certificate the fitter gives, checked before serving, or the studio's
own, made on first start and kept in the user data folder.

The studio's own certificate is self-signed. A tablet trusts it once (its SHA-256 fingerprint
is printed at every start, to compare with what the tablet shows) or a browser warns each
time. It is kept and reused, so the tablet's trust lasts; it is made again, with the same key,
only when it no longer names the address served on or is near its end.
"""

from __future__ import annotations

import base64
import contextlib
import datetime as dt
import hashlib
import ipaddress
import os
import socket
import ssl
import stat
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.asymmetric.types import PublicKeyTypes
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from advisor.core.errors import AdvisorError, Problem

CERT_FILE = "studio-cert.pem"
KEY_FILE = "studio-key.pem"
# Apple's devices refuse a server certificate valid for more than 825 days, even one trusted
# by hand; a little less, and a new one some weeks before the end (the tablet trusts it again).
LIFETIME = dt.timedelta(days=820)
RENEW_BEFORE = dt.timedelta(days=30)
MAX_PEM = 1_000_000  # bytes: a certificate chain is a few kilobytes
WILDCARDS = {"0.0.0.0", "::", ""}

Name = ipaddress.IPv4Address | ipaddress.IPv6Address | str  # an address, or a DNS name
NETWORKS = (ipaddress.IPv4Network, ipaddress.IPv6Network)


@dataclass(frozen=True)
class Certificate:
    """A certificate ready to serve with, and what the fitter is told about it."""

    cert: Path
    key: Path
    fingerprint: str  # SHA-256 of the certificate, as AB:CD:...: what a tablet shows
    names: tuple[str, ...]  # the names and addresses it is valid for
    not_after: dt.datetime
    news: str = ""  # for the studio's own: "made", "kept" or "renewed"


def fingerprint(cert: x509.Certificate) -> str:
    digest = cert.fingerprint(hashes.SHA256()).hex().upper()
    return ":".join(digest[i : i + 2] for i in range(0, len(digest), 2))


def spki_pin(cert: x509.Certificate) -> str:
    """The base64 SHA-256 of the certificate's public key (SubjectPublicKeyInfo): what
    Chromium's --ignore-certificate-errors-spki-list and HTTP key pins name."""
    spki = cert.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    return base64.b64encode(hashlib.sha256(spki).digest()).decode("ascii")


# --- a certificate the fitter gives -----------------------------------------------------------


def check_given(cert_path: str, key_path: str) -> tuple[Certificate | None, list[Problem]]:
    """The certificate and key given with --cert and --key, or every problem with them, each
    naming its file: missing or unreadable, not PEM, a key with a passphrase, a key that is
    not the certificate's."""
    problems: list[Problem] = []
    certs: list[x509.Certificate] = []
    key = None
    cert_data = _read(cert_path, problems)
    if cert_data is not None:
        try:
            certs = x509.load_pem_x509_certificates(cert_data)
        except ValueError:
            problems.append(
                Problem(cert_path, "holds no PEM certificate (a block beginning -----BEGIN CERTIFICATE-----)")
            )
    key_data = _read(key_path, problems)
    if key_data is not None:
        try:
            key = serialization.load_pem_private_key(key_data, password=None)
        except TypeError:
            problems.append(
                Problem(key_path, "is protected by a passphrase; give a copy without one, readable only by you")
            )
        except ValueError:
            problems.append(
                Problem(key_path, "holds no PEM private key (a block beginning -----BEGIN ... PRIVATE KEY-----)")
            )
        except UnsupportedAlgorithm as err:
            problems.append(Problem(key_path, f"holds a kind of key that cannot be used ({err})"))
    if problems or key is None or not certs:
        return None, problems
    leaf = certs[0]  # the server's own; any others are the chain up to its authority
    if _spki(leaf.public_key()) != _spki(key.public_key()):
        return None, [Problem(key_path, f"is not the key of the certificate in {cert_path}; give the pair together")]
    try:
        ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER).load_cert_chain(cert_path, key_path)
    except (ssl.SSLError, OSError) as err:
        return None, [Problem(cert_path, f"cannot be served with {key_path} ({getattr(err, 'reason', None) or err})")]
    return _described(leaf, Path(cert_path), Path(key_path)), []


def _read(path: str, problems: list[Problem]) -> bytes | None:
    p = Path(path).expanduser()
    try:
        if not stat.S_ISREG(p.stat().st_mode):
            problems.append(Problem(path, "is not a file; give the path of a PEM file"))
            return None
        with p.open("rb") as handle:
            data = handle.read(MAX_PEM + 1)
    except FileNotFoundError:
        problems.append(Problem(path, "no such file"))
        return None
    except PermissionError:
        problems.append(Problem(path, "cannot be read: permission denied"))
        return None
    except OSError as err:
        problems.append(Problem(path, f"cannot be read: {err.strerror or err}"))
        return None
    if len(data) > MAX_PEM:
        problems.append(Problem(path, f"is larger than {MAX_PEM:,} bytes; a certificate or key is a few kilobytes"))
        return None
    return data


# --- the studio's own ----------------------------------------------------------------------


def own_certificate(folder: Path, host: str) -> Certificate:
    """The studio's own certificate for serving on ``host``, from ``folder``: kept from an
    earlier start when it still names everything needed, else made (again) and kept. The
    key is readable by its owner only; so is the folder."""
    wanted = names_for(host)
    cert_path, key_path = folder / CERT_FILE, folder / KEY_FILE
    try:
        folder.mkdir(parents=True, exist_ok=True)
        if os.name == "posix":
            folder.chmod(0o700)
        key = _own_key(key_path)
        old = _own_cert(cert_path, key)
        now = dt.datetime.now(dt.timezone.utc)
        if old is not None and set(wanted) <= set(_names_of(old)) and old.not_valid_after_utc - now > RENEW_BEFORE:
            return _described(old, cert_path, key_path, "kept")
        # Made again with the same key and every name it had: a tablet that reached the studio
        # by another address keeps reaching it, and a key pin stays right.
        names = list(dict.fromkeys([*wanted, *(_names_of(old) if old is not None else [])]))
        if key is None:
            key = ec.generate_private_key(ec.SECP256R1())
            _write(key_path, key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                               serialization.NoEncryption()), private=True)  # fmt: skip
        made = _self_signed(key, names, now)
        _write(cert_path, made.public_bytes(serialization.Encoding.PEM), private=False)
    except OSError as err:
        raise AdvisorError(
            [Problem(str(folder), f"the studio's own certificate cannot be kept here: {err.strerror or err}")]
        ) from None
    return _described(made, cert_path, key_path, "renewed" if old is not None else "made")


def names_for(host: str) -> list[Name]:
    """What a tablet may type to reach the studio on ``host``: that address (or, on every
    address, this computer's own), the computer's name and its .local name, and localhost."""
    names: list[Name] = []
    if host in WILDCARDS:
        names += _own_addresses(socket.AF_INET6 if host == "::" else socket.AF_INET)
    else:
        names.append(_name(host))
    hostname = socket.gethostname().strip().lower().rstrip(".")
    if _dns_name(hostname):
        names.append(hostname)
        if "." not in hostname:
            names.append(f"{hostname}.local")  # as Bonjour / mDNS names it on the studio's network
    names += ["localhost", ipaddress.ip_address("127.0.0.1"), ipaddress.ip_address("::1")]
    return list(dict.fromkeys(names))


def _own_addresses(family: socket.AddressFamily) -> list[Name]:
    """This computer's addresses on its networks, as far as can be told without asking anyone:
    the one its default route leaves from (a UDP socket sends nothing to connect) and those
    its name stands for."""
    found: list[Name] = []
    probes = [(socket.AF_INET, "192.0.2.1")] + ([(socket.AF_INET6, "2001:db8::1")] if family == socket.AF_INET6 else [])
    for fam, probe in probes:
        with contextlib.suppress(OSError), socket.socket(fam, socket.SOCK_DGRAM) as s:
            s.connect((probe, 9))
            found.append(ipaddress.ip_address(s.getsockname()[0]))
    with contextlib.suppress(OSError, UnicodeError):
        for *_, sockaddr in socket.getaddrinfo(socket.gethostname(), None, proto=socket.IPPROTO_TCP):
            found.append(ipaddress.ip_address(str(sockaddr[0]).split("%")[0]))
    usable = [a for a in found if isinstance(a, str) or not (a.is_loopback or a.is_link_local or a.is_unspecified)]
    return list(dict.fromkeys(usable))


def _name(host: str) -> Name:
    try:
        return ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return host.lower().rstrip(".")


def _dns_name(name: str) -> bool:
    labels = name.split(".")
    return 0 < len(name) <= 253 and all(
        0 < len(label) <= 63 and label.replace("-", "").isalnum() and label.isascii() for label in labels
    )


def _own_key(path: Path) -> ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey | None:
    """The key kept from an earlier start (made readable by its owner only again), or None."""
    if not path.exists():
        return None
    if os.name == "posix" and path.stat().st_mode & 0o077:
        path.chmod(0o600)
    try:
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    except (ValueError, TypeError):
        return None  # damaged: a new key and certificate replace it
    return key if isinstance(key, (ec.EllipticCurvePrivateKey, rsa.RSAPrivateKey)) else None


def _own_cert(path: Path, key: ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey | None) -> x509.Certificate | None:
    if key is None or not path.exists():
        return None
    try:
        cert = x509.load_pem_x509_certificate(path.read_bytes())
    except ValueError:
        return None
    return cert if _spki(cert.public_key()) == _spki(key.public_key()) else None


def _self_signed(
    key: ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey, names: Iterable[Name], now: dt.datetime
) -> x509.Certificate:
    names = list(names)
    alt: list[x509.GeneralName] = [x509.DNSName(n) if isinstance(n, str) else x509.IPAddress(n) for n in names]
    # What the certificate may vouch for, written into it: a tablet that trusts it as its own
    # authority (the only way iPadOS and Android trust a self-signed certificate) trusts it for
    # the studio's names and addresses alone, so its key, were it ever copied off this
    # computer, could not be made to vouch for a bank's site.
    permitted: list[x509.GeneralName] = [
        x509.DNSName(n) if isinstance(n, str) else x509.IPAddress(ipaddress.ip_network(n)) for n in names
    ]
    host = socket.gethostname()[:40] or "this computer"
    subject = x509.Name(
        [
            x509.NameAttribute(NameOID.COMMON_NAME, f"Bike-fit studio on {host}"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "bikefit-advisor"),
        ]
    )
    public = key.public_key()
    return (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(public)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(hours=1))  # a tablet whose clock is a little behind
        .not_valid_after(now + LIFETIME)
        .add_extension(x509.SubjectAlternativeName(alt), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(x509.NameConstraints(permitted_subtrees=permitted, excluded_subtrees=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public), critical=False)
        .sign(key, hashes.SHA256())
    )


def _write(path: Path, data: bytes, *, private: bool) -> None:
    """Write a whole file or nothing: a temporary file beside it, renamed. A key is created
    readable by its owner only, never readable by others for a moment."""
    temp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    temp.unlink(missing_ok=True)
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600 if private else 0o644)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.replace(temp, path)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise


def _names_of(cert: x509.Certificate) -> list[Name]:
    try:
        alt = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        return []
    addresses = alt.get_values_for_type(x509.IPAddress)
    return [*alt.get_values_for_type(x509.DNSName), *(a for a in addresses if not isinstance(a, NETWORKS))]


def _described(cert: x509.Certificate, cert_path: Path, key_path: Path, news: str = "") -> Certificate:
    names = tuple(str(n) for n in _names_of(cert))
    return Certificate(cert_path, key_path, fingerprint(cert), names, cert.not_valid_after_utc, news)


def _spki(public: PublicKeyTypes) -> bytes:
    return public.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
