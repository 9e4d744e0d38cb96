"""Settings from `STOREFRONT_*` environment variables: safe embedded defaults, and production checks."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

PREFIX = "STOREFRONT_"
# Only for development; production refuses to start with it.
_INSECURE_SECRET = "dev-insecure-secret-key-change-me"  # noqa: S105


class ConfigError(RuntimeError):
    """The configuration cannot be used; the message names the setting and what to do."""


@dataclass(frozen=True)
class Setting:
    name: str
    default: str
    help: str


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

    mail: str = "outbox"
    smtp_url: str = ""
    mail_from: str = "Velvet <no-reply@localhost>"

    auth_rate_limit: str = "10/300"
    upload_quota_bytes: int = 50 * 1024**3
    uploads_per_hour: int = 200
    trusted_proxies: int = 0
    platform_key_path: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

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
    def jobs_backend(self) -> str:
        return "celery" if self.queue_url else "inline"

    @property
    def rate_limit(self) -> tuple[int, int]:
        count, _, seconds = self.auth_rate_limit.partition("/")
        return int(count), int(seconds)

    def with_overrides(self, **changes: Any) -> Settings:
        return replace(self, **changes)

    # -- loading ----------------------------------------------------------------------------------------
    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        environ = os.environ if environ is None else environ
        values: dict[str, Any] = {}
        for f in fields(cls):
            if f.name == "extra":
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
        if self.mail == "outbox":
            problems.append("STOREFRONT_MAIL must be smtp, not the outbox")
        if urlsplit(self.base_url).scheme != "https":
            problems.append("STOREFRONT_BASE_URL must be an https:// address")
        if problems:
            raise ConfigError(
                "Refusing to start with STOREFRONT_ENV=production:\n  - " + "\n  - ".join(problems)
            )

    def describe(self) -> list[tuple[str, str]]:
        """The settings in force, secrets masked, for `flask check`."""
        secret_names = {"secret_key", "s3_secret_key", "stripe_secret_key", "stripe_webhook_secret"}
        rows = []
        for f in fields(self):
            if f.name == "extra":
                continue
            value = str(getattr(self, f.name))
            if f.name in secret_names and value:
                value = "(set)" if value != _INSECURE_SECRET else "(development default)"
            if f.name == "database_url":
                value = _mask_password(self.resolved_database_url)
            if f.name == "smtp_url" and value:
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


SETTINGS_TABLE: tuple[Setting, ...] = (
    Setting("ENV", "development", "development, test or production; production refuses embedded defaults"),
    Setting("SECRET_KEY", "(development value)", "signs sessions and tokens; 32+ random characters"),
    Setting("INSTANCE_DIR", "instance", "where the embedded defaults keep their files"),
    Setting("DATABASE_URL", "SQLite file in the instance dir", "e.g. postgresql+psycopg://user@host/db"),
    Setting("BASE_URL", "http://127.0.0.1:5000", "public address, used in mail and certificates"),
    Setting("STORAGE_BACKEND", "local", "local or s3"),
    Setting("STORAGE_DIR", "instance/storage", "directory of the local backend"),
    Setting("S3_BUCKET", "", "bucket for the s3 backend"),
    Setting("S3_ENDPOINT_URL", "", "S3-compatible endpoint the app talks to (empty: AWS)"),
    Setting("S3_PUBLIC_ENDPOINT_URL", "", "endpoint browsers use for presigned URLs, if different"),
    Setting("S3_REGION", "", "region of the bucket"),
    Setting("S3_ACCESS_KEY", "", "access key id"),
    Setting("S3_SECRET_KEY", "", "secret access key"),
    Setting("S3_PREFIX", "", "key prefix inside the bucket, to share a bucket with other data"),
    Setting("QUEUE_URL", "", "Redis URL for Celery; empty runs jobs in-process from the database"),
    Setting("INLINE_JOBS", "thread", "in-process runner mode: thread, eager (run after commit) or manual"),
    Setting(
        "JOB_LEASE_SECONDS", "60", "how long a running job's worker may go silent before another takes over"
    ),
    Setting(
        "QUEUE_VISIBILITY_TIMEOUT", "900", "seconds before Redis gives a dead worker's message to another"
    ),
    Setting("PAYMENTS", "sandbox", "sandbox or stripe"),
    Setting("STRIPE_SECRET_KEY", "", "Stripe secret key"),
    Setting("STRIPE_PUBLISHABLE_KEY", "", "Stripe publishable key"),
    Setting("STRIPE_WEBHOOK_SECRET", "", "signing secret of the webhook endpoint"),
    Setting("STRIPE_API_BASE", "", "override of Stripe's API address (tests only)"),
    Setting("MAIL", "outbox", "outbox (kept for admins to read) or smtp"),
    Setting("SMTP_URL", "", "smtp://user:password@host:587 (STARTTLS) or smtps://... (TLS)"),
    Setting("MAIL_FROM", "Velvet <no-reply@localhost>", "sender address"),
    Setting(
        "AUTH_RATE_LIMIT", "10/300", "attempts per seconds for log-in, sign-up and reset, per account and IP"
    ),
    Setting(
        "TRUSTED_PROXIES", "0", "how many reverse proxies set X-Forwarded-For/-Proto in front of the app"
    ),
    Setting("PLATFORM_KEY_PATH", "instance/platform-ed25519.pem", "the platform's Ed25519 signing key"),
)
