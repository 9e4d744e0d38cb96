"""An AI-music detector's score, when the platform has one: one signal among others, never a verdict."""

from __future__ import annotations

import logging
import math
from pathlib import Path

from ..interfaces import MusicDetector
from ..models import ScreeningCheck, ScreeningVerdict, Severity
from .base import Check, Given, Need, Outcome, unavailable

log = logging.getLogger(__name__)
# A detector score at or above this is raised as a flag; below it the score is still shown.
DETECTOR_FLAG_AT = 0.8


class DetectorCheck(Check):
    name = ScreeningCheck.DETECTOR
    needs = frozenset({Need.FILE, Need.DETECTOR})

    def run(self, given: Given) -> Outcome:
        return check_detector(given.detector, given.path)


def detector_name(detector: MusicDetector) -> str:
    return str(getattr(detector, "name", type(detector).__name__))


def check_detector(detector: MusicDetector, path: Path) -> Outcome:
    check = ScreeningCheck.DETECTOR
    name = detector_name(detector)
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
