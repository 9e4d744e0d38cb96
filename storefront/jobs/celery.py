"""The production job backend: Celery over Redis carries job ids; the job's database row stays the truth."""

from __future__ import annotations

import contextlib
import logging
import os
import socket
import threading
from collections.abc import Callable
from datetime import timedelta
from typing import TYPE_CHECKING, Any, Protocol

from celery import Celery, signals
from sqlalchemy import or_, select

from .interfaces import JobDispatcher, JobHealth
from .models import Job, JobStatus
from .runner import ClaimResult, JobExecutor
from .schedule import Ticker

if TYPE_CHECKING:
    from flask import Flask

log = logging.getLogger(__name__)

RUN_JOB = "storefront.run_job"
REQUEUE_DUE = "storefront.requeue_due"
QUEUE = "storefront.jobs"
# A redelivery aims a little past the moment its claim can succeed, so it does not arrive just too early.
MARGIN_SECONDS = 1.0
# After an error around a job (the database unreachable, say), not in it: how long before the next delivery.
TROUBLE_SECONDS = 10.0

AppContext = Callable[[], contextlib.AbstractContextManager[Any]]


class CeleryDispatcher:
    """Publishes a job's id once its row is committed; workers claim the row, so a duplicate delivery is
    harmless and a lost one is found again by the sweep of due jobs that every worker runs."""

    backend_name = "celery"

    def __init__(
        self,
        queue_url: str,
        executor: JobExecutor,
        *,
        visibility_timeout: float = 900.0,
        sweep_seconds: float = 30.0,
        sweep_grace_seconds: float = 60.0,
        sweep_limit: int = 100,
    ) -> None:
        self.queue_url = queue_url
        self.executor = executor
        self.visibility_timeout = visibility_timeout
        self.sweep_seconds = sweep_seconds
        self.sweep_grace_seconds = sweep_grace_seconds
        self.sweep_limit = sweep_limit
        self.app_context: AppContext = contextlib.nullcontext
        self.celery = self._build_app()
        # Plain functions (Celery makes them task classes) registered on this app only, not shared with
        # other Celery apps of the process.
        options = {"shared": False, "lazy": False, "ignore_result": True}

        def run_job(task: Any, job_id: int) -> str:
            return self._run_job(task, job_id)

        def requeue_due() -> int:
            return self.requeue_due()

        self.run_job: Any = self.celery.task(name=RUN_JOB, bind=True, max_retries=None, **options)(run_job)
        self.requeue_task: Any = self.celery.task(name=REQUEUE_DUE, **options)(requeue_due)

    def _build_app(self) -> Any:
        app = Celery("storefront", broker=self.queue_url, set_as_current=False)
        app.conf.update(
            task_default_queue=QUEUE,
            task_serializer="json",
            accept_content=["json"],
            task_ignore_result=True,
            # The message is acknowledged only after the job ran: a worker that dies mid-job leaves it to be
            # delivered again, and the job row's lease decides when another worker may take it over.
            task_acks_late=True,
            task_reject_on_worker_lost=True,
            worker_prefetch_multiplier=1,
            # Finishing a job whose acknowledgement cannot be sent is better than killing it: the row
            # records it as done and the copy delivered later finds nothing left to do.
            worker_cancel_long_running_tasks_on_connection_loss=False,
            broker_connection_retry_on_startup=True,
            broker_connection_timeout=5,
            # A web request publishes after its commit; a broker that is down must not hold it for long.
            task_publish_retry_policy={
                "max_retries": 2,
                "interval_start": 0,
                "interval_step": 0.5,
                "interval_max": 1,
            },
            broker_transport_options={
                # Redis hands an unacknowledged message to another worker after this long, so it bounds
                # how late a message lost with a killed worker comes back. It must outlast the delays the
                # tasks schedule themselves (capped below at half of it), or those arrive twice.
                "visibility_timeout": self.visibility_timeout,
                "unacked_restore_interval": max(1, min(10, int(self.visibility_timeout / 4))),
                "unacked_restore_throttle": 1,
                "socket_connect_timeout": 5,
                "socket_timeout": 15,
            },
        )
        return app

    # -- the web process ---------------------------------------------------------------------------------
    def notify(self, job_id: int) -> None:
        self.run_job.apply_async(args=[job_id])

    def start(self) -> None:
        """Nothing to start in the web process: publishing connects on first use."""

    def stop(self) -> None:
        """Nothing to stop: the publishing connections sit in kombu's pools, which every Celery app of the
        process shares for the same broker, so they are not this dispatcher's to close."""

    def check(self) -> JobHealth:
        quick = {"socket_connect_timeout": 2, "socket_timeout": 2}
        try:
            with self.celery.connection_for_write(transport_options=quick) as conn:
                conn.ensure_connection(max_retries=1, interval_start=0, interval_step=0.2, timeout=3)
                waiting = self._waiting(conn)
                address = conn.as_uri()
        except Exception as exc:
            return JobHealth(False, self.backend_name, f"broker unreachable: {exc.__class__.__name__}")
        return JobHealth(True, self.backend_name, f"{address}, {waiting} waiting")

    @staticmethod
    def _waiting(conn: Any) -> int:
        count: int = conn.default_channel.queue_declare(queue=QUEUE).message_count
        return count

    # -- the worker process ------------------------------------------------------------------------------
    def _run_job(self, task: Any, job_id: int) -> str:
        with self.app_context():
            try:
                outcome = self.executor.run(job_id)
            except Exception as exc:
                log.warning("could not run job %s; delivering it again later", job_id, exc_info=True)
                raise task.retry(exc=exc, countdown=TROUBLE_SECONDS) from exc
            if outcome in (ClaimResult.BUSY, ClaimResult.NOT_DUE):
                # BUSY is also what a worker killed mid-job leaves behind: its lease runs out, since nobody
                # renews it, and this delivery then takes the job over.
                raise task.retry(countdown=self._delay(job_id))
            if outcome == ClaimResult.CLAIMED and self._status(job_id) == JobStatus.QUEUED:
                # The job failed and was put back with a backoff: this message is done, so send the next.
                self.run_job.apply_async(args=[job_id], countdown=self._delay(job_id))
            return outcome

    def _delay(self, job_id: int) -> float:
        wait = self.executor.seconds_until_claimable(job_id) + MARGIN_SECONDS
        # Redis gives a delayed message to a worker at once, to hold unacknowledged until due; held past
        # the visibility timeout it would be delivered twice. Longer waits are taken in several steps.
        return min(wait, self.visibility_timeout / 2)

    def _status(self, job_id: int) -> JobStatus | None:
        with self.executor.database.session() as session:
            return session.scalar(select(Job.status).where(Job.id == job_id))

    def requeue_due(self) -> int:
        """Publish jobs that have been due for longer than the grace period: their message was lost (the
        broker was down at commit time) or died with a worker. A copy too many only loses its claim."""
        before = self.executor.clock() - timedelta(seconds=self.sweep_grace_seconds)
        with self.executor.database.session() as session:
            due = session.scalars(
                select(Job.id)
                .where(
                    Job.run_after <= before,
                    or_(
                        Job.status == JobStatus.QUEUED,
                        (Job.status == JobStatus.RUNNING) & (Job.locked_until < before),
                    ),
                )
                .order_by(Job.run_after, Job.id)
                .limit(self.sweep_limit)
            ).all()
        for job_id in due:
            self.notify(job_id)
        if due:
            log.info("requeued %d due job(s) that had no delivery", len(due))
        return len(due)

    def _sweep_loop(self, stop: threading.Event) -> None:
        ticker = Ticker(self.executor, self)
        while not stop.wait(self.sweep_seconds):
            ticker.safe_tick()
            try:
                with self.celery.connection_for_write() as conn:
                    # Only an empty queue says every job with a message has been taken: while messages
                    # wait, a sweep would mostly add copies of them. Each worker sweeps, so a lost job
                    # may be published once per worker; all but one of those copies lose the claim.
                    if self._waiting(conn) == 0:
                        self.requeue_task.apply_async(connection=conn)
            except Exception:
                log.warning("could not schedule the sweep of due jobs", exc_info=True)

    def serve(self, app: Flask, *, concurrency: int) -> int:
        """Run a Celery worker in this process until it is stopped; returns its exit code."""
        self.app_context = app.app_context
        engine = self.executor.database.engine

        def _in_child(**_: Any) -> None:
            # Database connections opened before the fork belong to the parent: a child opens its own.
            engine.dispose(close=False)

        stop = threading.Event()
        sweeper = threading.Thread(
            target=self._sweep_loop, args=(stop,), name="storefront-sweep", daemon=True
        )

        def _on_ready(**_: Any) -> None:
            # Started once the pool has forked its children, so they do not inherit a running thread.
            sweeper.start()

        signals.worker_process_init.connect(_in_child, weak=False)
        signals.worker_ready.connect(_on_ready, weak=False)
        # Prefork: each job runs in a child process, so CPU-bound audio work runs in parallel, a crashing
        # or leaking handler takes down only its child, and the lost child's message goes back to the queue.
        worker = self.celery.Worker(
            pool="prefork",
            concurrency=concurrency,
            queues=[QUEUE],
            hostname=f"storefront-{os.getpid()}@{socket.gethostname()}",
            loglevel="INFO",
            without_mingle=True,
            without_gossip=True,
        )
        try:
            worker.start()
        finally:
            stop.set()
            signals.worker_process_init.disconnect(_in_child)
            signals.worker_ready.disconnect(_on_ready)
        code: int = worker.exitcode or 0
        return code


class QueueSettings(Protocol):
    @property
    def queue_url(self) -> str: ...


class WorkerParts(Protocol):
    """What a worker needs of the application's parts: the dispatcher in use, the executor, the broker."""

    @property
    def jobs(self) -> JobDispatcher: ...

    @property
    def executor(self) -> JobExecutor: ...

    @property
    def settings(self) -> QueueSettings: ...


def run_worker(platform: WorkerParts, app: Flask, *, concurrency: int) -> None:
    """`flask worker` with STOREFRONT_QUEUE_URL set: consume jobs until SIGTERM (a warm shutdown)."""
    dispatcher = platform.jobs
    if not isinstance(dispatcher, CeleryDispatcher):
        dispatcher = CeleryDispatcher(platform.settings.queue_url, platform.executor)
    code = dispatcher.serve(app, concurrency=concurrency)
    if code:
        raise SystemExit(code)
