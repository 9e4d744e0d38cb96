"""The player reports a track heard for a while; the count for that track and day goes up by one.

Nothing about the listener is stored. The rate limits key on a digest of the address, kept only in the
rate-limit store for the length of its window, so one listener replaying a track, or a script, counts once
per track per window and cannot inflate the figures.
"""

from __future__ import annotations

from flask import Blueprint, abort
from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.wrappers import Response

from .. import csrf
from ..db import get_session, insert_or_merge, utcnow
from ..releases.models import Release, ReleaseStatus, Track
from ..web.access import PUBLIC, access
from ..web.ratelimit import RateLimiter, key_part
from ..web.services import client_ip, find_service
from .models import TrackPlayDay

bp = Blueprint("plays", __name__)

PLAY_PATH = "/plays/<int:track_id>"
# (limit, window in seconds): one play of a track per listener every ten minutes, and no more than a
# busy evening's worth of tracks per hour from one address.
PER_TRACK = (1, 600)
PER_ADDRESS = (120, 3600)


def count_play(session: Session, track_id: int) -> bool:
    """Count one play of a track of a release on sale today; False when there is no such track."""
    found = session.scalar(
        select(Track.id)
        .join(Release, Release.id == Track.release_id)
        .where(Track.id == track_id, Release.status == ReleaseStatus.APPROVED)
    )
    if found is None:
        return False
    stmt = insert_or_merge(session.get_bind().dialect, TrackPlayDay).values(
        track_id=track_id, day=utcnow().date(), plays=1
    )
    session.execute(
        stmt.on_conflict_do_update(index_elements=["track_id", "day"], set_={"plays": TrackPlayDay.plays + 1})
    )
    return True


@bp.post(PLAY_PATH)
@access(PUBLIC)
def played(track_id: int) -> Response:
    """A beacon from the player: no body, no cookie needed, always an empty answer."""
    limiter = find_service(RateLimiter)
    who = key_part(client_ip())
    checks = (
        (limiter.item(*PER_ADDRESS), f"plays:ip:{who}"),
        (limiter.item(*PER_TRACK), f"plays:track:{track_id}:{who}"),
    )
    if not all(limiter.hit_with(item, key).allowed for item, key in checks):
        return Response(status=204)  # heard already: nothing to say to the player
    if not count_play(get_session(), track_id):
        abort(404)
    return Response(status=204)


# The beacon carries no form token; counting one play is all it can do, and the limits bound that.
csrf.exempt(played)
