"""The embedded job runner: jobs live in the database and a thread of the web process runs them."""

from __future__ import annotations

import logging
import threading

from sqlalchemy import text

from .interfaces import JobHealth
from .runner import ClaimResult, JobExecutor, worker_name
from .schedule import Ticker

log = logging.getLogger(__name__)


class InlineDispatcher:
    """Modes: `thread` (a background thread polls and is woken on notify), `eager` (run right after the
    commit, in the caller's thread) and `manual` (only `drain()` runs jobs; for tests)."""

    backend_name = "inline"

    def __init__(self, executor: JobExecutor, *, mode: str = "thread", poll_seconds: float = 2.0) -> None:
        self.executor = executor
        self.mode = mode
        self.poll_seconds = poll_seconds
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def notify(self, job_id: int) -> None:
        if self.mode == "eager":
            self.executor.run(job_id)
        elif self.mode == "thread":
            self.start()
            self._wake.set()

    def start(self) -> None:
        if self.mode != "thread":
            return
        with self._lock:
            if self._thread is not None and self._thread.is_alive():
                return
            self._stop.clear()
            self._thread = threading.Thread(target=self._loop, name="storefront-jobs", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=30)
            self._thread = None

    def _loop(self) -> None:
        owner = worker_name()
        ticker = Ticker(self.executor, self)
        while not self._stop.is_set():
            ticker.safe_tick()
            try:
                ran = self.drain_once(owner)
            except Exception:
                log.exception("job runner loop failed; retrying")
                ran = False
            if not ran:
                self._wake.wait(self.poll_seconds)
                self._wake.clear()

    def drain_once(self, owner: str | None = None) -> bool:
        job_id = self.executor.next_due()
        if job_id is None:
            return False
        self.executor.run(job_id, owner)
        return True

    def drain(self, limit: int = 1000) -> int:
        """Run due jobs until none is left (or `limit` ran). Returns how many were claimed."""
        count = 0
        while count < limit and self.drain_once():
            count += 1
        return count

    def check(self) -> JobHealth:
        try:
            with self.executor.database.engine.connect() as conn:
                conn.execute(text("SELECT 1"))
        except Exception as exc:
            return JobHealth(False, self.backend_name, f"job table unreachable: {exc.__class__.__name__}")
        alive = self.mode != "thread" or self._thread is None or self._thread.is_alive()
        detail = f"mode={self.mode}" + ("" if alive else "; runner thread stopped")
        return JobHealth(alive, self.backend_name, detail)


__all__ = ["ClaimResult", "InlineDispatcher"]
