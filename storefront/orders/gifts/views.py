"""Gifts over HTTP: a cart line marked as a gift, the giver's list with resend and refund, the claim page.

A cart line and a gift are found only among the signed-in person's own: anyone else's id is answered as one
that does not exist (404). The claim page is public (the link is the secret) and rate-limited per address.
"""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response
from wtforms import EmailField, StringField, TextAreaField
from wtforms.validators import Length

from ...accounts.access import current_user
from ...accounts.models import User
from ...config import Settings
from ...db import get_session
from ...errors import RuleError
from ...jobs.interfaces import JobQueue
from ...mail.services import MailService
from ...releases.identifiers import format_price
from ...releases.models import Release, ReleaseStatus
from ...web.access import LOGGED_IN, PUBLIC, Rule, ViewArgs, access
from ...web.ratelimit import RateLimiter, in_about, key_part, paused
from ...web.services import client_ip, find_service
from ..cart import CartService
from ..models import CartItem
from ..pricing import offer_for
from ..refunds import RefundService
from . import service
from .models import Gift

bp = Blueprint("gifts", __name__)
# Claim attempts per address (opening and claiming), and resends per giver.
CLAIM_LIMIT = (30, 600)
RESEND_LIMIT = (10, 3600)


class GiftForm(FlaskForm):  # type: ignore[misc]  # Flask-WTF is untyped: FlaskForm is Any
    email = EmailField("Their email address", [Length(max=320)])
    message = TextAreaField(
        "A message (optional)",
        [Length(max=service.MESSAGE_LENGTH)],
        description=f"Up to {service.MESSAGE_LENGTH} characters, sent with the link.",
    )


class GiveForm(GiftForm):
    amount = StringField("Your price", [Length(max=16)])


class ActionForm(FlaskForm):  # type: ignore[misc]
    pass


def _own_item(user: User, view_args: ViewArgs) -> ViewArgs | None:
    granted = dict(view_args)
    item_id = granted.pop("item_id")
    cart = find_service(CartService).find(user_id=user.id, token=None)
    item = next((i for i in cart.items if i.id == item_id), None) if cart is not None else None
    if item is None:
        abort(404)
    granted["item"] = item
    return granted


def _own_gift(user: User, view_args: ViewArgs) -> ViewArgs | None:
    granted = dict(view_args)
    gift = get_session().get(Gift, granted.pop("gift_id"))
    # Another giver's gift is answered exactly as one that does not exist.
    if gift is None or gift.giver_id != user.id:
        abort(404)
    granted["gift"] = gift
    return granted


CART_ITEM = Rule("own-cart-item", True, False, _own_item)
GIVER = Rule("gift-giver", True, False, _own_gift)


def _user() -> User:
    user = current_user()
    assert user is not None
    return user


# -- the cart ------------------------------------------------------------------------------------------------
@bp.route("/cart/items/<int:item_id>/gift", methods=["GET", "POST"])
@access(CART_ITEM)
def mark(item: CartItem) -> ResponseReturnValue:
    form = GiftForm()
    existing = service.gift_for_item(get_session(), item.id)
    if request.method == "GET" and existing is not None:
        form.email.data, form.message.data = existing.recipient_email, existing.message
    if request.method == "POST":
        if not form.validate():
            return render_template("orders/gift_form.html", form=form, item=item), 422
        try:
            gift = service.mark(get_session(), item, _user(), form.email.data or "", form.message.data)
        except RuleError as error:
            getattr(form, error.field or "email").errors.append(error.message)
            return render_template("orders/gift_form.html", form=form, item=item), 422
        flash(f"“{item.release.title}” will be sent to {gift.recipient_email} once you have paid.")
        return redirect(url_for("orders.cart"), code=303)
    return render_template("orders/gift_form.html", form=form, item=item)


