"""Which delivered file a fan's file is: looked up by its bytes, then by its audio, in signed entries.

An entry counts for a certificate only when its signature verifies with a published key and everything it
names is bound by the certificate's document: the same release, and for each source the master of that
track (or the artwork) whose SHA-256 the attestation binds.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from ..signing.platform import Signature, verify_document
from .entries import ENTRY_TYPE, FileKind, Source, entry_sources
from .files import FileDigest

SignedPart = Mapping[str, Any]
# Entry documents whose signature verified, each with the id of the key that signed it.
Found = list[tuple[dict[str, Any], str]]
# The order in which a file that is several things at once (a rendition copied into a ZIP) is named.
_PREFERENCE = [FileKind.RENDITION, FileKind.ARCHIVE_MEMBER, FileKind.ARCHIVE, FileKind.COVER]


class EntrySource(Protocol):
    """Where signed entries are looked up: a manifest file, a certificate that carries one, the database."""

    def by_sha256(self, sha256: str) -> Sequence[SignedPart]: ...

    def by_audio(self, md5: str) -> Sequence[SignedPart]: ...


class ListedEntries:
    """The entries of a published manifest (or of a certificate that carries its manifest)."""

    def __init__(self, entries: Iterable[object]) -> None:
        self.entries = [
            e for e in entries if isinstance(e, Mapping) and isinstance(e.get("document"), Mapping)
        ]

    def by_sha256(self, sha256: str) -> list[SignedPart]:
        return [e for e in self.entries if _file(e["document"]).get("sha256") == sha256]

    def by_audio(self, md5: str) -> list[SignedPart]:
        return [e for e in self.entries if (e["document"].get("audio") or {}).get("md5") == md5]


class Chained:
    """Several sources asked in turn, each entry once."""

    def __init__(self, *sources: EntrySource) -> None:
        self.sources = sources

    def _all(self, found: Iterable[SignedPart]) -> list[SignedPart]:
        seen, unique = set(), []
        for entry in found:
            mark = str((entry.get("signature") or {}).get("value"))
            if mark not in seen:
                seen.add(mark)
                unique.append(entry)
        return unique

    def by_sha256(self, sha256: str) -> list[SignedPart]:
        return self._all(e for s in self.sources for e in s.by_sha256(sha256))

    def by_audio(self, md5: str) -> list[SignedPart]:
        return self._all(e for s in self.sources for e in s.by_audio(md5))


@dataclass(frozen=True)
class FileMatch:
    ok: bool
    message: str
    by_manifest: bool = False  # True: a rendition manifest entry covers it; False: the attestation itself
    audio_only: bool = False


def _file(document: Mapping[str, Any]) -> Mapping[str, Any]:
    found = document.get("file")
    return found if isinstance(found, Mapping) else {}


def _release_id(document: Mapping[str, Any]) -> object:
    return (document.get("release") or {}).get("id")


def sources_bound(entry: Mapping[str, Any], certificate_document: Mapping[str, Any]) -> bool:
    """Every source the entry names is a master (at its track) or the artwork that the document binds."""
    masters = {
        t.get("position"): str((t.get("master") or {}).get("sha256") or "").lower()
        for t in certificate_document.get("tracks") or []
        if isinstance(t, Mapping)
    }
    artwork = str((certificate_document.get("artwork") or {}).get("sha256") or "").lower()
    sources = entry_sources(entry)
    if not sources or len(sources) != len(entry.get("sources") or []):
        return False
    return all(_bound(source, masters, artwork) for source in sources)


def _bound(source: Source, masters: Mapping[object, str], artwork: str) -> bool:
    if source.track is None:
        return bool(artwork) and source.sha256 == artwork
    return masters.get(source.track) == source.sha256


def verified(
    entries: Sequence[SignedPart], keys: Sequence[Mapping[str, str]]
) -> list[tuple[dict[str, Any], str]]:
    """The entries whose platform signature verifies, as (document, key id)."""
    good = []
    for entry in entries:
        document = entry.get("document")
        if not isinstance(document, Mapping) or document.get("type") != ENTRY_TYPE:
            continue
        try:
            signature = Signature.from_dict(entry["signature"])
        except (KeyError, TypeError):
            continue
        if verify_document(document, signature, list(keys)).ok:
            good.append((dict(document), signature.kid))
    return good


def describe(document: Mapping[str, Any]) -> str:
    """What a delivered file is, in words: “track 1 “Low Tide” in FLAC”, “the album archive in MP3 V0”."""
    file, track = _file(document), document.get("track") or {}
    label = file.get("format_label") or file.get("format") or "its format"
    kind = file.get("kind")
    if kind == FileKind.COVER:
        return f"the cover picture “{file.get('name')}” made from the artwork"
    if kind == FileKind.ARCHIVE:
        return f"the album archive in {label}"
    what = f"track {track.get('position')} “{track.get('title')}” in {label}"
    if kind == FileKind.ARCHIVE_MEMBER:
        return f"{what}, inside the album archive"
    return what


def _also(chosen: Mapping[str, Any], found: Found) -> str:
    """Other formats delivered as the very same bytes (FLAC and FLAC 16-bit 44.1 kHz of a CD master)."""
    kind = _file(chosen).get("kind")
    others = sorted({describe(d) for d, _ in found if _file(d).get("kind") == kind} - {describe(chosen)})
    return f" (the same bytes are also {'; '.join(others)})" if others else ""


def _stamp(document: Mapping[str, Any], kid: str) -> str:
    return f"(rendition manifest entry signed with key {kid} on {document.get('recorded_at')})"


def _best(found: Found) -> tuple[dict[str, Any], str]:
    def rank(item: tuple[dict[str, Any], str]) -> int:
        kind = _file(item[0]).get("kind")
        return next((i for i, k in enumerate(_PREFERENCE) if k == kind), len(_PREFERENCE))

    return min(found, key=rank)


def _ours(found: Found, certificate_document: Mapping[str, Any]) -> Found:
    release_id = _release_id(certificate_document)
    return [
        (d, kid)
        for d, kid in found
        if d.get("release_id") == release_id and sources_bound(d, certificate_document)
    ]


def match_file(
    item: FileDigest,
    certificate_document: Mapping[str, Any],
    bound: Mapping[str, str],
    keys: Sequence[Mapping[str, str]],
    entries: EntrySource | None,
) -> FileMatch:
    """What `item` is to this certificate; `bound`: what the attestation binds itself (masters, artwork)."""
    sha = item.sha256.lower()
    if what := bound.get(sha):
        return FileMatch(True, f"“{item.name}” matches {what}.")
    listed = entries.by_sha256(sha) if entries is not None else []
    by_bytes = [(d, kid) for d, kid in verified(listed, keys) if str(_file(d).get("sha256")).lower() == sha]
    if mine := _ours(by_bytes, certificate_document):
        document, kid = _best(mine)
        return FileMatch(
            True,
            f"“{item.name}” is {describe(document)}{_also(document, mine)}, exactly as the platform "
            f"delivered it {_stamp(document, kid)}.",
            by_manifest=True,
        )
    by_audio: Found = []
    if item.audio_md5 and entries is not None:
        listed_audio = verified(entries.by_audio(item.audio_md5), keys)
        by_audio = [
            (d, kid) for d, kid in listed_audio if (d.get("audio") or {}).get("md5") == item.audio_md5
        ]
        if mine := _ours(by_audio, certificate_document):
            document, kid = _best(mine)
            return FileMatch(
                True,
                f"“{item.name}” matches {describe(document)} by its audio only: its decoded samples are "
                f"identical, but its bytes are not those delivered (its tags or its container were changed) "
                f"{_stamp(document, kid)}.",
                by_manifest=True,
                audio_only=True,
            )
    release_id = _release_id(certificate_document)
    return FileMatch(False, _mismatch(item, by_bytes + by_audio, release_id, bool(listed)))


def _mismatch(item: FileDigest, found: Found, release_id: object, listed: bool) -> str:
    others = [d for d, _ in found if d.get("release_id") != release_id]
    if others:
        document = _best([(d, "") for d in others])[0]
        return (
            f"“{item.name}” belongs to another release: it is {describe(document)} of release "
            f"{document.get('release_id')}, not of the release this certificate describes."
        )
    if found:
        return (
            f"“{item.name}” was delivered for this release, but made from a master or artwork other than the "
            "one this certificate binds (an earlier version)."
        )
    if listed:
        return f"“{item.name}” is listed in a manifest, but that entry's signature does not verify."
    return (
        f"“{item.name}”: its SHA-256 hash differs from every file this certificate binds and every file the "
        f"platform delivered for it (the file is {item.sha256[:16]}…)."
    )
