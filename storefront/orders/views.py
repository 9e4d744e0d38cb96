"""The cart, checkout and the order confirmation page: HTTP in, plain arguments to the services, pages out.

A guest's cart is named by a token in the browser's session, as are the orders a guest placed (so the
confirmation page shows them to that browser only). Log-in clears the session; the hooks at the end carry
the guest's cart into the account and keep the guest's orders visible.
"""

from __future__ import annotations

import re
from typing import Any

from flask import Blueprint, abort, flash, g, jsonify, redirect, render_template, request, session, url_for
from flask.typing import ResponseReturnValue
from sqlalchemy import select
from werkzeug.wrappers import Response

from ..accounts.access import current_user
from ..config import Settings
from ..db import get_session
from ..payments.interfaces import PaymentGateway
from ..releases.identifiers import format_price
from ..releases.models import Release, ReleaseStatus, Track
from ..web.access import PUBLIC, access
from ..web.caching import guest_form
from ..web.headers import content_security_policy
from ..web.ratelimit import RateLimiter, in_about, key_part, paused
from ..web.services import client_ip, find_service
from .cart import CartError, CartService, CartSummary, summarise
from .checkout import CheckoutError, CheckoutService, checked_email
from .gifts.service import gifts_in
from .models import Order, OrderStatus
from .pricing import format_amount

bp = Blueprint("orders", __name__)
CART_KEY = "cart"
ORDERS_KEY = "orders"
# A browser remembers this many of its guest orders; older confirmation pages ask to log in or check mail.
REMEMBERED_ORDERS = 20
# Where each gateway's hosted payment page lives: the cart's form must be allowed to lead there.
CHECKOUT_ORIGINS = {"stripe": "https://checkout.stripe.com"}
_REFERENCE = re.compile(r"ord_[A-Za-z0-9_-]{8,36}")
_CURRENCY = re.compile(r"[A-Z]{3}")


def _user_id() -> int | None:
    user = current_user()
    return user.id if user is not None else None


def _token() -> str | None:
    token = session.get(CART_KEY)
    return token if isinstance(token, str) else None


def _problem(message: str, status: int, *, back: str | None = None) -> tuple[str, int]:
    return render_template(
        "orders/problem.html", code=status, message=message, back=back or url_for("orders.cart")
    ), status


def _summary() -> CartSummary:
    cart = find_service(CartService).find(user_id=_user_id(), token=_token())
    fee_bps = find_service(Settings).platform_fee_bps
    return summarise(get_session(), cart, user_id=_user_id(), platform_fee_bps=fee_bps)


def _form_id(name: str) -> int | None:
    raw = request.form.get(name, "")
    if not raw:
        return None
    if not (raw.isascii() and raw.isdigit()) or len(raw) > 18:
        abort(400, f"{name} must be a number.")
    return int(raw)


# -- the cart ---------------------------------------------------------------------------------------------
@bp.get("/cart")
@access(PUBLIC)
def cart() -> ResponseReturnValue:
    summary = _summary()
    user = current_user()
    response = Response(
        render_template(
            "orders/cart.html",
            summary=summary,
            guest=user is None,
            email=session.get("checkout_email", ""),
            gifts=gifts_in(get_session(), summary.cart),
            format_price=format_price,
            format_amount=format_amount,
        ),
        mimetype="text/html",
    )
    origin = CHECKOUT_ORIGINS.get(find_service(PaymentGateway).backend_name)
    if origin:
        # The checkout form is answered with a redirect to the gateway's page, which browsers check
        # against form-action.
        csp = content_security_policy([])
        response.headers["Content-Security-Policy"] = csp.replace(
            "form-action 'self'", f"form-action 'self' {origin}", 1
        )
    return response


@bp.post("/cart/add")
@access(PUBLIC)
@guest_form  # the release page's buy form: guests post it from a page caches share
def add() -> ResponseReturnValue:
    db = get_session()
    release_id, track_id = _form_id("release_id"), _form_id("track_id")
    release = db.get(Release, release_id) if release_id is not None else None
    if release is None or release.status not in (ReleaseStatus.APPROVED, ReleaseStatus.TAKEN_DOWN):
        abort(404)
    track = db.get(Track, track_id) if track_id is not None else None
    if track_id is not None and (track is None or track.release_id != release.id):
        abort(404)
    back = url_for("catalog.release_page", slug=release.artist.slug, release_slug=release.slug)
    service = find_service(CartService)
    found = service.open(user_id=_user_id(), token=_token())
    try:
        message = service.add(found, release, track, request.form.get("amount"), user_id=_user_id())
    except CartError as error:
        return _problem(error.message, error.status, back=back)
    if found.user_id is None:
        session[CART_KEY] = found.token
    flash(message, "success")
    return redirect(url_for("orders.cart"), 303)


