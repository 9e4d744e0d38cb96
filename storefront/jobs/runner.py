"""Claiming, running and finishing one job: shared by the in-process runner and the Celery task."""

from __future__ import annotations

import logging
import os
import socket
import threading
import traceback
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import or_, select, update

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
    extra: dict[str, Any] = field(default_factory=dict)


class ClaimResult:
    CLAIMED = "claimed"
    BUSY = "busy"  # another worker holds a live lease
    NOT_DUE = "not_due"
    FINISHED = "finished"  # already done or failed for good
    MISSING = "missing"


@dataclass
class JobExecutor:
    database: Database
    registry: JobRegistry
    services: Any
    lease: timedelta = timedelta(seconds=60)
    backoff_base: float = 5.0

    def _due(self, now: datetime) -> Any:
        return (Job.run_after <= now) & or_(
            Job.status == JobStatus.QUEUED,
            (Job.status == JobStatus.RUNNING) & (Job.locked_until < now),
        )

    def next_due(self) -> int | None:
        now = utcnow()
        # A read: on SQLite it must not take the write lock, or an idle runner would stall every writer.
        with self.database.session() as session:
            return session.scalar(
                select(Job.id).where(self._due(now)).order_by(Job.run_after, Job.id).limit(1)
            )

    def claim(self, job_id: int, owner: str) -> str:
        now = utcnow()
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
            return max(0.0, (moment - utcnow()).total_seconds())

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
        context = JobContext(job_id, name, attempt, self.database, self.services)
        stop = threading.Event()
        beat = threading.Thread(target=self._heartbeat, args=(job_id, owner, stop), daemon=True)
        beat.start()
        try:
            self.registry.get(name)(context, payload)
        except Exception as exc:
            stop.set()
            beat.join()
            self._failed(job_id, exc, permanent=isinstance(exc, PermanentJobError) or attempt >= max_attempts)
            return ClaimResult.CLAIMED
        stop.set()
        beat.join()
        with self.database.transaction() as session:
            session.execute(
                update(Job)
                .where(Job.id == job_id)
                .values(status=JobStatus.DONE, finished_at=utcnow(), locked_until=None, last_error=None)
            )
        return ClaimResult.CLAIMED

    def _heartbeat(self, job_id: int, owner: str, stop: threading.Event) -> None:
        interval = max(self.lease.total_seconds() / 3, 0.05)
        while not stop.wait(interval):
            try:
                with self.database.transaction() as session:
                    session.execute(
                        update(Job)
                        .where(Job.id == job_id, Job.locked_by == owner, Job.status == JobStatus.RUNNING)
                        .values(locked_until=utcnow() + self.lease)
                    )
            except Exception:
                log.exception("could not extend the lease of job %s", job_id)

    def _failed(self, job_id: int, exc: Exception, *, permanent: bool) -> None:
        detail = "".join(traceback.format_exception_only(type(exc), exc)).strip()[:2000]
        log.warning("job %s failed%s: %s", job_id, " for good" if permanent else "", detail)
        with self.database.transaction() as session:
            job = session.get(Job, job_id)
            if job is None:
                return
            job.last_error = detail
            job.locked_until = None
            if permanent:
                job.status = JobStatus.FAILED
                job.finished_at = utcnow()
            else:
                job.status = JobStatus.QUEUED
                job.run_after = utcnow() + timedelta(seconds=self.backoff_base * 2 ** (job.attempts - 1))

    def retry(self, job_id: int) -> bool:
        """Put a failed job back in the queue (the artist's retry button)."""
        with self.database.transaction() as session:
            job = session.get(Job, job_id)
            if job is None or job.status != JobStatus.FAILED:
                return False
            job.status = JobStatus.QUEUED
            job.attempts = 0
            job.run_after = utcnow()
            job.finished_at = None
            return True
