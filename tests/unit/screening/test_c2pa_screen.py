"""C2PA screening: AI source types reject, human credentials inform, altered credentials are flagged."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from storefront.screening.c2pa import (
    AI_SOURCE_TYPES,
    IPTC_SOURCE_TYPE_PREFIX,
    Verdict,
    classify_manifest_store,
    screen_file,
    sniff_format,
)
from tests.factories.provenance import (
    ThrowawayCA,
    c2pa_sign,
    edit_manifest,
    encode,
    manifest,
    master,
    tamper,
    write_tags,
)

FORMATS = (".wav", ".flac", ".mp3", ".m4a")


@dataclass(frozen=True)
class Files:
    dir: Path
    ca: ThrowawayCA
    plain: dict[str, Path]


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> Files:
    d = tmp_path_factory.mktemp("c2pa")
    wav = master(d / "plain.wav", seed=21, seconds=3)
    plain = {".wav": wav, ".flac": master(d / "plain.flac", seed=21, seconds=3),
             ".mp3": encode(wav, d / "plain.mp3"), ".m4a": encode(wav, d / "plain.m4a"),
             ".opus": encode(wav, d / "plain.opus"), ".aiff": master(d / "plain.aiff", seed=21, seconds=3)}
    return Files(d, ThrowawayCA.create(), plain)


def _signed(files: Files, ext: str, source_type: str, generator: str = "Velvet Test DAW") -> Path:
    dst = files.dir / f"{source_type}-{generator.replace(' ', '_')}{ext}"
    if not dst.exists():
        c2pa_sign(files.plain[ext], dst, files.ca, manifest(source_type, generator=generator))
    return dst


@pytest.mark.parametrize("ext", FORMATS)
def test_ai_generated_credentials_reject_in_every_format(files: Files, ext: str) -> None:
    finding = screen_file(_signed(files, ext, "trainedAlgorithmicMedia", "SongForge AI"))
    assert finding.verdict is Verdict.REJECT
    assert "trainedAlgorithmicMedia" in finding.reasons[0]
    assert "SongForge AI 1.0" in finding.reasons[0]
    assert finding.summary["format"] == {".wav": "audio/wav", ".flac": "audio/flac", ".mp3": "audio/mpeg",
                                         ".m4a": "audio/mp4"}[ext]


@pytest.mark.parametrize("source_type", sorted(AI_SOURCE_TYPES))
def test_each_ai_source_type_rejects(files: Files, source_type: str) -> None:
    finding = screen_file(_signed(files, ".wav", source_type))
    assert finding.verdict is Verdict.REJECT
    assert f"'{source_type}'" in finding.reasons[0]


@pytest.mark.parametrize("ext", FORMATS)
@pytest.mark.parametrize("source_type", ["digitalCapture", "humanEdits"])
def test_human_credentials_are_summarised_for_curators(files: Files, ext: str, source_type: str) -> None:
    finding = screen_file(_signed(files, ext, source_type))
    assert finding.verdict is Verdict.INFO
    summary = finding.summary
    assert summary["claim_generator"] == "Velvet Test DAW 1.0"
    assert summary["title"] == "Test track"
    assert summary["actions"][0]["digitalSourceType"] == source_type
    assert summary["signer"]["issuer"] == "Velvet Test"
    assert summary["validation_state"] == "Valid"
    assert summary["trusted"] is False
    assert [e["code"] for e in summary["validation_errors"]] == ["signingCredential.untrusted"]
    assert "signer not on the configured trust list" in finding.reasons[0]


def test_a_configured_trust_anchor_makes_the_signer_trusted(files: Files) -> None:
    anchors = files.ca.ca_pem.decode()
    finding = screen_file(_signed(files, ".flac", "digitalCapture"), trust_anchors_pem=anchors)
    assert finding.verdict is Verdict.INFO
    assert finding.summary["trusted"] is True
    assert finding.summary["validation_state"] == "Trusted"
    assert "trusted signer" in finding.reasons[0]


def test_a_trust_anchor_does_not_excuse_an_ai_declaration(files: Files) -> None:
    path = _signed(files, ".mp3", "compositeWithTrainedAlgorithmicMedia")
    assert screen_file(path, trust_anchors_pem=files.ca.ca_pem.decode()).verdict is Verdict.REJECT


@pytest.mark.parametrize("ext", FORMATS)
def test_files_without_credentials(files: Files, ext: str) -> None:
    finding = screen_file(files.plain[ext])
    assert finding.verdict is Verdict.NONE
    assert finding.reasons == ()


@pytest.mark.parametrize("ext", FORMATS)
def test_altered_audio_is_invalid(files: Files, ext: str) -> None:
    altered = tamper(_signed(files, ext, "digitalCapture"), files.dir / f"altered{ext}")
    finding = screen_file(altered)
    assert finding.verdict is Verdict.INVALID
    assert any(e["code"].endswith("Hash.mismatch") for e in finding.summary["validation_errors"])
    assert "fail validation" in finding.reasons[0]


def test_altered_ai_file_is_still_rejected_and_says_so(files: Files) -> None:
    altered = tamper(_signed(files, ".wav", "trainedAlgorithmicMedia"), files.dir / "altered-ai.wav")
    finding = screen_file(altered)
    assert finding.verdict is Verdict.REJECT
    assert "also failed validation" in finding.reasons[-1]


def test_editing_tags_after_signing_invalidates_the_credentials(files: Files) -> None:
    retagged = files.dir / "retagged.mp3"
    shutil.copyfile(_signed(files, ".mp3", "digitalCapture"), retagged)
    write_tags(retagged, {"title": "Renamed after signing"})
    assert screen_file(retagged).verdict is Verdict.INVALID


def test_corrupted_manifest_is_invalid_not_a_crash(files: Files) -> None:
    # In WAV the manifest is the last chunk; flipping a byte inside it breaks its encoding.
    corrupt = files.dir / "corrupt.wav"
    data = bytearray(_signed(files, ".wav", "digitalCapture").read_bytes())
    data[-2000] ^= 0xFF
    corrupt.write_bytes(bytes(data))
    finding = screen_file(corrupt)
    assert finding.verdict is Verdict.INVALID


def test_human_edit_of_an_ai_generated_parent_is_rejected(files: Files) -> None:
    child = c2pa_sign(files.plain[".wav"], files.dir / "child.wav", files.ca, edit_manifest(),
                      parent=_signed(files, ".wav", "trainedAlgorithmicMedia", "SongForge AI"))
    finding = screen_file(child)
    assert finding.verdict is Verdict.REJECT
    assert finding.summary["manifest_count"] == 2
    assert finding.summary["claim_generator"] == "Velvet Test DAW 2.0"  # the active, human manifest


@pytest.mark.parametrize("ext", [".opus", ".aiff"])
def test_containers_the_reader_cannot_handle_are_reported_not_failed(files: Files, ext: str) -> None:
    finding = screen_file(files.plain[ext])
    assert finding.verdict is Verdict.UNSUPPORTED
    assert finding.reasons == ("format not supported by C2PA reader",)


def test_sniffing_uses_bytes_not_the_file_name(files: Files, tmp_path: Path) -> None:
    disguised = tmp_path / "song.flac"
    shutil.copyfile(files.plain[".mp3"], disguised)
    assert sniff_format(disguised) == "audio/mpeg"
    assert sniff_format(files.plain[".opus"]) is None
    assert sniff_format(encode(files.plain[".wav"], tmp_path / "raw.aac")) is None  # ADTS, not MPEG audio
    assert sniff_format(_signed(files, ".flac", "digitalCapture")) == "audio/flac"  # behind its ID3 tag


def _store(actions: list[dict[str, Any]], **manifest_fields: Any) -> dict[str, Any]:
    body = {"claim_generator": "Legacy Tool/0.9", "title": "t",
            "assertions": [{"label": "c2pa.actions", "data": {"actions": actions}}], **manifest_fields}
    return {"active_manifest": "m1", "manifests": {"m1": body}}


def test_classification_of_v1_manifests_and_uri_variants() -> None:
    store = _store([{"action": "c2pa.created",
                     "digitalSourceType": "https://cv.iptc.org/newscodes/digitalsourcetype/algorithmicMedia/"}])
    finding = classify_manifest_store(store, "Valid")
    assert finding.verdict is Verdict.REJECT
    assert "Legacy Tool/0.9" in finding.reasons[0]


def test_software_agent_is_named_when_present() -> None:
    store = _store([{"action": "c2pa.created", "softwareAgent": {"name": "VoiceClone", "version": "3"},
                     "digitalSourceType": IPTC_SOURCE_TYPE_PREFIX + "compositeSynthetic"}])
    assert "written by VoiceClone 3" in classify_manifest_store(store, "Valid").reasons[0]


@pytest.mark.parametrize("source_type", ["algorithmicallyEnhanced", "dataDrivenMedia", "digitalCreation",
                                         "minorHumanEdits"])
def test_non_generative_source_types_only_inform(source_type: str) -> None:
    store = _store([{"action": "c2pa.edited", "digitalSourceType": IPTC_SOURCE_TYPE_PREFIX + source_type}])
    assert classify_manifest_store(store, "Valid").verdict is Verdict.INFO


def test_invalid_state_without_ai_is_invalid() -> None:
    store = {**_store([]), "validation_status": [
        {"code": "claimSignature.mismatch", "explanation": "claim signature is not valid"}]}
    finding = classify_manifest_store(store, "Invalid")
    assert finding.verdict is Verdict.INVALID
    assert "claimSignature.mismatch" in finding.reasons[0]
