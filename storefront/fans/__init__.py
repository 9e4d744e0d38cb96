"""Fans: download codes, wishlists and follows, the feed of followed releases, and new-release mail."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ..jobs.interfaces import JobRegistry
    from ..releases.models import Release
    from ..web.services import ServiceRegistry


def register_services(registry: ServiceRegistry) -> None:
    """After curation's: the followers of a release hear of it when curation makes it public."""
    from ..curation.publication import PublicationHooks
    from ..releases.panels import WorkspacePanels
    from .announcements import announce
    from .codes import CodeService
    from .follows import FanService

    registry.register(CodeService, lambda s: CodeService(s.session))
    registry.register(FanService, lambda s: FanService(s.session))
    registry.value(PublicationHooks).add(announce)
    registry.value(WorkspacePanels).add("codes", _codes_panel)


def register_jobs(registry: JobRegistry) -> None:
    from .announcements import register_jobs as register_announcements
    from .mailings import register_jobs as register_mailings

    register_announcements(registry)
    register_mailings(registry)


def _codes_panel(release: Release) -> dict[str, Any]:
    from ..releases.models import ReleaseStatus

    return {"available": release.status == ReleaseStatus.APPROVED}
