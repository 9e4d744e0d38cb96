"""The hosted pages a browser reaches through the fake: the Checkout payment page and Connect onboarding.

Each is one small form. Submitting it does what the fan or artist would do on Stripe's page and redirects back
the way Stripe does, so browser tests walk the whole journey without Stripe.
"""

from __future__ import annotations

import html
import re
from typing import Any

from .connect import Connect
from .payments import Payments
from .state import Store, StripeFailure

PAY = re.compile(r"^/c/pay/(?P<id>cs_[A-Za-z0-9_]+)(?:/(?P<action>pay|pay_later|cancel))?$")
SETUP = re.compile(r"^/connect/setup/(?P<account>acct_[A-Za-z0-9]+)/(?P<token>[A-Za-z0-9]+)$")


def _page(title: str, body: str) -> bytes:
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        f"<title>{html.escape(title)}</title></head>"
        f"<body><main><h1>{html.escape(title)}</h1>{body}</main></body></html>"
    ).encode()


def _button(action: str, label: str) -> str:
    return (
        f'<form method="post" action="{html.escape(action)}">'
        f'<button type="submit">{html.escape(label)}</button></form>'
    )


class Pages:
    """(status, headers, body) for GET and POST on the hosted pages, or None when the path is not one."""

    def __init__(self, store: Store, payments: Payments, connect: Connect) -> None:
        self.store = store
        self.payments = payments
        self.connect = connect

    def handle(
        self, method: str, path: str, form: dict[str, str]
    ) -> tuple[int, dict[str, str], bytes] | None:
        if found := PAY.match(path):
            return self._checkout(method, found["id"], found["action"], form)
        if found := SETUP.match(path):
            return self._onboarding(method, found["account"], found["token"])
        return None

    def _checkout(
        self, method: str, session_id: str, action: str | None, form: dict[str, str]
    ) -> tuple[int, dict[str, str], bytes]:
        session = self.store.objects.get(session_id)
        if session is None or session["object"] != "checkout.session":
            return 404, {}, _page("Checkout not found", "<p>This payment page does not exist.</p>")
        if method == "GET" and action is None:
            if session["status"] != "open":
                return 200, {}, _page("Checkout closed", f"<p>This checkout is {session['status']}.</p>")
            rows = "".join(
                f"<li>{html.escape(line['name'])} × {line['quantity']}: {line['unit_amount']}</li>"
                for line in self.store.private[session_id]["lines"]
            )
            total = f"{session['amount_total']} {session['currency'].upper()} (minor units)"
            email = html.escape(session.get("customer_email") or "fan@example.com")
            body = (
                f"<p>Test mode: no card is charged.</p><ul>{rows}</ul><p>Total: {total}</p>"
                f'<form method="post" action="/c/pay/{session_id}/pay"><label>Email '
                f'<input name="email" type="email" value="{email}"></label>'
                '<button type="submit">Pay</button></form>'
                + _button(f"/c/pay/{session_id}/pay_later", "Pay by bank debit (settles later)")
                + _button(f"/c/pay/{session_id}/cancel", "Back to the shop")
            )
            return 200, {}, _page("Pay with the fake Stripe", body)
        if method != "POST" or action is None:
            return 405, {}, _page("Not allowed", "")
        if action == "cancel":
            return 303, {"Location": session["cancel_url"] or "/"}, b""
        try:
            self.payments.complete_session(
                session_id, email=form.get("email") or "fan@example.com", pending=action == "pay_later"
            )
        except StripeFailure as exc:
            return 409, {}, _page("Checkout closed", f"<p>{html.escape(str(exc))}</p>")
        target = (session["success_url"] or "/").replace("{CHECKOUT_SESSION_ID}", session_id)
        return 303, {"Location": target}, b""

    def _onboarding(self, method: str, account_id: str, token: str) -> tuple[int, dict[str, str], bytes]:
        try:
            target: dict[str, Any] = self.connect.link_target(account_id, token)
        except StripeFailure as exc:
            return 404, {}, _page("Link expired", f"<p>{html.escape(str(exc))}</p>")
        if method == "GET":
            body = "<p>Test mode: the details are taken as provided.</p>" + _button(
                f"/connect/setup/{account_id}/{token}", "Finish onboarding"
            )
            return 200, {}, _page("Set up payouts with the fake Stripe", body)
        self.connect.set_transfers_capability(account_id, "active")
        return 303, {"Location": target.get("return_url") or target["refresh_url"]}, b""
