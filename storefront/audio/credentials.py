"""Content Credentials (C2PA) in delivered files: which formats carry them, what they state, and signing.

The manifest is signed over the file's final bytes, so it is written after the tags; any later change to the
file (a tag edited by a fan, a byte of audio) makes C2PA readers report it as altered.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from dataclasses import dataclass
from typing import Any

from storefront.audio.formats import AudioFormat, Container, get_format
from storefront.audio.tagging import TrackTags

# Containers c2pa-python (0.38) embeds a manifest into; Ogg (Vorbis, Opus) and AIFF have no C2PA binding.
CREDENTIAL_CONTAINERS = frozenset({Container.FLAC, Container.WAV, Container.MP3, Container.MP4})
# The platform's own assertion: which release and human-made attestation the file was made for.
HUMAN_MADE_LABEL = "velvet.human_made"
TRAINING_LABEL = "cawg.training-mining"
# CAWG training-and-data-mining uses; the TDM reservation withholds all four.
TRAINING_USES = ("cawg.ai_generative_training", "cawg.ai_training", "cawg.ai_inference", "cawg.data_mining")
GENERATOR = "Velvet"
_MASTER_INGREDIENT = "master"
_METADATA_CONTEXT = {
    "dc": "http://purl.org/dc/elements/1.1/",
    "xmpDM": "http://ns.adobe.com/xmp/1.0/DynamicMedia/",
}
_ALGORITHMS = ("ed25519", "es256", "es384", "es512", "ps256")


class CredentialsError(RuntimeError):
    """The file could not be signed; the message says why."""


@dataclass(frozen=True)
class SigningCredential:
    """A certificate chain (PEM, signing certificate first) and its private key (PEM)."""

    chain_pem: bytes
    key_pem: bytes
    algorithm: str  # one of _ALGORITHMS

    def __post_init__(self) -> None:
        if self.algorithm not in _ALGORITHMS:
            raise ValueError(f"C2PA cannot sign with {self.algorithm!r}; use one of {', '.join(_ALGORITHMS)}")


@dataclass(frozen=True)
class MasterFacts:
    """What the manifest says of the artist's master the file was made from."""

    mime_type: str
    sha256: str
    sample_rate: int | None
    bit_depth: int | None


@dataclass(frozen=True)
class Provenance:
    """Everything a delivered file's manifest states beside its format."""

    tags: TrackTags
    release_id: int
    artist_id: int
    track_position: int
    attestation_id: int | None  # None while the artist has not signed the attestation yet
    master: MasterFacts
    tdm_terms: str = ""


def carries_credentials(fmt_key: str) -> bool:
    return get_format(fmt_key).container in CREDENTIAL_CONTAINERS


def _audio_change(fmt: AudioFormat, master: MasterFacts) -> tuple[str, str]:
    """The C2PA action for what encoding did to the audio, and its plain description."""
    source = master.mime_type.split("/")[-1].upper()
    if not fmt.lossless:
        return (
            "c2pa.transcoded",
            f"Encoded as {fmt.label}, a lossy format, from the artist's {source} master.",
        )
    depth = master.bit_depth
    delivered = fmt.bit_depth or (None if depth is None else 16 if depth <= 16 else 24)
    rate_kept = fmt.sample_rate is None or fmt.sample_rate == master.sample_rate
    if depth is None or master.sample_rate is None or not rate_kept or delivered != depth:
        return (
            "c2pa.transcoded",
            f"Encoded as {fmt.label} at a set resolution from the artist's {source} master.",
        )
    if fmt.mime_type != master.mime_type:
        return (
            "c2pa.converted",
            f"Converted losslessly from {source} to {fmt.label}: the decoded audio is the master's, "
            "sample for sample.",
        )
    return "c2pa.transcoded", f"Re-encoded losslessly as {fmt.label}: the decoded audio is the master's."


def _training(p: Provenance) -> dict[str, Any]:
    tags = p.tags
    if tags.tdm_reserved:
        entry: dict[str, str] = {"use": "notAllowed"}
        if tags.tdm_policy_url:
            entry["constraint_info"] = tags.tdm_policy_url
    else:
        entry = {"use": "constrained", "constraint_info": p.tdm_terms} if p.tdm_terms else {"use": "allowed"}
    return {"entries": {use: dict(entry) for use in TRAINING_USES}}


def manifest_definition(fmt_key: str, p: Provenance) -> dict[str, Any]:
    """The manifest of one delivered file. No action declares a digital source type: the platform did not
    create the audio, it opened the artist's master and encoded it, which is all the actions say."""
    fmt, tags = get_format(fmt_key), p.tags
    agent = {"name": GENERATOR}
    action, described = _audio_change(fmt, p.master)
    metadata: dict[str, Any] = {
        "@context": _METADATA_CONTEXT,
        "dc:title": tags.title,
        "xmpDM:artist": tags.artist,
    }
    if tags.album:
        metadata["xmpDM:album"] = tags.album
    human_made: dict[str, Any] = {
        "release_id": p.release_id,
        "artist_id": p.artist_id,
        "track_position": p.track_position,
        "title": tags.title,
        "artist": tags.artist,
        "isrc": tags.isrc,
        "attestation_id": p.attestation_id,
        "certificate_url": tags.certificate_url,
        "master_sha256": p.master.sha256,
        "format": fmt.key,
    }
    return {
        "claim_generator_info": [agent],
        "title": tags.title,
        "ingredients": [
            {
                "title": f"{tags.artist} - {tags.title} (master)",
                "format": p.master.mime_type,
                "relationship": "parentOf",
                "label": _MASTER_INGREDIENT,
            }
        ],
        "assertions": [
            {
                "label": "c2pa.actions.v2",
                "data": {
                    "actions": [
                        {
                            "action": "c2pa.opened",
                            "softwareAgent": agent,
                            "parameters": {"ingredientIds": [_MASTER_INGREDIENT]},
                            "description": "The master the artist uploaded and attested as human-made.",
                        },
                        {"action": action, "softwareAgent": agent, "description": described},
                        {
                            "action": "c2pa.edited.metadata",
                            "softwareAgent": agent,
                            "description": "Tags written by the platform: title, artist, album, numbering, "
                            "ISRC, label, cover, certificate link and AI-training reservation.",
                        },
                    ]
                },
            },
            {"label": "c2pa.metadata", "data": metadata},
            {"label": TRAINING_LABEL, "data": _training(p)},
            {"label": HUMAN_MADE_LABEL, "data": human_made},
        ],
    }


def sign_file(
    path: str | os.PathLike[str], fmt_key: str, definition: dict[str, Any], credential: SigningCredential
) -> None:
    """Embed and sign `definition` in the file at `path`, replacing it in one step."""
    import c2pa  # the native library loads on first use, not when the web process imports this module

    target = os.fspath(path)
    mime = get_format(fmt_key).mime_type
    algorithm = getattr(c2pa.C2paSigningAlg, credential.algorithm.upper())
    info = c2pa.C2paSignerInfo(algorithm, credential.chain_pem, credential.key_pem, None)
    fd, signed = tempfile.mkstemp(prefix=".signed-", dir=os.path.dirname(os.path.abspath(target)))
    os.close(fd)
    try:
        with (
            c2pa.Builder(definition) as builder,
            c2pa.Signer.from_info(info) as signer,
            open(target, "rb") as source,
            open(signed, "w+b") as dest,
        ):
            builder.sign(signer, mime, source, dest)
        os.replace(signed, target)
    except c2pa.C2paError as exc:
        raise CredentialsError(f"Content Credentials could not be signed: {exc}") from exc
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(signed)
