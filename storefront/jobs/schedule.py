"""Periodic jobs: enqueued at most once per interval however many workers tick.

Each backend's worker calls `Ticker.tick` from its loop (the embedded runner's thread, `flask worker`'s
threads, the Celery worker's sweep). The job of one interval carries that interval in its dedupe key, so two
workers ticking together, or one ticking twice, add a single job; a worker that was down enqueues the
current interval's job when it comes back, and the job itself catches up on what it missed.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from .interfaces import JobDispatcher, JobQueue, JobSpec
from .models import Job
from .runner import JobExecutor

log = logging.getLogger(__name__)


def interval_key(job: JobSpec, every: timedelta, now: datetime) -> str:
    """The dedupe key of the job for the interval `now` falls in."""
    number = int(now.timestamp() // every.total_seconds())
    return f"every:{job.name}:{number}"


class Ticker:
    """Enqueues the due periodic jobs of the executor's registry; between checks a tick costs nothing."""

    def __init__(
        self,
        executor: JobExecutor,
        dispatcher: JobDispatcher,
        *,
        check_every: timedelta = timedelta(seconds=30),
    ) -> None:
        self.executor = executor
        self.dispatcher = dispatcher
        self.check_every = check_every
        self._next_check: datetime | None = None

    def tick(self) -> int:
        """Enqueue each periodic job not yet enqueued for this interval; returns how many were added."""
        now = self.executor.clock()
        periodic = self.executor.registry.periodic()
        if not periodic or (self._next_check is not None and now < self._next_check):
            return 0
        self._next_check = now + self.check_every
        added = 0
        for job, every in periodic:
            key = interval_key(job, every, now)
            try:
                with self.executor.database.transaction() as session:
                    if session.scalar(select(Job.id).where(Job.dedupe_key == key)) is not None:
                        continue
                    JobQueue(session, self.dispatcher).enqueue(job, {}, dedupe_key=key)
                    added += 1
            except IntegrityError:
                log.info("periodic job %s was enqueued by another worker", job.name)
        return added

    def safe_tick(self) -> None:
        """A tick from a worker's loop: a fault is logged and the loop goes on."""
        try:
            self.tick()
        except Exception:
            log.exception("could not enqueue the periodic jobs")
