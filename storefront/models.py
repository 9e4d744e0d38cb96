"""Every model module imported once, so the metadata (for Alembic and the tests) knows every table."""

from __future__ import annotations

from .accounts import models as accounts_models
from .db import Base
from .events import AuditEvent
from .jobs.models import Job
from .mail.models import OutboundMessage
from .releases.models import Contributor, Release, Track, Upload
from .web.ratelimit import RateLimitCounter

metadata = Base.metadata

__all__ = [
    "AuditEvent",
    "Contributor",
    "Job",
    "OutboundMessage",
    "RateLimitCounter",
    "Release",
    "Track",
    "Upload",
    "accounts_models",
    "metadata",
]
