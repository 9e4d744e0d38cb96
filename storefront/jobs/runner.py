"""Claiming, running and finishing one job: shared by the in-process runner and the Celery task."""

from __future__ import annotations

import logging
import os
import socket
import threading
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from ..db import Database, utcnow
from .interfaces import JobRegistry, PermanentJobError
from .models import Job, JobStatus

log = logging.getLogger(__name__)


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{threading.get_ident()}"


@dataclass
class JobContext:
    job_id: int
    name: str
    attempt: int
    database: Database
    services: Any
    owner: str = ""

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """A transaction that commits only while this worker still holds the job's lease; otherwise
        `LeaseLost`, and nothing in it is kept. The job's row stays locked until the commit, so no other
        worker can take the job over in between. For work that must not be recorded twice."""
        with self.database.transaction() as session:
            held = session.scalar(
                select(Job.id)
                .where(Job.id == self.job_id, Job.locked_by == self.owner, Job.status == JobStatus.RUNNING)
                .with_for_update()
            )
            if held is None:
                raise LeaseLost(f"job {self.job_id} was taken over by another worker")
            yield session


class ClaimResult:
    CLAIMED = "claimed"
    BUSY = "busy"  # another worker holds a live lease
    NOT_DUE = "not_due"
    FINISHED = "finished"  # already done or failed for good
    MISSING = "missing"
    LOST = "lost"  # it ran, but its lease had passed to another worker, whose outcome stands


class LeaseLost(Exception):
    """The worker no longer holds the job's lease: another worker has taken the job over."""


