"""Periodic jobs: each worker's ticker enqueues a periodic job once per interval, however many workers tick
and however often; the next interval gets a new one; the release-day pass is scheduled by the app."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from storefront.jobs.inline import InlineDispatcher
from storefront.jobs.interfaces import JobRegistry, JobSpec
from storefront.jobs.models import Job
from storefront.jobs.runner import JobExecutor
from storefront.jobs.schedule import Ticker
from storefront.orders.preorders import RELEASE_DAY_JOB
from tests.helpers import ManualClock, fresh, wait_until

TIDY = JobSpec("test.tidy")


@pytest.fixture
def parts(platform):
    registry = JobRegistry()
    registry.add(TIDY, lambda context, payload: None)
    registry.every(TIDY, timedelta(hours=1))
    clock = ManualClock()
    executor = JobExecutor(platform.database, registry, services=platform, clock=clock)
    return executor, InlineDispatcher(executor, mode="manual"), clock


def _tidy_jobs(db) -> list[Job]:
    return list(fresh(db).scalars(select(Job).where(Job.name == TIDY.name)))


def test_two_workers_ticking_enqueue_one_job_per_interval(db, parts):
    executor, dispatcher, clock = parts
    first = Ticker(executor, dispatcher, check_every=timedelta(0))
    second = Ticker(executor, dispatcher, check_every=timedelta(0))
    assert first.tick() + second.tick() + first.tick() == 1
    assert len(_tidy_jobs(db)) == 1

    clock.advance(timedelta(hours=1))
    assert second.tick() == 1 and first.tick() == 0
    assert len(_tidy_jobs(db)) == 2


def test_a_ticker_checks_again_only_after_its_pause(db, parts):
    executor, dispatcher, clock = parts
    ticker = Ticker(executor, dispatcher, check_every=timedelta(hours=2))
    assert ticker.tick() == 1
    clock.advance(timedelta(hours=1))
    assert ticker.tick() == 0  # the next interval has come, but the ticker pauses between checks
    clock.advance(timedelta(hours=1))
    assert ticker.tick() == 1


def test_the_embedded_runner_enqueues_and_runs_periodic_jobs(db, platform):
    ran: list[int] = []
    registry = JobRegistry()
    registry.add(TIDY, lambda context, payload: ran.append(context.job_id))
    registry.every(TIDY, timedelta(hours=1))
    executor = JobExecutor(platform.database, registry, services=platform)
    runner = InlineDispatcher(executor, mode="thread", poll_seconds=0.05)
    runner.start()
    try:
        wait_until(lambda: ran, what="the periodic job to run")
    finally:
        runner.stop()
    [job] = _tidy_jobs(db)
    assert job.dedupe_key is not None and job.dedupe_key.startswith("every:test.tidy:")


def test_a_job_is_scheduled_only_once_registered_and_at_most_once_a_minute():
    registry = JobRegistry()
    with pytest.raises(ValueError, match="before it is registered"):
        registry.every(TIDY, timedelta(hours=1))
    registry.add(TIDY, lambda context, payload: None)
    with pytest.raises(ValueError, match="once a minute"):
        registry.every(TIDY, timedelta(seconds=10))


def test_the_app_runs_the_release_day_pass_every_hour(platform):
    assert (RELEASE_DAY_JOB, timedelta(hours=1)) in platform.registry.periodic()
