"""Pytest plugin: one fake Stripe server per test session, emptied before each test that asks for it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from .server import FakeStripe


@pytest.fixture(scope="session")
def fake_stripe_server() -> Iterator[FakeStripe]:
    fake = FakeStripe().start()
    try:
        yield fake
    finally:
        fake.close()


@pytest.fixture
def fake_stripe(fake_stripe_server: FakeStripe) -> Iterator[FakeStripe]:
    """The session's fake, empty: no objects, events, idempotency keys, frozen clock or webhook URL."""
    fake_stripe_server.reset()
    yield fake_stripe_server
    fake_stripe_server.reset()
