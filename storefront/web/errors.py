"""Readable error pages; a refused CSRF token and a rate limit each say what to do next."""

from __future__ import annotations

from flask import Flask, render_template
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

_TITLES = {
    400: "That request could not be understood",
    403: "You don't have access to this page",
    404: "Page not found",
    405: "That action is not allowed here",
    413: "That upload is too large",
    429: "Too many attempts",
    500: "Something went wrong on our side",
}


def register(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def _csrf(error: CSRFError) -> tuple[str, int]:
        return render_template(
            "error.html",
            code=400,
            title="This form has expired",
            message="For your safety, forms stop working after a while or when you log in elsewhere. "
            "Go back, reload the page and send it again.",
        ), 400

    @app.errorhandler(HTTPException)
    def _http(error: HTTPException) -> tuple[str, int]:
        code = error.code or 500
        return render_template(
            "error.html",
            code=code,
            title=_TITLES.get(code, error.name),
            message=error.description,
        ), code