def _change(item_id: int, change: str) -> ResponseReturnValue:
    service = find_service(CartService)
    if service.find(user_id=_user_id(), token=_token()) is None:
        return _problem("That item is not in your cart.", 404)
    found = service.open(user_id=_user_id(), token=_token())
    try:
        if change == "remove":
            message = service.remove(found, item_id)
        else:
            message = service.set_amount(found, item_id, request.form.get("amount", ""))
    except CartError as error:
        return _problem(error.message, error.status)
    flash(message, "success")
    return redirect(url_for("orders.cart"), 303)


@bp.post("/cart/items/<int:item_id>/amount")
@access(PUBLIC)
def change_amount(item_id: int) -> ResponseReturnValue:
    return _change(item_id, "amount")


@bp.post("/cart/items/<int:item_id>/remove")
@access(PUBLIC)
def remove(item_id: int) -> ResponseReturnValue:
    return _change(item_id, "remove")


# -- checkout ---------------------------------------------------------------------------------------------
def _too_many(retry_after: int) -> Response:
    page = render_template(
        "orders/problem.html",
        code=429,
        message="You have started many checkouts in a short time, so we are pausing new ones to keep "
        f"cards safe from misuse. Try again in {in_about(retry_after)}.",
        back=url_for("orders.cart"),
    )
    return paused(Response(page, mimetype="text/html"), retry_after)


def _limited(email: str) -> Response | None:
    """Checkout sessions per address and per account (a guest's account is their email)."""
    limiter = find_service(RateLimiter)
    item = limiter.item(*find_service(Settings).checkout_limit)
    user_id = _user_id()
    keys = [f"checkout:ip:{key_part(client_ip())}"]
    keys.append(f"checkout:account:{user_id}" if user_id is not None else f"checkout:email:{key_part(email)}")
    refused = [v.retry_after for v in (limiter.hit_with(item, key) for key in keys) if not v.allowed]
    return _too_many(max(refused)) if refused else None


@bp.post("/checkout/<currency>")
@access(PUBLIC)
def checkout(currency: str) -> ResponseReturnValue:
    if not _CURRENCY.fullmatch(currency):
        abort(404)
    user = current_user()
    try:
        email = user.email if user is not None else checked_email(request.form.get("email"))
    except CheckoutError as error:
        return _problem(error.message, error.status)
    if user is None:
        session["checkout_email"] = email
    if refused := _limited(email):
        return refused
    try:
        started = find_service(CheckoutService).start(_summary(), currency, buyer_id=_user_id(), email=email)
    except CheckoutError as error:
        return _problem(error.message, error.status)
    if user is None:
        remembered = [r for r in session.get(ORDERS_KEY, []) if isinstance(r, str)]
        session[ORDERS_KEY] = [*remembered, started.order.reference][-REMEMBERED_ORDERS:]
    thanks = url_for("orders.thanks", reference=started.order.reference)
    return redirect(started.payment_url or thanks, 303)


# -- the confirmation page --------------------------------------------------------------------------------
def _visible_order(reference: str) -> Order:
    """The buyer's own order, or a guest order this browser placed; any other reference is a 404."""
    if not _REFERENCE.fullmatch(reference):
        abort(404)
    order = get_session().scalar(select(Order).where(Order.reference == reference))
    if order is None:
        abort(404)
    mine = order.buyer_id is not None and order.buyer_id == _user_id()
    if not mine and reference not in session.get(ORDERS_KEY, []):
        abort(404)
    return order


def _state(order: Order) -> dict[str, Any]:
    buyer = order.buyer_id is not None and order.buyer_id == _user_id()
    return {
        "reference": order.reference,
        "status": order.status.value,
        "done": order.status in (OrderStatus.PAID, OrderStatus.FAILED, OrderStatus.EXPIRED),
        "collection_url": url_for("library.index") if buyer and order.status == OrderStatus.PAID else None,
    }


@bp.get("/orders/<reference>/thanks")
@access(PUBLIC)
def thanks(reference: str) -> ResponseReturnValue:
    order = _visible_order(reference)
    return render_template(
        "orders/thanks.html",
        order=order,
        state=_state(order),
        buyer=order.buyer_id is not None and order.buyer_id == _user_id(),
        format_price=format_price,
    )


@bp.get("/orders/<reference>/status")
@access(PUBLIC)
def status(reference: str) -> ResponseReturnValue:
    return jsonify(_state(_visible_order(reference)))


# -- log-in carries the guest's cart and orders over ------------------------------------------------------
@bp.before_app_request
def _remember_guest() -> None:
    if "uid" not in session and (session.get(CART_KEY) or session.get(ORDERS_KEY)):
        g.guest_cart = _token()
        g.guest_orders = [r for r in session.get(ORDERS_KEY, []) if isinstance(r, str)]


@bp.after_app_request
def _merge_on_login(response: Response) -> Response:
    token, orders = g.pop("guest_cart", None), g.pop("guest_orders", None)
    uid = session.get("uid")
    if request.method != "POST" or response.status_code >= 400 or not isinstance(uid, int):
        return response
    # This request logged the guest in; its transaction commits after this hook.
    if token:
        find_service(CartService).merge(token, uid)
    if orders:
        session[ORDERS_KEY] = orders[-REMEMBERED_ORDERS:]
    return response
