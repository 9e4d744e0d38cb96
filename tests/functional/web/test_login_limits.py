"""Log-in limits count failures only, slow guessers down, and never lock the owner out."""

from __future__ import annotations

import os
import uuid

import pytest
import redis

from tests.factories.accounts import PASSWORD, make_user
from tests.helpers import WebClient, text_of

LIMIT = 3  # failures per window for one account from one address; the looser limits are three times that
REDIS_URL = os.environ.get("STOREFRONT_TEST_REDIS_URL", "redis://127.0.0.1:6379").rstrip("/")


def _browser(app, address: str) -> WebClient:
    client = WebClient(app)
    client.client.environ_base["REMOTE_ADDR"] = address
    return client


def _log_in(client: WebClient, email: str, password: str) -> int:
    return client.submit("/login", {"email": email, "password": password}).status_code


@pytest.fixture
def strict_app(make_app):
    return make_app(auth_rate_limit=f"{LIMIT}/300")


def test_successful_log_ins_never_lock(strict_app, db, platform):
    user = make_user(db, platform)
    home = _browser(strict_app, "198.51.100.7")
    for _ in range(LIMIT * 4):
        assert _log_in(home, user.email, PASSWORD) == 302
    # Typos between successes do not add up either: a success clears this address's failures.
    for _ in range(3):
        for _ in range(LIMIT - 1):
            assert _log_in(home, user.email, "not-the-password") == 422
        assert _log_in(home, user.email, PASSWORD) == 302


def test_a_guesser_is_stopped_but_the_owner_elsewhere_logs_in(strict_app, db, platform):
    user = make_user(db, platform, email="target@example.com")
    attacker = _browser(strict_app, "203.0.113.9")
    for _ in range(LIMIT):
        assert _log_in(attacker, user.email, "bad-guess-123") == 422
    # Even the right password is not checked for the guesser now.
    refused = attacker.submit("/login", {"email": user.email, "password": PASSWORD})
    assert refused.status_code == 429
    assert "Too many attempts" in text_of(refused)
    assert int(refused.headers["Retry-After"]) > 0

    owner = _browser(strict_app, "198.51.100.20")
    assert _log_in(owner, user.email, PASSWORD) == 302


def test_one_address_spraying_many_accounts_is_limited(strict_app):
    sprayer = _browser(strict_app, "203.0.113.50")
    for n in range(LIMIT * 3):
        assert _log_in(sprayer, f"spray{n}@example.com", "bad-guess-123") == 422
    assert _log_in(sprayer, "fresh@example.com", "bad-guess-123") == 429


def test_an_account_under_attack_from_many_addresses_stays_open_to_its_owner(strict_app, db, platform):
    user = make_user(db, platform, email="popular@example.com")
    home = _browser(strict_app, "198.51.100.77")
    assert _log_in(home, user.email, PASSWORD) == 302  # the owner's own address, from before the attack
    home.logout()

    for bot in range(3):
        attacker = _browser(strict_app, f"203.0.113.{100 + bot}")
        for _ in range(LIMIT):
            assert _log_in(attacker, user.email, "bad-guess-123") == 422
    # The account's loose limit is reached. A new address gets one slow try per window...
    newcomer = _browser(strict_app, "203.0.113.200")
    assert _log_in(newcomer, user.email, "bad-guess-123") == 422
    assert _log_in(newcomer, user.email, PASSWORD) == 429
    # ...which is enough for the owner on a new device...
    traveller = _browser(strict_app, "192.0.2.44")
    assert _log_in(traveller, user.email, PASSWORD) == 302
    # ...and the address the owner used before is not slowed at all.
    assert _log_in(home, user.email, PASSWORD) == 302


def _redis_url() -> str:
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
    return f"{REDIS_URL}/0"


def test_workers_sharing_redis_share_their_counts(make_app, db, platform):
    url = _redis_url()
    first = make_app(auth_rate_limit=f"{LIMIT}/300", rate_limit_storage_url=url)
    second = make_app(auth_rate_limit=f"{LIMIT}/300", rate_limit_storage_url=url)
    # Names no other run uses, so counts left in the shared server (they expire) cannot mix in.
    run = uuid.uuid4().hex[:12]
    user = make_user(db, platform, email=f"shared-{run}@example.com")
    address = f"2001:db8::{int(run[:4], 16):x}"

    for _ in range(LIMIT - 1):
        assert _log_in(_browser(first, address), user.email, "bad-guess-123") == 422
    assert _log_in(_browser(second, address), user.email, "bad-guess-123") == 422
    # The third failure was counted by the other process; both now refuse this pair.
    assert _log_in(_browser(first, address), user.email, PASSWORD) == 429
    assert _log_in(_browser(second, address), user.email, PASSWORD) == 429
    assert _log_in(_browser(second, "198.51.100.99"), user.email, PASSWORD) == 302
