"""Fixtures for the Celery tests: a Redis database of this run's own, and real worker processes."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import redis

from storefront.config import Settings
from storefront.container import Platform
from storefront.jobs.celery import QUEUE, CeleryDispatcher

ROOT = Path(__file__).resolve().parents[3]
REDIS_URL = os.environ.get("STOREFRONT_TEST_REDIS_URL", "redis://127.0.0.1:6379").rstrip("/")
# Marks a Redis database as taken by one test run, so runs sharing the server never flush each other's.
CLAIM_KEY = "velvet-test-run"


@dataclass(frozen=True)
class Broker:
    url: str
    client: redis.Redis

    def held(self) -> frozenset[bytes]:
        """The delivery tags of messages handed to a worker and not yet acknowledged: kombu keeps them in the
        `unacked` hash until they are acknowledged or, after the visibility timeout, given back."""
        return frozenset(self.client.hkeys("unacked"))

    def idle(self, *, besides: frozenset[bytes] = frozenset()) -> bool:
        """No message waits in the queue and none is held unacknowledged, except those `besides` (a killed
        worker's, which stay held until the visibility timeout gives them back)."""
        return self.client.llen(QUEUE) == 0 and self.held() <= besides

    def clear(self) -> None:
        for key in self.client.scan_iter():
            if key != CLAIM_KEY.encode():
                self.client.delete(key)


def _claim_database(token: str) -> redis.Redis:
    for number in range(15, 0, -1):
        client = redis.Redis.from_url(f"{REDIS_URL}/{number}", socket_connect_timeout=2, socket_timeout=5)
        if client.set(CLAIM_KEY, token, nx=True, ex=3600):
            if client.dbsize() == 1:
                return client
            client.delete(CLAIM_KEY)  # empty of our claim, but something else keeps data there
        client.close()
    raise RuntimeError("no free Redis database (1-15) for the Celery tests")


@pytest.fixture(scope="session")
def redis_database() -> Iterator[Broker]:
    probe = redis.Redis.from_url(f"{REDIS_URL}/0", socket_connect_timeout=2, socket_timeout=2)
    try:
        probe.ping()
    except redis.RedisError as exc:
        reason = f"Redis does not answer at {REDIS_URL} ({exc.__class__.__name__})"
        if os.environ.get("STOREFRONT_REQUIRE_REDIS") == "1":
            pytest.fail(reason + "; STOREFRONT_REQUIRE_REDIS=1 requires it")
        pytest.skip(reason)
    finally:
        probe.close()
    token = uuid.uuid4().hex
    client = _claim_database(token)
    number = client.connection_pool.connection_kwargs["db"]
    broker = Broker(f"{REDIS_URL}/{number}", client)
    broker.clear()
    yield broker
    broker.clear()
    if client.get(CLAIM_KEY) == token.encode():
        client.delete(CLAIM_KEY)
    client.close()


@pytest.fixture
def broker(redis_database: Broker) -> Iterator[Broker]:
    redis_database.clear()
    yield redis_database
    redis_database.clear()


@pytest.fixture
def dispatcher(broker: Broker, platform: Platform) -> Iterator[CeleryDispatcher]:
    """What the web process holds: publishes to this run's Redis database."""
    found = CeleryDispatcher(broker.url, platform.executor)
    yield found
    found.stop()


@dataclass
class Worker:
    process: subprocess.Popen[bytes]
    log_path: Path

    def output(self) -> str:
        return self.log_path.read_text(errors="replace")

    def alive(self) -> bool:
        return self.process.poll() is None

    def kill(self) -> None:
        """SIGKILL to the worker and its pool children: what a crashed host or the OOM killer does."""
        if self.alive():
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(10)

    def stop(self, timeout: float = 30) -> int:
        """SIGTERM: a warm shutdown that lets running jobs finish."""
        if self.alive():
            self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            # Celery logs every thread's stack on SIGUSR1: the report then says where the worker hangs.
            self.process.send_signal(signal.SIGUSR1)
            time.sleep(2)
            self.kill()
            raise AssertionError("the worker did not stop on SIGTERM:\n" + self.output()) from None


@pytest.fixture
def job_output(tmp_path: Path) -> Path:
    """Where the test jobs of `worker_app` write their outputs and the record of their runs."""
    path = tmp_path / "job-output"
    path.mkdir()
    return path


@pytest.fixture
def start_worker(
    broker: Broker, settings: Settings, platform: Platform, tmp_path: Path, job_output: Path
) -> Iterator[Callable[..., Worker]]:
    """Start `flask worker` processes against this test's database and broker; all are stopped after."""
    workers: list[Worker] = []

    def start(app: str = "tests.integration.jobs.worker_app", concurrency: int = 1, **timings: Any) -> Worker:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("STOREFRONT_", "TEST_WORKER_"))}
        env.update(
            STOREFRONT_ENV="test",
            STOREFRONT_QUEUE_URL=broker.url,
            STOREFRONT_DATABASE_URL=settings.resolved_database_url,
            STOREFRONT_SECRET_KEY=settings.secret_key,
            STOREFRONT_INSTANCE_DIR=str(tmp_path / "worker-instance"),
            TEST_WORKER_OUTPUT=str(job_output),
        )
        env.update({f"TEST_WORKER_{name.upper()}": str(value) for name, value in timings.items()})
        log_path = tmp_path / f"worker-{len(workers)}.log"
        with log_path.open("wb") as log:
            process = subprocess.Popen(
                [sys.executable, "-m", "flask", "--app", app, "worker", "--concurrency", str(concurrency)],
                cwd=ROOT,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own process group, so a kill reaches the pool children too
            )
        worker = Worker(process, log_path)
        workers.append(worker)
        return worker

    yield start
    for worker in workers:
        if worker.alive():
            worker.stop()
