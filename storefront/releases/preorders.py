"""Pre-orders: a release on sale before its date, with the tracks the artist chose to give at once."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time

from ..db import utcnow
from .models import Release, ReleaseStatus, Track


@dataclass
class Calendar:
    """The site's day (UTC), for pre-orders and first windows. Tests pass a clock they move by hand."""

    clock: Callable[[], datetime] = field(default=utcnow)

    def today(self) -> date:
        return self.clock().astimezone(UTC).date()


def is_preorder(release: Release, today: date) -> bool:
    """On sale, with a release date still to come."""
    return (
        release.status == ReleaseStatus.APPROVED
        and release.release_date is not None
        and release.release_date > today
    )


def held_back(release: Release, track: Track | None, today: date) -> bool:
    """Whether buyers must wait for the release date for this track (None: the whole release)."""
    return is_preorder(release, today) and (track is None or not track.instant_grat)


def day_starts(day: date) -> datetime:
    """The first moment of a release day, UTC: a right granted before it was a pre-order."""
    return datetime.combine(day, time.min, tzinfo=UTC)
