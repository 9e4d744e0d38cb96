"""Plays counted per track per day: a number only, never who listened, from where or with what."""

from __future__ import annotations

from datetime import date

from sqlalchemy import ForeignKey
from sqlalchemy.orm import Mapped, mapped_column

from ..db import Base


class TrackPlayDay(Base):
    __tablename__ = "track_play_days"

    track_id: Mapped[int] = mapped_column(ForeignKey("tracks.id", ondelete="CASCADE"), primary_key=True)
    day: Mapped[date] = mapped_column(primary_key=True)
    plays: Mapped[int] = mapped_column(default=0)
