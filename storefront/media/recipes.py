"""What each media file is made from and called: tags, input digests, storage keys, download names."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import asdict
from typing import Any

from sqlalchemy.orm import Session

from ..attestations.services import certified_attestation
from ..audio.archive import album_folder_name, safe_name
from ..audio.credentials import MasterFacts, Provenance, carries_credentials
from ..audio.formats import DOWNLOAD_FORMATS, PRECOMPUTED_KEYS, get_format, preview_format
from ..audio.tagging import TrackTags
from ..releases.models import Release, Track, Upload
from .models import PreviewMode, PreviewPolicy

# Browsers play MP3 everywhere; Opus would be smaller but Safari's support came late.
PREVIEW_FORMAT = preview_format("mp3").key
# Made as soon as a master is accepted, so the common downloads never wait.
PRECOMPUTED = PRECOMPUTED_KEYS
# Public pages the tags point to. Jobs run without a request, so the paths are spelled out here; they are
# those of provenance.certificate_page and tdm.policy.
CERTIFICATE_PATH = "/releases/{release_id}/certificate"
TDM_POLICY_PATH = "/tdm-policy"
# Derived files live apart from `releases/`, whose sweep deletes every object no upload row names.
MEDIA_PREFIX = "media"
_COVER_FOR_TAGS = "cover-1200.jpg"


def download_formats() -> list[str]:
    return list(DOWNLOAD_FORMATS)


def is_download_format(fmt_key: str) -> bool:
    return fmt_key in DOWNLOAD_FORMATS


def is_signed_format(fmt_key: str) -> bool:
    """Downloads whose container C2PA can carry get the platform's Content Credentials; previews do not."""
    return is_download_format(fmt_key) and carries_credentials(fmt_key)


def format_label(fmt_key: str) -> str:
    return get_format(fmt_key).label


def cover_key(release: Release) -> str | None:
    """The cover embedded in files: 1200 px is plenty for any player and keeps each file small."""
    artwork = release.artwork
    if artwork is None:
        return None
    files: dict[str, str] = artwork.info.get("files", {})
    return files.get(_COVER_FOR_TAGS) or artwork.final_key


def preview_params(policy: PreviewPolicy | None) -> dict[str, Any]:
    if policy is None or policy.mode == PreviewMode.FULL:
        return {"start": 0.0, "length": None}
    return {"start": float(policy.clip_start), "length": float(policy.clip_length)}


def track_tags(track: Track, release: Release, base_url: str) -> TrackTags:
    """Every tag but the cover image, whose bytes are read from storage when the file is made."""
    base = base_url.rstrip("/")
    date = release.release_date.isoformat() if release.release_date else None
    return TrackTags(
        title=track.title,
        artist=release.artist.name,
        album=release.title,
        album_artist=release.artist.name,
        track_number=track.position,
        track_total=len(release.tracks),
        disc_number=1,
        disc_total=1,
        date=date,
        isrc=track.isrc or None,
        label=release.label.name if release.label is not None else None,
        certificate_url=base + CERTIFICATE_PATH.format(release_id=release.id),
        tdm_opt_in=release.ai_training_opt_in,
        tdm_policy_url=base + TDM_POLICY_PATH,
    )


def attestation_id(session: Session, release: Release) -> int | None:
    """The human-made attestation a file's Content Credentials name: the one its certificate presents."""
    attestation = certified_attestation(session, release)
    return attestation.id if attestation is not None else None


def provenance(master: Upload, track: Track, base_url: str, attested: int | None) -> Provenance:
    """What a signed file's manifest states, beside its format."""
    release, info = track.release, master.info or {}
    rate, depth = info.get("sample_rate"), info.get("bit_depth")
    return Provenance(
        tags=track_tags(track, release, base_url),
        release_id=release.id,
        artist_id=release.artist_id,
        track_position=track.position,
        attestation_id=attested,
        master=MasterFacts(
            mime_type=str(info.get("content_type") or master.content_type),
            sha256=master.sha256 or "",
            sample_rate=int(rate) if rate else None,
            bit_depth=int(depth) if depth else None,
        ),
        tdm_terms=release.ai_training_terms if release.ai_training_opt_in else "",
    )


def _digest(value: Any) -> str:
    return hashlib.sha256(json.dumps(value, sort_keys=True, default=str).encode()).hexdigest()


def rendition_inputs(
    master: Upload, track: Track, fmt_key: str, params: dict[str, Any], base_url: str, attested: int | None
) -> str:
    """`attested`: the attestation id a signed format's Content Credentials name (see `attestation_id`);
    a new attestation makes those files out of date, and only those."""
    release = track.release
    tags = asdict(track_tags(track, release, base_url))
    artwork = release.artwork
    cover = [artwork.id, artwork.sha256] if artwork is not None and is_download_format(fmt_key) else None
    made: dict[str, Any] = {
        "master": master.sha256,
        "format": fmt_key,
        "params": params,
        "tags": tags,
        "cover": cover,
    }
    if is_signed_format(fmt_key):
        terms = release.ai_training_terms if release.ai_training_opt_in else ""
        made["credentials"] = {"attestation": attested, "tdm_terms": terms}
    return _digest(made)


def rendition_key(master: Upload, fmt_key: str, inputs: str) -> str:
    """Fixed by the inputs, so a repeated job rewrites the same object and an outdated one never lands on
    the key of its replacement."""
    fmt = get_format(fmt_key)
    folder = f"{MEDIA_PREFIX}/{master.artist_id}/{master.release_id}/renditions/{master.id}"
    return f"{folder}/{fmt_key}-{inputs[:16]}.{fmt.extension}"


def archive_fingerprint(release: Release, fmt_key: str, parts: Sequence[tuple[int, str, str]]) -> str:
    """`parts`: (position, title, rendition inputs) of each track that has a master."""
    artwork = release.artwork
    cover = [artwork.id, artwork.sha256] if artwork is not None else None
    return _digest(
        {
            "format": fmt_key,
            "artist": release.artist.name,
            "album": release.title,
            "tracks": [list(p) for p in parts],
            "cover": cover,
        }
    )


def archive_key(release: Release, fmt_key: str, fingerprint: str) -> str:
    return f"{MEDIA_PREFIX}/{release.artist_id}/{release.id}/archives/{fmt_key}-{fingerprint[:16]}.zip"


def download_name(release: Release, track: Track, fmt_key: str) -> str:
    """ "Artist - Title.flac": readable, and safe on every common file system."""
    stem = safe_name(f"{release.artist.name} - {track.title}", max_chars=150)
    return f"{stem}.{get_format(fmt_key).extension}"


def preview_name(release: Release, track: Track) -> str:
    stem = safe_name(f"{release.artist.name} - {track.title} (preview)", max_chars=150)
    return f"{stem}.{get_format(PREVIEW_FORMAT).extension}"


def album_download_name(release: Release, fmt_key: str) -> str:
    label = get_format(fmt_key).label.split(" (")[0]
    return f"{album_folder_name(release.artist.name, release.title, label)}.zip"
