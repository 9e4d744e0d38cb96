"""Mail delivery over SMTP, with STARTTLS (smtp://) or implicit TLS (smtps://)."""

from __future__ import annotations

import smtplib
import ssl
from email.message import EmailMessage
from email.utils import make_msgid
from urllib.parse import unquote, urlsplit

from .interfaces import Envelope, MailHealth


class InsecureSmtpServer(smtplib.SMTPException):
    """The server does not offer STARTTLS, so logging in would send the password in clear text."""


class SmtpTransport:
    backend_name = "smtp"
    keeps_messages = False

    def __init__(self, url: str, *, timeout: float = 20.0) -> None:
        parts = urlsplit(url)
        if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
            raise ValueError("the SMTP URL must look like smtp://user:password@host:587 or smtps://...")
        self.implicit_tls = parts.scheme == "smtps"
        self.host = parts.hostname
        self.port = parts.port or (465 if self.implicit_tls else 587)
        self.username = unquote(parts.username) if parts.username else None
        self.password = unquote(parts.password) if parts.password else None
        self.timeout = timeout

    def _connect(self) -> smtplib.SMTP:
        context = ssl.create_default_context()
        if self.implicit_tls:
            return smtplib.SMTP_SSL(self.host, self.port, timeout=self.timeout, context=context)
        client = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
        try:
            client.ehlo()
            if client.has_extn("starttls"):
                client.starttls(context=context)
                client.ehlo()
            elif self.username:
                # Never fall back to clear text with credentials: anyone on the path would read them.
                raise InsecureSmtpServer(
                    f"the mail server {self.host}:{self.port} does not offer STARTTLS, so the password "
                    "will not be sent; enable STARTTLS on it or use an smtps:// URL"
                )
        except BaseException:
            client.close()
            raise
        return client

    def deliver(self, envelope: Envelope) -> None:
        message = EmailMessage()
        message["From"] = envelope.sender
        message["To"] = envelope.to_address
        message["Subject"] = envelope.subject
        # A stable id per stored message lets receiving servers drop a copy sent twice after a retry.
        message["Message-ID"] = make_msgid(idstring=f"velvet-{envelope.message_id}")
        for name, value in envelope.headers:
            message[name] = value
        message.set_content(envelope.text_body)
        with self._connect() as client:
            if self.username:
                client.login(self.username, self.password or "")
            client.send_message(message)

    def check(self) -> MailHealth:
        try:
            with self._connect() as client:
                code, _ = client.noop()
        except (OSError, smtplib.SMTPException) as exc:
            return MailHealth(False, self.backend_name, f"{self.host}:{self.port}: {exc.__class__.__name__}")
        return MailHealth(code == 250, self.backend_name, f"{self.host}:{self.port}")
