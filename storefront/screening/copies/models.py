"""The copy index's table: one row per indexed item of a fingerprint in force."""

from __future__ import annotations

from sqlalchemy import ForeignKey, Index
from sqlalchemy.orm import Mapped, mapped_column

from ...db import Base


class CopyIndexEntry(Base):
    """Fingerprint `fingerprint_id` holds sub-value `value` at item `position`.

    Only fingerprints in force (their master is ready, their algorithm the current one) have rows, so a
    lookup needs no join; the rows follow the fingerprint and its upload in the same transaction
    (see upkeep.py), and go with the fingerprint when it is deleted."""

    __tablename__ = "copy_index_entries"
    __table_args__ = (
        # Lookups read (value -> fingerprint, position) from this index alone.
        Index("ix_copy_index_entries_value", "value", "fingerprint_id", "position"),
        # On SQLite the rows live in the primary key's tree: no rowid, no second copy of the key.
        {"sqlite_with_rowid": False},
    )

    fingerprint_id: Mapped[int] = mapped_column(
        ForeignKey("fingerprints.id", ondelete="CASCADE"), primary_key=True
    )
    position: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    value: Mapped[int] = mapped_column()
