"""Private listening links: an artist's member makes one for a draft, the holder opens it and streams each
track in full (ranges for seeking), the artist sees it counted; expiry, revoking, another release's track,
other artists, a taken-down release and guessing all end in a clear page, never the audio."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from storefront.db import commit
from storefront.media.listening.links import DEFAULT_DAYS, ListeningClock, lookup_of
from storefront.media.listening.models import ListeningLink
from storefront.media.listening.views import MISS_LIMIT
from storefront.media.models import MediaStatus, PreviewMode, PreviewPolicy, Rendition
from storefront.media.recipes import PREVIEW_FORMAT
from storefront.releases.models import ReleaseStatus
from tests.factories.accounts import PASSWORD, make_artist, make_user
from tests.functional.media.builders import on_sale_release
from tests.helpers import ManualClock, WebClient, fresh, text_of

_LINK = re.compile(r'value="https?://[^/"]+(/listen/[A-Za-z0-9_-]+)"')


@pytest.fixture
def clock(override_service) -> ManualClock:
    clock = ManualClock()
    override_service(ListeningClock, ListeningClock(clock))
    return clock


@pytest.fixture
def press(app, db, platform, tmp_path, clock):
    """A draft of two processed tracks by The Band, whose owner is signed in."""
    owner = make_user(db, platform, name="Ana")
    artist = make_artist(db, owner, slug="the-band", name="The Band")
    release = on_sale_release(db, platform, artist, tmp_path, tracks=2, title="Harbour", seconds=2)
    release.status = ReleaseStatus.DRAFT
    release.approved_at = None
    commit(db)
    web = WebClient(app)
    web.login(owner.email, PASSWORD)
    return web, release


def _page(release) -> str:
    return f"/artists/{release.artist.slug}/releases/{release.id}/listening-links"


def _make(web: WebClient, release, note: str = "Pitchfork — J. Doe", days: str = "14") -> str:
    made = web.submit(_page(release), {"note": note, "days": days})
    assert made.status_code == 303, text_of(made)[:1500]
    shown = web.get(made.headers["Location"])
    assert shown.headers["Cache-Control"] == "private, no-store"
    match = _LINK.search(text_of(shown))
    assert match, "the new link is shown"
    assert not _LINK.search(text_of(web.get(_page(release)))), "and only once"
    return match.group(1)


def _listen(app, path: str) -> WebClient:
    """A stranger opens the link and presses Listen."""
    guest = WebClient(app)
    pressed = guest.submit(path)
    assert pressed.status_code == 303, text_of(pressed)[:1500]
    return guest


def _get(web: WebClient, path: str, **kwargs):
    """Fetch a stream as a player does, reading it to the end and closing it."""
    response = web.get(path, **kwargs)
    response.get_data()
    response.close()
    return response


def _opened(web: WebClient, release) -> list[str]:
    return re.findall(r"<td data-opened>(\d+)</td>", text_of(web.get(_page(release))))


def test_a_member_makes_a_link_for_a_draft_and_only_its_digest_is_kept(press, db) -> None:
    web, release = press
    path = _make(web, release)
    token = path.rsplit("/", 1)[1]
    assert len(token) >= 43
    link = fresh(db).scalar(select(ListeningLink))
    assert link is not None and link.lookup == lookup_of(token) and token not in link.lookup
    assert link.note == "Pitchfork — J. Doe"
    assert (link.expires_at - link.created_at) == timedelta(days=DEFAULT_DAYS)
    listed = text_of(web.get(_page(release)))
    assert "Pitchfork — J. Doe" in listed and token not in listed and "active" in listed


def test_bad_input_is_refused_with_a_clear_message(press, db) -> None:
    web, release = press
    too_long = web.submit(_page(release), {"note": "Radio", "days": "91"})
    assert too_long.status_code == 422 and "between 1 and 90 days" in text_of(too_long)
    no_note = web.submit(_page(release), {"note": "  ", "days": "14"})
    assert no_note.status_code == 422 and "who the link is for" in text_of(no_note)
    assert fresh(db).scalar(select(ListeningLink)) is None


def test_the_holder_opens_streams_in_full_with_ranges_and_is_counted(press, app, db, platform) -> None:
    web, release = press
    path = _make(web, release)
    guest = WebClient(app)
    cover = guest.get(path)
    assert cover.status_code == 200
    page = text_of(cover)
    assert "Harbour" in page and "The Band" in page and "Song 1" in page and "Song 2" in page
    assert "<audio" not in page  # not before Listen is pressed
    assert cover.headers["X-Robots-Tag"].startswith("noindex")
    assert cover.headers["Referrer-Policy"] == "no-referrer"
    assert _opened(web, release) == ["0"]  # a GET writes nothing

    guest = _listen(app, path)
    page = text_of(guest.get(path))
    sources = re.findall(r'<audio[^>]* src="([^"]+)"', page)
    assert sources == [f"{path}/tracks/{t.id}" for t in release.tracks]
    assert "download" not in page.lower().replace("nodownload", "")
    assert "buy" not in page.lower()  # a draft is not for sale
    assert _get(guest, f"{path}/cover.jpg").status_code == 200
    assert _opened(web, release) == ["1"]

    track = release.tracks[0]
    rendition = fresh(db).scalar(
        select(Rendition).where(Rendition.track_id == track.id, Rendition.format == PREVIEW_FORMAT)
    )
    assert rendition is not None and rendition.status == MediaStatus.READY and rendition.key
    with platform.storage.open(rendition.key) as stored:
        whole = stored.read()
    full = _get(guest, sources[0])
    assert full.status_code == 200 and full.data == whole
    assert full.mimetype == "audio/mpeg"
    assert full.headers["Cache-Control"] == "private, no-store"
    assert full.headers["Referrer-Policy"] == "no-referrer"
    assert "attachment" not in full.headers.get("Content-Disposition", "")
    ranged = _get(guest, sources[0], headers={"Range": "bytes=100-199"})
    assert ranged.status_code == 206
    assert ranged.data == whole[100:200]
    assert ranged.headers["Content-Range"] == f"bytes 100-199/{len(whole)}"


def test_another_releases_track_is_not_found_through_a_link(press, app, db, platform, tmp_path) -> None:
    web, release = press
    other_owner = make_user(db, platform, name="Bo")
    other = on_sale_release(db, platform, make_artist(db, other_owner), tmp_path, tracks=1, seconds=2)
    path = _make(web, release)
    guest = _listen(app, path)
    assert guest.get(f"{path}/tracks/{other.tracks[0].id}").status_code == 404
    assert guest.get(f"{path}/tracks/999999").status_code == 404
    assert _get(guest, f"{path}/tracks/{release.tracks[0].id}").status_code == 200


def test_a_member_of_another_artist_can_neither_list_nor_make_nor_revoke(press, app, db, platform) -> None:
    web, release = press
    _make(web, release)
    link = fresh(db).scalar(select(ListeningLink))
    assert link is not None
    stranger = make_user(db, platform, name="Cy")
    make_artist(db, stranger, slug="elsewhere")
    other = WebClient(app)
    other.login(stranger.email, PASSWORD)
    assert other.get(_page(release)).status_code in (403, 404)
    token = other.token("/")  # their own form token: only the access rule may refuse
    made = other.post(_page(release), {"csrf_token": token, "note": "Me", "days": "14"})
    assert made.status_code in (403, 404)
    # Through their own artist's address, the release is not theirs either.
    own = f"/artists/elsewhere/releases/{release.id}/listening-links"
    assert other.get(own).status_code == 404
    revoked = other.post(f"{_page(release)}/{link.id}/revoke", {"csrf_token": token})
    assert revoked.status_code in (403, 404)
    assert fresh(db).scalar(select(ListeningLink.revoked_at)) is None
    assert fresh(db).scalar(select(ListeningLink).where(ListeningLink.note == "Me")) is None


def test_an_expired_link_is_gone_page_and_streams(press, app, clock) -> None:
    web, release = press
    path = _make(web, release, days="3")
    guest = _listen(app, path)
    stream = f"{path}/tracks/{release.tracks[0].id}"
    assert _get(guest, stream).status_code == 200
    clock.advance(timedelta(days=3, seconds=1))
    page = guest.get(path)
    assert page.status_code == 410 and "expired" in text_of(page)
    assert _get(guest, stream).status_code == 410
    assert _get(guest, f"{path}/cover.jpg").status_code == 410
    assert "expired" in text_of(web.get(_page(release)))


def test_a_revoked_links_streams_stop_at_once(press, app, db) -> None:
    web, release = press
    path = _make(web, release)
    guest = _listen(app, path)
    stream = f"{path}/tracks/{release.tracks[0].id}"
    assert _get(guest, stream, headers={"Range": "bytes=0-99"}).status_code == 206
    link = fresh(db).scalar(select(ListeningLink))
    assert link is not None
    revoked = web.submit(_page(release), action=f"{_page(release)}/{link.id}/revoke")
    assert revoked.status_code == 303
    assert _get(guest, stream, headers={"Range": "bytes=100-199"}).status_code == 410
    page = guest.get(path)
    assert page.status_code == 410 and "withdrawn" in text_of(page) and "<audio" not in text_of(page)
    pressed = guest.post(path, {"csrf_token": guest.token("/redeem")})
    assert pressed.status_code == 410  # pressing Listen on a page opened earlier counts nothing
    assert _opened(web, release) == ["1"]
    assert "revoked" in text_of(web.get(_page(release)))


def test_a_taken_down_release_plays_nothing(press, app, db) -> None:
    web, release = press
    path = _make(web, release)
    guest = _listen(app, path)
    release.status = ReleaseStatus.TAKEN_DOWN
    commit(db)
    page = guest.get(path)
    assert page.status_code == 410 and "no longer available" in text_of(page)
    assert _get(guest, f"{path}/tracks/{release.tracks[0].id}").status_code == 410
    refused = web.submit(_page(release), {"note": "Late", "days": "14"})
    assert refused.status_code == 422


def test_unknown_tokens_are_not_found_and_guessing_is_paused(press, app, db) -> None:
    web, release = press
    path = _make(web, release)
    guesser = WebClient(app)
    for n in range(MISS_LIMIT[0]):
        missed = guesser.get(f"/listen/{'x' * 40}{n:03d}")
        assert missed.status_code == 404 and "no listening link" in text_of(missed)
    paused = guesser.get(path)  # even a real link, from that address, now waits
    assert paused.status_code == 429 and "Retry-After" in paused.headers
    assert _get(guesser, f"{path}/tracks/{release.tracks[0].id}").status_code == 429


def test_the_stream_is_the_preview_rendition_never_a_master(press, app, db, platform) -> None:
    web, release = press
    path = _make(web, release)
    guest = _listen(app, path)
    track = release.tracks[0]
    assert track.master is not None and track.master.final_key
    storage = platform.storage
    body = _get(guest, f"{path}/tracks/{track.id}").data
    with storage.open(track.master.final_key) as master:
        assert body != master.read()


def test_the_artist_is_told_when_links_would_play_clips(press, db) -> None:
    web, release = press
    assert 'id="clipped"' not in text_of(web.get(_page(release)))
    fresh(db).add(
        PreviewPolicy(release_id=release.id, mode=PreviewMode.CLIP, clip_start=0.0, clip_length=30.0)
    )
    commit(db)
    assert 'id="clipped"' in text_of(web.get(_page(release)))
