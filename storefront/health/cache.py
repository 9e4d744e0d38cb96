"""A few seconds' memory of the health probe, so anonymous `/healthz` requests cannot drive outside calls."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any, Generic, TypeVar

T = TypeVar("T")

# Long enough that a flood of anonymous requests reaches Stripe, SMTP and S3 at most once per window,
# short enough that a load balancer still sees an outage within one of its usual check intervals.
HEALTH_CACHE_SECONDS = 10.0


class ProbeCache(Generic[T]):
    """The last probe result, reused until `ttl` seconds of `clock` (monotonic) have passed.

    One lock: while a probe runs, other requests wait for its result instead of starting their own."""

    def __init__(
        self, ttl: float = HEALTH_CACHE_SECONDS, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.ttl = ttl
        self._clock = clock
        self._lock = threading.Lock()
        self._value: T | None = None
        self._taken_at = 0.0

    def get(self, probe: Callable[[], T]) -> T:
        with self._lock:
            if self._value is not None and self._clock() - self._taken_at < self.ttl:
                return self._value
            value = probe()
            # Timed from the end of the probe: a slow probe still gets its full window.
            self._value, self._taken_at = value, self._clock()
            return value


class HealthCache(ProbeCache[dict[str, dict[str, Any]]]):
    """Each part's status as last probed, shared by public `/healthz` requests for a few seconds."""
