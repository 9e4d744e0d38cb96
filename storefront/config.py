"""Settings from `STOREFRONT_*` environment variables: safe embedded defaults, and production checks."""

from __future__ import annotations

import math
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

if TYPE_CHECKING:
    from .audio.workshop import Workshop

PREFIX = "STOREFRONT_"
# Only for development; production refuses to start with it.
_INSECURE_SECRET = "dev-insecure-secret-key-change-me"  # noqa: S105


class ConfigError(RuntimeError):
    """The configuration cannot be used; the message names the setting and what to do."""


# Field metadata of settings that have no environment variable.
_IN_CODE = {"env": False}


@dataclass(frozen=True)
class FarmRules:
    """Thresholds of screening's content-farm signals; a deployment or a test may give its own."""

    new_account_days: float = 7.0
    burst_hours: float = 24.0
    # An album or two in a day is ordinary; a new account with more than this is not.
    burst_masters: int = 20
    duration_days: float = 30.0
    duration_tolerance_seconds: float = 1.0
    same_duration_masters: int = 5


@dataclass(frozen=True)
class Settings:
    env: str = "development"
    secret_key: str = _INSECURE_SECRET
    instance_dir: str = "instance"
    database_url: str = ""
    base_url: str = "http://127.0.0.1:5000"

    storage_backend: str = "local"
    storage_dir: str = ""
    s3_bucket: str = ""
    s3_endpoint_url: str = ""
    s3_public_endpoint_url: str = ""
    s3_region: str = ""
    s3_access_key: str = ""
    s3_secret_key: str = ""
    s3_prefix: str = ""

    queue_url: str = ""
    inline_jobs: str = "thread"
    job_lease_seconds: int = 60
    queue_visibility_timeout: int = 900

    payments: str = "sandbox"
    stripe_secret_key: str = ""
    stripe_publishable_key: str = ""
    stripe_webhook_secret: str = ""
    stripe_api_base: str = ""
    # The platform's share of each sale, in basis points of the line's price (100 = 1 %); 0 by default.
    platform_fee_bps: int = 0
    # Stripe Tax's automatic tax on checkout (EU VAT on digital goods): off unless the operator turns it on.
    stripe_automatic_tax: str = "off"
    # Where sellers' connected accounts are registered, for Stripe's onboarding (ISO country code).
    payee_default_country: str = "US"
    # Checkout sessions one client may start: COUNT/SECONDS, per IP address and per account (card testing).
    checkout_rate_limit: str = "20/3600"

    mail: str = "outbox"
    smtp_url: str = ""
    mail_from: str = "Velvet <no-reply@localhost>"

    auth_rate_limit: str = "10/300"
    rate_limit_storage_url: str = ""
    upload_quota_bytes: int = 50 * 1024**3
    uploads_per_hour: int = 200
    trusted_proxies: int = 0
    platform_key_path: str = ""
    platform_retired_keys: str = ""
    chromaprint_library: str = ""
    c2pa_trust_anchors_path: str = ""
    # The certificate chain (signing certificate first) and private key that sign the Content Credentials
    # embedded in delivered files; unset, the application issues its own beside the platform key.
    c2pa_certificate_path: str = ""
    c2pa_key_path: str = ""
    ddex_sender_dpid: str = ""
    ddex_sender_name: str = "Velvet"
    download_link_seconds: int = 300
    upload_multipart_threshold: int = 100 * 1024**2
    upload_part_size: int = 32 * 1024**2
    password_time_cost: int = 3
    password_memory_kib: int = 64 * 1024
    password_parallelism: int = 2
    demo_track_seconds: float = 24.0
    # Memory each web process may give to rendered public pages (web/page_cache.py); 0 turns the cache off.
    page_cache_bytes: int = 32 * 1024**2
    # Parts given in code, never by the environment: a deployment's or a test's own implementations.
    audio_workshop: Workshop | None = field(default=None, metadata=_IN_CODE)
    content_farm_rules: FarmRules | None = field(default=None, metadata=_IN_CODE)

    # -- derived values ------------------------------------------------------------------------------------
    @property
    def is_production(self) -> bool:
        return self.env == "production"

    @property
    def is_testing(self) -> bool:
        return self.env == "test"

    @property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return "sqlite:///" + str(Path(self.instance_dir).resolve() / "velvet.sqlite3")

    @property
    def resolved_storage_dir(self) -> str:
        return self.storage_dir or str(Path(self.instance_dir).resolve() / "storage")

    @property
    def resolved_platform_key_path(self) -> str:
        return self.platform_key_path or str(Path(self.instance_dir).resolve() / "platform-ed25519.pem")

    @property
    def resolved_platform_retired_keys(self) -> str:
        """The retired public keys file; by default beside the key, so the two move together."""
        if self.platform_retired_keys:
            return self.platform_retired_keys
        key = Path(self.resolved_platform_key_path)
        return str(key.with_name(key.stem + "-retired.json"))

    @property
    def resolved_c2pa_certificate_path(self) -> str:
        return self.c2pa_certificate_path or self._beside_platform_key("platform-c2pa-chain.pem")

    @property
    def resolved_c2pa_key_path(self) -> str:
        return self.c2pa_key_path or self._beside_platform_key("platform-c2pa-key.pem")

    def _beside_platform_key(self, name: str) -> str:
        return str(Path(self.resolved_platform_key_path).with_name(name))

    @property
    def jobs_backend(self) -> str:
        return "celery" if self.queue_url else "inline"

    @property
    def resolved_rate_limit_storage_url(self) -> str:
        """Where rate limits are counted: the setting, else the queue's Redis, else this process's memory."""
        if self.rate_limit_storage_url:
            return self.rate_limit_storage_url
        if self.queue_url.startswith(("redis://", "rediss://")):
            return self.queue_url
        return "memory://"

    @property
    def rate_limit(self) -> tuple[int, int]:
        count, _, seconds = self.auth_rate_limit.partition("/")
        return int(count), int(seconds)

    @property
    def checkout_limit(self) -> tuple[int, int]:
        count, seconds = self.checkout_rate_limit.split("/")
        return int(count), int(seconds)

    @property
    def automatic_tax(self) -> bool:
        return self.stripe_automatic_tax == "on"

    def with_overrides(self, **changes: Any) -> Settings:
        return replace(self, **changes)

    # -- loading ----------------------------------------------------------------------------------------
    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        environ = os.environ if environ is None else environ
        values: dict[str, Any] = {}
        for f in fields(cls):
            if not f.metadata.get("env", True):
                continue
            raw = environ.get(PREFIX + f.name.upper())
            if raw is None:
                continue
            if f.type in ("int", int):
                try:
                    values[f.name] = int(raw)
                except ValueError:
                    raise ConfigError(
                        f"{PREFIX}{f.name.upper()} must be a whole number, not {raw!r}."
                    ) from None
            elif f.type in ("float", float):
                try:
                    values[f.name] = float(raw)
                except ValueError:
                    raise ConfigError(f"{PREFIX}{f.name.upper()} must be a number, not {raw!r}.") from None
                if not math.isfinite(values[f.name]):
                    raise ConfigError(f"{PREFIX}{f.name.upper()} must be a finite number, not {raw!r}.")
            else:
                values[f.name] = raw.strip()
        settings = cls(**values)
        settings.validate()
        return settings

    def validate(self) -> None:
        _choice("STOREFRONT_ENV", self.env, ("development", "production", "test"))
        _choice("STOREFRONT_STORAGE_BACKEND", self.storage_backend, ("local", "s3"))
        _choice("STOREFRONT_PAYMENTS", self.payments, ("sandbox", "stripe"))
        _choice("STOREFRONT_MAIL", self.mail, ("outbox", "smtp"))
        _choice("STOREFRONT_INLINE_JOBS", self.inline_jobs, ("thread", "eager", "manual"))
        try:
            count, seconds = self.rate_limit
        except ValueError:
            count = seconds = 0
        if count <= 0 or seconds <= 0:
            raise ConfigError("STOREFRONT_AUTH_RATE_LIMIT must look like COUNT/SECONDS, for example 10/300.")
        self._validate_rate_limit_storage()
        _choice("STOREFRONT_STRIPE_AUTOMATIC_TAX", self.stripe_automatic_tax, ("off", "on"))
        try:
            count, seconds = self.checkout_limit
        except ValueError:
            count = seconds = 0
        if count <= 0 or seconds <= 0:
            raise ConfigError(
                "STOREFRONT_CHECKOUT_RATE_LIMIT must look like COUNT/SECONDS, for example 20/3600."
            )
        if not re.fullmatch(r"[A-Z]{2}", self.payee_default_country):
            raise ConfigError("STOREFRONT_PAYEE_DEFAULT_COUNTRY must be a two-letter country code, like US.")
        self._validate_ranges()
        if self.job_lease_seconds <= 0 or self.queue_visibility_timeout <= 0:
            raise ConfigError(
                "STOREFRONT_JOB_LEASE_SECONDS and STOREFRONT_QUEUE_VISIBILITY_TIMEOUT must be positive."
            )
        if self.storage_backend == "s3" and not self.s3_bucket:
            raise ConfigError("STOREFRONT_S3_BUCKET is required when STOREFRONT_STORAGE_BACKEND=s3.")
        if self.payments == "stripe" and not (self.stripe_secret_key and self.stripe_webhook_secret):
            raise ConfigError(
                "STOREFRONT_STRIPE_SECRET_KEY and STOREFRONT_STRIPE_WEBHOOK_SECRET are required "
                "when STOREFRONT_PAYMENTS=stripe."
            )
        if self.mail == "smtp" and not self.smtp_url:
            raise ConfigError("STOREFRONT_SMTP_URL is required when STOREFRONT_MAIL=smtp.")
        if self.is_production:
            self._validate_production()

    def _validate_ranges(self) -> None:
        mib = 1024**2
        for name, value, low, high in (
            ("DOWNLOAD_LINK_SECONDS", self.download_link_seconds, 10, 7 * 86400),
            # S3 refuses parts under 5 MiB (but the last) and over 5 GiB.
            ("UPLOAD_PART_SIZE", self.upload_part_size, 5 * mib, 5 * 1024 * mib),
            ("UPLOAD_MULTIPART_THRESHOLD", self.upload_multipart_threshold, 5 * mib, 5 * 1024 * mib),
            ("PASSWORD_TIME_COST", self.password_time_cost, 1, 100),
            ("PASSWORD_MEMORY_KIB", self.password_memory_kib, 8, 4 * 1024 * 1024),
            ("PASSWORD_PARALLELISM", self.password_parallelism, 1, 64),
            ("DEMO_TRACK_SECONDS", self.demo_track_seconds, 1, 600),
            ("PLATFORM_FEE_BPS", self.platform_fee_bps, 0, 5000),
            ("PAGE_CACHE_BYTES", self.page_cache_bytes, 0, 64 * 1024 * mib),
        ):
            if not low <= value <= high:
                raise ConfigError(f"{PREFIX}{name} must be between {low} and {high}, not {value}.")
        if self.ddex_sender_dpid and not re.fullmatch(r"PADPIDA[A-Za-z0-9]+", self.ddex_sender_dpid):
            raise ConfigError(
                f"{PREFIX}DDEX_SENDER_DPID must be a DDEX party id (PADPIDA followed by letters and digits), "
                f"not {self.ddex_sender_dpid!r}."
            )
        if not self.ddex_sender_name.strip():
            raise ConfigError(f"{PREFIX}DDEX_SENDER_NAME must not be empty.")

    def _validate_rate_limit_storage(self) -> None:
        url = self.resolved_rate_limit_storage_url
        if urlsplit(url).scheme not in ("memory", "redis", "rediss"):
            raise ConfigError(
                "STOREFRONT_RATE_LIMIT_STORAGE_URL must be memory:// or a redis:// or rediss:// address."
            )
        # Each worker process would keep its own counts: an attacker gets the limit once per worker.
        # (Production lists this among its other problems.)
        if url.startswith("memory") and self.queue_url and not self.is_production:
            raise ConfigError(
                "STOREFRONT_RATE_LIMIT_STORAGE_URL must name a Redis server shared by every worker "
                "(it defaults to STOREFRONT_QUEUE_URL), not memory://."
            )

    def _validate_production(self) -> None:
        problems = []
        if self.secret_key == _INSECURE_SECRET or len(self.secret_key) < 32:
            problems.append("STOREFRONT_SECRET_KEY must be set to a random value of at least 32 characters")
        if self.resolved_database_url.startswith("sqlite"):
            problems.append("STOREFRONT_DATABASE_URL must point at PostgreSQL, not the embedded SQLite file")
        if self.storage_backend == "local":
            problems.append("STOREFRONT_STORAGE_BACKEND must be s3, not the embedded local directory")
        if self.payments == "sandbox":
            problems.append("STOREFRONT_PAYMENTS must be stripe, not the sandbox gateway")
        if not self.queue_url:
            problems.append("STOREFRONT_QUEUE_URL must name a Redis broker, not the in-process job runner")
        elif self.resolved_rate_limit_storage_url.startswith("memory"):
            problems.append(
                "STOREFRONT_RATE_LIMIT_STORAGE_URL must name a Redis server shared by every worker, not memory://"
            )
        if self.mail == "outbox":
            problems.append("STOREFRONT_MAIL must be smtp, not the outbox")
        if urlsplit(self.base_url).scheme != "https":
            problems.append("STOREFRONT_BASE_URL must be an https:// address")
        if not self.platform_key_path:
            problems.append(
                "STOREFRONT_PLATFORM_KEY_PATH must name the signing key you provide, not a key the "
                "application would make in the instance directory"
            )
        if not (self.c2pa_certificate_path and self.c2pa_key_path):
            problems.append(
                "STOREFRONT_C2PA_CERTIFICATE_PATH and STOREFRONT_C2PA_KEY_PATH must name the Content "
                "Credentials signing certificate chain and key you provide, not ones the application would "
                "issue itself"
            )
        if not self.ddex_sender_dpid:
            problems.append("STOREFRONT_DDEX_SENDER_DPID must be your DDEX party id, not the placeholder")
        # The embedded cost keeps tests fast; a production hash must not be that cheap to guess through.
        if self.password_time_cost < 2 or self.password_memory_kib < 19 * 1024:
            problems.append(
                "STOREFRONT_PASSWORD_TIME_COST must be at least 2 and STOREFRONT_PASSWORD_MEMORY_KIB "
                "at least 19456 (the OWASP minimum for Argon2id)"
            )
        if problems:
            raise ConfigError(
                "Refusing to start with STOREFRONT_ENV=production:\n  - " + "\n  - ".join(problems)
            )

    def describe(self) -> list[tuple[str, str]]:
        """The settings in force, secrets masked, for `flask check`."""
        secret_names = {"secret_key", "s3_secret_key", "stripe_secret_key", "stripe_webhook_secret"}
        rows = []
        for f in fields(self):
            if not f.metadata.get("env", True):
                continue
            value = str(getattr(self, f.name))
            if f.name in secret_names and value:
                value = "(set)" if value != _INSECURE_SECRET else "(development default)"
            if f.name == "database_url":
                value = _mask_password(self.resolved_database_url)
            if f.name in ("smtp_url", "rate_limit_storage_url", "queue_url") and value:
                value = _mask_password(value)
            rows.append((PREFIX + f.name.upper(), value))
        return rows


def _choice(name: str, value: str, allowed: tuple[str, ...]) -> None:
    if value not in allowed:
        raise ConfigError(f"{name}={value!r} is not one of: {', '.join(allowed)}.")


def _mask_password(url: str) -> str:
    parts = urlsplit(url)
    if parts.password:
        return url.replace(":" + parts.password + "@", ":***@", 1)
    return url
