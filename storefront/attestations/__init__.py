"""HM-1 attestations: policy, signed documents, the signing key, certificates, verification, DDEX."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..web.services import RequestServices, ServiceRegistry
    from .services import AttestationService
    from .verification import Keyring


def register_services(registry: ServiceRegistry) -> None:
    from ..releases.panels import WorkspacePanels
    from .pages import workspace_panel
    from .services import AttestationService
    from .verification import Keyring

    registry.register(Keyring, _keyring)
    registry.register(AttestationService, _attestation_service)
    registry.value(WorkspacePanels).add("attestation", workspace_panel)


def _keyring(services: RequestServices) -> Keyring:
    from flask import current_app

    from ..config import Settings
    from .verification import keyring_for

    return keyring_for(current_app.extensions, services.find(Settings))


def _attestation_service(services: RequestServices) -> AttestationService:
    from ..config import Settings
    from .services import AttestationService
    from .verification import Keyring

    settings = services.find(Settings)
    return AttestationService(
        services.session, secret=settings.secret_key, keyring=services.find(Keyring), issuer=settings.base_url
    )
