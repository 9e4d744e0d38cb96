"""Health: the public liveness answer and the cached probes of the parts behind it."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..web.services import ServiceRegistry


def register_services(registry: ServiceRegistry) -> None:
    from .cache import HealthCache

    registry.register_value(HealthCache, HealthCache())
