"""Test helpers that act as a browser would: read forms, send their CSRF token, follow mail links."""

from __future__ import annotations

import re
import threading
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.test import TestResponse

from storefront.mail.models import OutboundMessage

_CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
_LINK = re.compile(r"https?://\S+")


class WebClient:
    """A test client that fetches the page holding a form first, like a person does, to get its token."""

    def __init__(self, app: Flask) -> None:
        self.app = app
        self.client = app.test_client()

    def get(self, path: str, **kwargs: Any) -> TestResponse:
        return self.client.get(path, **kwargs)

    def token(self, page: str) -> str:
        response = self.client.get(page)
        match = _CSRF.search(response.get_data(as_text=True))
        assert match, f"no CSRF token on {page} (status {response.status_code})"
        return match.group(1)

    def submit(
        self, page: str, data: dict[str, Any] | None = None, *, action: str | None = None, **kwargs: Any
    ) -> TestResponse:
        """Load `page`, then POST `data` with the page's CSRF token to `action` (default: the page)."""
        fields = {"csrf_token": self.token(page), **(data or {})}
        return self.client.post(action or page, data=fields, **kwargs)

    def post(self, path: str, data: dict[str, Any] | None = None, **kwargs: Any) -> TestResponse:
        return self.client.post(path, data=data or {}, **kwargs)

    def login(self, email: str, password: str) -> TestResponse:
        response = self.submit("/login", {"email": email, "password": password})
        assert response.status_code == 302, response.get_data(as_text=True)[:2000]
        return response

    def logout(self) -> None:
        self.submit("/", action="/logout") if self._logged_in() else None

    def _logged_in(self) -> bool:
        return "Log out" in self.client.get("/").get_data(as_text=True)


def mail_to(app: Flask, address: str) -> list[OutboundMessage]:
    platform = app.extensions["storefront"]
    with platform.database.session() as session:
        return list(
            session.scalars(
                select(OutboundMessage)
                .where(OutboundMessage.to_address == address)
                .order_by(OutboundMessage.id)
            )
        )


def last_link(app: Flask, address: str) -> str:
    """The path of the last link mailed to `address` (the base URL stripped)."""
    messages = mail_to(app, address)
    assert messages, f"no mail to {address}"
    links = _LINK.findall(messages[-1].text_body)
    assert links, f"no link in the mail to {address}"
    return re.sub(r"^https?://[^/]+", "", links[-1])


def text_of(response: TestResponse) -> str:
    return response.get_data(as_text=True)


def fresh(session: Session) -> Session:
    """End the session's snapshot and forget loaded rows, so the next read sees what requests committed."""
    session.rollback()
    session.expire_all()
    return session


class ManualClock:
    """A UTC clock that only moves when a test moves it, for leases and expiry without sleeping."""

    def __init__(self, start: datetime | None = None) -> None:
        from storefront.db import utcnow

        self.now = start or utcnow()

    def __call__(self) -> datetime:
        return self.now

    def advance(self, by: timedelta) -> None:
        self.now += by


def wait_until(predicate: Callable[[], Any], *, what: str, bound: float = 120.0) -> None:
    """Poll a state another thread or process changes. The bound is a hang detector, generous on purpose:
    it only fails when the state never comes, and says nothing about speed."""
    give_up = threading.Event()
    timer = threading.Timer(bound, give_up.set)
    timer.daemon = True
    timer.start()
    try:
        while not predicate():
            if give_up.wait(0.02) and not predicate():
                raise AssertionError(f"gave up waiting after {bound:.0f} s: {what}")
    finally:
        timer.cancel()


def call_with_bound(call: Callable[[], Any], *, what: str, bound: float = 120.0) -> Any:
    """Run `call` and return its result; fail only if it never returns within the (generous) bound: a hang
    detector for calls that must give up on their own, not a measure of how fast they do."""
    outcome: dict[str, Any] = {}

    def run() -> None:
        try:
            outcome["value"] = call()
        except BaseException as exc:  # handed to the caller's thread below
            outcome["error"] = exc

    worker = threading.Thread(target=run, daemon=True)
    worker.start()
    worker.join(bound)
    if worker.is_alive():
        raise AssertionError(f"gave up after {bound:.0f} s: {what} never returned")
    if "error" in outcome:
        raise outcome["error"]
    return outcome.get("value")
