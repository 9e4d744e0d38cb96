"""(being written)"""

from __future__ import annotations

from ..jobs.interfaces import JobRegistry
from ..payments.events import EventRoutes


def register_jobs(registry: JobRegistry, routes: EventRoutes) -> None:
    return None
