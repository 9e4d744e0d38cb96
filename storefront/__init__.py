"""Velvet: a storefront and release platform for human-made music."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from flask import Flask, g, request, session
from flask_wtf.csrf import CSRFProtect
from werkzeug.middleware.proxy_fix import ProxyFix

from .config import Settings

csrf = CSRFProtect()
ROOT = Path(__file__).resolve().parent.parent


def create_app(settings: Settings | None = None) -> Flask:
    """Build the application. Reads configuration and wires parts; touches no network and runs nothing."""
    from . import db
    from .accounts.sessions import SessionService, touch
    from .container import build_platform
    from .screening.copies.upkeep import follow_catalog
    from .tdm.views import tdm_headers
    from .web import errors, headers
    from .web.access import enforce
    from .web.inputs import IdConverter, refuse_malformed_json
    from .web.services import find_service

    settings = settings or Settings.from_env()
    settings.validate()
    from .attestations.signing.credentials import require_provided_identity
    from .attestations.signing.keys import require_provided_key

    require_provided_key(settings)  # production: the signing key is provided, never made here
    require_provided_identity(settings)  # and so is the certificate that signs Content Credentials
    app = Flask(__name__, template_folder=str(ROOT / "templates"), static_folder=str(ROOT / "static"))
    # Before any route is added: ids beyond a 64-bit column are a 404, never a database error.
    app.url_map.converters["int"] = IdConverter
    app.config.update(
        SECRET_KEY=settings.secret_key,
        SESSION_COOKIE_NAME="velvet_session",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=settings.is_production,
        PERMANENT_SESSION_LIFETIME=timedelta(days=30),
        MAX_CONTENT_LENGTH=16 * 1024 * 1024,
        WTF_CSRF_TIME_LIMIT=12 * 3600,
        TESTING=settings.is_testing,
    )
    if settings.trusted_proxies:
        n = settings.trusted_proxies
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=n, x_proto=n, x_host=n)  # type: ignore[method-assign]

    platform = build_platform(settings)
    app.extensions["storefront"] = platform
    app.extensions["storefront.storage"] = platform.storage
    db.init_app(app, platform.database)
    # The copy index follows fingerprints and masters in the transaction that changes them.
    follow_catalog(platform.database.sessionmaker)
    csrf.init_app(app)
    _register_jobs(platform)
    _register_services(app, platform)
    _register_blueprints(app)

    csp = headers.content_security_policy(_storage_origins(settings))

    @app.before_request
    def _load_user() -> None:
        g.user = None
        g.user_session = None
        uid = session.get("uid")
        if uid is None:
            return
        # The cookie only names a session; whether it is still open is decided here, on the server.
        found = find_service(SessionService).find(session.get("sid"))
        user = found.user if found is not None and found.user_id == uid else None
        if user is None or not user.is_active or session.get("av") != user.auth_version:
            session.clear()
            return
        assert found is not None
        touch(platform.database, found, request_writes=request.method not in ("GET", "HEAD", "OPTIONS"))
        g.user = user
        g.user_session = found

    app.before_request(enforce)
    app.before_request(refuse_malformed_json)

    @app.before_request
    def _start_runner() -> None:
        platform.jobs.start()

    tdm_policy_url = settings.base_url.rstrip("/") + "/tdm-policy"

    @app.after_request
    def _headers(response):  # type: ignore[no-untyped-def]
        response = headers.apply_security_headers(response, csp=csp, hsts=settings.is_production)
        return tdm_headers(response, policy_url=tdm_policy_url, reserved=not g.get("tdm_opt_in", False))

    @app.context_processor
    def _globals() -> dict[str, object]:
        from .curation.context import navigation

        user = g.get("user")
        return {
            "current_user": user,
            # Every page's navigation: the signed-in person's releases and what waits for them, as counts.
            "waiting": navigation(db.get_session(), user) if user is not None else None,
            "payments_sandbox": platform.payments.is_sandbox,
            "settings": settings,
        }

    from .audio.problems import format_duration

    app.add_template_filter(lambda seconds: format_duration(seconds or 0), "duration")
    from .web.caching import form_token

    # Forms on pages a shared cache may keep carry a token that starts no session (web/caching.py).
    app.add_template_global(form_token)
    errors.register(app)
    from .cli import register as register_cli

    register_cli(app)
    return app


def _storage_origins(settings: Settings) -> list[str]:
    from urllib.parse import urlsplit

    origins = []
    for url in (settings.s3_public_endpoint_url, settings.s3_endpoint_url):
        if settings.storage_backend == "s3" and url:
            parts = urlsplit(url)
            origins.append(f"{parts.scheme}://{parts.netloc}")
    if settings.storage_backend == "s3" and not origins:
        origins.append("https://*.amazonaws.com")
    return origins


def _register_blueprints(app: Flask) -> None:
    from .accounts.identity.views import bp as identity_bp
    from .accounts.payees.views import bp as payees_bp
    from .accounts.profile_views import bp as profiles_bp
    from .accounts.views import bp as accounts_bp
    from .admin.views import bp as admin_bp
    from .attestations.manifests.views import bp as verify_file_bp
    from .attestations.views import bp as provenance_bp
    from .catalog import release_pages  # noqa: F401  (adds the release and track pages to catalog_bp)
    from .catalog.sharing.embeds import bp as embeds_bp
    from .catalog.sharing.feeds import bp as feeds_bp
    from .catalog.views import bp as catalog_bp
    from .curation.dashboard import bp as dashboard_bp
    from .curation.views import bp as curation_bp
    from .fans.code_views import bp as codes_bp
    from .fans.mailing_views import bp as mailings_bp
    from .fans.showcase import bp as showcase_bp
    from .fans.views import bp as fans_bp
    from .health.views import bp as health_bp
    from .media.listening.views import bp as listening_bp
    from .media.views import bp as media_bp
    from .orders.fulfilment.claims import bp as claims_bp
    from .orders.gifts.views import bp as gifts_bp
    from .orders.library import bp as library_bp
    from .orders.refunds.views import bp as refunds_bp
    from .orders.views import bp as orders_bp
    from .payments.views import sandbox as sandbox_bp
    from .payments.views import webhooks as webhooks_bp
    from .payouts.attention import bp as payout_attention_bp
    from .payouts.views import bp as payouts_bp
    from .releases.uploads.views import bp as uploads_bp
    from .releases.views import bp as releases_bp
    from .search.views import bp as search_bp
    from .studio.plays import bp as plays_bp
    from .tdm.views import bp as tdm_bp

    for bp in (
        catalog_bp,
        accounts_bp,
        profiles_bp,
        releases_bp,
        dashboard_bp,
        uploads_bp,
        curation_bp,
        admin_bp,
        health_bp,
        tdm_bp,
        identity_bp,
    ):
        app.register_blueprint(bp)
    app.register_blueprint(provenance_bp)
    app.register_blueprint(verify_file_bp)
    app.register_blueprint(media_bp)
    app.register_blueprint(listening_bp)
    app.register_blueprint(payees_bp)
    app.register_blueprint(library_bp)
    app.register_blueprint(orders_bp)
    app.register_blueprint(refunds_bp)
    app.register_blueprint(payouts_bp)
    app.register_blueprint(payout_attention_bp)
    app.register_blueprint(claims_bp)
    app.register_blueprint(gifts_bp)
    app.register_blueprint(feeds_bp)
    app.register_blueprint(embeds_bp)
    app.register_blueprint(search_bp)
    app.register_blueprint(fans_bp)
    app.register_blueprint(mailings_bp)
    app.register_blueprint(plays_bp)
    app.register_blueprint(codes_bp)
    app.register_blueprint(showcase_bp)
    app.register_blueprint(sandbox_bp)
    # Stripe proves a webhook by its signature; it has no cookie or form token to send.
    csrf.exempt(webhooks_bp)
    app.register_blueprint(webhooks_bp)
    try:
        from .storage.views import storage_blueprint
    except ImportError:
        return
    from .web.access import PUBLIC, access

    # These endpoints authenticate each request by its signed, expiring token instead of a session cookie.
    csrf.exempt(storage_blueprint)
    app.register_blueprint(storage_blueprint)
    for endpoint, view in app.view_functions.items():
        if endpoint.startswith(storage_blueprint.name + "."):
            access(PUBLIC)(view)


def _register_services(app: Flask, platform: object) -> None:
    """Every room's service factories, in one registry a view asks with `find_service`."""
    from . import (
        accounts,
        attestations,
        curation,
        fans,
        health,
        mail,
        media,
        orders,
        payouts,
        releases,
        search,
    )
    from .container import Platform
    from .container import register_services as register_platform
    from .web.services import EXTENSION, ServiceRegistry

    assert isinstance(platform, Platform)
    registry = ServiceRegistry()
    register_platform(registry, platform)
    # Releases before the rooms that add their panels to its workspace.
    rooms = (mail, accounts, releases, attestations, curation, fans, media, health, orders, payouts, search)
    for room in rooms:
        room.register_services(registry)
    app.extensions[EXTENSION] = registry


