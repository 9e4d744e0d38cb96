"""What a file a fan holds is, in plain words: which release, track and format, and whether it is certified.

Only the file's hashes are needed: the SHA-256 of its bytes (computed in the browser where it can be), and
for lossless audio the MD5 of its decoded samples, which still matches when tags were changed.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session

from ...releases.models import Release, ReleaseStatus
from ..services import AttestationService
from .files import FileDigest
from .lookup import StoredEntries
from .matching import Found, describe, sources_bound, verified
from .status import describe as describe_status

PUBLISHED = (ReleaseStatus.APPROVED, ReleaseStatus.TAKEN_DOWN)


@dataclass
class Answer:
    """The reply shown to a fan; `found` only when a signed entry ties the file to a certified release."""

    found: bool
    headline: str
    details: list[str] = field(default_factory=list)
    audio_only: bool = False
    release_id: int | None = None
    # Worth offering to compare the audio: nothing matched the bytes and the audio was not compared yet.
    offer_audio: bool = False

    def to_json(self) -> dict[str, Any]:
        return {
            "found": self.found,
            "headline": self.headline,
            "details": self.details,
            "audio_only": self.audio_only,
            "release_id": self.release_id,
            "offer_audio": self.offer_audio,
        }


@dataclass(frozen=True)
class _Candidate:
    document: Mapping[str, Any]
    kid: str
    release: Release
    certified: Mapping[str, Any] | None  # the certified attestation's document, if the release has one


class FileIdentifier:
    def __init__(
        self, session: Session, service: AttestationService, keys: Sequence[Mapping[str, str]]
    ) -> None:
        self.session = session
        self.service = service
        self.keys = keys
        self.entries = StoredEntries(session)

    def identify(self, digest: FileDigest, *, expected_release: int | None = None) -> Answer:
        by_bytes = self._candidates(verified(self.entries.by_sha256(digest.sha256), self.keys))
        certified = [c for c in by_bytes if self._certifies(c)]
        by_audio: list[_Candidate] = []
        if not certified and digest.audio_md5:
            by_audio = self._candidates(verified(self.entries.by_audio(digest.audio_md5), self.keys))
        audio_only = not certified
        certified = certified or [c for c in by_audio if self._certifies(c)]
        found = by_bytes + by_audio
        if not found:
            return self._unknown(digest)
        if expected_release is not None:
            if expected := [c for c in certified if c.release.id == expected_release]:
                return self._answer(expected[0], audio_only)
            other = certified[0] if certified else found[0]
            if other.release.id != expected_release:
                return Answer(
                    False,
                    f"This file belongs to another release: it is {self._what(other)}, not a file of the "
                    "release you are checking.",
                    release_id=other.release.id if other.release.status in PUBLISHED else None,
                )
        if certified:
            return self._answer(certified[0], audio_only)
        candidate = found[0]
        if candidate.release.status not in PUBLISHED or candidate.certified is None:
            return Answer(
                False,
                "Velvet made this file, but for a release that is not published: there is "
                "no certificate to show for it.",
            )
        return Answer(
            False,
            f"Velvet delivered this file for {self._release_words(candidate.release)}, but it was made "
            "from an earlier master or artwork than the one its certificate binds now.",
            release_id=candidate.release.id,
        )

    # -- helpers ----------------------------------------------------------------------------------------
    def _candidates(self, found: Found) -> list[_Candidate]:
        candidates = []
        for document, kid in found:
            release_id = document.get("release_id")
            release = self.session.get(Release, release_id) if isinstance(release_id, int) else None
            if release is None:
                continue
            attestation = self.service.certified(release) if release.status in PUBLISHED else None
            certified = attestation.document if attestation is not None else None
            candidates.append(_Candidate(document, kid, release, certified))
        return candidates

    @staticmethod
    def _certifies(candidate: _Candidate) -> bool:
        return candidate.certified is not None and sources_bound(candidate.document, candidate.certified)

    @staticmethod
    def _release_words(release: Release) -> str:
        return f"“{release.title}” by {release.artist.name}"

    def _what(self, candidate: _Candidate) -> str:
        return f"{describe(candidate.document)} of {self._release_words(candidate.release)}"

    def _answer(self, candidate: _Candidate, audio_only: bool) -> Answer:
        release, document = candidate.release, candidate.document
        withdrawn = release.status == ReleaseStatus.TAKEN_DOWN
        if withdrawn:
            headline = (
                f"This is {self._what(candidate)}, but the release was withdrawn: its human-made "
                "certificate no longer stands."
            )
        elif audio_only:
            headline = (
                f"The music is {self._what(candidate)}, but the file is not byte for byte what Velvet "
                "delivered: its tags or its container were changed. The decoded audio is identical."
            )
        else:
            headline = f"Yes: this is {self._what(candidate)}, exactly as Velvet delivered it."
        certified = candidate.certified or {}
        policy = certified.get("policy") or {}
        level = " at the Embodied level" if policy.get("level") == "embodied" else ""
        details = [f"The release is certified human-made under {policy.get('version')}{level}."]
        statement = self.service.status_statement(release)
        if statement is not None:
            details.append(f"It is {describe_status(statement['document'])}.")
        details.append(
            f"The platform signed this file's entry in the release's rendition manifest on "
            f"{document.get('recorded_at')} (key {candidate.kid})."
        )
        return Answer(not withdrawn, headline, details, audio_only=audio_only, release_id=release.id)

    @staticmethod
    def _unknown(digest: FileDigest) -> Answer:
        tried_audio = digest.audio_md5 is not None
        headline = "We don't recognise this file: it is not a file Velvet delivered"
        headline += "." if tried_audio else ", at least not byte for byte."
        details = (
            ["Its audio does not match any lossless file Velvet delivered either."]
            if tried_audio
            else [
                "If you changed its tags (a lossless file: FLAC, ALAC, WAV or AIFF), Velvet can still "
                "recognise it by comparing its audio: send the file itself."
            ]
        )
        return Answer(False, headline, details, offer_audio=not tried_audio)
