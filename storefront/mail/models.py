"""Every message the platform sends, kept as a row: the outbox admins read, and the delivery record."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import Enum, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ..db import Base, utcnow


class MessageStatus(enum.StrEnum):
    QUEUED = "queued"
    KEPT = "kept"  # the outbox transport: held for reading in the admin pages
    SENT = "sent"
    FAILED = "failed"


class OutboundMessage(Base):
    __tablename__ = "outbound_messages"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(60), index=True)
    to_address: Mapped[str] = mapped_column(String(320), index=True)
    subject: Mapped[str] = mapped_column(String(300))
    text_body: Mapped[str] = mapped_column(Text)
    # Extra header fields, such as List-Unsubscribe: name to value, set by whoever composed the message.
    headers: Mapped[dict[str, Any]] = mapped_column(default=dict)
    status: Mapped[MessageStatus] = mapped_column(
        Enum(MessageStatus, values_callable=lambda e: [m.value for m in e], native_enum=False, length=16),
        default=MessageStatus.QUEUED,
    )
    error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    delivered_at: Mapped[datetime | None] = mapped_column()
