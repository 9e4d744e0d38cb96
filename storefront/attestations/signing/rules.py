"""The rules a signing request must meet: files in place, a name, every statement, declarations, credits."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ...releases.models import Release, ReleaseStatus
from ..policy import (
    CURRENT_VERSION,
    ELEMENTS,
    POLICIES,
    TRACK_ELEMENTS,
    AiUse,
    Declaration,
    Finding,
    Level,
    credit_findings,
    declaration_findings,
    embodied_findings,
)

UNSIGNABLE = (ReleaseStatus.REJECTED, ReleaseStatus.TAKEN_DOWN)


@dataclass(frozen=True)
class Problem:
    """Why a signature or countersignature is refused; `where` names the part of the form it is about:
    "legal_name", "level", "statement:<id>", "element:<key>", "track:<track id>:<key>", or None."""

    message: str
    where: str | None = None
    ineligible: bool = False


class AttestationRefused(Exception):
    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("; ".join(p.message for p in problems))
        self.problems = problems

    @property
    def ineligible(self) -> list[Problem]:
        return [p for p in self.problems if p.ineligible]


@dataclass
class SigningRequest:
    """What the signer filled in; track declarations only for tracks that differ from the release's."""

    legal_name: str
    level: str = Level.STANDARD.value
    ticked: frozenset[str] = frozenset()
    declarations: Mapping[str, Declaration] = field(default_factory=dict)
    track_declarations: Mapping[int, Mapping[str, Declaration]] = field(default_factory=dict)


def normal_name(text: str) -> str:
    return " ".join(text.split())


def signing_problems(release: Release, request: SigningRequest, *, requires_embodied: bool) -> list[Problem]:
    """Everything wrong with a signing request, ineligibility first; nothing is written."""
    problems: list[Problem] = []
    if release.status in UNSIGNABLE:
        problems.append(
            Problem(f"This release is {release.status.value.replace('_', ' ')}; it can't be signed.")
        )
    problems += _file_problems(release)
    name = normal_name(request.legal_name)
    if not name or not any(ch.isalpha() for ch in name):
        problems.append(Problem("Type your legal name to sign.", "legal_name"))
    elif len(name) > 200:
        problems.append(Problem("Use at most 200 characters.", "legal_name"))
    try:
        level = Level(request.level)
    except ValueError:
        problems.append(Problem("Choose Standard or Embodied.", "level"))
        level = Level.STANDARD
    if release.label is not None and level != Level.EMBODIED and requires_embodied:
        problems.append(Problem(f"{release.label.name} requires the Embodied level for its roster.", "level"))
    for statement in POLICIES[CURRENT_VERSION].statements_for(level):
        if statement.id not in request.ticked:
            problems.append(
                Problem(
                    f"Tick “{statement.title}” to sign: every statement is required.",
                    f"statement:{statement.id}",
                )
            )
    problems += _declaration_problems(release, request, level)
    problems += [
        Problem(f.message, None, f.ineligible) for f in credit_findings(c.name for c in release.contributors)
    ]
    return sorted(problems, key=lambda p: not p.ineligible)


def _file_problems(release: Release) -> list[Problem]:
    problems = []
    if not release.tracks:
        problems.append(Problem("Add at least one track before signing."))
    for track in release.tracks:
        if track.master is None or not track.master.sha256:
            problems.append(
                Problem(
                    f"Track {track.position} “{track.title}” has no checked master yet; the "
                    f"attestation binds every master, so upload them all first."
                )
            )
    if release.artwork is None or not release.artwork.sha256:
        problems.append(Problem("Add the cover artwork before signing; the attestation binds it too."))
    return problems


def _declaration_problems(release: Release, request: SigningRequest, level: Level) -> list[Problem]:
    problems: list[Problem] = []
    tracks = {t.id: t for t in release.tracks}
    scopes: list[tuple[str, str, Mapping[str, Declaration], Any]] = [
        ("element:{}", "whole release", request.declarations, None)
    ]
    for track_id, declared in request.track_declarations.items():
        if track_id not in tracks:
            problems.append(Problem("A track of the form is no longer on this release; reload the page."))
            continue
        track = tracks[track_id]
        scopes.append((f"track:{track_id}:{{}}", f"track {track.position}", declared, track))
    for where, label, declared, track in scopes:
        elements = ELEMENTS if track is None else TRACK_ELEMENTS
        for element in elements:
            declaration = declared.get(element.key, Declaration())
            findings: list[Finding] = declaration_findings(element, declaration, label)
            if level == Level.EMBODIED:
                findings += embodied_findings(element, declaration, label)
            if declaration.ai != AiUse.ABSENT and not _credited(release, element.roles, track):
                role = element.roles[0].replace("_", " ")
                findings.append(
                    Finding(
                        f"{element.label} ({label}): credit who did it (role {role}) "
                        f"under Credits, or mark it as not part of this work.",
                        element.key,
                    )
                )
            problems += [Problem(f.message, where.format(element.key), f.ineligible) for f in findings]
    return problems


def _credited(release: Release, roles: tuple[str, ...], track: Any) -> bool:
    return any(
        c.role.value in roles and (track is None or c.track_id in (None, track.id))
        for c in release.contributors
    )
