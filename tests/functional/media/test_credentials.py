"""A fan's files carry the platform's Content Credentials, naming the attestation the certificate presents."""

from __future__ import annotations

import hashlib
import io
import json
from typing import Any

import c2pa
import pytest
from sqlalchemy import select

from storefront.attestations.models import Attestation
from storefront.attestations.signing.credentials import load_identity
from storefront.audio.credentials import HUMAN_MADE_LABEL
from storefront.audio.formats import get_format
from storefront.db import commit
from storefront.jobs.interfaces import JobQueue
from storefront.media.models import MediaStatus, Rendition
from storefront.media.services import MediaService
from storefront.releases.models import Upload, UploadKind
from storefront.releases.uploads.pipeline import PROCESS_JOB
from tests.factories.accounts import PASSWORD, make_artist, make_user
from tests.factories.attestations import approve, attestation_url, signable_release, signature_form
from tests.functional.media.test_downloads import _ask, _entitle, _get, _link, _person
from tests.helpers import fresh


def _manifest(data: bytes, fmt_key: str, anchors: str) -> tuple[str, dict[str, Any]]:
    settings = {
        "verify": {"remote_manifest_fetch": False, "ocsp_fetch": False},
        "trust": {"trust_anchors": anchors},
    }
    with (
        c2pa.Context(settings=c2pa.Settings.from_dict(settings)) as context,
        c2pa.Reader(get_format(fmt_key).mime_type, io.BytesIO(data), context=context) as reader,
    ):
        state, manifest = reader.get_validation_state(), reader.get_active_manifest()
    assert state is not None and manifest is not None
    return state, manifest


def _human_made(manifest: dict[str, Any]) -> dict[str, Any]:
    found: dict[str, Any] = next(a["data"] for a in manifest["assertions"] if a["label"] == HUMAN_MADE_LABEL)
    return found


@pytest.fixture
def processed(web, db, platform, tmp_path):
    """A signable release of one track whose master and cover are in storage and processed; its artist
    signed in."""
    owner = make_user(db, platform, name="Ana")
    artist = make_artist(db, owner, slug="band", name="The Band")
    web.login(owner.email, PASSWORD)
    release, files = signable_release(db, artist, tmp_path, tracks=1)
    uploads = db.scalars(select(Upload).where(Upload.release_id == release.id)).all()
    for upload in uploads:
        assert upload.final_key is not None
        data = io.BytesIO(files[upload.original_filename])
        platform.storage.put(upload.final_key, data, content_type=upload.content_type)
    master = next(u for u in uploads if u.kind == UploadKind.MASTER)
    JobQueue(db, platform.jobs).enqueue(PROCESS_JOB, {"upload_id": master.id}, dedupe_key=f"t:{master.id}")
    commit(db)
    return owner, artist, release


def test_files_carry_credentials_naming_the_attestation_once_it_is_signed(app, web, db, platform, processed):
    _, artist, release = processed
    track = release.tracks[0]
    anchors = load_identity(platform.settings).issuers_pem
    before = {r.format: r for r in fresh(db).scalars(select(Rendition).where(Rendition.track_id == track.id))}
    assert before["flac"].status == MediaStatus.READY
    with platform.storage.open(before["flac"].key) as fh:
        state, manifest = _manifest(fh.read(), "flac", anchors)
    assert state == "Trusted" and _human_made(manifest)["attestation_id"] is None  # not signed yet

    assert web.submit(attestation_url(artist, release), signature_form()).status_code == 302
    approve(db, release.id)
    attestation = db.scalar(select(Attestation).where(Attestation.release_id == release.id))
    assert attestation is not None
    fan, fan_web = _person(app, db, platform)
    _entitle(db, fan, release)
    # The files made before the signature are out of date; the preview (unsigned) is not.
    media = MediaService(
        db, queue=JobQueue(db, platform.jobs), storage=platform.storage, base_url="http://localhost"
    )
    current = fresh(db).get(type(track), track.id)
    assert media.state(current, "flac", before["flac"]).status == "missing"
    assert media.state(current, "preview-mp3", before["preview-mp3"]).ready

    for fmt_key in ("flac", "mp3-320", "alac"):
        # Made again on this request (jobs run at once in tests); the next ask has the link.
        assert _ask(fan_web, release, fmt_key, track).location == f"/downloads/{release.id}"
        fetched = _get(fan_web, _link(fan_web, release, fmt_key, track))
        rendition = fresh(db).scalar(
            select(Rendition).where(Rendition.track_id == track.id, Rendition.format == fmt_key)
        )
        assert rendition.sha256 == hashlib.sha256(fetched.data).hexdigest(), fmt_key  # of the final bytes
        state, manifest = _manifest(fetched.data, fmt_key, anchors)
        assert state == "Trusted", fmt_key
        claims = _human_made(manifest)
        assert claims["attestation_id"] == attestation.id
        assert claims["certificate_url"] == f"http://localhost/releases/{release.id}/certificate"
        assert claims["isrc"] == track.isrc and claims["artist"] == "The Band"
        actions = next(a for a in manifest["assertions"] if a["label"] == "c2pa.actions.v2")["data"][
            "actions"
        ]
        assert actions[0]["action"] == "c2pa.opened" and "digitalSourceType" not in json.dumps(actions)


def test_a_format_c2pa_cannot_carry_is_delivered_without_credentials(app, db, platform, processed):
    _, _, release = processed
    approve(db, release.id)
    fan, fan_web = _person(app, db, platform)
    _entitle(db, fan, release)
    track = release.tracks[0]
    _ask(fan_web, release, "ogg-vorbis", track)
    fetched = _get(fan_web, _link(fan_web, release, "ogg-vorbis", track))
    assert fetched.data[:4] == b"OggS"
    with pytest.raises(c2pa.C2paError.NotSupported):
        c2pa.Reader("audio/ogg", io.BytesIO(fetched.data))
