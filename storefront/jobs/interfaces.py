"""The jobs contract: jobs declared once, their handlers, enqueueing in a transaction, and the dispatchers."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Any, Protocol

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..db import after_commit, utcnow
from .models import Job

if TYPE_CHECKING:
    from .runner import JobContext

Handler = Callable[["JobContext", dict[str, Any]], None]


@dataclass(frozen=True)
class JobSpec:
    """A kind of background work, declared once and referred to by this object wherever it is enqueued,
    registered or listed as a follow-up, so a misspelt reference fails at import. `name` is what the jobs
    table stores: renaming it would orphan queued rows, so it never changes."""

    name: str

    def __str__(self) -> str:
        return self.name


class PermanentJobError(Exception):
    """The job can never succeed; retrying would only repeat the failure."""


@dataclass(frozen=True)
class JobHealth:
    ok: bool
    backend: str
    detail: str = ""


class JobDispatcher(Protocol):
    backend_name: str

    def notify(self, job_id: int) -> None:
        """Called after the commit that created the job: make sure something runs it."""
        ...

    def start(self) -> None: ...

    def stop(self) -> None: ...

    def check(self) -> JobHealth: ...


class JobRegistry:
    """Handlers by job. Handlers must be safe to run twice: a worker can die after doing the work."""

    def __init__(self) -> None:
        self._handlers: dict[str, Handler] = {}
        self._specs: dict[str, JobSpec] = {}
        self._every: dict[str, timedelta] = {}

    def add(self, job: JobSpec, handler: Handler) -> None:
        known = self._specs.get(job.name)
        if known is not None and (known is not job or self._handlers[job.name] is not handler):
            raise ValueError(f"job {job.name!r} is registered twice")
        self._specs[job.name] = job
        self._handlers[job.name] = handler

    def get(self, job: JobSpec | str) -> Handler:
        """The handler of a job, or of the name stored on a job's row."""
        name = job.name if isinstance(job, JobSpec) else job
        try:
            return self._handlers[name]
        except KeyError:
            raise PermanentJobError(f"no handler for job {name!r}") from None

    def has(self, job: JobSpec) -> bool:
        return self._specs.get(job.name) is job

    def names(self) -> list[str]:
        return sorted(self._handlers)

    def every(self, job: JobSpec, interval: timedelta) -> None:
        """Run a registered job periodically (see `schedule.Ticker`); it catches up on missed runs itself."""
        if not self.has(job):
            raise ValueError(f"job {job.name!r} is scheduled before it is registered")
        if interval < timedelta(minutes=1):
            raise ValueError("a periodic job runs at most once a minute")
        self._every[job.name] = interval

    def periodic(self) -> list[tuple[JobSpec, timedelta]]:
        return [(self._specs[name], interval) for name, interval in sorted(self._every.items())]


class JobQueue:
    """Adds jobs to the caller's transaction; the dispatcher hears of them only once it commits."""

    def __init__(self, session: Session, dispatcher: JobDispatcher) -> None:
        self.session = session
        self.dispatcher = dispatcher

    def enqueue(
        self,
        job: JobSpec,
        payload: dict[str, Any] | None = None,
        *,
        dedupe_key: str | None = None,
        delay: timedelta | None = None,
        max_attempts: int = 5,
    ) -> Job:
        if not isinstance(job, JobSpec):
            raise TypeError(f"enqueue takes a declared JobSpec, not {job!r}")
        if dedupe_key is not None:
            existing = self.session.scalar(select(Job).where(Job.dedupe_key == dedupe_key))
            if existing is not None:
                return existing
        row = Job(
            name=job.name,
            payload=payload or {},
            dedupe_key=dedupe_key,
            run_after=utcnow() + (delay or timedelta(0)),
            max_attempts=max_attempts,
        )
        self.session.add(row)
        self.session.flush()
        job_id = row.id
        after_commit(self.session, lambda: self.dispatcher.notify(job_id))
        return row
