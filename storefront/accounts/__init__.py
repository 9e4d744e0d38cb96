"""Accounts: users, artists, labels, memberships, sign-in, and proving who runs a profile."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..web.services import RequestServices, ServiceRegistry
    from .identity.checks import IdentityService
    from .profiles import ProfileService
    from .services import AccountService


def register_services(registry: ServiceRegistry) -> None:
    from ..web.login_limits import LoginLimits
    from ..web.ratelimit import RateLimiter
    from .identity.checks import IdentityService
    from .memberships import MembershipService
    from .payees import register_services as register_payees
    from .profiles import ProfileService
    from .services import AccountService, ProvenAddressHooks
    from .sessions import SessionService

    registry.register_value(ProvenAddressHooks, ProvenAddressHooks())
    registry.register(AccountService, _account_service)
    registry.register(ProfileService, _profile_service)
    registry.register(IdentityService, _identity_service)
    registry.register(MembershipService, lambda s: MembershipService(s.session))
    registry.register(SessionService, lambda s: SessionService(s.session))
    registry.register(LoginLimits, lambda s: LoginLimits(s.find(RateLimiter)))
    register_payees(registry)


def _account_service(services: RequestServices) -> AccountService:
    from ..mail.services import MailService
    from ..web.services import external_url
    from .credentials import Passwords, Tokens
    from .services import AccountService, ProvenAddressHooks

    return AccountService(
        services.session,
        passwords=services.find(Passwords),
        tokens=services.find(Tokens),
        mail=services.find(MailService),
        url_for=external_url,
        proven=services.find(ProvenAddressHooks),
    )


def _profile_service(services: RequestServices) -> ProfileService:
    from ..mail.services import MailService
    from ..storage.interfaces import ObjectStorage
    from ..web.services import external_url
    from .profiles import ProfileService

    return ProfileService(
        services.session,
        mail=services.find(MailService),
        storage=services.find(ObjectStorage),
        url_for=external_url,
    )


def _identity_service(services: RequestServices) -> IdentityService:
    from .identity.checks import IdentityService, fetch_public
    from .identity.website import WebsiteFetcher

    fetcher = services.find(WebsiteFetcher)
    return IdentityService(services.session, fetch=lambda url: fetch_public(url, fetcher=fetcher))
