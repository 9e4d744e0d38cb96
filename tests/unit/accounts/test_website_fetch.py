"""Reading an artist's website: public addresses only, the vetted one connected to, small quick answers."""

from __future__ import annotations

import contextlib
import http.server
import ipaddress
import re
import socket
import ssl
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from storefront.accounts.identity.website import WebsiteFetcher, is_public
from storefront.accounts.services import AccountError


@dataclass
class Site:
    """A web server on 127.0.0.1 whose answers each test sets: path -> (status, headers, body)."""

    port: int = 0
    pages: dict[str, tuple[int, dict[str, str], bytes]] = field(default_factory=dict)
    hosts: list[str] = field(default_factory=list)
    # A page at /slow answers only once this is set: the client must give up first.
    release: threading.Event = field(default_factory=threading.Event)


@pytest.fixture
def site() -> Iterator[Site]:
    state = Site()

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            state.hosts.append(self.headers.get("Host", ""))
            if self.path == "/slow":
                state.release.wait(30)
            status, headers, body = state.pages.get(self.path, (404, {}, b""))
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.end_headers()
            # The client stops reading a huge body, as it should.
            with contextlib.suppress(OSError):
                self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            return None

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    state.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield state
    state.release.set()
    server.shutdown()
    server.server_close()


def resolving(table: dict[str, list[str]], calls: list[str] | None = None):
    """A resolver answering from `table`; an unknown name fails as a mistyped domain does."""

    def resolve(host: str, port: int) -> list[str]:
        if calls is not None:
            calls.append(host)
        if host not in table:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return table[host]

    return resolve


def refusal(fetcher: WebsiteFetcher, url: str) -> str:
    with pytest.raises(AccountError) as caught:
        fetcher(url)
    message = caught.value.message
    # No port numbers, no exception class names: nothing that helps to map a network.
    assert "Error" not in message and "errno" not in message.lower()
    return message


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1", "10.1.2.3", "172.16.0.1", "192.168.1.1", "169.254.169.254", "100.64.0.1", "0.0.0.0",
        "224.0.0.1", "240.0.0.1", "255.255.255.255", "::1", "::", "fe80::1", "fc00::1", "ff02::1",
        "::ffff:127.0.0.1", "::ffff:10.0.0.1", "64:ff9b::a9fe:a9fe", "2002:7f00:1::1", "2001:db8::1",
    ],
)
def test_internal_addresses_are_not_public(address: str) -> None:
    assert not is_public(ipaddress.ip_address(address))


@pytest.mark.parametrize("address", ["93.184.216.34", "2606:2800:220:1:248:1893:25c8:1946", "::ffff:8.8.8.8"])
def test_public_addresses_are(address: str) -> None:
    assert is_public(ipaddress.ip_address(address))


def test_a_private_address_is_refused_without_connecting(site: Site) -> None:
    site.pages["/"] = (200, {}, b"token")
    for url in (f"http://127.0.0.1:{site.port}/", "http://[::ffff:127.0.0.1]/", "http://[::1]/"):
        assert refusal(WebsiteFetcher(), url) == "That address is not a public website."
    assert site.hosts == []


def test_a_name_resolving_to_loopback_is_refused(site: Site) -> None:
    fetcher = WebsiteFetcher(resolver=resolving({"band.example": ["127.0.0.1"]}))
    assert refusal(fetcher, f"http://band.example:{site.port}/") == "That address is not a public website."
    # One internal address among public ones is enough: we might have connected to it.
    mixed = WebsiteFetcher(resolver=resolving({"band.example": ["93.184.216.34", "10.0.0.7"]}))
    assert refusal(mixed, "https://band.example/") == "That address is not a public website."
    assert site.hosts == []


def test_the_vetted_address_is_the_one_connected_to(site: Site) -> None:
    site.pages["/token.txt"] = (200, {}, b"velvet-artist-abc")
    calls: list[str] = []
    fetcher = WebsiteFetcher(resolver=resolving({"band.example": ["127.0.0.1"]}, calls), allow_loopback=True)
    # band.example exists nowhere: only the injected resolver knows it, so no second lookup took place.
    assert fetcher(f"http://band.example:{site.port}/token.txt") == "velvet-artist-abc"
    assert calls == ["band.example"]
    assert site.hosts == [f"band.example:{site.port}"]


def test_a_redirect_to_a_private_address_is_refused(site: Site) -> None:
    site.pages["/"] = (302, {"Location": "http://metadata.example/latest/"}, b"")
    site.pages["/moved"] = (301, {"Location": "/final"}, b"")
    site.pages["/final"] = (200, {}, b"arrived")
    table = {"band.example": ["127.0.0.1"], "metadata.example": ["169.254.169.254"]}
    fetcher = WebsiteFetcher(resolver=resolving(table), allow_loopback=True)
    assert refusal(fetcher, f"http://band.example:{site.port}/") == "That address is not a public website."
    # A redirect that stays on a vetted address is followed.
    assert fetcher(f"http://band.example:{site.port}/moved") == "arrived"


