"""Access checks in one place: every view declares a rule, and a view without one is refused.

A rule that checks an object also loads it and hands it to the view: its check turns the URL's arguments
into the view's arguments (an artist's slug becomes the artist the rule checked), so a view can only use
what was checked. The rules themselves live with the room whose records they read.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar
from urllib.parse import urlsplit

from flask import Flask, abort, current_app, g, redirect, request, url_for
from werkzeug.wrappers import Response as BaseResponse

F = TypeVar("F", bound=Callable[..., Any])
ATTR = "_storefront_access_rule"

ViewArgs = dict[str, Any]
# Given the signed-in user and the URL's arguments: the arguments the view is called with, or None to refuse
# (403). A check may abort(404) when the object its URL names does not exist.
Check = Callable[[Any, ViewArgs], ViewArgs | None]


class Viewer(Protocol):
    """What this module needs of the signed-in account; the account itself is set by the session hook."""

    @property
    def id(self) -> int: ...

    @property
    def is_verified(self) -> bool: ...


@dataclass(frozen=True)
class Rule:
    name: str
    needs_login: bool
    needs_verified: bool = False
    check: Check | None = None


def granted_when(test: Callable[[Any], bool]) -> Check:
    """A check on the account alone: the view receives the URL's arguments unchanged."""

    def check(user: Any, view_args: ViewArgs) -> ViewArgs | None:
        return view_args if test(user) else None

    return check


PUBLIC = Rule("public", needs_login=False)
LOGGED_IN = Rule("logged-in", needs_login=True)
VERIFIED = Rule("verified", needs_login=True, needs_verified=True)


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


def current_user() -> Viewer | None:
    """The signed-in account as far as every room needs it; the accounts room gives the full record."""
    user: Viewer | None = g.get("user")
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
    if rule.check is not None:
        granted = rule.check(user, dict(request.view_args or {}))
        if granted is None:
            abort(403)
        # Flask calls the view with these arguments: the objects the rule checked, not their ids.
        request.view_args = granted
    return None