@dataclass
class JobExecutor:
    database: Database
    registry: JobRegistry
    services: Any
    lease: timedelta = timedelta(seconds=60)
    backoff_base: float = 5.0
    # What time it is for leases and backoff; tests pass a clock they move by hand.
    clock: Callable[[], datetime] = utcnow
    heartbeat_seconds: float | None = None  # default: a third of the lease

    def _due(self, now: datetime) -> Any:
        return (Job.run_after <= now) & or_(
            Job.status == JobStatus.QUEUED,
            (Job.status == JobStatus.RUNNING) & (Job.locked_until < now),
        )

    def next_due(self) -> int | None:
        now = self.clock()
        # A read: on SQLite it must not take the write lock, or an idle runner would stall every writer.
        with self.database.session() as session:
            return session.scalar(
                select(Job.id).where(self._due(now)).order_by(Job.run_after, Job.id).limit(1)
            )

    def claim(self, job_id: int, owner: str) -> str:
        now = self.clock()
        with self.database.transaction() as session:
            # A job whose worker died on every attempt (killed, out of memory) never raised: end it here, or
            # it would be taken up again for ever.
            exhausted = session.execute(
                update(Job)
                .where(
                    Job.id == job_id,
                    Job.status == JobStatus.RUNNING,
                    Job.locked_until < now,
                    Job.attempts >= Job.max_attempts,
                )
                .values(
                    status=JobStatus.FAILED,
                    finished_at=now,
                    locked_until=None,
                    last_error="its worker stopped before it finished, on every attempt",
                )
                .execution_options(synchronize_session=False)
            )
            if exhausted.rowcount == 1:  # type: ignore[attr-defined]
                return ClaimResult.FINISHED
            result = session.execute(
                update(Job)
                .where(Job.id == job_id, self._due(now))
                .values(
                    status=JobStatus.RUNNING,
                    attempts=Job.attempts + 1,
                    locked_until=now + self.lease,
                    locked_by=owner,
                    started_at=now,
                )
                .execution_options(synchronize_session=False)
            )
            if result.rowcount == 1:  # type: ignore[attr-defined]
                return ClaimResult.CLAIMED
            job = session.get(Job, job_id)
            if job is None:
                return ClaimResult.MISSING
            if job.status in (JobStatus.DONE, JobStatus.FAILED):
                return ClaimResult.FINISHED
            if job.status == JobStatus.RUNNING:
                return ClaimResult.BUSY
            return ClaimResult.NOT_DUE

    def seconds_until_claimable(self, job_id: int) -> float:
        with self.database.session() as session:
            job = session.get(Job, job_id)
            if job is None:
                return 0.0
            moment = job.locked_until if job.status == JobStatus.RUNNING else job.run_after
            if moment is None:
                return 0.0
            return max(0.0, (moment - self.clock()).total_seconds())

    def run(self, job_id: int, owner: str | None = None) -> str:
        """Claim and run one job. Returns the claim result; the job's own outcome is stored on its row."""
        owner = owner or worker_name()
        claimed = self.claim(job_id, owner)
        if claimed != ClaimResult.CLAIMED:
            return claimed
        with self.database.transaction() as session:
            job = session.get(Job, job_id)
            assert job is not None
            name, payload, attempt, max_attempts = job.name, dict(job.payload), job.attempts, job.max_attempts
        context = JobContext(job_id, name, attempt, self.database, self.services, owner=owner)
        stop = threading.Event()
        beat = threading.Thread(target=self._heartbeat, args=(job_id, owner, stop), daemon=True)
        beat.start()
        try:
            self.registry.get(name)(context, payload)
        except LeaseLost:
            log.warning("job %s: lease lost to another worker; its outcome stands", job_id)
            return ClaimResult.LOST
        except Exception as exc:
            permanent = isinstance(exc, PermanentJobError) or attempt >= max_attempts
            return self._failed(job_id, owner, exc, permanent=permanent)
        finally:
            stop.set()
            beat.join()
        with self.database.transaction() as session:
            # Only while this worker still holds the job: a worker that stalled past its lease finds the job
            # taken over (or already finished) by another, and must not record a second completion.
            finished = session.execute(
                update(Job)
                .where(*self._held(job_id, owner))
                .values(status=JobStatus.DONE, finished_at=self.clock(), locked_until=None, last_error=None)
                .execution_options(synchronize_session=False)
            )
            if finished.rowcount != 1:  # type: ignore[attr-defined]
                log.warning("job %s finished after losing its lease; the other's outcome stands", job_id)
                return ClaimResult.LOST
        return ClaimResult.CLAIMED

    @staticmethod
    def _held(job_id: int, owner: str) -> tuple[Any, ...]:
        return (Job.id == job_id, Job.locked_by == owner, Job.status == JobStatus.RUNNING)

    def _heartbeat(self, job_id: int, owner: str, stop: threading.Event) -> None:
        interval = self.heartbeat_seconds or max(self.lease.total_seconds() / 3, 0.05)
        while not stop.wait(interval):
            try:
                with self.database.transaction() as session:
                    session.execute(
                        update(Job)
                        .where(*self._held(job_id, owner))
                        .values(locked_until=self.clock() + self.lease)
                    )
            except Exception:
                log.exception("could not extend the lease of job %s", job_id)

    def _failed(self, job_id: int, owner: str, exc: Exception, *, permanent: bool) -> str:
        detail = "".join(traceback.format_exception_only(type(exc), exc)).strip()[:2000]
        log.warning("job %s failed%s: %s", job_id, " for good" if permanent else "", detail)
        with self.database.transaction() as session:
            job = session.scalar(select(Job).where(*self._held(job_id, owner)).with_for_update())
            if job is None:
                return ClaimResult.LOST  # another worker took it over: its outcome stands, not this failure
            now = self.clock()
            job.last_error = detail
            job.locked_until = None
            if permanent:
                job.status = JobStatus.FAILED
                job.finished_at = now
            else:
                job.status = JobStatus.QUEUED
                job.run_after = now + timedelta(seconds=self.backoff_base * 2 ** (job.attempts - 1))
        return ClaimResult.CLAIMED

    def retry(self, job_id: int) -> bool:
        """Put a failed job back in the queue (the artist's retry button)."""
        with self.database.transaction() as session:
            job = session.get(Job, job_id)
            if job is None or job.status != JobStatus.FAILED:
                return False
            job.status = JobStatus.QUEUED
            job.attempts = 0
            job.run_after = self.clock()
            job.finished_at = None
            return True
