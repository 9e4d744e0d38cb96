"""Recognising this platform's own Content Credentials in an uploaded file: a file it delivered, coming back.

A manifest is the platform's only when its signature verifies under the platform's own certificate chain and
names the platform's signing certificate (issuer and serial number). Anyone can write a `velvet.human_made`
assertion into a manifest signed with another certificate; such a file is reported as claiming the platform's
credentials without them, never as the platform's.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.x509.oid import NameOID

from ..audio.credentials import HUMAN_MADE_LABEL


@dataclass(frozen=True)
class OwnSigner:
    """The platform's signing certificate as a C2PA reader reports it, and the CAs it chains to."""

    serial: int
    issuer_organization: str | None
    anchors_pem: str

    @classmethod
    def from_chain(cls, chain_path: str, extra_anchors_pem: str | None = None) -> OwnSigner | None:
        """None when there is no chain yet (nothing has been signed here) or it can't be read."""
        try:
            certificates = x509.load_pem_x509_certificates(Path(chain_path).read_bytes())
        except (OSError, ValueError):
            return None
        leaf = certificates[0]
        organizations = leaf.issuer.get_attributes_for_oid(NameOID.ORGANIZATION_NAME)
        anchors = "".join(c.public_bytes(Encoding.PEM).decode("ascii") for c in certificates[1:])
        return cls(
            serial=leaf.serial_number,
            issuer_organization=str(organizations[0].value) if organizations else None,
            anchors_pem=anchors + (extra_anchors_pem or ""),
        )


def platform_claims(store: Mapping[str, Any]) -> dict[str, Any] | None:
    """The `velvet.human_made` assertion of the active manifest, if it has one."""
    manifests = store.get("manifests") or {}
    active = manifests.get(store.get("active_manifest")) if isinstance(manifests, Mapping) else None
    for assertion in (active or {}).get("assertions") or []:
        if isinstance(assertion, Mapping) and assertion.get("label") == HUMAN_MADE_LABEL:
            data = assertion.get("data")
            return dict(data) if isinstance(data, Mapping) else {}
    return None


@dataclass(frozen=True)
class Recognition:
    ours: bool  # signed with the platform's certificate, under its chain
    altered: bool  # the signature holds but the file's bytes changed since (tags edited, audio changed)
    signer: str  # who signed it, as the reader reports


def recognise(path: str | os.PathLike[str], mime: str, own: OwnSigner | None) -> Recognition:
    """Read the file again trusting only the platform's chain, and compare its signer with the platform's."""
    import c2pa

    settings: dict[str, Any] = {"verify": {"remote_manifest_fetch": False, "ocsp_fetch": False}}
    if own is not None and own.anchors_pem:
        settings["trust"] = {"trust_anchors": own.anchors_pem}
    with (
        c2pa.Context(settings=c2pa.Settings.from_dict(settings)) as context,
        open(path, "rb") as stream,
        c2pa.Reader(mime, stream, context=context) as reader,
    ):
        manifest = reader.get_active_manifest() or {}
        results = (reader.get_validation_results() or {}).get("activeManifest") or {}
    signature = manifest.get("signature_info") or {}
    signer = (
        " ".join(str(signature.get(k)) for k in ("common_name", "issuer") if signature.get(k)) or "unknown"
    )
    passed = {str(entry.get("code")) for entry in results.get("success") or []}
    failed = {str(entry.get("code")) for entry in results.get("failure") or []}
    ours = (
        own is not None
        and "signingCredential.trusted" in passed
        and "claimSignature.validated" in passed
        and str(signature.get("cert_serial_number")) == str(own.serial)
        and signature.get("issuer") == own.issuer_organization
    )
    altered = any(code.endswith("mismatch") for code in failed)
    return Recognition(ours=ours, altered=altered, signer=signer)
