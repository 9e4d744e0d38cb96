"""Releases: drafts, tracks, credits, uploads, and the checks of masters and artwork."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..web.services import RequestServices, ServiceRegistry
    from .uploads.services import UploadService


def register_services(registry: ServiceRegistry) -> None:
    from .panels import WorkspacePanels
    from .services import ReleaseService
    from .uploads.services import UploadService

    registry.register(ReleaseService, lambda s: ReleaseService(s.session))
    registry.register(UploadService, _upload_service)
    registry.register_value(WorkspacePanels, WorkspacePanels())


def _upload_service(services: RequestServices) -> UploadService:
    from ..config import Settings
    from ..jobs.interfaces import JobQueue
    from ..storage.interfaces import ObjectStorage
    from .uploads.services import UploadLimits, UploadService

    settings = services.find(Settings)
    return UploadService(
        services.session,
        services.find(ObjectStorage),
        services.find(JobQueue),
        UploadLimits(
            settings.upload_quota_bytes,
            settings.uploads_per_hour,
            multipart_threshold=settings.upload_multipart_threshold,
            part_size=settings.upload_part_size,
        ),
    )
