"""Audit events: who did what to which record, and when, tagged "subject:action"."""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from .db import Base, utcnow


class AuditEvent(Base):
    __tablename__ = "audit_events"
    __table_args__ = (Index("ix_audit_events_subject", "subject_type", "subject_id", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    tag: Mapped[str] = mapped_column(String(80), index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    subject_type: Mapped[str] = mapped_column(String(40))
    subject_id: Mapped[int] = mapped_column()
    data: Mapped[dict[str, Any]] = mapped_column(default=dict)
    ip_hash: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)


def hash_ip(ip: str | None, secret: str) -> str | None:
    """A keyed hash, so the log can tell repeat addresses apart without keeping them."""
    if not ip:
        return None
    return hashlib.blake2b(ip.encode(), key=secret.encode()[:64], digest_size=16).hexdigest()


def record_event(
    session: Session,
    tag: str,
    *,
    subject_type: str,
    subject_id: int,
    actor_id: int | None,
    data: dict[str, Any] | None = None,
    ip_hash: str | None = None,
) -> AuditEvent:
    if ":" not in tag:
        raise ValueError(f"event tag {tag!r} must look like 'subject:action'")
    event = AuditEvent(
        tag=tag,
        actor_id=actor_id,
        subject_type=subject_type,
        subject_id=subject_id,
        data=data or {},
        ip_hash=ip_hash,
    )
    session.add(event)
    session.flush()
    return event


def events_for(session: Session, subject_type: str, subject_id: int, limit: int = 100) -> list[AuditEvent]:
    stmt = (
        select(AuditEvent)
        .where(AuditEvent.subject_type == subject_type, AuditEvent.subject_id == subject_id)
        .order_by(AuditEvent.created_at.desc(), AuditEvent.id.desc())
        .limit(limit)
    )
    return list(session.scalars(stmt))
