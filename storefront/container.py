"""The application's long-lived parts, each implementation chosen from the settings in one place."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from .accounts.credentials import Passwords, Tokens
from .accounts.identity.website import WebsiteFetcher
from .config import ConfigError, Settings
from .db import Database
from .jobs.interfaces import JobDispatcher, JobRegistry
from .jobs.runner import JobExecutor
from .mail.interfaces import MailTransport
from .payments.events import EventRoutes
from .payments.interfaces import PaymentGateway
from .storage.interfaces import ObjectStorage
from .web.page_cache import PageCache
from .web.ratelimit import RateLimiter
from .web.ratelimit import build_storage as build_limit_storage
from .web.services import ServiceRegistry

if TYPE_CHECKING:
    from .screening.interfaces import Fingerprinter, MusicDetector
    from .search.interfaces import SearchIndex


@dataclass
class Platform:
    settings: Settings
    database: Database
    storage: ObjectStorage
    payments: PaymentGateway
    mail_transport: MailTransport
    registry: JobRegistry
    executor: JobExecutor
    jobs: JobDispatcher
    passwords: Passwords
    tokens: Tokens
    limiter: RateLimiter
    fingerprinter: Fingerprinter
    # Full-text search: SQLite FTS5 or PostgreSQL's, by the database URL.
    search: SearchIndex
    # Reads an artist's website for the identity check; tests give one that may reach 127.0.0.1.
    website_fetcher: WebsiteFetcher = field(default_factory=WebsiteFetcher)
    # An AI-music classifier whose score screening shows as one more signal; none ships with Velvet.
    music_detector: MusicDetector | None = None
    # Which rooms handle which payment-gateway events; each room adds its own when the app starts.
    event_routes: EventRoutes = field(default_factory=EventRoutes)


def build_storage(settings: Settings) -> ObjectStorage:
    if settings.storage_backend == "s3":
        from .storage.s3 import S3Storage

        return S3Storage(
            settings.s3_bucket,
            endpoint_url=settings.s3_endpoint_url or None,
            region=settings.s3_region or None,
            access_key=settings.s3_access_key or None,
            secret_key=settings.s3_secret_key or None,
            public_endpoint_url=settings.s3_public_endpoint_url or None,
            prefix=settings.s3_prefix,
        )
    from .storage.local import LocalStorage

    return LocalStorage(settings.resolved_storage_dir, secret_key=settings.secret_key)


def build_payments(settings: Settings, database: Database) -> PaymentGateway:
    if settings.payments == "stripe":
        from .payments.stripe import StripeGateway

        return StripeGateway(
            settings.stripe_secret_key,
            webhook_secret=settings.stripe_webhook_secret,
            api_base=settings.stripe_api_base or None,
        )
    from .payments.sandbox import SandboxGateway

    return SandboxGateway(database, base_url=settings.base_url)


def build_mail(settings: Settings) -> MailTransport:
    if settings.mail == "smtp":
        from .mail.smtp import SmtpTransport

        return SmtpTransport(settings.smtp_url)
    from .mail.outbox import OutboxTransport

    return OutboxTransport()


def build_fingerprinter(settings: Settings) -> Fingerprinter:
    """Chromaprint for copy detection. Without it, development and tests run with copy detection marked
    unavailable (health, review page, `flask check`); production refuses to start instead."""
    from .screening.catalog import ChromaprintFingerprinter

    fingerprinter = ChromaprintFingerprinter(
        [settings.chromaprint_library] if settings.chromaprint_library else None
    )
    if settings.is_production:
        loaded, _ = fingerprinter.status()
        if not loaded:
            raise ConfigError(
                "Refusing to start with STOREFRONT_ENV=production: copy detection needs Chromaprint, "
                "and libchromaprint could not be loaded. Install the Debian package libchromaprint1 "
                "(or your system's chromaprint library), or point STOREFRONT_CHROMAPRINT_LIBRARY at it."
            )
    return fingerprinter


def build_search(database: Database) -> SearchIndex:
    if database.url.startswith("postgresql"):
        from .search.postgres import PostgresSearch

        return PostgresSearch()
    from .search.sqlite import SqliteSearch

    return SqliteSearch()


def build_jobs(settings: Settings, executor: JobExecutor) -> JobDispatcher:
    if settings.jobs_backend == "celery":
        from .jobs.celery import CeleryDispatcher

        return CeleryDispatcher(
            settings.queue_url, executor, visibility_timeout=settings.queue_visibility_timeout
        )
    from .jobs.inline import InlineDispatcher

    return InlineDispatcher(executor, mode=settings.inline_jobs)


def build_platform(settings: Settings) -> Platform:
    fingerprinter = build_fingerprinter(settings)  # first: a refusal should come before any other setup
    if settings.resolved_database_url.startswith("sqlite") or settings.storage_backend == "local":
        Path(settings.instance_dir).mkdir(parents=True, exist_ok=True)
    database = Database(settings.resolved_database_url)
    registry = JobRegistry()
    lease = timedelta(seconds=settings.job_lease_seconds)
    executor = JobExecutor(database, registry, services=None, lease=lease)
    count, window = settings.rate_limit
    platform = Platform(
        settings=settings,
        database=database,
        storage=build_storage(settings),
        payments=build_payments(settings, database),
        mail_transport=build_mail(settings),
        registry=registry,
        executor=executor,
        jobs=build_jobs(settings, executor),
        passwords=Passwords(
            time_cost=settings.password_time_cost,
            memory_cost=settings.password_memory_kib,
            parallelism=settings.password_parallelism,
        ),
        tokens=Tokens(settings.secret_key),
        limiter=RateLimiter(
            build_limit_storage(settings.resolved_rate_limit_storage_url), limit=count, window=window
        ),
        fingerprinter=fingerprinter,
        search=build_search(database),
    )
    executor.services = platform
    from .payments.sandbox import SandboxGateway

    if isinstance(platform.payments, SandboxGateway):
        # The sandbox records the events Stripe would send as webhooks; their handling needs the runner.
        platform.payments.jobs = platform.jobs
    return platform


def register_services(registry: ServiceRegistry, platform: Platform) -> None:
    """The platform's parts as services, each read from the platform when a request first asks for it."""
    from .accounts.payees.services import PayeePlatform
    from .jobs.interfaces import JobQueue
    from .releases.preorders import Calendar
    from .screening.interfaces import ScreeningPlatform
    from .search.interfaces import SearchIndex

    registry.register(Platform, lambda _: platform)
    registry.register(ScreeningPlatform, lambda _: platform)
    registry.register(PayeePlatform, lambda _: platform)
    registry.register(Settings, lambda _: platform.settings)
    registry.register(ObjectStorage, lambda _: platform.storage)
    registry.register(PaymentGateway, lambda _: platform.payments)
    registry.register(JobDispatcher, lambda _: platform.jobs)
    registry.register(Passwords, lambda _: platform.passwords)
    registry.register(Tokens, lambda _: platform.tokens)
    registry.register(RateLimiter, lambda _: platform.limiter)
    registry.register(WebsiteFetcher, lambda _: platform.website_fetcher)
    registry.register(SearchIndex, lambda _: platform.search)
    registry.register(JobQueue, lambda services: JobQueue(services.session, platform.jobs))
    # Pre-orders and first windows read the day from the jobs' clock, so a test that moves one moves both.
    registry.register_value(Calendar, Calendar(lambda: platform.executor.clock()))
    registry.register_value(PageCache, PageCache(platform.settings.page_cache_bytes))
