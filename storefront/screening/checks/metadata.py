"""Generator traces in the file's tags: names of AI music generators, prompts, AI declarations."""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path

from ..metadata import scan_file
from ..models import SEVERITY_ORDER, ScreeningCheck, ScreeningVerdict, Severity
from .base import Check, Given, Outcome


class MetadataCheck(Check):
    name = ScreeningCheck.METADATA
    # Tags that name a generator explain a refusal on credentials, so they are read for refused files too.
    runs_on_refused = True

    def run(self, given: Given) -> Outcome:
        return check_metadata(given.path)


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
