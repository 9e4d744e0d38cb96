"""The SMTP transport against a plain-text mail server on loopback: the password never leaves in clear."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest

from storefront.mail.interfaces import Envelope
from storefront.mail.smtp import InsecureSmtpServer, SmtpTransport

PASSWORD = "s3cret-mail-password"


@dataclass
class PlainSmtpServer:
    """Just enough of RFC 5321 to receive one message, offering AUTH but no STARTTLS, like a misconfigured
    or downgraded server would. Records every byte it is sent."""

    sock: socket.socket
    received: list[bytes] = field(default_factory=list)
    messages: int = 0

    @property
    def port(self) -> int:
        return int(self.sock.getsockname()[1])

    @property
    def commands(self) -> list[str]:
        return [
            line.split(b" ", 1)[0].upper().decode() for line in b"".join(self.received).splitlines() if line
        ]

    def serve(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            with conn:
                self._session(conn)

    def _session(self, conn: socket.socket) -> None:
        reader = conn.makefile("rb")
        conn.sendall(b"220 mail.test ESMTP\r\n")
        in_data = False
        for line in reader:
            self.received.append(line)
            if in_data:
                if line.rstrip(b"\r\n") == b".":
                    in_data = False
                    self.messages += 1
                    conn.sendall(b"250 queued\r\n")
                continue
            verb = line.split(b" ", 1)[0].strip().upper()
            if verb == b"EHLO":
                conn.sendall(b"250-mail.test\r\n250-AUTH PLAIN LOGIN\r\n250 8BITMIME\r\n")
            elif verb == b"AUTH":
                conn.sendall(b"235 accepted\r\n")
            elif verb == b"DATA":
                in_data = True
                conn.sendall(b"354 go ahead\r\n")
            elif verb == b"QUIT":
                conn.sendall(b"221 bye\r\n")
                return
            else:
                conn.sendall(b"250 ok\r\n")


@pytest.fixture
def plain_server() -> Iterator[PlainSmtpServer]:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    sock.listen(2)
    server = PlainSmtpServer(sock)
    thread = threading.Thread(target=server.serve, daemon=True)
    thread.start()
    yield server
    sock.shutdown(socket.SHUT_RDWR)  # wakes the blocked accept()
    sock.close()
    thread.join(5)


def _envelope() -> Envelope:
    return Envelope(1, "shop@example.com", "fan@example.com", "Hello", "A message.")


def test_credentials_are_not_sent_when_the_server_offers_no_starttls(plain_server):
    transport = SmtpTransport(f"smtp://mailer:{PASSWORD}@127.0.0.1:{plain_server.port}", timeout=5)
    with pytest.raises(InsecureSmtpServer, match="does not offer STARTTLS"):
        transport.deliver(_envelope())
    assert "EHLO" in plain_server.commands
    assert "AUTH" not in plain_server.commands
    assert plain_server.messages == 0
    assert PASSWORD.encode() not in b"".join(plain_server.received)


def test_health_check_reports_the_refusal(plain_server):
    transport = SmtpTransport(f"smtp://mailer:{PASSWORD}@127.0.0.1:{plain_server.port}", timeout=5)
    health = transport.check()
    assert not health.ok and "InsecureSmtpServer" in health.detail
    assert "AUTH" not in plain_server.commands


def test_a_relay_without_credentials_still_delivers_in_plain_text(plain_server):
    # Nothing secret is sent to a local relay that takes mail without a login.
    transport = SmtpTransport(f"smtp://127.0.0.1:{plain_server.port}", timeout=5)
    transport.deliver(_envelope())
    assert plain_server.messages == 1
    assert "AUTH" not in plain_server.commands


def test_extra_header_fields_reach_the_server(plain_server):
    # RFC 8058's pair, as new-release mail carries it.
    transport = SmtpTransport(f"smtp://127.0.0.1:{plain_server.port}", timeout=5)
    unsubscribe = "<https://shop.example.com/unsubscribe/abc.def>"
    headers = (("List-Unsubscribe", unsubscribe), ("List-Unsubscribe-Post", "List-Unsubscribe=One-Click"))
    transport.deliver(Envelope(2, "shop@example.com", "fan@example.com", "New", "A release.", headers))
    sent = b"".join(plain_server.received).decode()
    assert f"List-Unsubscribe: {unsubscribe}\r\n" in sent
    assert "List-Unsubscribe-Post: List-Unsubscribe=One-Click\r\n" in sent