def _register_jobs(platform: object) -> None:
    from .accounts.payees.services import register_jobs as register_payee_jobs
    from .container import Platform
    from .curation.services import register_jobs as register_curation_jobs
    from .fans import register_jobs as register_fan_jobs
    from .mail.services import register_jobs as register_mail_jobs
    from .media.jobs import register_jobs as register_media_jobs
    from .orders.fulfilment import register_jobs as register_order_jobs
    from .orders.preorders import register_jobs as register_preorder_jobs
    from .orders.refunds import register_jobs as register_refund_jobs
    from .payments.handling import register_jobs as register_payment_jobs
    from .payouts.transfers import register_jobs as register_payout_jobs
    from .releases.uploads.validation import check_follow_ups
    from .releases.uploads.validation import register_jobs as register_release_jobs
    from .screening.services import register_jobs as register_screening_jobs
    from .search.indexer import register_jobs as register_search_jobs

    assert isinstance(platform, Platform)
    register_mail_jobs(platform.registry, platform.mail_transport, platform.settings.mail_from)
    register_release_jobs(platform.registry)
    register_screening_jobs(platform.registry)
    register_curation_jobs(platform.registry)
    register_fan_jobs(platform.registry)
    register_media_jobs(platform.registry)
    register_search_jobs(platform.registry)
    register_preorder_jobs(platform.registry)
    # Selling: each room's jobs, and its handlers for the payment gateway's events.
    for register in (
        register_payment_jobs,
        register_order_jobs,
        register_refund_jobs,
        register_payout_jobs,
        register_payee_jobs,
    ):
        register(platform.registry, platform.event_routes)
    check_follow_ups(platform.registry)
