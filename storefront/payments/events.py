"""Gateway events: kept once by id, handled by a job, routed by type to the rooms that care.

The webhook view and the sandbox's checkout page both end in `record_event`, so a sandbox purchase is
fulfilled by exactly the code that fulfils a Stripe one. Rooms add their handlers to `EventRoutes` when the
application starts (orders: checkout sessions, charges and disputes; payouts: transfers and payouts;
payees: accounts). A handler reads the authoritative state back from the gateway and must be safe to run
twice and in any order.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from typing import TYPE_CHECKING

from ..jobs.interfaces import JobSpec
from .interfaces import GatewayEvent

if TYPE_CHECKING:
    from ..jobs.runner import JobContext

EventHandler = Callable[["JobContext", GatewayEvent], None]

# {"event_id": str}: run the handlers of one recorded event.
HANDLE_EVENT = JobSpec("payments.handle_event")


class EventRoutes:
    def __init__(self) -> None:
        self._routes: dict[str, list[EventHandler]] = defaultdict(list)

    def add(self, event_type: str, handler: EventHandler) -> None:
        self._routes[event_type].append(handler)

    def handlers(self, event_type: str) -> list[EventHandler]:
        return list(self._routes.get(event_type, ()))

    def types(self) -> list[str]:
        return sorted(self._routes)
