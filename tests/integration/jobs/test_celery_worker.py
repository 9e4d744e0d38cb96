"""The Celery job backend against a real Redis and real worker processes: delivery after commit, a worker
killed mid-job, retries with backoff, lost notifications and the health check."""

from __future__ import annotations

import os
import signal
import socket
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import select

from storefront.db import rollback
from storefront.events import AuditEvent
from storefront.jobs.celery import QUEUE, CeleryDispatcher
from storefront.jobs.inline import InlineDispatcher
from storefront.jobs.interfaces import JobQueue, JobSpec
from storefront.jobs.models import Job, JobStatus
from storefront.mail.models import MessageStatus, OutboundMessage
from storefront.mail.services import MailService
from tests.helpers import call_with_bound, fresh, wait_until
from tests.integration.jobs.worker_app import ALWAYS_FAILS, OUTPUT_TAG, SLOW_WRITE

# Short timings so that a worker's death is noticed within seconds, not the production minutes.
LEASE = 3.0
# How long to wait for a state before calling it a hang: generous, since a loaded machine is slow, and
# never a statement about speed.
BOUND = 180.0


def _runs(job_output: Path, job_id: int) -> list[tuple[str, int, int, float]]:
    """The handler's own record of its runs: (start|finish, attempt, pid, time)."""
    path = job_output / f"{job_id}.runs"
    if not path.exists():
        return []
    rows = [line.split() for line in path.read_text().splitlines()]
    return [(kind, int(attempt), int(pid), float(at)) for kind, attempt, pid, at in rows]


def wait_for(db, job_id: int, condition: Callable[[Job], bool], *workers, bound: float = BOUND) -> Job:
    """Poll the job row until `condition` holds; past the bound, fail with the row and the workers' logs."""
    deadline = time.monotonic() + bound
    while True:
        job = fresh(db).get(Job, job_id)
        if condition(job):
            return job
        if time.monotonic() > deadline:
            logs = "\n".join(f"--- {w.log_path.name}\n{w.output()}" for w in workers)
            raise AssertionError(
                f"job {job_id} still {job.status} (attempts {job.attempts}, error {job.last_error!r})\n{logs}"
            )
        time.sleep(0.1)


def _enqueue(platform, dispatcher, job: JobSpec, payload: dict, **options) -> int:
    with platform.database.transaction() as session:
        job = JobQueue(session, dispatcher).enqueue(job, payload, **options)
    return job.id


def test_a_job_is_published_only_after_its_transaction_commits(platform, dispatcher, broker):
    with platform.database.session(write=True) as session:
        JobQueue(session, dispatcher).enqueue(SLOW_WRITE, {})
        rollback(session)
    assert broker.client.llen(QUEUE) == 0
    _enqueue(platform, dispatcher, SLOW_WRITE, {})
    assert broker.client.llen(QUEUE) == 1


@pytest.mark.slow
def test_the_worker_delivers_mail_queued_by_the_web_process(app, platform, db, dispatcher, start_worker):
    with app.app_context(), platform.database.transaction() as session:
        message = MailService(session, JobQueue(session, dispatcher), lambda name, ctx: "body").send(
            "test", "w@example.com", "Hi", "x"
        )
    worker = start_worker(app="app", concurrency=2)
    job_id = db.scalar(select(Job.id).where(Job.name == "mail.deliver"))
    job = wait_for(db, job_id, lambda j: j.status == JobStatus.DONE, worker)
    assert job.attempts == 1
    assert fresh(db).get(OutboundMessage, message.id).status == MessageStatus.KEPT
    assert worker.stop() == 0, worker.output()
    assert "storefront.run_job" in worker.output()


