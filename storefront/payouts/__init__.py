"""Payouts: transfers to sellers' connected accounts, their reversals, earnings reports, reconciliation."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..web.services import ServiceRegistry


def register_services(registry: ServiceRegistry) -> None:
    from .reports import EarningsReport

    registry.register(EarningsReport, lambda services: EarningsReport(services.session))
