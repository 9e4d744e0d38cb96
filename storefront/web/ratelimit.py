"""Fixed-window rate limits: in the database for several worker processes, in memory for the embedded one."""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from sqlalchemy import Engine, Integer, String, delete
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Mapped, mapped_column

from ..db import Base


class RateLimitCounter(Base):
    __tablename__ = "rate_limit_counters"

    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    window_start: Mapped[int] = mapped_column(Integer, primary_key=True)
    count: Mapped[int] = mapped_column(default=0)


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    retry_after: int


class RateLimiter(Protocol):
    limit: int
    window: int

    def hit(self, *keys: str) -> Verdict:
        """Count one attempt against every key; refused when any key is over its limit."""
        ...

    def reset(self, *keys: str) -> None: ...


def _window(now: float, window: int) -> tuple[int, int]:
    start = int(now // window * window)
    return start, max(1, math.ceil(start + window - now))


class MemoryRateLimiter:
    """For the embedded default, which serves from one process. (On SQLite a second connection would wait
    behind the request's own write lock, so the counts cannot live in that database.)"""

    def __init__(self, *, limit: int, window: int, clock: Callable[[], float] = time.time) -> None:
        self.limit = limit
        self.window = window
        self._clock = clock
        self._counts: dict[tuple[str, int], int] = {}
        self._lock = threading.Lock()

    def hit(self, *keys: str) -> Verdict:
        start, retry_after = _window(self._clock(), self.window)
        with self._lock:
            for old in [k for k in self._counts if k[1] < start]:
                del self._counts[old]
            worst = 0
            for key in keys:
                count = self._counts.get((key, start), 0) + 1
                self._counts[(key, start)] = count
                worst = max(worst, count)
        return Verdict(worst <= self.limit, retry_after)

    def reset(self, *keys: str) -> None:
        with self._lock:
            for stored in [k for k in self._counts if k[0] in keys]:
                del self._counts[stored]


class DatabaseRateLimiter:
    """Shared by every worker process. Counts in its own short transaction: a refused log-in must still
    count, even though its request rolls back."""

    def __init__(
        self, engine: Engine, *, limit: int, window: int, clock: Callable[[], float] = time.time
    ) -> None:
        self.engine = engine
        self.limit = limit
        self.window = window
        self._clock = clock

    def hit(self, *keys: str) -> Verdict:
        window_start, retry_after = _window(self._clock(), self.window)
        worst = 0
        with self.engine.begin() as conn:
            stmt_cls = sqlite.insert if conn.dialect.name == "sqlite" else postgresql.insert
            for key in keys:
                values = {"key": key[:200], "window_start": window_start, "count": 1}
                stmt: Any = stmt_cls(RateLimitCounter).values(**values)
                stmt = stmt.on_conflict_do_update(
                    index_elements=["key", "window_start"],
                    set_={"count": RateLimitCounter.count + 1},
                ).returning(RateLimitCounter.count)
                worst = max(worst, int(conn.execute(stmt).scalar_one()))
            # Old windows are worth nothing; clearing them here keeps the table small without a cron job.
            conn.execute(
                delete(RateLimitCounter).where(RateLimitCounter.window_start < window_start - self.window)
            )
        return Verdict(worst <= self.limit, retry_after)

    def reset(self, *keys: str) -> None:
        with self.engine.begin() as conn:
            for key in keys:
                conn.execute(delete(RateLimitCounter).where(RateLimitCounter.key == key))
