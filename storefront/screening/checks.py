"""The checks that read only the file itself (C2PA, tags, a detector), and what every check returns."""

from __future__ import annotations

import importlib.metadata
import logging
import math
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Protocol

from .metadata import scan_file
from .models import SEVERITY_ORDER, ScreeningCheck, ScreeningVerdict, Severity

log = logging.getLogger(__name__)
# A detector score at or above this is raised as a flag; below it the score is still shown.
DETECTOR_FLAG_AT = 0.8


@dataclass(frozen=True)
class Outcome:
    check: ScreeningCheck
    verdict: ScreeningVerdict
    severity: Severity = Severity.NONE
    summary: str = ""
    evidence: dict[str, Any] = field(default_factory=dict)


def unavailable(check: ScreeningCheck, reason: str, severity: Severity = Severity.LOW) -> Outcome:
    """A check that could not run. Low severity by default, so a release missing one never looks cleaner
    in the queue than a release that was fully screened."""
    return Outcome(check, ScreeningVerdict.UNAVAILABLE, severity, reason, {"reason": reason})


@dataclass(frozen=True)
class Subject:
    """What the checks need to know about the file, read once so no check holds a session open."""

    upload_id: int
    artist_id: int
    release_id: int
    track_id: int | None
    filename: str
    final_key: str
    format: str
    duration: float
    uploaded_by_id: int | None
    kind: str = "master"


# -- C2PA content credentials --------------------------------------------------------------------------
def c2pa_status() -> tuple[bool, str]:
    try:
        from . import c2pa as c2pa_screen  # noqa: F401  (loading it loads the native library)
    except (ImportError, OSError) as exc:
        return False, f"C2PA not screened: the c2pa library cannot be loaded ({exc})"
    return True, f"c2pa-python {importlib.metadata.version('c2pa-python')}"


def check_c2pa(path: Path, subject: Subject, trust_anchors_pem: str | None = None) -> Outcome:
    check = ScreeningCheck.C2PA
    try:
        from .c2pa import AI_SOURCE_TYPES, Verdict, screen_file
    except (ImportError, OSError) as exc:
        return unavailable(check, f"Not screened: the c2pa library cannot be loaded ({exc}).")
    finding = screen_file(path, trust_anchors_pem=trust_anchors_pem)
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


def _sentence(text: str) -> str:
    return text[:1].upper() + text[1:]


# -- generator metadata ----------------------------------------------------------------------------------
def check_metadata(path: Path) -> Outcome:
    check = ScreeningCheck.METADATA
    scan = scan_file(path)
    evidence = {
        "findings": [asdict(f) for f in scan.findings],
        "fields_scanned": scan.fields_scanned,
        "notes": scan.notes,
    }
    if scan.findings:
        generators = sorted({f.generator for f in scan.findings if f.generator})
        severity = max((_severity(f.severity) for f in scan.findings), key=SEVERITY_ORDER.__getitem__)
        shown = "; ".join(f"{f.generator or f.rule} in {f.field}: “{f.excerpt}”" for f in scan.findings[:3])
        named = f" ({', '.join(generators)})" if generators else ""
        return Outcome(
            check,
            ScreeningVerdict.FLAG,
            severity,
            f"Tags carry traces of an AI music generator{named}: {shown}.",
            evidence,
        )
    if scan.notes:
        return Outcome(
            check,
            ScreeningVerdict.INFO,
            Severity.LOW,
            f"No generator traces in {scan.fields_scanned} tag fields, but part of the file could "
            f"not be read: {'; '.join(scan.notes)}.",
            evidence,
        )
    return Outcome(
        check,
        ScreeningVerdict.PASS,
        Severity.NONE,
        f"No generator traces in {scan.fields_scanned} tag fields.",
        evidence,
    )


def _severity(value: str) -> Severity:
    try:
        return Severity(value)
    except ValueError:
        return Severity.HIGH


# -- an AI-music detector, when one is configured ---------------------------------------------------------
class MusicDetector(Protocol):
    """A classifier of audio as AI-generated; none ships with Velvet. Set one on the platform as
    `music_detector` to have its score shown as one more signal."""

    name: str

    def score(self, path: Path) -> float:
        """Likelihood in [0, 1] that the audio was generated by AI."""
        ...


def check_detector(detector: MusicDetector, path: Path) -> Outcome:
    check = ScreeningCheck.DETECTOR
    name = str(getattr(detector, "name", type(detector).__name__))
    try:
        score = float(detector.score(path))
    except Exception as exc:
        log.exception("music detector %s failed", name)
        return unavailable(check, f"The detector {name} failed: {exc.__class__.__name__}: {exc}.")
    if not (math.isfinite(score) and 0.0 <= score <= 1.0):
        return unavailable(check, f"The detector {name} gave {score}, outside 0–1.")
    evidence = {"detector": name, "score": round(score, 4), "flag_at": DETECTOR_FLAG_AT}
    text = (
        f"AI-music detector {name}: score {score:.2f} (1 = likely AI; flagged from "
        f"{DETECTOR_FLAG_AT:.2f}). One signal among others, never a verdict on its own."
    )
    if score >= DETECTOR_FLAG_AT:
        return Outcome(check, ScreeningVerdict.FLAG, Severity.MEDIUM, text, evidence)
    return Outcome(check, ScreeningVerdict.PASS, Severity.NONE, text, evidence)
