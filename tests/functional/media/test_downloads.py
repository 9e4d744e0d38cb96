"""Downloads for those entitled, short-lived links, formats made on request, album archives, previews."""

from __future__ import annotations

import io
import zipfile
from urllib.parse import urlsplit

import pytest
from sqlalchemy import select

from storefront.accounts.models import User
from storefront.audio.inspect.sniff import sniff
from storefront.audio.tagging import read_tags
from storefront.db import commit, utcnow
from storefront.jobs.interfaces import JobQueue
from storefront.media.models import AlbumArchive, MediaStatus, Rendition
from storefront.media.services import MediaService
from storefront.orders.models import Entitlement, EntitlementSource
from storefront.releases.models import Release, ReleaseStatus
from storefront.storage.local import LocalStorage
from tests.factories.accounts import PASSWORD, make_artist, make_user
from tests.functional.media.builders import on_sale_release
from tests.helpers import WebClient, fresh, text_of


class Clock:
    def __init__(self) -> None:
        self.now = 1_900_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock(app, platform) -> Clock:
    """Local storage whose links read the time from a clock the test moves."""
    clock = Clock()
    storage = LocalStorage(
        platform.settings.resolved_storage_dir, secret_key=platform.settings.secret_key, clock=clock
    )
    platform.storage = app.extensions["storefront.storage"] = storage
    return clock


def _shop(db, platform, tmp_path, tracks: int) -> tuple[User, Release]:
    owner = make_user(db, platform, name="Ana")
    artist = make_artist(db, owner, slug="band", name="The Band")
    return owner, on_sale_release(db, platform, artist, tmp_path, tracks=tracks, title="Harbour")


@pytest.fixture
def shop(db, platform, clock, tmp_path):
    """An artist's release on sale with one track: masters processed, previews and common formats made."""
    return _shop(db, platform, tmp_path, tracks=1)


@pytest.fixture
def album_shop(db, platform, clock, tmp_path):
    return _shop(db, platform, tmp_path, tracks=2)


def _person(app, db, platform, **kwargs) -> tuple[User, WebClient]:
    user = make_user(db, platform, **kwargs)
    web = WebClient(app)
    web.login(user.email, PASSWORD)
    return user, web


def _entitle(db, user, release, track=None) -> Entitlement:
    entitlement = Entitlement(
        user_id=user.id,
        release_id=release.id,
        track_id=track.id if track else None,
        source=EntitlementSource.PURCHASE,
        amount_minor=700,
        currency="USD",
    )
    db.add(entitlement)
    commit(db)
    return entitlement


def _ask(web, release, fmt, track=None):
    page = f"/downloads/{release.id}"
    action = f"{page}/tracks/{track.id}" if track else f"{page}/album"
    return web.submit(page, {"format": fmt}, action=action)


def _get(web, url, **kwargs):
    """A response read whole and closed, so the file the local backend served is closed too."""
    response = web.get(url, **kwargs)
    response.get_data()
    response.close()
    return response


def _link(web, release, fmt, track=None) -> str:
    response = _ask(web, release, fmt, track)
    assert response.status_code == 303, text_of(response)[:500]
    assert response.location.startswith("/storage/o/")
    return response.location


def test_a_buyer_a_member_and_a_curator_get_links_and_a_stranger_does_not(app, db, platform, shop):
    owner, release = shop
    track = release.tracks[0]
    fan, fan_web = _person(app, db, platform)
    _entitle(db, fan, release)
    page = fan_web.get(f"/downloads/{release.id}")
    assert page.status_code == 200 and "Song 1" in text_of(page) and "The whole album" in text_of(page)

    fetched = _get(fan_web, _link(fan_web, release, "flac", track))
    # Signed FLAC carries its Content Credentials in a leading ID3 tag, which FLAC decoders skip.
    assert fetched.status_code == 200 and sniff(io.BytesIO(fetched.data), len(fetched.data)).kind == "flac"
    assert fetched.headers["Content-Disposition"] == 'attachment; filename="The Band - Song 1.flac"'

    member = WebClient(app)
    member.login(owner.email, PASSWORD)
    assert _get(member, _link(member, release, "mp3-320", track)).mimetype == "audio/mpeg"
    _, curator = _person(app, db, platform, admin=True)
    assert _get(curator, _link(curator, release, "aac-256", track)).status_code == 200

    _, stranger = _person(app, db, platform)
    assert stranger.get(f"/downloads/{release.id}").status_code == 403
    assert _ask(stranger, release, "flac", track).status_code == 403
    assert stranger.get("/downloads/999999").status_code == 404
    assert WebClient(app).get(f"/downloads/{release.id}").status_code == 302  # to the login page


