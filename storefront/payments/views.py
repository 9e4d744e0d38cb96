"""Where the payment gateway reaches us: Stripe's webhook, and the sandbox's own pay and onboarding pages.

The webhook checks the signature, keeps the event once by its id and answers at once; a job handles it.
It takes no cookie and no CSRF token (Stripe's signature is the proof) and exists only with Stripe. The
sandbox pages exist only with the sandbox: each button does to the sandbox's records what the fan or
Stripe would do, and the sandbox records the events Stripe would send, handled by the same code.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from ..db import get_session
from ..jobs.interfaces import JobQueue
from ..web.access import PUBLIC, access
from ..web.services import find_service
from .handling import record_event
from .interfaces import InvalidWebhook, PaymentGateway
from .sandbox import SandboxGateway, SandboxRefused

# Stripe's events are a few kilobytes; anything near this is not one of them.
MAX_WEBHOOK_BYTES = 1024 * 1024
# ISO 4217 currencies without minor units, among those a checkout may be in.
ZERO_DECIMAL = frozenset({"JPY", "KRW", "VND", "CLP", "ISK", "UGX"})

webhooks = Blueprint("webhooks", __name__)
sandbox = Blueprint("sandbox", __name__)


def _text(message: str, status: int) -> Response:
    return Response(message + "\n", status=status, mimetype="text/plain")


@webhooks.post("/webhooks/stripe")
@access(PUBLIC)
def stripe_webhook() -> Response:
    payments = find_service(PaymentGateway)
    if payments.backend_name != "stripe":
        abort(404)
    if (request.content_length or 0) > MAX_WEBHOOK_BYTES:
        return _text("payload too large", 413)
    body = request.get_data()
    if len(body) > MAX_WEBHOOK_BYTES:
        return _text("payload too large", 413)
    signature = request.headers.get("Stripe-Signature", "")
    if not signature:
        return _text("missing Stripe-Signature header", 400)
    try:
        event = payments.parse_webhook(body, signature)
    except InvalidWebhook as error:
        return _text(f"invalid webhook: {error}"[:300], 400)
    new = record_event(get_session(), payments.backend_name, event, find_service(JobQueue))
    return _text("recorded" if new else "already recorded", 200)


# -- the sandbox ------------------------------------------------------------------------------------------
def _sandbox() -> SandboxGateway:
    payments = find_service(PaymentGateway)
    if not isinstance(payments, SandboxGateway) or not payments.is_sandbox:
        abort(404)
    return payments


def _money(minor: int, currency: str) -> str:
    if currency in ZERO_DECIMAL:
        return f"{minor} {currency}"
    return f"{minor // 100}.{minor % 100:02d} {currency}"


def _checkout(gateway: SandboxGateway, session_id: str) -> dict[str, Any]:
    data = gateway.checkout_data(session_id)
    if data is None:
        abort(404)
    return data


def _success_url(data: dict[str, Any]) -> str:
    return str(data["success_url"]).replace("{CHECKOUT_SESSION_ID}", str(data["id"]))


def _refused(error: SandboxRefused) -> tuple[str, int]:
    return render_template("error.html", code=409, title="Not in this state", message=str(error)), 409


@sandbox.get("/sandbox/checkout/<session_id>")
@access(PUBLIC)
def checkout_page(session_id: str) -> str:
    data = _checkout(_sandbox(), session_id)
    currency = data["currency"]
    lines = [
        {
            "name": line["name"],
            "quantity": line["quantity"],
            "amount": _money(line["amount_minor"] * line["quantity"], currency),
        }
        for line in data["lines"]
    ]
    pending = data["status"] == "complete" and data["payment_status"] == "unpaid"
    return render_template(
        "payments/sandbox_checkout.html",
        checkout=data,
        lines=lines,
        total=_money(data["amount_total"], currency),
        pending=pending and not data["payment_failed"],
        declined=request.args.get("declined") == "1",
        success_url=_success_url(data),
    )


@sandbox.post("/sandbox/checkout/<session_id>/pay")
@access(PUBLIC)
def pay(session_id: str) -> Response | tuple[str, int]:
    gateway = _sandbox()
    data = _checkout(gateway, session_id)
    if data["overdue"]:
        gateway.expire(session_id)  # as Stripe's clock would have; the page says so
        return redirect(url_for("sandbox.checkout_page", session_id=session_id))
    outcome = request.form.get("outcome", "")
    try:
        gateway.pay(session_id, outcome)
    except SandboxRefused as error:
        return _refused(error)
    if outcome == "fails":
        return redirect(url_for("sandbox.checkout_page", session_id=session_id, declined=1))
    return redirect(_success_url(data))


@sandbox.post("/sandbox/checkout/<session_id>/settle")
@access(PUBLIC)
def settle(session_id: str) -> Response | tuple[str, int]:
    gateway = _sandbox()
    data = _checkout(gateway, session_id)
    outcome = request.form.get("outcome", "")
    if outcome not in ("succeeds", "fails"):
        return _refused(SandboxRefused("Choose whether the pending payment succeeds or fails."))
    try:
        gateway.settle(session_id, succeeds=outcome == "succeeds")
    except SandboxRefused as error:
        return _refused(error)
    return redirect(_success_url(data))


@sandbox.post("/sandbox/checkout/<session_id>/expire")
@access(PUBLIC)
def expire(session_id: str) -> Response | tuple[str, int]:
    gateway = _sandbox()
    data = _checkout(gateway, session_id)
    try:
        gateway.expire(session_id)
    except SandboxRefused as error:
        return _refused(error)
    return redirect(str(data["cancel_url"]))


@sandbox.route("/sandbox/onboarding/<account_id>", methods=["GET", "POST"])
@access(PUBLIC)
def onboarding(account_id: str) -> Response | str:
    gateway = _sandbox()
    account = gateway.account_data(account_id)
    if account is None:
        abort(404)
    if request.method == "POST":
        gateway.enable_transfers(account_id)
        return redirect(str(account.get("return_url") or url_for("catalog.home")))
    return render_template("payments/sandbox_onboarding.html", account=account)
