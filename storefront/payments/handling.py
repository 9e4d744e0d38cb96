"""Recording gateway events once and handling them by job.

`record_event` is the single way in, for Stripe's webhooks and the sandbox's pages alike: the event is kept
by its id (a duplicate delivery, even one racing the first, changes nothing) and a HANDLE_EVENT job runs
its routes after the commit. A handler that raises makes the job retry; the event counts as handled only
once every handler has run, and an event nobody routes is recorded and marked handled at once.
"""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ..db import utcnow
from ..jobs.interfaces import JobQueue, JobRegistry
from ..jobs.runner import JobContext
from .events import HANDLE_EVENT, EventRoutes
from .interfaces import GatewayEvent
from .models import PaymentEvent

log = logging.getLogger(__name__)


def record_event(session: Session, gateway_name: str, event: GatewayEvent, queue: JobQueue) -> bool:
    """Keep `event` unless its id is known, and queue its handling. Returns whether it was new."""
    if session.scalar(select(PaymentEvent.id).where(PaymentEvent.event_id == event.event_id)) is not None:
        return False
    row = PaymentEvent(
        event_id=event.event_id,
        gateway=gateway_name,
        type=event.type,
        object_id=event.object_id,
        account=event.account,
        created=event.created,
        data=dict(event.data),
    )
    try:
        # A delivery racing this one may insert the same id first: only the savepoint is lost then, not
        # the caller's transaction, and the caller answers as for any duplicate.
        with session.begin_nested():
            session.add(row)
    except IntegrityError:
        return False
    queue.enqueue(HANDLE_EVENT, {"event_id": event.event_id}, dedupe_key=f"event:{event.event_id}")
    return True


def as_gateway_event(row: PaymentEvent) -> GatewayEvent:
    return GatewayEvent(
        event_id=row.event_id,
        type=row.type,
        object_id=row.object_id,
        created=row.created,
        data=dict(row.data or {}),
        account=row.account,
    )


def handle_event(context: JobContext, payload: dict[str, Any]) -> None:
    event_id = str(payload["event_id"])
    with context.database.transaction() as session:
        row = session.scalar(select(PaymentEvent).where(PaymentEvent.event_id == event_id))
        if row is None or row.handled_at is not None:
            return
        event = as_gateway_event(row)
    routes: EventRoutes = context.services.event_routes
    handlers = routes.handlers(event.type)
    if not handlers:
        log.info("payment event %s of type %s has no handler; recorded only", event_id, event.type)
    # Each handler reads the gateway's current state and is safe to run again, so a retry after one of
    # them failed runs them all again.
    for handler in handlers:
        handler(context, event)
    with context.transaction() as session:
        row = session.scalar(select(PaymentEvent).where(PaymentEvent.event_id == event_id))
        if row is not None and row.handled_at is None:
            row.handled_at = utcnow()


def register_jobs(registry: JobRegistry, routes: EventRoutes) -> None:
    registry.add(HANDLE_EVENT, handle_event)
