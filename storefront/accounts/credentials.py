"""Password hashing (Argon2id) and signed, expiring tokens for links sent by mail."""

from __future__ import annotations

import hashlib
import secrets
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

MIN_PASSWORD = 10
MAX_PASSWORD = 1024
# The most common passwords of public breach lists that are long enough to pass the length rule.
_COMMON = frozenset(
    [
        "1234567890",
        "12345678910",
        "0123456789",
        "1q2w3e4r5t",
        "1qaz2wsx3edc",
        "qwertyuiop",
        "password123",
        "password12",
        "password1234",
        "iloveyou12",
        "qwerty1234",
        "qwerty12345",
        "1234qwerty",
        "abcdefghij",
        "aaaaaaaaaa",
        "1111111111",
        "0000000000",
        "passw0rd12",
        "letmein123",
        "welcome123",
        "football12",
        "baseball12",
        "sunshine12",
        "princess12",
        "dragon1234",
        "trustno1234",
        "zaq12wsxcde",
        "changeme123",
        "administrator",
        "superman12",
        "starwars12",
        "whatever12",
        "michael123",
    ]
)


class Passwords:
    def __init__(self, *, time_cost: int = 3, memory_cost: int = 65536, parallelism: int = 2) -> None:
        self._hasher = PasswordHasher(time_cost=time_cost, memory_cost=memory_cost, parallelism=parallelism)
        # Checked against when no account matches, so a wrong address costs as long as a wrong password.
        self._dummy = self._hasher.hash(secrets.token_hex(16))

    def hash(self, password: str) -> str:
        return self._hasher.hash(password)

    def verify(self, stored_hash: str | None, password: str) -> bool:
        try:
            return self._hasher.verify(stored_hash or self._dummy, password) and stored_hash is not None
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return False

    def needs_rehash(self, stored_hash: str) -> bool:
        return self._hasher.check_needs_rehash(stored_hash)


def password_problem(password: str, *, email: str = "") -> str | None:
    """Why a new password is refused, or None. Length over composition rules, as NIST SP 800-63B advises."""
    if len(password) < MIN_PASSWORD:
        return f"Use at least {MIN_PASSWORD} characters."
    if len(password) > MAX_PASSWORD:
        return f"Use at most {MAX_PASSWORD} characters."
    lowered = password.lower()
    if lowered in _COMMON or len(set(lowered)) < 4:
        return "This password is too easy to guess; choose a less common one."
    if email and lowered == email.lower():
        return "Don't use your email address as your password."
    return None


class TokenInvalid(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class Tokens:
    def __init__(self, secret_key: str) -> None:
        self.secret_key = secret_key

    def _serializer(self, purpose: str) -> URLSafeTimedSerializer:
        return URLSafeTimedSerializer(self.secret_key, salt=f"storefront.{purpose}")

    def make(self, purpose: str, data: dict[str, Any]) -> str:
        return str(self._serializer(purpose).dumps(data))

    def load(self, purpose: str, token: str, *, max_age: int) -> dict[str, Any]:
        try:
            data = self._serializer(purpose).loads(token, max_age=max_age)
        except SignatureExpired:
            raise TokenInvalid("This link has expired. Ask for a new one.") from None
        except BadSignature:
            raise TokenInvalid("This link is not valid. Check that you copied all of it.") from None
        if not isinstance(data, dict):
            raise TokenInvalid("This link is not valid.")
        return data


def new_secret_token() -> tuple[str, str]:
    """A random token for a URL and the hash to store; the token itself is never stored."""
    token = secrets.token_urlsafe(32)
    return token, hash_token(token)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()
