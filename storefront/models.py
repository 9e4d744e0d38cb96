"""Every model module imported once, so the metadata (for Alembic and the tests) knows every table."""

from __future__ import annotations

from .accounts import models as accounts_models
from .accounts.payees import models as payee_models
from .accounts.sessions import UserSession
from .attestations import models as provenance_models
from .attestations.manifests import models as manifest_models
from .catalog import models as catalog_models
from .curation import models as curation_models
from .db import Base
from .events import AuditEvent
from .fans import models as fan_models
from .jobs.models import Job
from .mail.models import OutboundMessage
from .media import models as media_models
from .media.listening.models import ListeningLink
from .orders import models as order_models
from .orders.gifts import models as gift_models
from .orders.models import Entitlement
from .orders.preorders import models as preorder_models
from .payments import models as payment_models
from .payouts import models as payout_models
from .releases.models import Contributor, Release, Track, Upload
from .screening.copies.models import CopyIndexEntry
from .screening.models import Fingerprint, ScreeningResult
from .search import models as search_models
from .studio import models as studio_models

metadata = Base.metadata

__all__ = [
    "AuditEvent",
    "Contributor",
    "CopyIndexEntry",
    "Entitlement",
    "Fingerprint",
    "Job",
    "ListeningLink",
    "OutboundMessage",
    "Release",
    "ScreeningResult",
    "Track",
    "Upload",
    "UserSession",
    "accounts_models",
    "catalog_models",
    "curation_models",
    "fan_models",
    "gift_models",
    "manifest_models",
    "media_models",
    "metadata",
    "order_models",
    "payee_models",
    "payment_models",
    "payout_models",
    "preorder_models",
    "provenance_models",
    "search_models",
    "studio_models",
]
