"""The embedded job runner: jobs are rows, sent only after commit, retried, and resumed after a restart."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import select

from storefront.db import commit, rollback, utcnow
from storefront.events import AuditEvent, record_event
from storefront.jobs.inline import InlineDispatcher
from storefront.jobs.interfaces import JobQueue, JobSpec, PermanentJobError
from storefront.jobs.models import Job, JobStatus
from storefront.jobs.runner import ClaimResult, JobExecutor
from tests.helpers import ManualClock, fresh, wait_until

RECORD = JobSpec("test.record")
RESUME = JobSpec("test.resume")
SLOW = JobSpec("test.slow")
DELIVER = JobSpec("test.deliver")
UNREGISTERED = JobSpec("no.such.job")


@pytest.fixture
def ran(platform):
    """A registry entry that records what it ran, and can be told to fail."""
    calls: list[dict] = []
    failures: dict[str, int] = {"left": 0}

    def handler(context, payload):
        calls.append({"payload": payload, "attempt": context.attempt})
        if payload.get("permanent"):
            raise PermanentJobError("this cannot work")
        if failures["left"] > 0:
            failures["left"] -= 1
            raise RuntimeError("transient trouble")

    platform.registry.add(RECORD, handler)
    return calls, failures


def _manual(platform) -> InlineDispatcher:
    return InlineDispatcher(platform.executor, mode="manual")


def test_a_job_runs_only_after_its_transaction_commits(platform, ran):
    calls, _ = ran
    dispatcher = _manual(platform)
    with platform.database.session(write=True) as session:
        JobQueue(session, dispatcher).enqueue(RECORD, {"n": 1})
        assert dispatcher.drain() == 0  # not committed: invisible to the runner
        rollback(session)
    assert dispatcher.drain() == 0 and calls == []

    eager = InlineDispatcher(platform.executor, mode="eager")
    with platform.database.session(write=True) as session:
        JobQueue(session, eager).enqueue(RECORD, {"n": 2})
        assert calls == []
        commit(session)
    assert calls == [{"payload": {"n": 2}, "attempt": 1}]


def test_dedupe_key_makes_one_job(platform, db, ran):
    dispatcher = _manual(platform)
    with platform.database.transaction() as session:
        queue = JobQueue(session, dispatcher)
        first = queue.enqueue(RECORD, {"n": 1}, dedupe_key="same")
        second = queue.enqueue(RECORD, {"n": 1}, dedupe_key="same")
        assert first.id == second.id
    assert len(fresh(db).scalars(select(Job)).all()) == 1


def test_failures_are_retried_with_backoff_then_given_up(platform, db, ran):
    calls, failures = ran
    failures["left"] = 10
    platform.executor.backoff_base = 0.0  # retry at once, to keep the test short
    dispatcher = _manual(platform)
    with platform.database.transaction() as session:
        job = JobQueue(session, dispatcher).enqueue(RECORD, {}, max_attempts=3)
    dispatcher.drain()
    stored = fresh(db).get(Job, job.id)
    assert stored.status == JobStatus.FAILED and stored.attempts == 3
    assert "transient trouble" in stored.last_error
    assert [c["attempt"] for c in calls] == [1, 2, 3]

    # The artist's retry button puts it back; this time it works.
    failures["left"] = 0
    assert platform.executor.retry(job.id)
    dispatcher.drain()
    assert fresh(db).get(Job, job.id).status == JobStatus.DONE


def test_backoff_delays_the_next_attempt(platform, db, ran):
    _, failures = ran
    failures["left"] = 1
    dispatcher = _manual(platform)
    with platform.database.transaction() as session:
        job = JobQueue(session, dispatcher).enqueue(RECORD, {})
    assert dispatcher.drain() == 1
    stored = fresh(db).get(Job, job.id)
    assert stored.status == JobStatus.QUEUED and stored.run_after > utcnow()
    assert dispatcher.drain() == 0  # not due yet


def test_permanent_errors_and_unknown_jobs_fail_at_once(platform, db, ran):
    dispatcher = _manual(platform)
    with platform.database.transaction() as session:
        queue = JobQueue(session, dispatcher)
        hopeless = queue.enqueue(RECORD, {"permanent": True})
        unknown = queue.enqueue(UNREGISTERED, {})
    dispatcher.drain()
    fresh(db)
    assert db.get(Job, hopeless.id).status == JobStatus.FAILED and db.get(Job, hopeless.id).attempts == 1
    assert "no handler" in db.get(Job, unknown.id).last_error


def test_a_job_left_running_by_a_dead_process_is_resumed(platform, db):
    calls: list[dict] = []
    ran = threading.Event()

    def handler(context, payload):
        calls.append({"payload": payload, "attempt": context.attempt})
        ran.set()

    platform.registry.add(RESUME, handler)
    with platform.database.transaction() as session:
        # What a crash mid-job leaves behind: running, with a lease that nobody renews.
        session.add(
            Job(
                name=RESUME.name,
                payload={"n": 7},
                status=JobStatus.RUNNING,
                attempts=1,
                locked_by="dead-host:1:1",
                locked_until=utcnow() - timedelta(seconds=1),
            )
        )
    # A new process starts with a new runner, which finds the job on its own.
    fresh_runner = InlineDispatcher(platform.executor, mode="thread", poll_seconds=0.05)
    fresh_runner.start()
    try:
        assert ran.wait(120), "the new runner never took the job up"
    finally:
        fresh_runner.stop()  # lets the job it runs finish first
    assert calls == [{"payload": {"n": 7}, "attempt": 2}]
    # The runner also enqueues the periodic jobs when it starts; this test is about the one it resumed.
    assert fresh(db).scalar(select(Job).where(Job.name == RESUME.name)).status == JobStatus.DONE


def test_a_live_lease_keeps_other_workers_out(platform, db):
    started, release = threading.Event(), threading.Event()

    def slow(context, payload):
        started.set()
        release.wait(120)

    platform.registry.add(SLOW, slow)
    with platform.database.transaction() as session:
        job = JobQueue(session, _manual(platform)).enqueue(SLOW, {})
    clock = ManualClock()
    lease = timedelta(seconds=60)
    executor = JobExecutor(
        platform.database, platform.registry, platform, lease=lease, clock=clock, heartbeat_seconds=0.01
    )
    worker = threading.Thread(target=executor.run, args=(job.id, "worker-a"))
    worker.start()
    try:
        assert started.wait(120)
        clock.advance(2 * lease)  # far past the lease as claimed: only the heartbeat keeps it
        renewed = clock.now + lease / 2

        def lease_renewed() -> bool:
            return fresh(db).get(Job, job.id).locked_until >= renewed

        wait_until(lease_renewed, what="the heartbeat to renew the lease")
        assert executor.run(job.id, "worker-b") == ClaimResult.BUSY
    finally:
        release.set()
        worker.join()
    assert fresh(db).get(Job, job.id).status == JobStatus.DONE
    assert executor.run(job.id, "worker-b") == ClaimResult.FINISHED


@pytest.mark.parametrize("late", ["records", "returns", "fails"])
def test_a_worker_that_lost_its_lease_cannot_finish_the_job_again(platform, db, late):
    """Worker A stalls past its lease (a long pause, a partition that stopped its heartbeat); worker B takes
    the job over and finishes it. Whatever A does when it wakes up, B's outcome stands."""
    with platform.database.transaction() as session:
        job = JobQueue(session, _manual(platform)).enqueue(DELIVER, {})
    clock = ManualClock()  # from now on, the time as the workers see it
    lease = timedelta(seconds=60)

    def executor() -> JobExecutor:
        # A heartbeat that never beats within the test: A's lease runs out on the clock alone.
        return JobExecutor(
            platform.database, platform.registry, platform, lease=lease, clock=clock, heartbeat_seconds=3600
        )

    worker_a, worker_b = executor(), executor()
    outcomes: dict[str, str] = {}

    def deliver(context, payload):
        if context.owner == "worker-a":
            clock.advance(lease + timedelta(seconds=1))
            outcomes["b"] = worker_b.run(context.job_id, "worker-b")
            if late == "returns":
                return
            if late == "fails":
                raise RuntimeError("woke up to a closed connection")
        with context.transaction() as session:
            record_event(
                session,
                "job:delivered",
                subject_type="job",
                subject_id=context.job_id,
                actor_id=None,
                data={"by": context.owner},
            )

    platform.registry.add(DELIVER, deliver)
    outcomes["a"] = worker_a.run(job.id, "worker-a")

    assert outcomes == {"a": ClaimResult.LOST, "b": ClaimResult.CLAIMED}
    stored = fresh(db).get(Job, job.id)
    assert (stored.status, stored.locked_by, stored.attempts) == (JobStatus.DONE, "worker-b", 2)
    assert stored.finished_at == clock.now.replace(tzinfo=stored.finished_at.tzinfo)
    assert stored.last_error is None
    delivered = db.scalars(select(AuditEvent).where(AuditEvent.tag == "job:delivered")).all()
    assert [event.data["by"] for event in delivered] == ["worker-b"]
    assert worker_a.run(job.id, "worker-a") == ClaimResult.FINISHED


