"""Payees: the connected accounts artists and labels are paid into, and who is paid for a release."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ...web.services import RequestServices, ServiceRegistry
    from .services import PayeeService


def register_services(registry: ServiceRegistry) -> None:
    from .agreements import CollectingService
    from .services import PayeeService

    registry.register(PayeeService, _payee_service)
    registry.register(CollectingService, lambda s: CollectingService(s.session))


def _payee_service(services: RequestServices) -> PayeeService:
    from ...config import Settings
    from ...jobs.interfaces import JobQueue
    from ...payments.interfaces import PaymentGateway
    from ...web.services import external_url
    from .services import PayeeService

    return PayeeService(
        services.session,
        services.find(PaymentGateway),
        services.find(Settings),
        queue=services.find(JobQueue),
        url_for=external_url,
    )