def test_a_track_purchase_covers_that_track_only(app, db, platform, album_shop):
    _, release = album_shop
    first, second = release.tracks
    fan, web = _person(app, db, platform)
    _entitle(db, fan, release, first)
    page = text_of(web.get(f"/downloads/{release.id}"))
    assert "Song 1" in page and "Song 2" not in page and "The whole album" not in page
    assert _get(web, _link(web, release, "flac", first)).status_code == 200
    assert _ask(web, release, "flac", second).status_code == 403
    assert _ask(web, release, "flac").status_code == 403


def test_revoked_rights_and_a_taken_down_release_are_refused(app, db, platform, shop):
    owner, release = shop
    track = release.tracks[0]
    revoked, revoked_web = _person(app, db, platform)
    entitlement = _entitle(db, revoked, release)
    buyer, buyer_web = _person(app, db, platform)
    _entitle(db, buyer, release)
    entitlement.revoked_at, entitlement.revoked_reason = utcnow(), "refunded"
    commit(db)
    assert revoked_web.get(f"/downloads/{release.id}").status_code == 403
    assert _ask(revoked_web, release, "flac", track).status_code == 403
    assert buyer_web.get(f"/downloads/{release.id}").status_code == 200

    release = fresh(db).get(Release, release.id)
    release.status = ReleaseStatus.TAKEN_DOWN
    commit(db)
    member = WebClient(app)
    member.login(owner.email, PASSWORD)
    for web in (buyer_web, member):
        assert web.get(f"/downloads/{release.id}").status_code == 403
        assert _ask(web, release, "flac", track).status_code == 403
    assert WebClient(app).get(f"/previews/{track.id}").status_code == 404


def test_links_expire_and_a_tampered_link_is_refused(app, db, platform, shop, clock):
    _, release = shop
    fan, web = _person(app, db, platform)
    _entitle(db, fan, release)
    link = _link(web, release, "mp3-v0", release.tracks[0])
    token = link.rsplit("/", 1)[1]
    tampered = link[: -len(token)] + token[:-2] + ("AA" if token[-2:] != "AA" else "BB")
    assert _get(web, tampered).status_code == 403
    clock.now += 299
    assert _get(web, link).status_code == 200
    clock.now += 2
    expired = _get(web, link)
    assert expired.status_code == 403 and b"expired" in expired.data
    # Re-issuable at any time: a new request gives a new, working link.
    assert _get(web, _link(web, release, "mp3-v0", release.tracks[0])).status_code == 200


def test_a_format_made_on_request_is_prepared_then_ready(app, db, platform, shop):
    _, release = shop
    track = release.tracks[0]
    fan, web = _person(app, db, platform)
    _entitle(db, fan, release)
    platform.jobs.mode = "manual"  # hold the job back to see the waiting state

    asked = _ask(web, release, "wav", track)
    assert asked.status_code == 303 and asked.location == f"/downloads/{release.id}"
    page = text_of(web.get(asked.location))
    assert (
        "Preparing your download" in page and f'data-item="track-{track.id}-wav" data-state="waiting"' in page
    )
    status = web.get(f"/downloads/{release.id}/status.json").get_json()
    assert status["pending"] is True
    assert {i["id"]: i["state"] for i in status["items"]}[f"track-{track.id}-wav"] == "waiting"

    assert platform.jobs.drain() == 1
    status = web.get(f"/downloads/{release.id}/status.json").get_json()
    assert status["pending"] is False
    assert {i["id"]: i["state"] for i in status["items"]}[f"track-{track.id}-wav"] == "ready"
    fetched = _get(web, _link(web, release, "wav", track))
    assert fetched.data[:4] == b"RIFF" and fetched.mimetype == "audio/wav"
    assert fetched.headers["Content-Disposition"] == 'attachment; filename="The Band - Song 1.wav"'


