"""The jobs contract: handlers by name, enqueueing inside a transaction, and the dispatchers that run them."""

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
    """Handlers by job name. Handlers must be safe to run twice: a worker can die after doing the work."""

    def __init__(self) -> None:
        self._handlers: dict[str, Handler] = {}

    def register(self, name: str) -> Callable[[Handler], Handler]:
        def decorator(handler: Handler) -> Handler:
            if name in self._handlers and self._handlers[name] is not handler:
                raise ValueError(f"job {name!r} is registered twice")
            self._handlers[name] = handler
            return handler

        return decorator

    def add(self, name: str, handler: Handler) -> None:
        self.register(name)(handler)

    def get(self, name: str) -> Handler:
        try:
            return self._handlers[name]
        except KeyError:
            raise PermanentJobError(f"no handler for job {name!r}") from None

    def names(self) -> list[str]:
        return sorted(self._handlers)


class JobQueue:
    """Adds jobs to the caller's transaction; the dispatcher hears of them only once it commits."""

    def __init__(self, session: Session, dispatcher: JobDispatcher) -> None:
        self.session = session
        self.dispatcher = dispatcher

    def enqueue(
        self,
        name: str,
        payload: dict[str, Any] | None = None,
        *,
        dedupe_key: str | None = None,
        delay: timedelta | None = None,
        max_attempts: int = 5,
    ) -> Job:
        if dedupe_key is not None:
            existing = self.session.scalar(select(Job).where(Job.dedupe_key == dedupe_key))
            if existing is not None:
                return existing
        job = Job(
            name=name,
            payload=payload or {},
            dedupe_key=dedupe_key,
            run_after=utcnow() + (delay or timedelta(0)),
            max_attempts=max_attempts,
        )
        self.session.add(job)
        self.session.flush()
        job_id = job.id
        after_commit(self.session, lambda: self.dispatcher.notify(job_id))
        return job
