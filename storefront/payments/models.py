"""Gateway events as received, and the sandbox gateway's own records."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from ..db import Base, utcnow


class PaymentEvent(Base):
    """A webhook event, kept once by its id: a duplicate delivery finds the row and changes nothing.
    Handling happens in a job, so a crash or a failing handler is retried rather than lost."""

    __tablename__ = "payment_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[str] = mapped_column(String(120), unique=True)
    gateway: Mapped[str] = mapped_column(String(16))
    type: Mapped[str] = mapped_column(String(80), index=True)
    object_id: Mapped[str] = mapped_column(String(120), index=True)
    account: Mapped[str | None] = mapped_column(String(120))
    created: Mapped[int] = mapped_column()  # the gateway's timestamp, unix seconds
    data: Mapped[dict[str, Any]] = mapped_column(default=dict)
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
    handled_at: Mapped[datetime | None] = mapped_column()


class SandboxObject(Base):
    """The sandbox gateway's state (checkout sessions, charges, accounts, transfers, refunds), kept in the
    database so every worker of an embedded site sees the same sandbox. No money is behind any of it."""

    __tablename__ = "sandbox_objects"

    id: Mapped[str] = mapped_column(String(120), primary_key=True)
    kind: Mapped[str] = mapped_column(String(40), index=True)
    data: Mapped[dict[str, Any]] = mapped_column(default=dict)
    idempotency_key: Mapped[str | None] = mapped_column(String(160), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