def test_the_album_archive_has_safe_names_and_follows_changes(app, db, platform, album_shop):
    owner, release = album_shop
    release = fresh(db).get(Release, release.id)
    release.title = 'Live: at "Home"/Away?'
    release.tracks[0].title, release.tracks[1].title = "AC/DC <cover>", "..\\..\\etc"
    commit(db)
    member = WebClient(app)
    member.login(owner.email, PASSWORD)
    # The tracks' files are out of date (new titles in their tags): made again, then archived.
    assert _ask(member, release, "flac").location == f"/downloads/{release.id}"
    fetched = _get(member, _link(member, release, "flac"))
    folder = "The Band - Live - at 'Home'-Away (FLAC)"
    assert fetched.headers["Content-Disposition"] == f'attachment; filename="{folder}.zip"'
    names = zipfile.ZipFile(io.BytesIO(fetched.data)).namelist()
    assert names == [f"{folder}/01 AC-DC (cover).flac", f"{folder}/02 -..-etc.flac", f"{folder}/cover.jpg"]
    first_key = fresh(db).scalar(select(AlbumArchive)).key

    release = fresh(db).get(Release, release.id)
    release.tracks[1].title = "Etc"
    commit(db)
    _get(member, _link(member, release, "flac") if _ask(member, release, "flac").status_code == 303 else "/")
    archive = fresh(db).scalar(select(AlbumArchive))
    assert archive.status == MediaStatus.READY and archive.key != first_key
    assert not platform.storage.exists(first_key)


def test_previews_are_public_while_on_sale_and_answer_range_requests(app, db, platform, shop):
    owner, release = shop
    track = release.tracks[0]
    anonymous = WebClient(app)
    redirect = anonymous.get(f"/previews/{track.id}")
    assert redirect.status_code == 303 and urlsplit(redirect.location).path.startswith("/storage/o/")
    ranged = _get(anonymous, redirect.location, headers={"Range": "bytes=100-199"})
    assert ranged.status_code == 206 and len(ranged.data) == 100
    assert ranged.headers["Content-Range"].startswith("bytes 100-199/")
    assert ranged.mimetype == "audio/mpeg" and ranged.headers["Content-Disposition"].startswith("inline;")

    player = anonymous.get(f"/previews/{track.id}/analysis.json").get_json()
    assert len(player["peaks"]) == 1600 and player["loudness_lufs"] < 0 and abs(player["duration"] - 3) < 0.01
    assert player["preview"] == {"url": f"/previews/{track.id}", "start": 0.0, "length": None}

    release = fresh(db).get(Release, release.id)
    release.status = ReleaseStatus.DRAFT
    commit(db)
    assert anonymous.get(f"/previews/{track.id}").status_code == 404
    assert anonymous.get(f"/previews/{track.id}/analysis.json").status_code == 404
    member = WebClient(app)
    member.login(owner.email, PASSWORD)
    assert member.get(f"/previews/{track.id}").status_code == 303


def test_refreshing_a_changed_release_remakes_its_common_formats(db, platform, shop, tmp_path):
    _, release = shop
    release = fresh(db).get(Release, release.id)
    release.tracks[0].title = "Renamed"
    commit(db)
    with platform.database.transaction() as session:
        queue = JobQueue(session, platform.jobs)
        service = MediaService(session, queue=queue, storage=platform.storage, base_url="http://localhost")
        service.refresh(session.get(Release, release.id))

    flac = fresh(db).scalars(select(Rendition).where(Rendition.format == "flac")).one()
    assert flac.status == MediaStatus.READY and flac.generation == 1
    path = tmp_path / "renamed.flac"
    with platform.storage.open(flac.key) as fh:
        path.write_bytes(fh.read())
    assert read_tags(path)["title"] == "Renamed"