def test_endless_redirects_stop(site: Site) -> None:
    site.pages["/loop"] = (302, {"Location": "/loop"}, b"")
    fetcher = WebsiteFetcher(allow_loopback=True)
    assert "too many times" in refusal(fetcher, f"http://127.0.0.1:{site.port}/loop")
    assert len(site.hosts) == fetcher.max_redirects + 1


def test_an_oversized_body_is_cut(site: Site) -> None:
    site.pages["/big"] = (200, {}, b"a" * 5000 + b"token-at-the-end" + b"b" * 2_000_000)
    body = WebsiteFetcher(allow_loopback=True, max_bytes=4096)(f"http://127.0.0.1:{site.port}/big")
    assert body == "a" * 4096


def test_a_slow_server_times_out(site: Site) -> None:
    fetcher = WebsiteFetcher(allow_loopback=True, timeout=0.2)
    message = refusal(fetcher, f"http://127.0.0.1:{site.port}/slow")
    assert message == "127.0.0.1 took too long to answer. Try again in a moment."


def test_a_mistyped_domain_gets_a_message(site: Site) -> None:
    fetcher = WebsiteFetcher(resolver=resolving({}))
    message = refusal(fetcher, "https://bnad.example:8443/")
    assert message == "We could not find bnad.example. Check the spelling of your website's address."
    assert "8443" not in message


def test_a_closed_port_does_not_tell_the_port(site: Site) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed = probe.getsockname()[1]
    message = refusal(WebsiteFetcher(allow_loopback=True), f"http://127.0.0.1:{closed}/")
    assert str(closed) not in message and "could not connect" in message


def test_an_error_status_is_named(site: Site) -> None:
    message = refusal(WebsiteFetcher(allow_loopback=True), f"http://127.0.0.1:{site.port}/missing")
    assert message == "Your website answered “404” instead of the file."


@pytest.mark.parametrize(
    "url", ["ftp://band.example/", "https://", "http://user:pw@band.example/", "https://band.example:99999/"]
)
def test_addresses_that_are_not_websites(url: str) -> None:
    assert "starting with https://" in refusal(WebsiteFetcher(resolver=resolving({})), url)


# -- https: the vetted address is connected to, the certificate is still checked against the name --------
def _certificate(tmp_path: Path, name: str) -> tuple[Path, Path, Path]:
    """A certificate authority and a server certificate for `name` it signed: (ca, cert, key) files."""
    now = datetime.now(UTC)

    def build(subject: str, issuer: str, key: ec.EllipticCurvePrivateKey, signer: ec.EllipticCurvePrivateKey,
              *, ca: bool) -> x509.Certificate:
        builder = (
            x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)]))
            .issuer_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, issuer)]))
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - timedelta(days=1))
            .not_valid_after(now + timedelta(days=1))
            .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
        )
        if ca:
            builder = builder.add_extension(
                x509.KeyUsage(False, False, False, False, False, True, True, False, False), critical=True
            ).add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        else:
            builder = builder.add_extension(x509.SubjectAlternativeName([x509.DNSName(name)]), critical=False)
            builder = builder.add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_public_key(signer.public_key()), critical=False
            )
        return builder.sign(signer, hashes.SHA256())

    ca_key, server_key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    ca = build("Test CA", "Test CA", ca_key, ca_key, ca=True)
    server = build(name, "Test CA", server_key, ca_key, ca=False)
    paths = tmp_path / "ca.pem", tmp_path / "server.pem", tmp_path / "server.key"
    paths[0].write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    paths[1].write_bytes(server.public_bytes(serialization.Encoding.PEM))
    paths[2].write_bytes(
        server_key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    return paths


@pytest.fixture
def tls_site(site: Site, tmp_path: Path) -> Iterator[tuple[Site, int, Path]]:
    """The same handler behind TLS, with a certificate for band.example only."""
    ca, cert, key = _certificate(tmp_path, "band.example")
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]

    def answer(conn: socket.socket) -> None:
        # A client that refuses our certificate hangs up during or right after the handshake.
        with contextlib.suppress(OSError), context.wrap_socket(conn, server_side=True) as tls:
            host = re.search(r"(?im)^host: (.*)$", tls.recv(4096).decode("latin-1"))
            if host:
                site.hosts.append(host.group(1).strip())
                tls.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nConnection: close\r\n\r\nhello")

    def serve() -> None:
        with contextlib.suppress(OSError):
            while True:
                answer(listener.accept()[0])

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield site, port, ca
    listener.close()


def test_https_connects_to_the_vetted_address_and_checks_the_name(tls_site: tuple[Site, int, Path]) -> None:
    site, port, ca = tls_site
    table = {"band.example": ["127.0.0.1"], "other.example": ["127.0.0.1"]}
    fetcher = WebsiteFetcher(resolver=resolving(table), allow_loopback=True, ca_certs=str(ca))
    assert fetcher(f"https://band.example:{port}/") == "hello"
    assert site.hosts == [f"band.example:{port}"]
    # The same address under a name the certificate does not cover is refused.
    assert "valid HTTPS certificate" in refusal(fetcher, f"https://other.example:{port}/")
    # And a certificate from an authority we do not trust.
    untrusting = WebsiteFetcher(resolver=resolving(table), allow_loopback=True)
    assert "valid HTTPS certificate" in refusal(untrusting, f"https://band.example:{port}/")