def test_mail_is_delivered_by_job_after_commit(web, app, db):
    from storefront.mail.models import MessageStatus, OutboundMessage

    web.submit(
        "/signup", {"display_name": "Mo", "email": "mo@example.com", "password": "quiet-river-stones-7"}
    )
    message = fresh(db).scalar(select(OutboundMessage).where(OutboundMessage.to_address == "mo@example.com"))
    assert message.status == MessageStatus.KEPT and message.delivered_at is not None
    job = db.scalar(select(Job).where(Job.name == "mail.deliver"))
    assert job.status == JobStatus.DONE and job.payload == {"message_id": message.id}


def test_failed_sign_up_sends_no_mail(web, db):
    from storefront.mail.models import OutboundMessage

    web.submit("/signup", {"display_name": "", "email": "no@example.com", "password": "quiet-river-stones-7"})
    assert fresh(db).scalars(select(OutboundMessage)).all() == []
    assert db.scalars(select(Job)).all() == []


def test_a_job_that_kills_its_worker_every_time_ends_failed(platform, db, ran):
    calls, _ = ran
    with platform.database.transaction() as session:
        session.add(
            Job(
                name=RECORD.name,
                payload={},
                status=JobStatus.RUNNING,
                attempts=5,
                max_attempts=5,
                locked_by="dead-host:1:1",
                locked_until=utcnow() - timedelta(seconds=1),
            )
        )
    assert _manual(platform).drain() == 1
    job = fresh(db).scalar(select(Job))
    assert job.status == JobStatus.FAILED and "on every attempt" in job.last_error
    assert calls == []


def test_jobs_are_enqueued_by_their_declaration_never_by_name(platform):
    with platform.database.session(write=True) as session:
        with pytest.raises(TypeError, match="declared JobSpec"):
            JobQueue(session, _manual(platform)).enqueue("test.record", {})  # type: ignore[arg-type]
        rollback(session)
    impostor = JobSpec(RECORD.name)  # a second declaration of a name already taken
    platform.registry.add(RECORD, lambda context, payload: None)
    with pytest.raises(ValueError, match="registered twice"):
        platform.registry.add(impostor, lambda context, payload: None)