@bp.route("/releases/<int:release_id>/give", methods=["GET", "POST"])
@access(LOGGED_IN)
def give(release_id: int) -> ResponseReturnValue:
    """A release put in the cart as a gift straight from its page, whether or not the giver owns it."""
    release = get_session().get(Release, release_id)
    if release is None or release.status != ReleaseStatus.APPROVED:
        abort(404)
    offer = offer_for(get_session(), release, None)
    form = GiveForm()

    def page(status: int = 200) -> ResponseReturnValue:
        return render_template(
            "orders/gift_form.html", form=form, release=release, offer=offer, format_price=format_price
        ), status

    if request.method == "GET":
        return page()
    if not form.validate():
        return page(422)
    amount = (form.amount.data or None) if offer.pay_what_you_want else None
    try:
        gift = service.give(
            find_service(CartService), release, _user(), form.email.data or "", form.message.data, amount
        )
    except RuleError as error:
        field = getattr(form, error.field, None) if error.field else None
        (field.errors if field is not None else form.form_errors).append(error.message)
        return page(422)
    flash(f"“{release.title}” is in your cart as a gift for {gift.recipient_email}, sent once you have paid.")
    return redirect(url_for("orders.cart"), code=303)


@bp.post("/cart/items/<int:item_id>/not-a-gift")
@access(CART_ITEM)
def unmark(item: CartItem) -> Response:
    if not ActionForm().validate():
        abort(400)
    if service.unmark(get_session(), item):
        flash(f"“{item.release.title}” is no longer a gift: it will be yours.")
    return redirect(url_for("orders.cart"), code=303)


# -- the giver -----------------------------------------------------------------------------------------------
@bp.get("/gifts")
@access(LOGGED_IN)
def sent() -> ResponseReturnValue:
    gifts = service.sent_by(get_session(), _user())
    return render_template("orders/gifts.html", gifts=gifts, form=ActionForm())


def _back_with(message: str, category: str = "info") -> Response:
    flash(message, category)
    return redirect(url_for("gifts.sent"), code=303)


@bp.post("/gifts/<int:gift_id>/resend")
@access(GIVER)
def resend(gift: Gift) -> Response:
    if not ActionForm().validate():
        abort(400)
    limiter = find_service(RateLimiter)
    verdict = limiter.hit_with(limiter.item(*RESEND_LIMIT), f"gift-resend:{gift.giver_id}")
    if not verdict.allowed:
        wait = in_about(verdict.retry_after)
        page = render_template(
            "orders/problem.html",
            code=429,
            message=f"You have resent many gifts in a short time. Try again in {wait}.",
            back=url_for("gifts.sent"),
        )
        return paused(Response(page, mimetype="text/html"), verdict.retry_after)
    try:
        base = find_service(Settings).base_url
        service.resend(get_session(), gift, find_service(MailService), str(base))
    except RuleError as error:
        return _back_with(error.message, "error")
    return _back_with(f"A new link is on its way to {gift.recipient_email}; the earlier one no longer works.")


@bp.post("/gifts/<int:gift_id>/refund")
@access(GIVER)
def refund(gift: Gift) -> Response:
    if not ActionForm().validate():
        abort(400)
    refunds = RefundService(get_session(), queue=find_service(JobQueue), mail=find_service(MailService))
    try:
        service.refund(get_session(), gift, _user(), refunds)
    except RuleError as error:
        return _back_with(error.message, "error")
    return _back_with(
        f"“{gift.line.title}” is taken back: the link no longer works and your refund is on its way."
    )


# -- the recipient -------------------------------------------------------------------------------------------
def _limited() -> int | None:
    limiter = find_service(RateLimiter)
    verdict = limiter.hit_with(limiter.item(*CLAIM_LIMIT), f"gift-claim:{key_part(client_ip())}")
    return None if verdict.allowed else verdict.retry_after


@bp.route("/gift/<token>", methods=["GET", "POST"])
@access(PUBLIC)
def claim(token: str) -> ResponseReturnValue:
    if (retry_after := _limited()) is not None:
        page = render_template(
            "orders/problem.html",
            code=429,
            message=f"Too many gift links were tried from here. Try again in {in_about(retry_after)}.",
            back=url_for("library.index"),
        )
        return paused(Response(page, mimetype="text/html"), retry_after)
    user = current_user()
    gift = service.find_by_token(get_session(), token)
    form = ActionForm()
    if request.method == "POST" and user is not None and form.validate():
        try:
            claimed = service.claim(get_session(), token, user)
        except RuleError as error:
            page = render_template("orders/gift_claim.html", gift=gift, problem=error.message, form=form)
            return page, 404 if gift is None else 409
        flash(f"“{claimed.line.title}” is in your collection. Download it in any format.", "success")
        return redirect(url_for("library.index"), code=303)
    problem = service.claim_problem(gift, user)
    status = 404 if gift is None else 409 if problem else 200
    return render_template("orders/gift_claim.html", gift=gift, problem=problem, form=form), status
