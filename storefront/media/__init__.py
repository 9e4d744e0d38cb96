"""Audio files made from masters for fans and the player: renditions, previews, archives, downloads."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..web.services import RequestServices, ServiceRegistry
    from .services import MediaService


def register_services(registry: ServiceRegistry) -> None:
    from ..releases.panels import WorkspacePanels
    from .listening.links import ListeningClock, ListeningLinkService
    from .services import MediaService
    from .views import media_panel

    registry.register(MediaService, _media_service)
    registry.value(WorkspacePanels).add("media", media_panel)
    registry.register(ListeningClock, lambda _services: ListeningClock())
    registry.register(ListeningLinkService, lambda s: ListeningLinkService(s.session, s.find(ListeningClock)))


def _media_service(services: RequestServices) -> MediaService:
    from ..config import Settings
    from ..jobs.interfaces import JobQueue
    from ..storage.interfaces import ObjectStorage
    from .services import MediaService

    settings = services.find(Settings)
    return MediaService(
        services.session,
        queue=services.find(JobQueue),
        storage=services.find(ObjectStorage),
        base_url=settings.base_url,
        link_seconds=settings.download_link_seconds,
    )
