"""Security headers on every response."""

from __future__ import annotations

from flask import Response, request


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
    response.headers.setdefault("Content-Security-Policy", csp)
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("X-Frame-Options", "DENY")
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
