"""Download and preview links on the real S3 server: valid, expired, tampered, and ranged."""

from __future__ import annotations

import io
import secrets

import pytest
import requests
from sqlalchemy import select

from storefront.audio.inspect.sniff import sniff
from storefront.db import commit
from storefront.media.models import MediaStatus, Rendition
from storefront.orders.models import Entitlement, EntitlementSource
from tests.factories.accounts import PASSWORD, make_artist, make_user
from tests.functional.media.builders import on_sale_release
from tests.helpers import WebClient, fresh, wait_until

pytestmark = pytest.mark.s3


@pytest.fixture
def s3_app(make_app, seaweedfs):
    return make_app(
        storage_backend="s3",
        s3_bucket=seaweedfs.bucket,
        s3_endpoint_url=seaweedfs.endpoint_url,
        s3_region=seaweedfs.region,
        s3_access_key=seaweedfs.access_key,
        s3_secret_key=seaweedfs.secret_key,
        s3_prefix=f"t-{secrets.token_hex(6)}",
    )


@pytest.fixture
def shop(s3_app, db, tmp_path):
    """A release on sale on S3, and a fan who bought it, signed in."""
    platform = s3_app.extensions["storefront"]
    artist = make_artist(db, make_user(db, platform), name="The Band")
    release = on_sale_release(db, platform, artist, tmp_path, tracks=1, title="Harbour")
    fan = make_user(db, platform)
    db.add(Entitlement(user_id=fan.id, release_id=release.id, source=EntitlementSource.PURCHASE))
    commit(db)
    web = WebClient(s3_app)
    web.login(fan.email, PASSWORD)
    return platform, web, release


def test_a_download_link_is_a_presigned_get_with_the_file_name(shop, seaweedfs):
    _, web, release = shop
    track = release.tracks[0]
    asked = web.submit(
        f"/downloads/{release.id}", {"format": "flac"}, action=f"/downloads/{release.id}/tracks/{track.id}"
    )
    assert asked.status_code == 303 and asked.location.startswith(seaweedfs.endpoint_url)
    fetched = requests.get(asked.location, timeout=30)
    assert fetched.status_code == 200
    assert sniff(io.BytesIO(fetched.content), len(fetched.content)).kind == "flac"
    assert fetched.headers["Content-Disposition"] == 'attachment; filename="The Band - Song 1.flac"'
    assert fetched.headers["Content-Type"] == "audio/flac"

    signature = asked.location.rsplit("X-Amz-Signature=", 1)[1][:64]
    forged = asked.location.replace(signature, ("0" if signature[0] != "0" else "1") + signature[1:])
    assert requests.get(forged, timeout=30).status_code == 403
    wider = asked.location.replace("filename%3D%22", "filename%3D%22x")
    assert requests.get(wider, timeout=30).status_code == 403


def test_an_expired_link_is_refused(shop, db):
    platform, _, release = shop
    rendition = (
        fresh(db)
        .scalars(
            select(Rendition).where(Rendition.track_id == release.tracks[0].id, Rendition.format == "mp3-320")
        )
        .one()
    )
    assert rendition.status == MediaStatus.READY
    link = platform.storage.presign_download(rendition.key, expires_in=1, filename="x.mp3")
    # The server judges expiry by its own clock; a link it still honours past the bound is the failure.
    wait_until(
        lambda: requests.get(link, timeout=30).status_code == 403,
        what="the server to refuse a link signed to last one second",
    )


def test_a_preview_answers_a_range_request(shop):
    _, web, release = shop
    redirect = web.get(f"/previews/{release.tracks[0].id}")
    assert redirect.status_code == 303
    ranged = requests.get(redirect.location, headers={"Range": "bytes=0-99"}, timeout=30)
    assert ranged.status_code == 206 and len(ranged.content) == 100
    assert ranged.headers["Content-Range"].startswith("bytes 0-99/")
    assert ranged.headers["Content-Type"] == "audio/mpeg"
    assert ranged.headers["Content-Disposition"].startswith("inline;")
