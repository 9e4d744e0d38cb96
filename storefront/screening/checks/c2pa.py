"""C2PA content credentials: declared AI audio is refused, broken or human credentials are shown."""

from __future__ import annotations

import importlib.metadata
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ...audio.formats import DOWNLOAD_FORMATS, get_format
from ...releases.models import UploadKind
from ..models import ScreeningCheck, ScreeningVerdict, Severity
from ..own_credentials import OwnSigner
from .base import Check, Given, Outcome, Subject, unavailable


def c2pa_status() -> tuple[bool, str]:
    try:
        from .. import c2pa as c2pa_screen  # noqa: F401  (loading it loads the native library)
    except (ImportError, OSError) as exc:
        return False, f"C2PA not screened: the c2pa library cannot be loaded ({exc})"
    return True, f"c2pa-python {importlib.metadata.version('c2pa-python')}"


class C2paCheck(Check):
    name = ScreeningCheck.C2PA
    # Artwork is re-encoded to a fresh JPEG on acceptance, so the tags the artist's file carried are gone and
    # only this check reads it: the stored cover is still read for credentials, which gives it a result of
    # its own for the gate.
    kinds = frozenset({UploadKind.MASTER, UploadKind.ARTWORK})

    def run(self, given: Given) -> Outcome:
        anchors = _trust_anchors(given.settings.c2pa_trust_anchors_path)
        own = OwnSigner.from_chain(given.settings.resolved_c2pa_certificate_path, anchors)
        return check_c2pa(given.path, given.subject, anchors, own)


def _trust_anchors(where: str) -> str | None:
    """PEM CA certificates (such as the C2PA trust list) from STOREFRONT_C2PA_TRUST_ANCHORS_PATH."""
    return Path(where).read_text() if where else None


def check_c2pa(
    path: Path, subject: Subject, trust_anchors_pem: str | None = None, own: OwnSigner | None = None
) -> Outcome:
    check = ScreeningCheck.C2PA
    try:
        from ..c2pa import AI_SOURCE_TYPES, Verdict, screen_file
    except (ImportError, OSError) as exc:
        return unavailable(check, f"Not screened: the c2pa library cannot be loaded ({exc}).")
    finding = screen_file(path, trust_anchors_pem=trust_anchors_pem, own=own)
    credentials = finding.summary
    evidence: dict[str, Any] = {"reasons": list(finding.reasons), "credentials": credentials}
    if finding.verdict is Verdict.REJECT:
        actions: list[Mapping[str, Any]] = credentials.get("actions", [])
        declared = next((a for a in actions if a.get("digitalSourceType") in AI_SOURCE_TYPES), {})
        evidence["declared"] = {
            "digitalSourceType": declared.get("digitalSourceType"),
            "by": declared.get("softwareAgent") or credentials.get("claim_generator"),
        }
        return Outcome(
            check,
            ScreeningVerdict.REJECT,
            Severity.HIGH,
            "Rejected: " + "; ".join(finding.reasons) + ".",
            evidence,
        )
    if finding.verdict is Verdict.PLATFORM:
        return _delivered(subject, credentials, evidence)
    if finding.verdict is Verdict.IMITATION:
        named = _named(credentials["platform"])
        return Outcome(
            check,
            ScreeningVerdict.FLAG,
            Severity.MEDIUM,
            f"{_sentence(finding.reasons[0])}, naming {named}: a file from another store running this "
            "software, one signed with a certificate this platform no longer uses, or an imitation.",
            evidence,
        )
    if finding.verdict is Verdict.INVALID:
        return Outcome(
            check, ScreeningVerdict.FLAG, Severity.MEDIUM, _sentence(finding.reasons[0]) + ".", evidence
        )
    if finding.verdict is Verdict.INFO:
        claims = [
            f"{a['action']} ({a['digitalSourceType'] or 'no source type'})"
            for a in credentials.get("actions", [])
        ]
        text = _sentence(finding.reasons[0]) + (f"; actions: {', '.join(claims)}" if claims else "")
        return Outcome(check, ScreeningVerdict.INFO, Severity.NONE, text + ".", evidence)
    if finding.verdict is Verdict.UNSUPPORTED:
        # No C2PA binding exists for these containers, so nothing can hide there: not a gap worth ranking.
        return unavailable(
            check,
            f"Not screened: the C2PA reader does not read {subject.format or 'this'} files.",
            Severity.NONE,
        )
    return Outcome(
        check, ScreeningVerdict.PASS, Severity.NONE, "No content credentials in the file.", evidence
    )


def _named(claims: Mapping[str, Any]) -> str:
    """What the manifest says the file is; read from the file, so kept short."""
    title, artist = str(claims.get("title") or "untitled")[:120], str(claims.get("artist") or "unknown")[:120]
    return f"“{title}” by {artist}"


def _delivered(subject: Subject, credentials: Mapping[str, Any], evidence: dict[str, Any]) -> Outcome:
    """A file this platform signed: its artist bringing it back is a note; anyone else, a copy."""
    claims: Mapping[str, Any] = credentials["platform"]
    fmt = str(claims.get("format") or "")
    where = ", ".join(
        part
        for part in (
            get_format(fmt).label if fmt in DOWNLOAD_FORMATS else None,
            f"release {claims.get('release_id')}",
            f"certificate {claims.get('certificate_url')}" if claims.get("certificate_url") else None,
        )
        if part
    )
    changed = "; changed since it was delivered" if credentials.get("altered") else ""
    said = f"this platform delivered this file as {_named(claims)} ({where}){changed}"
    if claims.get("artist_id") == subject.artist_id:
        return Outcome(
            ScreeningCheck.C2PA,
            ScreeningVerdict.NOTE,
            Severity.LOW,
            f"{_sentence(said)}: the artist's own release, uploaded again. The studio master is the better "
            "source where there is one.",
            evidence,
        )
    return Outcome(
        ScreeningCheck.C2PA,
        ScreeningVerdict.FLAG,
        Severity.HIGH,
        f"Copy: {said}, and another artist uploads it here as their own.",
        evidence,
    )


def _sentence(text: str) -> str:
    return text[:1].upper() + text[1:]
