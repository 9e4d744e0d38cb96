"""Copies: the file's acoustic fingerprint matched against the catalog's masters, through the copy index."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .. import fingerprint as fp
from ..models import ScreeningCheck, ScreeningVerdict, Severity
from .base import Check, Given, Need, Outcome


class FingerprintCheck(Check):
    name = ScreeningCheck.FINGERPRINT
    needs = frozenset({Need.PRINT})

    def run(self, given: Given) -> Outcome:
        search = given.printed.search
        return fingerprint_outcome(search.matches, search.compared)


def fingerprint_outcome(matches: list[dict[str, Any]], compared: int) -> Outcome:
    check = ScreeningCheck.FINGERPRINT
    matches = sorted(matches, key=lambda m: float(m["ber"]))
    evidence = {
        "matches": matches,
        # Catalog fingerprints aligned with this one: the candidates the copy index offered.
        "compared": compared,
        "threshold": fp.MATCH_THRESHOLD,
        "max_offset_seconds": fp.MAX_OFFSET_SECONDS,
    }
    others = [m for m in matches if not m["same_artist"]]
    if others:
        best = others[0]
        return Outcome(
            check,
            ScreeningVerdict.FLAG,
            Severity.HIGH,
            f"Possible copy: the audio matches “{best['track_title']}” by {best['artist_name']} "
            f"on “{best['release_title']}” ({_alignment(best)}).",
            evidence,
        )
    if matches:
        best = matches[0]
        return Outcome(
            check,
            ScreeningVerdict.NOTE,
            Severity.LOW,
            f"Same audio as the artist's own “{best['track_title']}” on “{best['release_title']}” "
            f"({_alignment(best)}): a re-release or another version.",
            evidence,
        )
    return Outcome(
        check,
        ScreeningVerdict.PASS,
        Severity.NONE,
        (
            f"No match in the catalog: the copy index offered {compared} similar "
            f"fingerprint{'' if compared == 1 else 's'}, none close enough to be the same audio."
            if compared
            else "No match in the catalog: nothing in the copy index resembles this audio."
        ),
        evidence,
    )


def _alignment(match: Mapping[str, Any]) -> str:
    text = f"bit error rate {match['ber']:.3f}"
    offset = float(match["offset_seconds"])
    if offset >= 0.5:
        text += f", starting {offset:.1f} s into it"
    elif offset <= -0.5:
        text += f", with {-offset:.1f} s before it starts"
    return text
