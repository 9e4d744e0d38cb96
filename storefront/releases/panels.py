"""The release workspace's steps, and the panels that rooms above releases add to it as plain data.

The editor is a sequence of steps, each its own page of the workspace (`?step=<name>`); a saved form comes
back to the step it was on, found from the anchor of the section it belongs to. Whether a step is done is
read from the release and from the data the panels already give (review, attestation, media), never worked
out a second time.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .models import Release, ReleaseStatus

PanelData = Callable[[Release], dict[str, Any]]


class WorkspacePanels:
    """Filled once while the app is wired (review, attestation, media); the workspace view asks each for its
    data and hands the results to the template, so the page's templates never call a service."""

    def __init__(self) -> None:
        self._panels: dict[str, PanelData] = {}

    def add(self, name: str, data: PanelData) -> None:
        if name in self._panels:
            raise ValueError(f"the workspace has a {name} panel already")
        self._panels[name] = data

    def for_release(self, release: Release) -> dict[str, dict[str, Any]]:
        return {name: data(release) for name, data in self._panels.items()}


@dataclass(frozen=True)
class Step:
    name: str
    title: str
    anchors: tuple[str, ...]  # the sections (their ids) the step's page shows
    optional: bool = False  # not part of what a submission needs


STEPS = (
    Step("details", "Details and price", ("details",)),
    Step("tracks", "Tracks and files", ("tracks", "files")),
    Step("credits", "Credits", ("credits",)),
    Step("previews", "Previews", ("media",)),
    Step("ai-training", "AI training", ("ai-training",)),
    Step("attestation", "Attestation", ("attestation", "screening")),
    Step("review", "Review", ("review",)),
    Step("extras", "Codes, links and first window", ("codes", "listening-links", "first-window"), True),
)
NAMES = tuple(step.name for step in STEPS)


@dataclass(frozen=True)
class StepMark:
    step: Step
    done: bool
    current: bool


def find_step(name: str) -> Step | None:
    return next((step for step in STEPS if step.name == name), None)


def step_of(anchor: str) -> str:
    """The step that shows the section `#anchor` (a track's own anchor belongs to the tracks)."""
    section = anchor.lstrip("#")
    if section.startswith("track-"):
        return "tracks"
    return next((step.name for step in STEPS if section in step.anchors), STEPS[0].name)


def _done(name: str, release: Release, panels: dict[str, dict[str, Any]]) -> bool:
    if name == "details":
        return bool(release.title.strip()) and (release.price_minor > 0 or release.pay_what_you_want)
    if name == "tracks":
        masters = bool(release.tracks) and all(t.master is not None for t in release.tracks)
        return masters and release.artwork is not None
    if name == "credits":
        return bool(release.contributors)
    if name == "previews":
        rows = panels.get("media", {}).get("rows", [])
        return bool(rows) and all(f["state"] == "ready" for row in rows for f in row["files"])
    if name == "ai-training":
        return True  # reserved unless the artist opts in: there is always a choice in force
    if name == "attestation":
        state = panels.get("attestation", {}).get("state", {})
        return state.get("attestation") is not None and not state.get("stale")
    if name == "review":
        return release.status not in (ReleaseStatus.DRAFT, ReleaseStatus.CHANGES_REQUESTED)
    return False


def checklist(release: Release, panels: dict[str, dict[str, Any]], current: str) -> list[StepMark]:
    return [StepMark(step, _done(step.name, release, panels), step.name == current) for step in STEPS]


def first_open(release: Release, panels: dict[str, dict[str, Any]]) -> str:
    """Where the editor opens: the first step that is not done yet, or the review once all are."""
    for step in STEPS:
        if not step.optional and not _done(step.name, release, panels):
            return step.name
    return "review"
