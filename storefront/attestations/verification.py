"""Checking a human-made certificate statement by statement: each signature against the published keys,
what it covers, the fields no signature covers, and fans' files against the attestation and the manifest."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, MutableMapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from ..config import Settings
from .canonical import CanonicalJsonError, canonical_sha256
from .manifests import files
from .manifests.files import FileDigest, digest_path, digest_stream
from .manifests.matching import Chained, EntrySource, ListedEntries, match_file, sources_bound, verified
from .manifests.status import STATUS_TYPE, describe
from .policy import POLICIES, Level
from .signing.keys import read_retired
from .signing.platform import (
    PlatformKey,
    Signature,
    is_self_generated,
    load_or_create_key,
    public_key_from_jwk,
    read_key,
    verify_document,
)

__all__ = ["FileDigest", "digest_path", "digest_stream"]
EXTENSION = "storefront.platform_key"
ATTESTATION_TYPE = "velvet.human-made-attestation/1"
COUNTERSIGNATURE_TYPE = "velvet.label-countersignature/1"
APPROVAL_TYPE = "velvet.curator-approval/1"
# The statements a certificate is made of, in the order they are reported, with what each one covers.
ARTIST, LABEL, APPROVAL, MANIFEST, STATUS, FILES, UNSIGNED = (
    "Artist attestation",
    "Label countersignature",
    "Platform approval",
    "Rendition manifest",
    "Status statement",
    "Files not covered",
    "Not signed",
)
COVERS = {
    ARTIST: "The release, each track with the SHA-256 of its master, the artwork's SHA-256, the credits, the "
    "HM-1 statements and declarations, and who signed when; signed with the platform key for the artist.",
    LABEL: "The label's word that it stands behind this very attestation (bound to its SHA-256).",
    APPROVAL: "That a curator approved this very attestation, and when (and any check that did not run).",
    MANIFEST: "Each file the platform delivered: the SHA-256 of its exact bytes (and, for lossless audio, of "
    "its decoded samples), which track and format it is, and the master or artwork it was made from.",
    STATUS: "Whether the release is on sale or withdrawn and since when, whether its files still match the "
    "attestation, and the AI-training terms, as stated on a date.",
    FILES: "Files that no signature covers.",
    UNSIGNED: "Fields of the certificate outside every signature: shown for information, they prove nothing.",
}
# Top-level members of a certificate that are signed statements (or, for the manifest, a list of them).
SIGNED_MEMBERS = frozenset(
    {"document", "signature", "label_countersignature", "approval", "status_statement", "rendition_manifest"}
)
# Unsigned copies that the status statement states under its signature.
STATUS_COPIES = ("status", "files_current", "ai_training")


class CertificateFormatError(ValueError):
    """The input is not a certificate this platform issues; the message says what is wrong."""


class Keyring:
    """The platform's signing key, read (or, outside production, created) on first use, and every public
    key ever published."""

    def __init__(
        self, path: str, retired: Sequence[Mapping[str, str]] = (), *, create_missing: bool = True
    ) -> None:
        self.path = path
        self.create_missing = create_missing
        self.retired = [dict(jwk) for jwk in retired]
        for jwk in self.retired:
            public_key_from_jwk(jwk)  # a malformed entry is refused here, not at a verification later

    @classmethod
    def from_settings(cls, settings: Settings) -> Keyring:
        return cls(
            settings.resolved_platform_key_path,
            read_retired(settings.resolved_platform_retired_keys),
            create_missing=not settings.is_production,
        )

    @cached_property
    def current(self) -> PlatformKey:
        return load_or_create_key(self.path) if self.create_missing else read_key(self.path)

    @property
    def self_generated(self) -> bool:
        return is_self_generated(self.path)

    def jwks(self) -> list[dict[str, str]]:
        keys = [self.current.public_jwk()]
        return keys + [jwk for jwk in self.retired if jwk.get("kid") != self.current.kid]


def keyring_for(extensions: MutableMapping[str, Any], settings: Settings) -> Keyring:
    """The application's one keyring; retired public keys come from STOREFRONT_PLATFORM_RETIRED_KEYS."""
    found = extensions.get(EXTENSION)
    if not isinstance(found, Keyring):
        found = Keyring.from_settings(settings)
        extensions[EXTENSION] = found
    return found


def parse_hash_lines(text: str) -> list[FileDigest]:
    """Lines as `sha256sum` prints them; CertificateFormatError names the first line that is not."""
    try:
        return files.parse_hash_lines(text)
    except files.HashListError as error:
        raise CertificateFormatError(str(error)) from None


def parse_certificate(text: str | bytes) -> dict[str, Any]:
    try:
        data = json.loads(text)
    except (ValueError, UnicodeDecodeError) as exc:
        raise CertificateFormatError(f"not JSON: {exc}") from None
    except RecursionError:
        raise CertificateFormatError("not a certificate: the JSON nests far too deep") from None
    if not isinstance(data, dict):
        raise CertificateFormatError("not a certificate: the JSON is not an object")
    if not isinstance(data.get("document"), dict) or not isinstance(data.get("signature"), dict):
        raise CertificateFormatError("not a Velvet certificate: it needs a “document” and a “signature”")
    return data


