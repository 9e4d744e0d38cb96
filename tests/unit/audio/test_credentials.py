"""Content Credentials in every format C2PA carries, validated by c2pa-python's own reader."""

from __future__ import annotations

import json
import shutil
from dataclasses import replace
from pathlib import Path
from typing import Any

import c2pa
import pytest

from storefront.attestations.signing.credentials import C2paIdentity, load_identity
from storefront.audio.credentials import (
    HUMAN_MADE_LABEL,
    TRAINING_LABEL,
    TRAINING_USES,
    CredentialsError,
    MasterFacts,
    Provenance,
    carries_credentials,
    manifest_definition,
    sign_file,
)
from storefront.audio.formats import DOWNLOAD_FORMATS, get_format
from storefront.audio.synth import write_master
from storefront.audio.tagging import TrackTags, read_tags
from storefront.audio.transcode.batch import transcode_track
from storefront.config import Settings

CERTIFICATE = "https://velvet.example/releases/41/certificate"
SIGNED = ("flac", "flac-16-44", "alac", "wav", "mp3-320", "mp3-v0", "aac-256")
TAGS = TrackTags(
    title="Low Tide",
    artist="The Band",
    album="Harbour",
    isrc="GBABC2400001",
    certificate_url=CERTIFICATE,
    tdm_policy_url="https://velvet.example/tdm-policy",
)
WAV_MASTER = MasterFacts("audio/wav", "ab" * 32, 44100, 16)


def provenance(master: MasterFacts = WAV_MASTER, **changes: Any) -> Provenance:
    made = Provenance(TAGS, release_id=41, artist_id=7, track_position=2, attestation_id=93, master=master)
    return replace(made, **changes)


@pytest.fixture(scope="module")
def identity(tmp_path_factory: pytest.TempPathFactory) -> C2paIdentity:
    """The embedded default: a local CA and a signing certificate, issued on first use."""
    return load_identity(Settings(instance_dir=str(tmp_path_factory.mktemp("instance"))))


