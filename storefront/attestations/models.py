"""Signed human-made attestations (append-only), and what labels require of their roster's attestations."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text, event, inspect
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Mapped, Mapper, mapped_column, relationship

from ..accounts.models import Label, User
from ..db import Base, utcnow
from ..releases.models import Release

# The only columns a signed attestation may ever change: the label's countersignature arrives later.
COUNTERSIGNATURE_COLUMNS = frozenset(
    {"label_countersigner_id", "label_countersigned_at", "label_countersignature"}
)


class AttestationImmutable(RuntimeError):
    """Code tried to change or delete a signed attestation; a new one must be signed instead."""


class Attestation(Base):
    """One signature over the canonical document; a newer row supersedes it, nothing rewrites it."""

    __tablename__ = "attestations"
    __table_args__ = (Index("ix_attestations_release_signed", "release_id", "signed_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    release_id: Mapped[int] = mapped_column(ForeignKey("releases.id", ondelete="CASCADE"), index=True)
    policy_version: Mapped[str] = mapped_column(String(16))
    level: Mapped[str] = mapped_column(String(16))
    # The canonical JSON text itself, so the signed bytes are kept exactly as they were signed.
    document_json: Mapped[str] = mapped_column(Text)
    document_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    signature_alg: Mapped[str] = mapped_column(String(16))
    signature_kid: Mapped[str] = mapped_column(String(32))
    signature_value: Mapped[str] = mapped_column(String(128))
    signer_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    legal_name: Mapped[str] = mapped_column(String(200))
    # Kept private: it turns the public hashes of the legal name and the address into commitments.
    private_salt: Mapped[str] = mapped_column(String(32))
    ip_hash: Mapped[str] = mapped_column(String(64))
    signed_at: Mapped[datetime] = mapped_column()
    label_id: Mapped[int | None] = mapped_column(ForeignKey("labels.id", ondelete="SET NULL"), index=True)
    label_countersigner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    label_countersigned_at: Mapped[datetime | None] = mapped_column()
    label_countersignature: Mapped[dict[str, Any] | None] = mapped_column()

    release: Mapped[Release] = relationship()
    signer: Mapped[User | None] = relationship(foreign_keys=[signer_user_id])
    label: Mapped[Label | None] = relationship()
    label_countersigner: Mapped[User | None] = relationship(foreign_keys=[label_countersigner_id])

    @property
    def document(self) -> dict[str, Any]:
        parsed: dict[str, Any] = json.loads(self.document_json)
        return parsed

    @property
    def signature(self) -> dict[str, str]:
        return {"alg": self.signature_alg, "kid": self.signature_kid, "value": self.signature_value}

    @property
    def is_embodied(self) -> bool:
        return self.level == "embodied"

    @property
    def needs_countersignature(self) -> bool:
        return self.label_id is not None and self.label_countersigned_at is None


class LabelRequirement(Base):
    """What a label asks of its roster's attestations beyond HM-1 itself."""

    __tablename__ = "label_attestation_requirements"

    id: Mapped[int] = mapped_column(primary_key=True)
    label_id: Mapped[int] = mapped_column(ForeignKey("labels.id", ondelete="CASCADE"), unique=True)
    require_embodied: Mapped[bool] = mapped_column(default=False)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))


@event.listens_for(Attestation, "before_update")
def _refuse_rewrites(mapper: Mapper[Attestation], connection: Connection, target: Attestation) -> None:
    state = inspect(target)
    changed = {a.key for a in state.attrs if a.history.has_changes() and a.key in mapper.columns}
    if changed - COUNTERSIGNATURE_COLUMNS:
        raise AttestationImmutable(
            f"attestation {target.id} is append-only; refused change of {sorted(changed)}"
        )


@event.listens_for(Attestation, "before_delete")
def _refuse_deletes(mapper: Mapper[Attestation], connection: Connection, target: Attestation) -> None:
    raise AttestationImmutable(f"attestation {target.id} is append-only; it cannot be deleted")
