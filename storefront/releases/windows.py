"""First windows: a release an artist sells here first, until the last day they chose.

A window is a date, not a moment: it is open through its last day (UTC) and closed from the next midnight.
Public pages that show it are cached under a stamp that includes today's date (catalog/sharing/stamps.py),
so no cached page keeps a badge past the day its window ended.
"""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy.orm import Session

from ..accounts.services import Actor
from ..events import record_event
from ..web.services import find_service
from .models import Release
from .preorders import Calendar
from .services import ReleaseError

# The longest window an artist may hold: a year from today.
LONGEST_WINDOW_DAYS = 365
# Told to the catalog's stamp: the home page's shelf and the feeds move when a window is set or cleared.
WINDOW_EVENT = "release:first_window_changed"


def today() -> date:
    """The site's day (UTC), from the one calendar pre-orders read too; tests move its clock."""
    return find_service(Calendar).today()


def open_until(release: Release, on: date) -> date | None:
    """The window's last day while it is open on `on`, else None."""
    until = release.first_window_until
    return until if until is not None and on <= until else None


def window_text(until: date) -> str:
    return f"Here first until {until.day} {until:%B %Y}"


def here_first(release: Release) -> str:
    """For templates: "Here first until …" while the release's window is open today, else ""."""
    until = open_until(release, today())
    return window_text(until) if until is not None else ""


def set_first_window(
    session: Session, release: Release, actor: Actor, until: date | None, *, on: date
) -> None:
    """Open, move or close (`until` None) the release's window; its last day must be after `on` and within
    a year of it."""
    if until is not None:
        if until <= on:
            raise ReleaseError("The last day of the window must be in the future.", "until")
        if until > on + timedelta(days=LONGEST_WINDOW_DAYS):
            raise ReleaseError(
                f"A window can last at most {LONGEST_WINDOW_DAYS} days: choose a day before "
                f"{(on + timedelta(days=LONGEST_WINDOW_DAYS + 1)).isoformat()}.",
                "until",
            )
    if release.first_window_until == until:
        return
    release.first_window_until = until
    record_event(
        session,
        WINDOW_EVENT,
        subject_type="release",
        subject_id=release.id,
        actor_id=actor.user_id,
        ip_hash=actor.ip_hash,
        data={"until": until.isoformat() if until is not None else None},
    )
