"""Security headers on every response."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from flask import Response, current_app, request

F = TypeVar("F", bound=Callable[..., Any])
FRAMEABLE = "_storefront_frameable"


def frameable(view: F) -> F:
    """Pages any site may show in a frame (the embeddable player); every other page refuses to be framed."""
    setattr(view, FRAMEABLE, True)
    return view


def _is_frameable() -> bool:
    view = current_app.view_functions.get(request.endpoint or "")
    return bool(getattr(view, FRAMEABLE, False))


def content_security_policy(extra_origins: list[str]) -> str:
    origins = " ".join(extra_origins)
    media = f"'self' blob: {origins}".strip()
    return "; ".join(
        [
            "default-src 'self'",
            "script-src 'self'",
            "style-src 'self'",
            f"img-src 'self' data: {origins}".strip(),
            f"media-src {media}",
            f"connect-src 'self' {origins}".strip(),
            f"form-action 'self' {origins}".strip(),
            "frame-ancestors 'none'",
            "base-uri 'self'",
            "object-src 'none'",
        ]
    )


def apply_security_headers(response: Response, *, csp: str, hsts: bool) -> Response:
    if _is_frameable():
        csp = csp.replace("frame-ancestors 'none'", "frame-ancestors *")
    else:
        response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault("Content-Security-Policy", csp)
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
    response.headers.setdefault(
        "Permissions-Policy", "camera=(), microphone=(), geolocation=(), interest-cohort=()"
    )
    response.headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
    if hsts and request.is_secure:
        response.headers.setdefault("Strict-Transport-Security", "max-age=63072000; includeSubDomains")
    if request.endpoint and request.endpoint != "static" and "Cache-Control" not in response.headers:
        # Pages carry per-user content and CSRF tokens: no shared cache may keep them.
        response.headers["Cache-Control"] = "no-store"
    return response
