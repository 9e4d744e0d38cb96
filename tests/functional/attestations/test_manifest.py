"""Every file a fan receives verifies against its certificate: each format, the ZIPs and what they hold."""

from __future__ import annotations

import copy
import hashlib
import io
import json
from pathlib import Path

import pytest
from sqlalchemy import select
from werkzeug.datastructures import FileStorage

from storefront.attestations.manifests.lookup import StoredEntries
from storefront.attestations.manifests.models import ManifestEntry, ManifestEntryImmutable
from storefront.attestations.verification import digest_path, verify_certificate
from storefront.audio.formats import DOWNLOAD_FORMATS, get_format
from storefront.audio.tagging import TrackTags, write_tags
from storefront.db import commit
from storefront.media.recipes import PREVIEW_FORMAT
from storefront.releases.models import Release, ReleaseStatus
from tests.factories.attestations import approve
from tests.factories.delivered import make_everything, read_delivered
from tests.helpers import fresh, text_of


@pytest.fixture
def shop(db, platform, two_certified):
    """Two certified releases; the first with every format and every ZIP made."""
    first, second = two_certified
    return make_everything(db, platform, first), read_delivered(db, platform, second)


def _certificate(web, release_id: int, manifest: bool = True) -> dict:
    response = web.get(f"/releases/{release_id}/certificate.json" + ("?manifest=1" if manifest else ""))
    assert response.status_code == 200, response.status_code
    return response.get_json()