@dataclass(frozen=True)
class Check:
    ok: bool
    message: str
    statement: str = ARTIST


@dataclass(frozen=True)
class Section:
    title: str
    covers: str
    checks: list[Check]

    @property
    def signed(self) -> bool:
        return self.title not in (FILES, UNSIGNED)


@dataclass
class Verdict:
    checks: list[Check] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return bool(self.checks) and all(c.ok for c in self.checks)

    @property
    def reasons(self) -> list[str]:
        return [c.message for c in self.checks if not c.ok]

    def add(self, ok: bool, message: str, statement: str = ARTIST) -> None:
        self.checks.append(Check(ok, message, statement))

    def sections(self) -> list[Section]:
        """The checks grouped by the statement that covers them, in the order of COVERS."""
        return [
            Section(title, covers, [c for c in self.checks if c.statement == title])
            for title, covers in COVERS.items()
            if any(c.statement == title for c in self.checks)
        ]


def bound_files(document: Mapping[str, Any]) -> dict[str, str]:
    """Every SHA-256 the document binds, with what it is ("the master of track 1 “Song”")."""
    found: dict[str, str] = {}
    for track in document.get("tracks", []):
        master = track.get("master") or {}
        if master.get("sha256"):
            found[str(master["sha256"]).lower()] = (
                f"the master of track {track.get('position')} “{track.get('title')}”"
            )
    artwork = document.get("artwork") or {}
    if artwork.get("sha256"):
        found[str(artwork["sha256"]).lower()] = "the artwork"
    return found


def _signed_part(
    verdict: Verdict, what: str, part: object, keys: Sequence[Mapping[str, str]], statement: str
) -> bool:
    if not isinstance(part, Mapping) or not isinstance(part.get("document"), Mapping):
        verdict.add(False, f"{what}: missing or malformed", statement)
        return False
    try:
        signature = Signature.from_dict(part["signature"])
    except (KeyError, TypeError):
        verdict.add(False, f"{what}: no usable signature", statement)
        return False
    result = verify_document(part["document"], signature, list(keys))
    if result.ok:
        verdict.add(True, f"{what}: platform signature valid (key {signature.kid}).", statement)
    else:
        verdict.add(
            False,
            f"{what}: {result.reason} — it was changed after signing, or it was not signed by this platform.",
            statement,
        )
    return result.ok


def _bound_to(verdict: Verdict, what: str, part: Mapping[str, Any], digest: str, statement: str) -> None:
    same = part["document"].get("attestation_sha256") == digest
    verdict.add(
        same,
        f"{what}: bound to this attestation." if same else f"{what}: it belongs to a different attestation.",
        statement,
    )


def verify_certificate(
    certificate: Mapping[str, Any],
    keys: Sequence[Mapping[str, str]],
    files: Iterable[FileDigest] = (),
    *,
    entries: EntrySource | None = None,
    current_status: Mapping[str, Any] | None = None,
) -> Verdict:
    """Every check a fan, a store or a journalist needs; a failed one says what is wrong in plain words.

    `entries` looks up rendition manifest entries beyond those the certificate carries (the site's own, across
    every release); `current_status` is the status statement the site publishes now, for revocation."""
    verdict = Verdict()
    document = certificate.get("document")
    if not isinstance(document, Mapping) or document.get("type") != ATTESTATION_TYPE:
        verdict.add(False, "Not a Velvet human-made attestation: the document type is missing or unknown.")
        return verdict
    _signed_part(verdict, "Attestation", certificate, keys, ARTIST)
    try:
        digest = canonical_sha256(dict(document))
    except CanonicalJsonError:
        digest = ""
    _statements(verdict, document)
    label = (document.get("release") or {}).get("label")
    counter = certificate.get("label_countersignature")
    if counter is not None and _signed_part(verdict, "Label countersignature", counter, keys, LABEL):
        _bound_to(verdict, "Label countersignature", counter, digest, LABEL)
    elif counter is None and label:
        verdict.add(
            False, f"Label countersignature: missing, though the release is on {label.get('name')}.", LABEL
        )
    approval = certificate.get("approval")
    if approval is not None and _signed_part(verdict, "Curator approval", approval, keys, APPROVAL):
        _bound_to(verdict, "Curator approval", approval, digest, APPROVAL)
        if screening := approval["document"].get("screening"):
            # Signed with the approval, so it cannot be dropped without breaking the signature.
            verdict.add(True, f"Curator approval: given with {screening}.", APPROVAL)
    signed_status = _status(verdict, certificate, keys, digest, current_status)
    carried = _carried_manifest(verdict, certificate, document, keys)
    sources: EntrySource | None = entries
    if carried is not None:
        sources = Chained(carried, entries) if entries is not None else carried
    bound = bound_files(document)
    for item in files:
        found = match_file(item, document, bound, keys, sources)
        verdict.add(
            found.ok, found.message, (MANIFEST if found.by_manifest else ARTIST) if found.ok else FILES
        )
    _unsigned(verdict, certificate, digest, signed_status)
    return verdict


