"""Log-in limits that slow password guessing without letting a stranger lock the owner out.

Only failed log-ins count; a success clears the counts of its account and address pair. With the limit
COUNT/SECONDS of `STOREFRONT_AUTH_RATE_LIMIT` (10/300 by default):

- Account and address together: COUNT failures per window. This is the strict limit, and it only stops
  whoever is failing from that one address.
- One address over all accounts: 3 x COUNT failures per window, against one address trying many
  accounts (password spraying).
- One account over all addresses: 3 x COUNT failures per window, against a guesser spread over many
  addresses. Once it is reached the account is not locked. An address the account logged in from in the
  last 30 days is the owner's own and is let through (its strict pair limit still applies), and
  any other address is slowed to one attempt per window. The owner can therefore always log in from a
  device or network they used before, get in from a new one after a short wait, or use a reset link,
  while a botnet gets one guess per address per window.

A known address is also let past the per-address limit: it has proved the account's password recently,
so a spray from a shared network does not shut its regular users out.

Limits are checked before the password is, so that no attempt over a limit learns whether the password
was right. The counts live in the rate-limit store (memory for one process, Redis for several workers).
"""

from __future__ import annotations

from dataclasses import dataclass

from .ratelimit import RateLimiter, Verdict, key_part

LOOSE_FACTOR = 3


@dataclass(frozen=True)
class LoginAttempt:
    email: str
    ip: str
    known_address: bool

    @property
    def account(self) -> str:
        return key_part(self.email)

    @property
    def address(self) -> str:
        return key_part(self.ip)

    @property
    def pair(self) -> str:
        return f"{self.account}:{self.address}"


class LoginLimits:
    def __init__(self, limiter: RateLimiter) -> None:
        self.limiter = limiter
        count, window = limiter.limit, limiter.window
        self._pair = limiter.item(count, window)
        self._address = limiter.item(count * LOOSE_FACTOR, window)
        self._account = limiter.item(count * LOOSE_FACTOR, window)
        self._slow = limiter.item(1, window)

    def check(self, attempt: LoginAttempt) -> Verdict:
        """Whether this attempt may have its password checked. Counts nothing except a slowed attempt."""
        pair = self.limiter.test_with(self._pair, f"login-fail:pair:{attempt.pair}")
        if not pair.allowed:
            return pair
        if attempt.known_address:
            return pair
        address = self.limiter.test_with(self._address, f"login-fail:ip:{attempt.address}")
        if not address.allowed:
            return address
        if self.limiter.test_with(self._account, f"login-fail:account:{attempt.account}").allowed:
            return address
        # The account is under attack from many addresses: this new address gets one try per window.
        return self.limiter.hit_with(self._slow, f"login-slow:{attempt.pair}")

    def failed(self, attempt: LoginAttempt) -> None:
        self.limiter.hit_with(self._pair, f"login-fail:pair:{attempt.pair}")
        self.limiter.hit_with(self._address, f"login-fail:ip:{attempt.address}")
        self.limiter.hit_with(self._account, f"login-fail:account:{attempt.account}")

    def succeeded(self, attempt: LoginAttempt) -> None:
        # The person at this address knows the password: their earlier typos stop counting against them.
        self.limiter.clear_with(self._pair, f"login-fail:pair:{attempt.pair}")
        self.limiter.clear_with(self._slow, f"login-slow:{attempt.pair}")
