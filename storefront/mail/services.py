"""Composing mail inside a transaction and delivering it by job once that transaction has committed."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from functools import cache
from typing import Any

import jinja2
from sqlalchemy.orm import Session

from ..db import utcnow
from ..jobs.interfaces import JobQueue, JobRegistry, JobSpec
from ..jobs.runner import JobContext
from .interfaces import Envelope, MailTransport
from .models import MessageStatus, OutboundMessage

Renderer = Callable[[str, Mapping[str, Any]], str]
DELIVER_JOB = JobSpec("mail.deliver")
# Field names of RFC 5322 (printable ASCII but the colon); the fields the transport sets itself are refused.
_HEADER_NAME = re.compile(r"(?!(?i:from|to|subject|message-id|cc|bcc)$)[!-9;-~]{1,76}")


@cache
def _plain_text_templates() -> jinja2.Environment:
    from .. import ROOT

    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(ROOT / "templates")),
        autoescape=False,  # noqa: S701 (plain-text mail, never HTML)
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
    )


def render_outside_request(template: str, context: Mapping[str, Any]) -> str:
    """Renders mail in a job, where there is no request and no app context: from the template folder."""
    return _plain_text_templates().get_template(template).render(**context)


class MailService:
    def __init__(self, session: Session, queue: JobQueue, render: Renderer) -> None:
        self.session = session
        self.queue = queue
        self.render = render

    def send(self, kind: str, to: str, subject: str, template: str, **context: Any) -> OutboundMessage:
        return self.send_with_headers(kind, to, subject, template, {}, **context)

    def send_with_headers(
        self,
        kind: str,
        to_address: str,
        subject: str,
        template: str,
        headers: Mapping[str, str],
        **context: Any,
    ) -> OutboundMessage:
        """`send`, with extra header fields such as List-Unsubscribe (never From, To, Subject or the id)."""
        body = self.render(f"mail/{template}.txt", context)
        extra = dict(headers)
        for name, value in extra.items():
            if not _HEADER_NAME.fullmatch(name) or "\r" in value or "\n" in value:
                raise ValueError(f"not a header a message may carry: {name!r}")
        message = OutboundMessage(
            kind=kind, to_address=to_address, subject=subject, text_body=body, headers=extra
        )
        self.session.add(message)
        self.session.flush()
        self.queue.enqueue(DELIVER_JOB, {"message_id": message.id}, dedupe_key=f"mail:{message.id}")
        return message


def register_jobs(registry: JobRegistry, transport: MailTransport, sender: str) -> None:
    def deliver(context: JobContext, payload: dict[str, Any]) -> None:
        with context.database.transaction() as session:
            message = session.get(OutboundMessage, payload["message_id"])
            if message is None or message.status in (MessageStatus.SENT, MessageStatus.KEPT):
                return
            envelope = Envelope(
                message.id,
                sender,
                message.to_address,
                message.subject,
                message.text_body,
                tuple((str(name), str(value)) for name, value in (message.headers or {}).items()),
            )
        transport.deliver(envelope)
        with context.database.transaction() as session:
            stored = session.get(OutboundMessage, payload["message_id"])
            if stored is not None:
                stored.status = MessageStatus.KEPT if transport.keeps_messages else MessageStatus.SENT
                stored.delivered_at = utcnow()

    registry.add(DELIVER_JOB, deliver)