def _status(
    verdict: Verdict,
    certificate: Mapping[str, Any],
    keys: Sequence[Mapping[str, str]],
    digest: str,
    current: Mapping[str, Any] | None,
) -> Mapping[str, Any] | None:
    """The signed status statement's document when it verifies and belongs to this attestation."""
    part = certificate.get("status_statement")
    signed = None
    if part is None:
        verdict.add(
            True,
            "Status: this certificate carries no signed status statement, so it does not show whether the "
            "release is still on sale.",
            STATUS,
        )
    elif _signed_part(verdict, "Status statement", part, keys, STATUS):
        statement = part["document"]
        if statement.get("type") != STATUS_TYPE:
            verdict.add(False, "Status statement: not a status statement.", STATUS)
        else:
            _bound_to(verdict, "Status statement", part, digest, STATUS)
            withdrawn = statement.get("status") == "withdrawn"
            verdict.add(not withdrawn, f"Status: the release is {describe(statement)}.", STATUS)
            signed = statement
    if current is not None and current.get("release_id") == (
        certificate["document"].get("release") or {}
    ).get("id"):
        withdrawn = current.get("status") == "withdrawn"
        verdict.add(not withdrawn, f"Status on this site now: the release is {describe(current)}.", STATUS)
    return signed


def _carried_manifest(
    verdict: Verdict,
    certificate: Mapping[str, Any],
    document: Mapping[str, Any],
    keys: Sequence[Mapping[str, str]],
) -> ListedEntries | None:
    manifest = certificate.get("rendition_manifest")
    if not isinstance(manifest, Mapping) or not isinstance(manifest.get("entries"), list):
        return None
    listed = ListedEntries(manifest["entries"])
    good = verified(listed.entries, keys)
    bad = len(manifest["entries"]) - len(good)
    release_id = (document.get("release") or {}).get("id")
    foreign = [d for d, _ in good if d.get("release_id") != release_id]
    earlier = [d for d, _ in good if d.get("release_id") == release_id and not sources_bound(d, document)]
    if bad or foreign:
        problem = f"{bad} of its entries do not verify (changed, or not signed here)" if bad else ""
        problem = problem or f"{len(foreign)} of its entries are of another release"
        verdict.add(False, f"Rendition manifest: {problem}.", MANIFEST)
    else:
        verdict.add(
            True,
            f"Rendition manifest: all {len(good)} entries carried are signed, of this release.",
            MANIFEST,
        )
    if earlier:
        # Entries are never removed: files made from a master replaced since stay listed, and do not verify.
        verdict.add(
            True,
            f"Rendition manifest: {len(earlier)} entries are of files made from an earlier master or artwork "
            "than the ones this certificate binds; files matching only those are not verified.",
            MANIFEST,
        )
    return listed


def _unsigned(
    verdict: Verdict, certificate: Mapping[str, Any], digest: str, signed_status: Mapping[str, Any] | None
) -> None:
    for name in sorted(set(certificate) - SIGNED_MEMBERS):
        value = certificate[name]
        if name == "document_sha256":
            same = value == digest
            verdict.add(
                same,
                "document_sha256: the SHA-256 of the attestation's canonical form, as it should be."
                if same
                else "document_sha256: it differs from the SHA-256 of the attestation's canonical form.",
                UNSIGNED,
            )
        elif name in STATUS_COPIES and signed_status is not None:
            same = value == signed_status.get(name)
            verdict.add(
                same,
                f"{name}: {_shown(value)}, the same as the signed status statement says."
                if same
                else f"{name}: {_shown(value)} was edited: the signed status statement says "
                f"{_shown(signed_status.get(name))}.",
                UNSIGNED,
            )
        else:
            verdict.add(True, f"{name}: {_shown(value)[:200]} (no signature covers it).", UNSIGNED)


def _shown(value: object) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False)


def _statements(verdict: Verdict, document: Mapping[str, Any]) -> None:
    policy_part = document.get("policy") or {}
    policy = POLICIES.get(str(policy_part.get("version")))
    if policy is None:
        verdict.add(False, f"Policy: unknown version {policy_part.get('version')!r}.")
        return
    try:
        level = Level(str(policy_part.get("level")))
    except ValueError:
        verdict.add(False, f"Policy: unknown level {policy_part.get('level')!r}.")
        return
    expected = [{"id": s.id, "text": s.text} for s in policy.statements_for(level)]
    same = policy_part.get("statements") == expected
    verdict.add(
        same,
        f"Policy: the statements are the published {policy.version} text."
        if same
        else f"Policy: the statements differ from the published {policy.version} text.",
    )