@pytest.fixture(scope="module")
def encoded(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("renditions")
    master = write_master(folder / "master.wav", seed=5, seconds=2)
    outputs = {key: folder / f"{key}{fmt.filename_suffix}" for key, fmt in DOWNLOAD_FORMATS.items()}
    transcode_track(master, outputs, tags=TAGS)
    return outputs


def read(path: Path, fmt_key: str, trusted: str | None) -> tuple[str, dict[str, Any], dict[str, Any]]:
    """(validation state, active manifest, validation results) as a C2PA consumer sees them."""
    settings: dict[str, Any] = {"verify": {"remote_manifest_fetch": False, "ocsp_fetch": False}}
    if trusted:
        settings["trust"] = {"trust_anchors": trusted}
    with (
        c2pa.Context(settings=c2pa.Settings.from_dict(settings)) as context,
        open(path, "rb") as stream,
        c2pa.Reader(get_format(fmt_key).mime_type, stream, context=context) as reader,
    ):
        state = reader.get_validation_state()
        manifest = reader.get_active_manifest()
        results = reader.get_validation_results()
    assert state is not None and manifest is not None and results is not None
    return state, manifest, results


def signed_copy(encoded: dict[str, Path], fmt_key: str, folder: Path, identity: C2paIdentity) -> Path:
    path = folder / encoded[fmt_key].name
    shutil.copy(encoded[fmt_key], path)
    sign_file(path, fmt_key, manifest_definition(fmt_key, provenance()), identity.credential)
    return path


def assertion(manifest: dict[str, Any], label: str) -> dict[str, Any]:
    found: dict[str, Any] = next(a["data"] for a in manifest["assertions"] if a["label"] == label)
    return found


def test_the_formats_that_carry_credentials_are_those_c2pa_embeds_into():
    assert {key for key in DOWNLOAD_FORMATS if carries_credentials(key)} == set(SIGNED)


@pytest.mark.parametrize("fmt_key", SIGNED)
def test_each_signed_format_validates_as_trusted_under_the_local_ca(encoded, identity, tmp_path, fmt_key):
    path = signed_copy(encoded, fmt_key, tmp_path, identity)

    state, manifest, results = read(path, fmt_key, identity.issuers_pem)
    assert state == "Trusted", results
    assert results["activeManifest"]["failure"] == []
    codes = {entry["code"] for entry in results["activeManifest"]["success"]}
    assert {"signingCredential.trusted", "claimSignature.validated"} <= codes
    assert manifest["title"] == "Low Tide" and manifest["signature_info"]["alg"] == "Ed25519"
    human_made = assertion(manifest, HUMAN_MADE_LABEL)
    assert (human_made["certificate_url"], human_made["attestation_id"]) == (CERTIFICATE, 93)
    assert (human_made["title"], human_made["artist"], human_made["isrc"]) == (
        "Low Tide",
        "The Band",
        "GBABC2400001",
    )
    assert (human_made["release_id"], human_made["format"]) == (41, fmt_key)
    assert assertion(manifest, "c2pa.metadata")["xmpDM:artist"] == "The Band"
    # The tags written before signing are still there and still read.
    assert read_tags(path)["certificate_url"] == CERTIFICATE


@pytest.mark.parametrize("fmt_key", ["flac", "mp3-320"])
def test_without_the_local_ca_the_signature_holds_but_the_signer_is_unknown(
    encoded, identity, tmp_path, fmt_key
):
    state, _, results = read(signed_copy(encoded, fmt_key, tmp_path, identity), fmt_key, None)
    assert state == "Valid"
    assert [f["code"] for f in results["activeManifest"]["failure"]] == ["signingCredential.untrusted"]


@pytest.mark.parametrize("fmt_key", ["flac", "wav", "aac-256"])
def test_a_changed_byte_after_signing_fails_validation(encoded, identity, tmp_path, fmt_key):
    path = signed_copy(encoded, fmt_key, tmp_path, identity)
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x01  # in the audio
    path.write_bytes(bytes(data))
    state, _, results = read(path, fmt_key, identity.issuers_pem)
    assert state == "Invalid"
    assert any("mismatch" in f["code"] for f in results["activeManifest"]["failure"]), results


def test_the_actions_say_what_the_platform_did_and_claim_no_source_type(encoded, identity, tmp_path):
    state, manifest, _ = read(
        signed_copy(encoded, "mp3-320", tmp_path, identity), "mp3-320", identity.issuers_pem
    )
    assert state == "Trusted"
    actions = assertion(manifest, "c2pa.actions.v2")["actions"]
    assert [a["action"] for a in actions] == ["c2pa.opened", "c2pa.transcoded", "c2pa.edited.metadata"]
    assert "lossy" in actions[1]["description"] and "WAV master" in actions[1]["description"]
    assert not any("digitalSourceType" in a for a in actions)
    assert manifest["ingredients"][0]["relationship"] == "parentOf"
    assert "digitalSourceType" not in json.dumps(manifest)


@pytest.mark.parametrize(
    ("fmt_key", "master", "action"),
    [
        ("flac", WAV_MASTER, "c2pa.converted"),  # same samples, another container
        ("flac", MasterFacts("audio/flac", "cd" * 32, 44100, 16), "c2pa.transcoded"),  # re-encoded as it was
        ("flac-16-44", MasterFacts("audio/flac", "cd" * 32, 96000, 24), "c2pa.transcoded"),  # resampled
        ("wav", MasterFacts("audio/wav", "cd" * 32, 48000, 32), "c2pa.transcoded"),  # 32-bit delivered at 24
        ("alac", MasterFacts("audio/wav", "cd" * 32, None, None), "c2pa.transcoded"),  # unknown: no claim
        ("aac-256", MasterFacts("audio/flac", "cd" * 32, 44100, 16), "c2pa.transcoded"),
    ],
)
def test_a_lossless_conversion_is_told_apart_from_a_transcode(fmt_key, master, action):
    actions = manifest_definition(fmt_key, provenance(master))["assertions"][0]["data"]["actions"]
    assert actions[1]["action"] == action


def test_the_ai_training_reservation_travels_and_an_opt_in_states_its_terms():
    reserved = manifest_definition("flac", provenance())["assertions"]
    entries = next(a["data"] for a in reserved if a["label"] == TRAINING_LABEL)["entries"]
    assert set(entries) == set(TRAINING_USES)
    assert all(e == {"use": "notAllowed", "constraint_info": TAGS.tdm_policy_url} for e in entries.values())

    opted = replace(provenance(), tags=replace(TAGS, tdm_opt_in=True), tdm_terms="Credit the artist.")
    entries = next(
        a["data"] for a in manifest_definition("flac", opted)["assertions"] if a["label"] == TRAINING_LABEL
    )
    assert entries["entries"]["cawg.ai_training"] == {
        "use": "constrained",
        "constraint_info": "Credit the artist.",
    }


@pytest.mark.parametrize("fmt_key", ["ogg-vorbis", "opus", "aiff"])
def test_formats_without_a_c2pa_binding_are_refused_with_a_reason(encoded, identity, tmp_path, fmt_key):
    path = tmp_path / encoded[fmt_key].name
    shutil.copy(encoded[fmt_key], path)
    before = path.read_bytes()
    with pytest.raises(CredentialsError, match="Content Credentials could not be signed"):
        sign_file(path, fmt_key, manifest_definition(fmt_key, provenance()), identity.credential)
    assert path.read_bytes() == before and list(tmp_path.iterdir()) == [path]  # untouched, nothing left over
