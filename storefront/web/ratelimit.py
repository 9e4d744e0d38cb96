"""Fixed-window rate limits counted by `limits`: in memory for the embedded server, in Redis for workers."""

from __future__ import annotations

import hashlib
import logging
import time
from dataclasses import dataclass

from limits import RateLimitItem, RateLimitItemPerSecond
from limits.errors import StorageError
from limits.storage import Storage, storage_from_string
from limits.strategies import FixedWindowRateLimiter
from werkzeug.wrappers import Response

log = logging.getLogger(__name__)
NAMESPACE = "velvet"


def in_about(seconds: int) -> str:
    """How long a paused person waits, in the words every 429 page uses: “about 3 minutes”."""
    minutes = max(1, round(seconds / 60))
    return f"about {minutes} minute{'s' if minutes != 1 else ''}"


def paused(response: Response, retry_after: int) -> Response:
    """The page that explains the pause, sent as a 429 with the Retry-After header clients honour."""
    response.status_code = 429
    response.headers["Retry-After"] = str(retry_after)
    return response


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    retry_after: int


def key_part(value: str) -> str:
    """A short digest for a key: addresses and emails are not kept readable in the shared store."""
    return hashlib.sha256(value.strip().lower().encode()).hexdigest()[:32]


def build_storage(url: str) -> Storage:
    if url.startswith("memory://"):
        storage = storage_from_string(url, wrap_exceptions=True)
    else:
        # Short timeouts: a slow Redis must not hold every log-in for the default minute.
        storage = storage_from_string(
            url, wrap_exceptions=True, key_prefix=NAMESPACE, socket_connect_timeout=2, socket_timeout=2
        )
    if not isinstance(storage, Storage):
        raise ValueError(f"{url.split(':', 1)[0]}: not a storage for synchronous code")
    return storage


class RateLimiter:
    """Counts attempts per key in fixed windows that start with the first attempt.

    `hit` and `reset` use the configured `limit` per `window` seconds; the `*_with` methods take another
    limit, for policies made of several limits (see web/login_limits.py). When the store cannot be reached
    the attempt is allowed and the failure logged: a Redis outage must not lock everybody out."""

    def __init__(self, storage: Storage, *, limit: int, window: int) -> None:
        self.storage = storage
        self.limit = limit
        self.window = window
        self._strategy = FixedWindowRateLimiter(storage)

    def item(self, limit: int | None = None, window: int | None = None) -> RateLimitItem:
        return RateLimitItemPerSecond(limit or self.limit, window or self.window, namespace=NAMESPACE)

    def hit(self, *keys: str) -> Verdict:
        """Count one attempt against every key; refused when any key is over its limit."""
        verdicts = [self.hit_with(self.item(), key) for key in keys]
        refused = [v.retry_after for v in verdicts if not v.allowed]
        return Verdict(not refused, max(refused, default=0))

    def reset(self, *keys: str) -> None:
        for key in keys:
            self.clear_with(self.item(), key)

    def hit_with(self, item: RateLimitItem, key: str) -> Verdict:
        try:
            allowed = self._strategy.hit(item, key)
            return Verdict(allowed, 0 if allowed else self._retry_after(item, key))
        except StorageError:
            log.exception("rate limit store unavailable; allowing the attempt")
            return Verdict(True, 0)

    def test_with(self, item: RateLimitItem, key: str) -> Verdict:
        """Whether one more attempt would be allowed, without counting one."""
        try:
            allowed = self._strategy.test(item, key)
            return Verdict(allowed, 0 if allowed else self._retry_after(item, key))
        except StorageError:
            log.exception("rate limit store unavailable; allowing the attempt")
            return Verdict(True, 0)

    def clear_with(self, item: RateLimitItem, key: str) -> None:
        try:
            self._strategy.clear(item, key)
        except StorageError:
            log.exception("rate limit store unavailable; a counter was not cleared")

    def _retry_after(self, item: RateLimitItem, key: str) -> int:
        reset_at = self._strategy.get_window_stats(item, key).reset_time
        return max(1, int(reset_at - time.time()) + 1)