def _write(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / "fan" / name.replace("/", "_")
    path.parent.mkdir(exist_ok=True)
    path.write_bytes(data)
    return path


def test_every_delivered_file_verifies_offline_and_says_what_it_is(web, db, shop, tmp_path):
    first, _ = shop
    cert = _certificate(web, first.release_id)
    keys = web.get("/.well-known/velvet/platform-key.json").get_json()["keys"]
    assert set(first.renditions) == {(p, f) for p in (1, 2) for f in [*DOWNLOAD_FORMATS, PREVIEW_FORMAT]}
    files = {
        f"{p}-{fmt}.{get_format(fmt).extension}": (data, f"track {p} “Song {p}” in {get_format(fmt).label}")
        for (p, fmt), data in first.renditions.items()
    }
    for fmt, data in first.archives.items():
        files[f"album-{fmt}.zip"] = (data, f"the album archive in {get_format(fmt).label}")
        for name, member in first.members(fmt).items():
            expected = "the cover picture" if name.endswith("cover.jpg") else f"in {get_format(fmt).label}"
            files[name] = (member, expected)
    for name, data in first.covers.items():
        files[name] = (data, "the cover picture")
    assert len(files) > 60
    paths = [_write(tmp_path, name, data) for name, (data, _) in files.items()]
    # Only what the certificate download carries: its signed manifest, no database, no network.
    verdict = verify_certificate(cert, keys, [digest_path(p, audio=True) for p in paths])
    assert verdict.ok, verdict.reasons
    messages = [c.message for c in verdict.checks if c.statement == "Rendition manifest"]
    for name, (_, what) in files.items():
        line = next(m for m in messages if m.startswith(f"“{name.replace('/', '_')}”"))
        assert what in line and "exactly as the platform delivered it" in line, line
    assert (
        "Rendition manifest: all" in messages[0]
        and "entries carried are signed, of this release" in messages[0]
    )


def test_the_command_and_the_page_name_track_and_format(app, web, shop, tmp_path):
    first, _ = shop
    cert_path = tmp_path / "certificate.json"
    cert_path.write_text(json.dumps(_certificate(web, first.release_id, manifest=False)))
    alac = _write(tmp_path, "Song 1.m4a", first.renditions[(1, "alac")])
    ran = app.test_cli_runner().invoke(args=["verify", str(cert_path), str(alac)])
    assert ran.exit_code == 0, ran.output
    assert "“Song 1.m4a” is track 1 “Song 1” in Apple Lossless (ALAC)" in ran.output
    assert "Rendition manifest: Each file the platform delivered" in ran.output
    assert "Not signed: Fields of the certificate outside every signature" in ran.output

    zipped = _write(tmp_path, "album.zip", first.archives["mp3-v0"])
    ran = app.test_cli_runner().invoke(args=["verify", str(cert_path), str(zipped)])
    assert "“album.zip” is the album archive in MP3 V0 (VBR), exactly as the platform" in ran.output
    # Kept small: the test client spools larger bodies to a file it never closes.
    opus = first.renditions[(2, "opus")]
    page = web.submit(
        "/verify",
        {"certificate": cert_path.read_text(), "files": [FileStorage(io.BytesIO(opus), "song.opus")]},
        content_type="multipart/form-data",
    )
    text = text_of(page)
    assert page.status_code == 200 and "<h2>Valid</h2>" in text, text
    assert "“song.opus” is track 2 “Song 2” in Opus 160 kbps, exactly as the platform delivered it" in text
    assert "<h3>Status statement</h3>" in text and "Status on this site now: the release is on sale" in text
    certificate_page = text_of(web.get(f"/releases/{first.release_id}/certificate"))
    assert "<dt>Status</dt><dd>On sale since " in certificate_page and "Z, as stated on " in certificate_page
    for link in (f"/releases/{first.release_id}/manifest.json", f"/verify/file?release={first.release_id}"):
        assert f'href="{link}"' in certificate_page


def test_a_retagged_flac_matches_by_its_audio_and_one_changed_byte_fails(app, web, shop, tmp_path):
    first, _ = shop
    cert = _certificate(web, first.release_id)
    keys = web.get("/.well-known/velvet/platform-key.json").get_json()["keys"]
    flac = _write(tmp_path, "mine.flac", first.renditions[(2, "flac")])
    write_tags(flac, "flac", TrackTags(title="My favourite", artist="Whoever"))
    verdict = verify_certificate(cert, keys, [digest_path(flac, audio=True)])
    assert verdict.ok, verdict.reasons
    [match] = [c.message for c in verdict.checks if c.message.startswith("“mine.flac”")]
    assert "matches track 2 “Song 2” in FLAC by its audio only" in match and "tags or its container" in match

    for fmt, label in (("aiff", "mine.aiff"), ("mp3-320", "mine.mp3")):
        data = bytearray(first.renditions[(1, fmt)])
        data[len(data) // 2] ^= 0x01
        verdict = verify_certificate(
            cert, keys, [digest_path(_write(tmp_path, label, bytes(data)), audio=True)]
        )
        assert not verdict.ok
        assert verdict.reasons == [
            f"“{label}”: its SHA-256 hash differs from every file this certificate binds and every file the "
            f"platform delivered for it (the file is {digest_path(tmp_path / 'fan' / label).sha256[:16]}…)."
        ]


def test_a_file_of_another_release_belongs_to_another_release(app, web, db, shop, tmp_path):
    first, second = shop
    cert = _certificate(web, first.release_id, manifest=False)
    keys = web.get("/.well-known/velvet/platform-key.json").get_json()["keys"]
    theirs = _write(tmp_path, "other.flac", second.renditions[(1, "flac")])
    verdict = verify_certificate(
        cert, keys, [digest_path(theirs, audio=True)], entries=StoredEntries(fresh(db))
    )
    assert verdict.reasons == [
        f"“other.flac” belongs to another release: it is track 1 “Song 1” in FLAC of release "
        f"{second.release_id}, not of the release this certificate describes."
    ]
    cert_path = tmp_path / "certificate.json"
    cert_path.write_text(json.dumps(cert))
    ran = app.test_cli_runner().invoke(args=["verify", str(cert_path), str(theirs)])
    assert ran.exit_code == 1 and "belongs to another release" in ran.output


def test_unsigned_fields_are_shown_apart_and_edited_ones_fail(web, db, shop):
    first, _ = shop
    cert = _certificate(web, first.release_id, manifest=False)
    keys = web.get("/.well-known/velvet/platform-key.json").get_json()["keys"]
    verdict = verify_certificate(cert, keys)
    assert verdict.ok, verdict.reasons
    unsigned = {c.message.split(":")[0] for c in verdict.checks if c.statement == "Not signed"}
    assert unsigned == {
        "ai_training",
        "certificate",
        "document_sha256",
        "files_current",
        "first_window",
        "links",
        "status",
    }
    assert "“links”" not in unsigned and any("no signature covers it" in c.message for c in verdict.checks)

    edited = copy.deepcopy(cert)
    edited["ai_training"] = {"opt_in": True, "terms": "anything goes", "tdm_reservation": 0}
    assert verify_certificate(edited, keys).reasons == [
        'ai_training: {"opt_in": true, "tdm_reservation": 0, "terms": "anything goes"} was edited: the '
        'signed status statement says {"opt_in": false, "tdm_reservation": 1, "terms": ""}.'
    ]
    forged = copy.deepcopy(cert)
    forged["status_statement"]["document"]["ai_training"]["opt_in"] = True
    assert any(
        "Status statement: signature does not match" in r for r in verify_certificate(forged, keys).reasons
    )
    stripped = copy.deepcopy(cert)
    del stripped["status_statement"]
    stripped["status"] = "approved"
    verdict = verify_certificate(stripped, keys)
    assert 'status: "approved" (no signature covers it).' in [c.message for c in verdict.checks]
    assert "carries no signed status statement" in " ".join(c.message for c in verdict.checks)


def test_a_withdrawn_release_says_so_under_signature_and_copies_are_caught(app, web, db, shop, tmp_path):
    first, _ = shop
    copied = _certificate(web, first.release_id, manifest=False)
    approve(db, first.release_id, ReleaseStatus.TAKEN_DOWN)
    gone = web.get(f"/releases/{first.release_id}/certificate.json")
    assert (
        gone.status_code == 410 and gone.get_json()["status_statement"]["document"]["status"] == "withdrawn"
    )
    status = web.get(f"/releases/{first.release_id}/status.json").get_json()
    assert status["document"]["status"] == "withdrawn" and status["document"]["stated_at"]
    keys = web.get("/.well-known/velvet/platform-key.json").get_json()["keys"]
    # The current statement in place of the copied one: signed and bound, it says the release is withdrawn.
    assert verify_certificate({**copied, "status_statement": status}, keys).reasons == [
        f"Status: the release is withdrawn (taken down) since {status['document']['since']}, as stated on "
        f"{status['document']['stated_at']}.",
        'status: "approved" was edited: the signed status statement says "withdrawn".',
    ]
    page = text_of(
        web.submit("/verify", {"certificate": json.dumps(copied)}, content_type="multipart/form-data")
    )
    assert "Not valid" in page and "Status on this site now: the release is withdrawn (taken down)" in page
    path = tmp_path / "copied.json"
    path.write_text(json.dumps(copied))
    ran = app.test_cli_runner().invoke(args=["verify", str(path)])
    assert ran.exit_code == 1 and "withdrawn (taken down)" in ran.output


def test_entries_are_append_only_a_remade_file_gets_its_own_and_retired_keys_still_verify(
    app, web, db, platform, shop, tmp_path
):
    first, _ = shop
    session = fresh(db)
    entry = session.scalar(select(ManifestEntry).where(ManifestEntry.release_id == first.release_id))
    entry.size = 1
    with pytest.raises(ManifestEntryImmutable):
        session.flush()
    session.rollback()
    manifest = web.get(f"/releases/{first.release_id}/manifest.json").get_json()
    before = {e["document"]["file"]["sha256"] for e in manifest["entries"]}
    assert {hashlib.sha256(data).hexdigest() for data in first.renditions.values()} <= before
    old_kid = manifest["entries"][0]["signature"]["kid"]
    assert app.test_cli_runner().invoke(args=["rotate-key"]).exit_code == 0
    # The track is renamed: its files are made again with new tags, hence new bytes and new entries.
    session = fresh(db)
    release = session.get(Release, first.release_id)
    release.tracks[0].title = "Low Tide"
    commit(session)
    remade = make_everything(db, platform, first.release_id)
    after = web.get(f"/releases/{first.release_id}/manifest.json").get_json()["entries"]
    assert before < {e["document"]["file"]["sha256"] for e in after}
    # The old file a fan bought before the rename (signed with the key now retired) still verifies, as does
    # the new one, signed with the new key.
    keys = web.get("/.well-known/velvet/platform-key.json").get_json()["keys"]
    assert {e["signature"]["kid"] for e in after} == {old_kid, keys[0]["kid"]} and keys[1]["kid"] == old_kid
    cert = _certificate(web, first.release_id, manifest=False)
    old = _write(tmp_path, "old.flac", first.renditions[(1, "flac")])
    new = _write(tmp_path, "new.flac", remade.renditions[(1, "flac")])
    verdict = verify_certificate(
        cert, keys, [digest_path(old), digest_path(new)], entries=StoredEntries(fresh(db))
    )
    assert verdict.ok, verdict.reasons
    stamps = {
        name: next(c.message for c in verdict.checks if f"“{name}”" in c.message)
        for name in ("old.flac", "new.flac")
    }
    assert (
        f"signed with key {old_kid}" in stamps["old.flac"]
        and f"signed with key {keys[0]['kid']}" in stamps["new.flac"]
    )
