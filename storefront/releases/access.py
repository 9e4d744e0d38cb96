"""Access rules over an artist's releases, for its members and the staff of labels it lets manage them.

Each loads what its URL names within the artist it checked and hands it to the view (`release`, `track`,
`upload` in place of the slug and ids; the artist is `release.artist`): a release of another artist, or a
track or upload of another release, is a 404, exactly as if it did not exist. Signing the human-made
attestation is the artist's own statement: its rule admits the artist's members only.
"""

from __future__ import annotations

from flask import abort
from sqlalchemy import select

from ..accounts.access import artist_manager, artist_member
from ..accounts.models import User
from ..db import get_session
from ..web.access import Check, Rule, ViewArgs
from .models import Release, Track, Upload


def _release_check(artist_check: Check) -> Check:
    def check(user: User, view_args: ViewArgs) -> ViewArgs | None:
        granted = artist_check(user, view_args)
        if granted is None:
            return None
        release = get_session().scalar(
            select(Release).where(
                Release.id == granted.pop("release_id"), Release.artist_id == granted.pop("artist").id
            )
        )
        if release is None:
            abort(404)
        granted["release"] = release
        return granted

    return check


_release_of_artist = _release_check(artist_manager)


def _track_of_release(user: User, view_args: ViewArgs) -> ViewArgs | None:
    granted = _release_of_artist(user, view_args)
    if granted is None:
        return None
    track = get_session().scalar(
        select(Track).where(Track.id == granted.pop("track_id"), Track.release_id == granted["release"].id)
    )
    if track is None:
        abort(404)
    granted["track"] = track
    return granted


def _upload_of_release(user: User, view_args: ViewArgs) -> ViewArgs | None:
    granted = _release_of_artist(user, view_args)
    if granted is None:
        return None
    upload = get_session().scalar(
        select(Upload).where(
            Upload.id == granted.pop("upload_id"), Upload.release_id == granted["release"].id
        )
    )
    if upload is None:
        abort(404)
    granted["upload"] = upload
    return granted


ARTIST_RELEASE = Rule("artist-release", True, True, _release_of_artist)
# The artist's members only: signing the attestation.
ARTIST_OWN_RELEASE = Rule("artist-own-release", True, True, _release_check(artist_member))
ARTIST_TRACK = Rule("artist-track", True, True, _track_of_release)
ARTIST_UPLOAD = Rule("artist-upload", True, True, _upload_of_release)
