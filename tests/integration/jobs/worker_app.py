"""The application a test's Celery worker runs: the real one, plus test jobs and short timings from TEST_*."""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

from flask import Flask
from sqlalchemy import delete

from storefront import create_app as create_storefront_app
from storefront.config import Settings
from storefront.container import Platform
from storefront.events import AuditEvent, record_event
from storefront.jobs.celery import CeleryDispatcher
from storefront.jobs.interfaces import JobSpec
from storefront.jobs.runner import JobContext

OUTPUT_TAG = "test_job:output"
SLOW_WRITE = JobSpec("test.slow_write")
ALWAYS_FAILS = JobSpec("test.always_fails")


def _seconds(name: str, default: float) -> float:
    return float(os.environ.get(name, default))


def _note(path: Path, line: str) -> None:
    # One short append per line: lines from processes writing at the same time do not interleave.
    with path.open("a") as file:
        file.write(line + "\n")


def slow_write(context: JobContext, payload: dict[str, Any]) -> None:
    """Takes `seconds`, then writes its outputs under keys of its own: a second run replaces, never adds."""
    out = Path(os.environ["TEST_WORKER_OUTPUT"])
    runs = out / f"{context.job_id}.runs"
    _note(runs, f"start {context.attempt} {os.getpid()} {time.time()}")
    time.sleep(float(payload.get("seconds", 0)))
    final = out / f"{context.job_id}.out"
    partial = final.with_suffix(f".{os.getpid()}.part")
    partial.write_text(f"job {context.job_id}: complete\n")
    os.replace(partial, final)
    with context.database.transaction() as session:
        session.execute(
            delete(AuditEvent).where(
                AuditEvent.subject_type == "test_job", AuditEvent.subject_id == context.job_id
            )
        )
        record_event(
            session,
            OUTPUT_TAG,
            subject_type="test_job",
            subject_id=context.job_id,
            actor_id=None,
            data={"attempt": context.attempt},
        )
    _note(runs, f"finish {context.attempt} {os.getpid()} {time.time()}")


def always_fails(context: JobContext, payload: dict[str, Any]) -> None:
    out = Path(os.environ["TEST_WORKER_OUTPUT"])
    _note(out / f"{context.job_id}.runs", f"start {context.attempt} {os.getpid()} {time.time()}")
    raise RuntimeError("the test job fails every time")


def create_app() -> Flask:
    """Found by `flask --app tests.integration.jobs.worker_app`; importing the module builds nothing."""
    settings = Settings.from_env()  # STOREFRONT_JOB_LEASE_SECONDS sets the lease, as in production
    app = create_storefront_app(settings)
    platform: Platform = app.extensions["storefront"]
    platform.executor.backoff_base = _seconds("TEST_WORKER_BACKOFF", 5)
    platform.jobs = CeleryDispatcher(
        settings.queue_url,
        platform.executor,
        visibility_timeout=_seconds("TEST_WORKER_VISIBILITY", 900),
        sweep_seconds=_seconds("TEST_WORKER_SWEEP", 30),
        sweep_grace_seconds=_seconds("TEST_WORKER_SWEEP_GRACE", 60),
    )
    platform.registry.add(SLOW_WRITE, slow_write)
    platform.registry.add(ALWAYS_FAILS, always_fails)
    return app
