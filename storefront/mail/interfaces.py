"""The mail transport contract: deliver one stored message, or say why not."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class Envelope:
    message_id: int
    sender: str
    to_address: str
    subject: str
    text_body: str
    # Extra header fields in order, e.g. ("List-Unsubscribe", "<https://…>"), added as given.
    headers: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class MailHealth:
    ok: bool
    backend: str
    detail: str = ""


class MailTransport(Protocol):
    backend_name: str
    # True when delivery means "kept here for reading" rather than "handed to a mail server".
    keeps_messages: bool

    def deliver(self, envelope: Envelope) -> None: ...

    def check(self) -> MailHealth: ...
