"""Curation records: review decisions, fan reports, appeals and the refunds a takedown owes."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import Enum, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..db import Base, utcnow
from ..releases.models import Release


def _enum(cls: type[enum.Enum]) -> Enum:
    return Enum(cls, values_callable=lambda e: [m.value for m in e], native_enum=False, length=24)


class Decision(enum.StrEnum):
    APPROVE = "approve"
    REQUEST_CHANGES = "request_changes"
    REJECT = "reject"
    TAKE_DOWN = "take_down"
    REINSTATE = "reinstate"


class ReasonCode(enum.StrEnum):
    GENERATIVE_AI = "generative_ai"
    NOT_OWN_WORK = "not_own_work"
    IMPERSONATION = "impersonation"
    METADATA = "metadata"
    AUDIO_QUALITY = "audio_quality"
    OTHER = "other"


REASON_LABELS = {
    ReasonCode.GENERATIVE_AI: "Generated content (breaks the human-made policy)",
    ReasonCode.NOT_OWN_WORK: "Not the artist's own work (possible copy)",
    ReasonCode.IMPERSONATION: "Impersonation of another artist",
    ReasonCode.METADATA: "Wrong or misleading details",
    ReasonCode.AUDIO_QUALITY: "Audio problems",
    ReasonCode.OTHER: "Other",
}


class ReviewDecision(Base):
    __tablename__ = "review_decisions"
    __table_args__ = (Index("ix_review_decisions_release_created", "release_id", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    release_id: Mapped[int] = mapped_column(ForeignKey("releases.id", ondelete="CASCADE"))
    reviewer_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    decision: Mapped[Decision] = mapped_column(_enum(Decision))
    reason: Mapped[ReasonCode | None] = mapped_column(_enum(ReasonCode))
    # Told to the artist; never shown publicly.
    message: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)

    release: Mapped[Release] = relationship()


class ReportStatus(enum.StrEnum):
    OPEN = "open"
    RESOLVED = "resolved"
    DISMISSED = "dismissed"


class Report(Base):
    """A fan's report that a release may be generated, copied or impersonating someone."""

    __tablename__ = "reports"

    id: Mapped[int] = mapped_column(primary_key=True)
    release_id: Mapped[int] = mapped_column(ForeignKey("releases.id", ondelete="CASCADE"), index=True)
    reporter_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    reason: Mapped[ReasonCode] = mapped_column(_enum(ReasonCode))
    details: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[ReportStatus] = mapped_column(_enum(ReportStatus), default=ReportStatus.OPEN)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    resolved_at: Mapped[datetime | None] = mapped_column()
    resolved_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    release: Mapped[Release] = relationship()


class AppealStatus(enum.StrEnum):
    OPEN = "open"
    UPHELD = "upheld"  # the decision stands
    OVERTURNED = "overturned"


class Appeal(Base):
    __tablename__ = "appeals"

    id: Mapped[int] = mapped_column(primary_key=True)
    release_id: Mapped[int] = mapped_column(ForeignKey("releases.id", ondelete="CASCADE"), index=True)
    decision_id: Mapped[int] = mapped_column(ForeignKey("review_decisions.id", ondelete="CASCADE"))
    appellant_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    text: Mapped[str] = mapped_column(Text)
    status: Mapped[AppealStatus] = mapped_column(_enum(AppealStatus), default=AppealStatus.OPEN)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    decided_at: Mapped[datetime | None] = mapped_column()
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    answer: Mapped[str] = mapped_column(Text, default="")

    release: Mapped[Release] = relationship()
    decision: Mapped[ReviewDecision] = relationship()


class RefundStatus(enum.StrEnum):
    REQUESTED = "requested"
    REFUNDED = "refunded"
    FAILED = "failed"


class RefundRequest(Base):
    """A refund a takedown owes a buyer, recorded first and then asked of the payment gateway."""

    __tablename__ = "refund_requests"

    id: Mapped[int] = mapped_column(primary_key=True)
    release_id: Mapped[int] = mapped_column(ForeignKey("releases.id", ondelete="CASCADE"), index=True)
    buyer_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    payment_reference: Mapped[str] = mapped_column(String(120))
    amount_minor: Mapped[int] = mapped_column()
    currency: Mapped[str] = mapped_column(String(3))
    status: Mapped[RefundStatus] = mapped_column(_enum(RefundStatus), default=RefundStatus.REQUESTED)
    gateway_reference: Mapped[str | None] = mapped_column(String(120))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
