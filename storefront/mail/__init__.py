"""Mail: composed inside a transaction, delivered by a job after it commits, through the chosen transport."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ..web.services import ServiceRegistry


def render_in_request(template: str, context: Mapping[str, Any]) -> str:
    from flask import render_template

    return render_template(template, **context)


def register_services(registry: ServiceRegistry) -> None:
    from ..jobs.interfaces import JobQueue
    from .services import MailService

    registry.register(MailService, lambda s: MailService(s.session, s.find(JobQueue), render_in_request))