@pytest.mark.slow
@pytest.mark.parametrize(
    ("redelivery", "timings"),
    [
        # Redis gives the unacknowledged message of the dead worker back once its visibility timeout ends.
        ("broker", {"visibility": 4, "sweep": 3600, "sweep_grace": 1}),
        # The sweep finds the job row running under a lease nobody renews, and publishes it again.
        ("sweep", {"visibility": 3600, "sweep": 1, "sweep_grace": 1}),
    ],
)
def test_a_job_whose_worker_is_killed_is_finished_once_by_another(
    platform, db, dispatcher, start_worker, job_output, broker, redelivery, timings
):
    timings = {"lease": LEASE, **timings}
    job_id = _enqueue(platform, dispatcher, SLOW_WRITE, {"seconds": 4})
    first = start_worker(**timings)
    wait_for(db, job_id, lambda j: j.status == JobStatus.RUNNING, first)
    wait_until(lambda: _runs(job_output, job_id), what="the handler to begin its work")
    first.kill()
    killed_at = time.time()
    lost_with_the_worker = broker.held()
    assert fresh(db).get(Job, job_id).status == JobStatus.RUNNING  # what a dead worker leaves behind

    second = start_worker(**timings)
    job = wait_for(db, job_id, lambda j: j.status == JobStatus.DONE, first, second)
    # Copies of the message (the broker's redelivery, the delays the busy claims scheduled) still come in
    # and find the job done. Stop once they are all taken: a warm shutdown that began just as the pool
    # was handed one such copy once failed to end within 30 s, a shutdown race this test is not about.
    wait_until(
        lambda: broker.idle(besides=lost_with_the_worker),
        what="every copy of the job's message to be taken and acknowledged",
    )
    assert second.stop() == 0, second.output()

    runs = _runs(job_output, job_id)
    starts = [run for run in runs if run[0] == "start"]
    finishes = [run for run in runs if run[0] == "finish"]
    assert [run[1] for run in starts] == [1, 2] and starts[0][2] != starts[1][2]
    assert [run[1:3] for run in finishes] == [starts[1][1:3]]  # only the second run got to the end
    assert job.attempts == 2
    outputs = fresh(db).scalars(select(AuditEvent).where(AuditEvent.tag == OUTPUT_TAG)).all()
    assert [(event.subject_id, event.data) for event in outputs] == [(job_id, {"attempt": 2})]
    assert (job_output / f"{job_id}.out").read_text() == f"job {job_id}: complete\n"
    assert not list(job_output.glob("*.part"))
    redelivered_after = starts[1][3] - killed_at
    # Reported, not asserted: how soon depends on the timings above and on how loaded the machine is.
    print(f"\n{redelivery}: the killed job started again {redelivered_after:.1f} s after SIGKILL")


@pytest.mark.slow
def test_a_pool_child_killed_mid_job_gives_its_message_back(
    platform, db, dispatcher, start_worker, job_output
):
    # The parent survives and sees its child die: the message is rejected back to the queue at once
    # (reject_on_worker_lost), and waits out the dead child's lease before it can claim the job.
    worker = start_worker(lease=LEASE, visibility=3600, sweep=3600, concurrency=2)
    job_id = _enqueue(platform, dispatcher, SLOW_WRITE, {"seconds": 3})

    def begun() -> bool:
        assert worker.alive(), worker.output()
        return bool(_runs(job_output, job_id))

    wait_until(begun, what="the handler to begin its work")
    os.kill(_runs(job_output, job_id)[0][2], signal.SIGKILL)
    job = wait_for(db, job_id, lambda j: j.status == JobStatus.DONE, worker)
    assert job.attempts == 2 and worker.alive()
    assert [run[:2] for run in _runs(job_output, job_id)] == [("start", 1), ("start", 2), ("finish", 2)]
    assert worker.stop() == 0, worker.output()


@pytest.mark.slow
def test_a_failing_job_is_retried_with_backoff_then_fails(platform, db, dispatcher, start_worker, job_output):
    worker = start_worker(lease=LEASE, backoff=0.5, sweep=3600)
    job_id = _enqueue(platform, dispatcher, ALWAYS_FAILS, {}, max_attempts=3)
    job = wait_for(db, job_id, lambda j: j.status == JobStatus.FAILED, worker)
    assert job.attempts == 3 and "the test job fails every time" in job.last_error
    times = [run[3] for run in _runs(job_output, job_id)]
    assert len(times) == 3
    # backoff_base * 2 ** (attempt - 1): half a second after the first failure, a second after the next.
    assert times[1] - times[0] >= 0.5 and times[2] - times[1] >= 1.0
    assert worker.stop() == 0, worker.output()


@pytest.mark.slow
def test_a_job_whose_notification_was_lost_is_found_by_the_sweep(platform, db, start_worker, broker):
    # A commit while the broker was down: the row exists, no message does.
    job_id = _enqueue(platform, InlineDispatcher(platform.executor, mode="manual"), SLOW_WRITE, {})
    assert broker.client.llen(QUEUE) == 0
    worker = start_worker(sweep=1, sweep_grace=1)
    job = wait_for(db, job_id, lambda j: j.status == JobStatus.DONE, worker)
    assert job.attempts == 1
    assert worker.stop() == 0, worker.output()


def test_check_reports_the_broker(platform, dispatcher):
    health = dispatcher.check()
    assert health.ok and health.backend == "celery" and "0 waiting" in health.detail

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        closed_port = sock.getsockname()[1]
    unreachable = CeleryDispatcher(f"redis://127.0.0.1:{closed_port}/0", platform.executor)
    # It must give up by itself (its own connection timeouts), not hang the health page.
    health = call_with_bound(unreachable.check, what="the health check of an unreachable broker")
    assert not health.ok and "unreachable" in health.detail
