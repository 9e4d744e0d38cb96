"""Manifest entries against a certificate: signatures (retired keys too), binding to its masters, audio."""

from __future__ import annotations

import datetime as dt

from storefront.attestations.manifests.entries import DeliveredFile, FileKind, Source, entry_document
from storefront.attestations.manifests.files import FileDigest
from storefront.attestations.manifests.matching import ListedEntries, match_file
from storefront.attestations.signing.platform import PlatformKey
from storefront.attestations.verification import ATTESTATION_TYPE, bound_files, verify_certificate
from storefront.audio.inspect.samples import SampleDigest

MASTER_1, MASTER_2, ARTWORK, FILE, OTHER = "a" * 64, "b" * 64, "c" * 64, "d" * 64, "e" * 64
AUDIO = SampleDigest(md5="f" * 32, bits=16, channels=2, sample_rate=44100, frames=44100)
RETIRED, CURRENT = PlatformKey.generate(), PlatformKey.generate()
KEYS = [CURRENT.public_jwk(), RETIRED.public_jwk()]
DOCUMENT = {
    "release": {"id": 7},
    "tracks": [
        {"position": 1, "title": "Slow Tide", "master": {"sha256": MASTER_1}},
        {"position": 2, "title": "Undertow", "master": {"sha256": MASTER_2}},
    ],
    "artwork": {"sha256": ARTWORK},
}


def _entry(key: PlatformKey, *, release_id: int = 7, master: str = MASTER_1, sha256: str = FILE) -> dict:
    delivered = DeliveredFile(
        FileKind.RENDITION,
        sha256,
        1234,
        "Harbour - Slow Tide.flac",
        (Source(master, 1),),
        format="flac",
        track=1,
        title="Slow Tide",
        audio=AUDIO,
    )
    document = entry_document(
        release_id, delivered, issuer="https://shop", at=dt.datetime(2026, 4, 2, tzinfo=dt.UTC)
    )
    return {"document": document, "signature": key.sign(document).to_dict()}


def _match(entries: list[dict], digest: FileDigest):
    return match_file(digest, DOCUMENT, bound_files(DOCUMENT), KEYS, ListedEntries(entries))


def test_an_entry_signed_with_a_retired_key_still_verifies():
    found = _match([_entry(RETIRED)], FileDigest("song.flac", FILE))
    assert found.ok and found.by_manifest and not found.audio_only
    assert found.message.startswith("“song.flac” is track 1 “Slow Tide” in FLAC, exactly as the platform")
    assert f"signed with key {RETIRED.kid} on 2026-04-02T00:00:00Z" in found.message
    unknown = PlatformKey.generate()
    assert not _match([_entry(unknown)], FileDigest("song.flac", FILE)).ok


def test_a_tampered_entry_an_earlier_master_and_another_release_fail_each_with_its_reason():
    tampered = _entry(CURRENT)
    tampered["document"]["file"]["sha256"] = OTHER
    assert _match([tampered], FileDigest("x.flac", OTHER)).message == (
        "“x.flac” is listed in a manifest, but that entry's signature does not verify."
    )
    earlier = _match([_entry(CURRENT, master=OTHER)], FileDigest("x.flac", FILE))
    assert not earlier.ok and "made from a master or artwork other than the one" in earlier.message
    foreign = _match([_entry(CURRENT, release_id=8)], FileDigest("x.flac", FILE))
    assert not foreign.ok and foreign.message.startswith("“x.flac” belongs to another release")


def test_audio_matches_only_with_the_decoded_samples_and_says_so():
    entries = [_entry(CURRENT)]
    retagged = _match(entries, FileDigest("mine.flac", OTHER, audio_md5=AUDIO.md5))
    assert retagged.ok and retagged.audio_only and "by its audio only" in retagged.message
    assert not _match(entries, FileDigest("mine.flac", OTHER)).ok
    assert not _match(entries, FileDigest("mine.flac", OTHER, audio_md5="0" * 32)).ok


def test_the_certificate_binds_masters_and_artwork_directly():
    found = match_file(FileDigest("01.flac", MASTER_2), DOCUMENT, bound_files(DOCUMENT), KEYS, None)
    assert (
        found.ok
        and not found.by_manifest
        and found.message == "“01.flac” matches the master of track 2 “Undertow”."
    )


def test_a_carried_manifest_keeps_earlier_files_listed_but_refuses_another_releases():
    document = {**DOCUMENT, "type": ATTESTATION_TYPE}
    certificate = {"document": document, "signature": CURRENT.sign(document).to_dict()}
    earlier = _entry(CURRENT, master=OTHER, sha256=OTHER)
    carried = {**certificate, "rendition_manifest": {"entries": [_entry(RETIRED), earlier]}}
    verdict = verify_certificate(carried, KEYS, [FileDigest("a.flac", FILE), FileDigest("b.flac", OTHER)])
    messages = [c.message for c in verdict.checks if c.statement == "Rendition manifest"]
    assert messages[0] == "Rendition manifest: all 2 entries carried are signed, of this release."
    assert messages[1].startswith("Rendition manifest: 1 entries are of files made from an earlier master")
    assert "“a.flac” is track 1 “Slow Tide” in FLAC" in messages[2]
    assert any(
        r.startswith("“b.flac” was delivered for this release, but made from") for r in verdict.reasons
    )
    stuffed = {**certificate, "rendition_manifest": {"entries": [_entry(CURRENT, release_id=8)]}}
    assert (
        "Rendition manifest: 1 of its entries are of another release."
        in verify_certificate(stuffed, KEYS).reasons
    )
