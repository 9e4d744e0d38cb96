"""Curation: submitting for review, the queue, decisions, reports, takedowns, appeals, the dashboard."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..web.services import RequestServices, ServiceRegistry
    from .services import CurationService


def register_services(registry: ServiceRegistry) -> None:
    from ..releases.panels import WorkspacePanels
    from .context import review_state
    from .publication import PublicationHooks
    from .services import CurationService

    registry.register_value(PublicationHooks, PublicationHooks())
    registry.register(CurationService, _curation_service)
    registry.value(WorkspacePanels).add("review", review_state)


def _curation_service(services: RequestServices) -> CurationService:
    from ..attestations.services import AttestationService
    from ..jobs.interfaces import JobQueue
    from ..mail.services import MailService
    from ..web.services import external_url
    from .publication import PublicationHooks
    from .services import CurationService

    return CurationService(
        services.session,
        mail=services.find(MailService),
        queue=services.find(JobQueue),
        url_for=external_url,
        readiness=lambda release: services.find(AttestationService).ready_for_review(release),
        published=services.find(PublicationHooks),
    )
