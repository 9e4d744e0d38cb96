"""Panels that rooms above releases add to the artist's release workspace, each given to it as plain data."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .models import Release

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
