"""“Verify a file”: a fan's file recognised by its hash or its audio, in plain words, with bounded uploads."""

from __future__ import annotations

import hashlib
import io
import json

import pytest

from storefront.attestations.manifests.views import UPLOAD_LIMIT, UPLOADS_PER_WINDOW
from storefront.audio.tagging import TrackTags, write_tags
from storefront.releases.models import ReleaseStatus
from tests.factories.attestations import approve
from tests.factories.delivered import read_delivered
from tests.helpers import text_of

PAGE = "/verify/file"


@pytest.fixture
def shop(db, platform, two_certified):
    """Two certified releases with their preview and common formats made."""
    return [read_delivered(db, platform, release_id) for release_id in two_certified]


def _by_hash(web, data: bytes, release: int | None = None, as_json: bool = True):
    fields = {"sha256": hashlib.sha256(data).hexdigest(), "name": "song.flac"}
    if release is not None:
        fields["release"] = str(release)
    if as_json:
        fields["format"] = "json"
    return web.submit(PAGE + (f"?release={release}" if release else ""), fields, action=PAGE + "/hash")


def _upload(web, data: bytes, name: str = "song.flac", **extra: str):
    body = {"file": (io.BytesIO(data), name), **extra}
    return web.post(PAGE + "/upload", body, content_type="multipart/form-data")


def test_the_page_is_labelled_and_works_without_a_script(web, shop):
    page = text_of(web.get(PAGE))
    assert '<label class="field__label" for="verify-file-input">Choose or drop a file</label>' in page
    assert '<label class="field__label" for="verify-sha256">SHA-256 of the file</label>' in page
    assert 'enctype="multipart/form-data"' in page and "js/verify-file.js" in page
    assert web.get(PAGE + "?release=abc").status_code == 404


def test_a_hash_names_the_release_track_and_format_in_plain_words(web, shop):
    first, _ = shop
    reply = _by_hash(web, first.renditions[(1, "mp3-320")])
    assert reply.status_code == 200
    answer = reply.get_json()
    assert answer["found"] is True and answer["release_id"] == first.release_id
    assert answer["headline"] == (
        "Yes: this is track 1 “Song 1” in MP3 320 kbps of “Tides 1” by Harbour Lights, exactly as Velvet "
        "delivered it."
    )
    assert "certified human-made under HM-1" in answer["details"][0]
    assert answer["details"][1].startswith("It is on sale since")
    assert answer["certificate_url"] == f"/releases/{first.release_id}/certificate"

    page = text_of(_by_hash(web, first.renditions[(2, "aac-256")], as_json=False))
    assert '<h2 id="answer-title">Verified</h2>' in page and "track 2 “Song 2” in AAC 256 kbps" in page

    unknown = _by_hash(web, b"not a file anyone delivered").get_json()
    assert unknown["found"] is False and unknown["offer_audio"] is True
    assert unknown["headline"].startswith("We don't recognise this file")
    bad = web.submit(PAGE, {"sha256": "xyz", "format": "json"}, action=PAGE + "/hash")
    assert bad.status_code == 422 and "64 characters" in bad.get_json()["problem"]


def test_a_file_of_another_release_is_named_as_such(web, shop):
    first, second = shop
    reply = _by_hash(web, second.renditions[(1, "flac")], release=first.release_id).get_json()
    assert reply["found"] is False
    assert reply["headline"] == (
        "This file belongs to another release: it is track 1 “Song 1” in FLAC of “Tides 2” by Harbour "
        "Lights, not a file of the release you are checking."
    )
    same = _by_hash(web, first.renditions[(1, "flac")], release=first.release_id).get_json()
    assert same["found"] is True


def test_a_retagged_flac_is_recognised_by_its_audio_when_sent(web, shop, tmp_path):
    first, _ = shop
    path = tmp_path / "mine.flac"
    path.write_bytes(first.renditions[(2, "flac")])
    write_tags(path, "flac", TrackTags(title="Renamed", artist="Me"))
    retagged = path.read_bytes()
    assert _by_hash(web, retagged).get_json()["offer_audio"] is True
    answer = _upload(web, retagged, format="json").get_json()
    assert answer["found"] is True and answer["audio_only"] is True
    assert answer["headline"].startswith("The music is track 2 “Song 2” in FLAC of “Tides 1”")
    assert "its tags or its container were changed" in answer["headline"]
    # Without the script: the same answer as a page.
    page = text_of(_upload(web, retagged))
    assert "Verified" in page and "The music is track 2" in page

    data = bytearray(first.renditions[(2, "flac")])
    data[-200] ^= 0xFF  # in the last audio frame (the middle of the file is the embedded cover)
    changed = _upload(web, bytes(data), format="json").get_json()
    assert changed["found"] is False and changed["offer_audio"] is False
    assert changed["details"] == ["Its audio does not match any lossless file Velvet delivered either."]


def test_a_withdrawn_release_is_not_verified(web, db, shop):
    first, _ = shop
    approve(db, first.release_id, ReleaseStatus.TAKEN_DOWN)
    answer = _by_hash(web, first.renditions[(1, "flac")]).get_json()
    assert answer["found"] is False and "the release was withdrawn" in answer["headline"]
    assert any(line.startswith("It is withdrawn (taken down) since") for line in answer["details"])


def test_uploads_are_bounded_and_rate_limited(web, shop):
    too_big = web.client.post(
        PAGE + "/upload",
        data=b"x" * 64,
        content_type="multipart/form-data; boundary=x",
        environ_overrides={"CONTENT_LENGTH": str(UPLOAD_LIMIT + 1)},
    )
    assert too_big.status_code == 413
    assert f"larger than {UPLOAD_LIMIT // 2**20} MB, the most this page accepts" in text_of(too_big)
    as_json = web.client.post(
        PAGE + "/upload?format=json",
        data=b"x" * 64,
        content_type="multipart/form-data; boundary=x",
        environ_overrides={"CONTENT_LENGTH": str(UPLOAD_LIMIT + 1)},
    )
    assert as_json.status_code == 413 and "sha256sum" in as_json.get_json()["problem"]
    assert _upload(web, b"", name="").status_code == 422
    count, _ = UPLOADS_PER_WINDOW
    for _ in range(count - 3):  # three were counted above
        assert _upload(web, b"just text", name="notes.txt").status_code == 200
    refused = _upload(web, b"just text", name="notes.txt", format="json")
    assert refused.status_code == 429 and int(refused.headers["Retry-After"]) > 0
    assert "paste the file's SHA-256 instead" in json.loads(refused.data)["problem"]
