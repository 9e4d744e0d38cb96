"""Per-request construction of domain services from the platform and the request's session."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import current_app, render_template, request, url_for

from ..accounts.profiles import ProfileService
from ..accounts.services import AccountService, Actor
from ..container import Platform
from ..db import get_session
from ..events import hash_ip
from ..jobs.interfaces import JobQueue
from ..mail.services import MailService
from .access import current_user


def platform() -> Platform:
    found: Platform = current_app.extensions["storefront"]
    return found


def external_url(endpoint: str, **values: Any) -> str:
    """An absolute address on the public base URL, for mail and documents read outside the site."""
    return platform().settings.base_url.rstrip("/") + url_for(endpoint, **values)


def render_mail(template: str, context: Mapping[str, Any]) -> str:
    return render_template(template, **context)


def job_queue() -> JobQueue:
    return JobQueue(get_session(), platform().jobs)


def mail_service() -> MailService:
    return MailService(get_session(), job_queue(), render_mail)


def account_service() -> AccountService:
    p = platform()
    return AccountService(
        get_session(), passwords=p.passwords, tokens=p.tokens, mail=mail_service(), url_for=external_url
    )


def profile_service() -> ProfileService:
    return ProfileService(
        get_session(), mail=mail_service(), storage=platform().storage, url_for=external_url
    )


def client_ip() -> str:
    return request.remote_addr or "unknown"


def actor() -> Actor:
    user = current_user()
    return Actor(user.id if user else None, hash_ip(client_ip(), platform().settings.secret_key))
