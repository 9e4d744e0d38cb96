"""Access checks in one place: every view declares a rule, and a view without one is refused."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar
from urllib.parse import urlsplit

from flask import Flask, abort, current_app, g, redirect, request, url_for
from werkzeug.wrappers import Response as BaseResponse

from ..accounts.models import Artist, Label, MemberRole, User
from ..db import get_session

F = TypeVar("F", bound=Callable[..., Any])
ATTR = "_storefront_access_rule"


@dataclass(frozen=True)
class Rule:
    name: str
    needs_login: bool
    needs_verified: bool = False
    check: Callable[[User, dict[str, Any]], bool] | None = None


def _admin(user: User, view_args: dict[str, Any]) -> bool:
    return user.is_admin


def _profile_rule(kind: str, owner_only: bool) -> Callable[[User, dict[str, Any]], bool]:
    def check(user: User, view_args: dict[str, Any]) -> bool:
        from sqlalchemy import select

        session = get_session()
        slug = view_args.get("slug")
        profile: Artist | Label | None
        if kind == "artist":
            profile = session.scalar(select(Artist).where(Artist.slug == slug))
        else:
            profile = session.scalar(select(Label).where(Label.slug == slug))
        if profile is None:
            abort(404)
        # Views read the profile the rule already loaded instead of querying again.
        setattr(g, kind, profile)
        members = profile.members if isinstance(profile, Artist) else profile.staff
        for member in members:
            if member.user_id == user.id:
                return not owner_only or member.role == MemberRole.OWNER
        return False

    return check


def _reviewer(user: User, view_args: dict[str, Any]) -> bool:
    return user.is_admin or bool(user.label_memberships)


PUBLIC = Rule("public", needs_login=False)
LOGGED_IN = Rule("logged-in", needs_login=True)
VERIFIED = Rule("verified", needs_login=True, needs_verified=True)
ADMIN = Rule("admin", needs_login=True, needs_verified=True, check=_admin)
# Platform curators and label staff; which releases each may decide is checked per release.
REVIEWER = Rule("reviewer", True, True, _reviewer)
ARTIST_MEMBER = Rule("artist-member", True, True, _profile_rule("artist", owner_only=False))
ARTIST_OWNER = Rule("artist-owner", True, True, _profile_rule("artist", owner_only=True))
LABEL_STAFF = Rule("label-staff", True, True, _profile_rule("label", owner_only=False))
LABEL_OWNER = Rule("label-owner", True, True, _profile_rule("label", owner_only=True))


def access(rule: Rule) -> Callable[[F], F]:
    def decorator(view: F) -> F:
        setattr(view, ATTR, rule)
        return view

    return decorator


# Flask's own static view cannot carry an attribute (it is a bound method), so it is named here.
PUBLIC_ENDPOINTS = frozenset({"static"})


def rule_for(app: Flask, endpoint: str) -> Rule | None:
    if endpoint in PUBLIC_ENDPOINTS:
        return PUBLIC
    view = app.view_functions.get(endpoint)
    rule: Rule | None = getattr(view, ATTR, None)
    return rule


def current_user() -> User | None:
    user: User | None = g.get("user")
    return user


def safe_next(target: str | None, default: str = "/") -> str:
    """Only a path on this site: never a redirect to another host."""
    if not target:
        return default
    parts = urlsplit(target)
    if (
        parts.scheme
        or parts.netloc
        or not target.startswith("/")
        or target.startswith("//")
        or "\\" in target
    ):
        return default
    return target


def enforce() -> BaseResponse | None:
    """Runs before every view. Deny by default: an endpoint that declares no rule answers 500."""
    if request.endpoint is None:
        return None  # 404 and 405 come next
    rule = rule_for(current_app, request.endpoint)
    if rule is None:
        current_app.logger.error("endpoint %s declares no access rule", request.endpoint)
        abort(500)
    if not rule.needs_login:
        return None
    user = current_user()
    if user is None:
        target = request.full_path if request.method == "GET" else request.referrer
        return redirect(url_for("accounts.login", next=safe_next(target)))
    if rule.needs_verified and not user.is_verified:
        return redirect(url_for("accounts.unverified"))
    if rule.check is not None and not rule.check(user, dict(request.view_args or {})):
        abort(403)
    return None
