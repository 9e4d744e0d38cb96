"""Checking a human-made certificate: its signatures against the published keys, and files' hashes."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Mapping, MutableMapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import IO, Any

from ..config import Settings
from .canonical import CanonicalJsonError, canonical_sha256
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

EXTENSION = "storefront.platform_key"
ATTESTATION_TYPE = "velvet.human-made-attestation/1"
COUNTERSIGNATURE_TYPE = "velvet.label-countersignature/1"
APPROVAL_TYPE = "velvet.curator-approval/1"
_CHUNK = 1024 * 1024
_HASH_LINE = re.compile(
    r"^\s*(?:SHA256 \((?P<bsd>.+)\) = (?P<bsdhash>[0-9a-fA-F]{64})|"
    r"(?P<hash>[0-9a-fA-F]{64})\s+\*?(?P<name>.*?))\s*$"
)


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


@dataclass(frozen=True)
class FileDigest:
    name: str
    sha256: str


def digest_stream(name: str, stream: IO[bytes]) -> FileDigest:
    digest = hashlib.sha256()
    while chunk := stream.read(_CHUNK):
        digest.update(chunk)
    return FileDigest(name, digest.hexdigest())


def digest_path(path: str | Path) -> FileDigest:
    with open(path, "rb") as handle:
        return digest_stream(Path(path).name, handle)


def parse_hash_lines(text: str) -> list[FileDigest]:
    """Lines as `sha256sum` (or `shasum -a 256`, or BSD `sha256 -r`/`openssl`) prints them."""
    digests = []
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        match = _HASH_LINE.match(line)
        if match is None:
            raise CertificateFormatError(f"line {number} is not “HASH  FILENAME” as sha256sum prints it")
        name = match.group("bsd") or match.group("name") or f"line {number}"
        digests.append(FileDigest(name, (match.group("bsdhash") or match.group("hash")).lower()))
    return digests


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


@dataclass
class Verdict:
    checks: list[Check] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return bool(self.checks) and all(c.ok for c in self.checks)

    @property
    def reasons(self) -> list[str]:
        return [c.message for c in self.checks if not c.ok]

    def add(self, ok: bool, message: str) -> None:
        self.checks.append(Check(ok, message))


def bound_files(document: Mapping[str, Any]) -> dict[str, str]:
    """Every SHA-256 the document binds, with what it is ("the master of track 1 “Song”")."""
    files: dict[str, str] = {}
    for track in document.get("tracks", []):
        master = track.get("master") or {}
        if master.get("sha256"):
            files[str(master["sha256"]).lower()] = (
                f"the master of track {track.get('position')} “{track.get('title')}”"
            )
    artwork = document.get("artwork") or {}
    if artwork.get("sha256"):
        files[str(artwork["sha256"]).lower()] = "the artwork"
    return files


def _signed_part(verdict: Verdict, what: str, part: object, keys: Sequence[Mapping[str, str]]) -> bool:
    if not isinstance(part, Mapping) or not isinstance(part.get("document"), Mapping):
        verdict.add(False, f"{what}: missing or malformed")
        return False
    try:
        signature = Signature.from_dict(part["signature"])
    except (KeyError, TypeError):
        verdict.add(False, f"{what}: no usable signature")
        return False
    result = verify_document(part["document"], signature, list(keys))
    if result.ok:
        verdict.add(True, f"{what}: platform signature valid (key {signature.kid}).")
    else:
        verdict.add(
            False,
            f"{what}: {result.reason} — it was changed after signing, or it was not signed by this platform.",
        )
    return result.ok


def verify_certificate(
    certificate: Mapping[str, Any], keys: Sequence[Mapping[str, str]], files: Iterable[FileDigest] = ()
) -> Verdict:
    """Every check a fan, a store or a journalist needs; a failed one says what is wrong in plain words."""
    verdict = Verdict()
    document = certificate.get("document")
    if not isinstance(document, Mapping) or document.get("type") != ATTESTATION_TYPE:
        verdict.add(False, "Not a Velvet human-made attestation: the document type is missing or unknown.")
        return verdict
    _signed_part(verdict, "Attestation", certificate, keys)
    try:
        digest = canonical_sha256(dict(document))
    except CanonicalJsonError:
        digest = ""
    _statements(verdict, document)
    label = (document.get("release") or {}).get("label")
    counter = certificate.get("label_countersignature")
    if counter is not None and _signed_part(verdict, "Label countersignature", counter, keys):
        bound = counter["document"].get("attestation_sha256")
        verdict.add(
            bound == digest,
            "Label countersignature: bound to this attestation."
            if bound == digest
            else "Label countersignature: it belongs to a different attestation.",
        )
    elif counter is None and label:
        verdict.add(False, f"Label countersignature: missing, though the release is on {label.get('name')}.")
    approval = certificate.get("approval")
    if approval is not None and _signed_part(verdict, "Curator approval", approval, keys):
        bound = approval["document"].get("attestation_sha256")
        verdict.add(
            bound == digest,
            "Curator approval: bound to this attestation."
            if bound == digest
            else "Curator approval: it approves a different attestation.",
        )
        if screening := approval["document"].get("screening"):
            # Signed with the approval, so it cannot be dropped without breaking the signature.
            verdict.add(True, f"Curator approval: given with {screening}.")
    hashes = bound_files(document)
    for item in files:
        what = hashes.get(item.sha256.lower())
        if what:
            verdict.add(True, f"“{item.name}” matches {what}.")
        else:
            verdict.add(
                False,
                f"“{item.name}”: its SHA-256 hash differs from every file this certificate "
                f"binds (the file is {item.sha256[:16]}…).",
            )
    return verdict


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
