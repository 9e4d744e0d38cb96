"""The rate limiter over `limits`: counting, clearing, and what happens when its store is gone."""

from __future__ import annotations

import logging
import socket

from storefront.web.ratelimit import RateLimiter, build_storage


def test_counts_every_key_and_refuses_past_the_limit():
    limiter = RateLimiter(build_storage("memory://"), limit=2, window=300)
    assert limiter.hit("signup:ip:a", "signup:account:x").allowed
    assert limiter.hit("signup:ip:a", "signup:account:y").allowed
    refused = limiter.hit("signup:ip:a", "signup:account:z")
    assert not refused.allowed and 0 < refused.retry_after <= 301
    assert limiter.hit("signup:ip:b", "signup:account:z").allowed  # other keys keep their own counts
    limiter.reset("signup:ip:a")
    assert limiter.hit("signup:ip:a").allowed


def test_an_unreachable_store_lets_attempts_through_and_says_so(caplog):
    # A port nothing listens on: connecting is refused at once.
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    limiter = RateLimiter(build_storage(f"redis://127.0.0.1:{port}/0"), limit=1, window=300)
    with caplog.at_level(logging.ERROR, logger="storefront.web.ratelimit"):
        assert limiter.hit("login:ip:a").allowed
        assert limiter.hit("login:ip:a").allowed
    assert "rate limit store unavailable" in caplog.text
