"""Download rights from orders, and a guest's purchases claimed by the account that proves their address.

A purchase gives its buyer one entitlement per line. A guest's order (no buyer, only an email) is claimed
when an account holding that address, verified, logs in or verifies it, and from the claim link in the
guest's receipt. An address nobody has proven never claims anything: an unverified account could have
been opened by anyone who typed it.
"""

from __future__ import annotations

from datetime import timedelta

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_wtf import FlaskForm
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from werkzeug.wrappers import Response

from ...accounts.access import current_user
from ...accounts.credentials import TokenInvalid, Tokens
from ...accounts.models import User
from ...db import get_session
from ...web.access import PUBLIC, access
from ...web.services import find_service
from ..gifts.service import gift_line_ids
from ..models import Entitlement, EntitlementSource, LineStatus, Order, OrderStatus

CLAIM_PURPOSE = "claim-order"
CLAIM_MAX_AGE = int(timedelta(days=365).total_seconds())
# Orders a proven address takes over: paid ones, and those still settling (their rights come when paid).
CLAIMABLE = (OrderStatus.PAID, OrderStatus.PROCESSING)

bp = Blueprint("claims", __name__)


def grant_entitlements(session: Session, order: Order) -> int:
    """The buyer's right to each line of a paid order that is not refunded; returns how many were added.
    Safe to run again: a right the buyer holds already is not added twice."""
    if order.buyer_id is None or order.status != OrderStatus.PAID:
        return 0
    added = 0
    gifts = gift_line_ids(session, order)  # their right goes to whoever claims the gift
    for line in order.lines:
        if line.status != LineStatus.OPEN or line.id in gifts:
            continue
        held = session.scalar(
            select(Entitlement.id).where(
                Entitlement.user_id == order.buyer_id,
                Entitlement.release_id == line.release_id,
                Entitlement.track_id.is_(None)
                if line.track_id is None
                else Entitlement.track_id == line.track_id,
                Entitlement.source == EntitlementSource.PURCHASE,
                Entitlement.revoked_at.is_(None),
            )
        )
        if held is not None:
            continue
        try:
            with session.begin_nested():
                session.add(
                    Entitlement(
                        user_id=order.buyer_id,
                        release_id=line.release_id,
                        track_id=line.track_id,
                        source=EntitlementSource.PURCHASE,
                        order_line_id=line.id,
                        payment_reference=order.charge_id,
                        amount_minor=line.amount_minor,
                        currency=line.currency,
                    )
                )
        except IntegrityError:
            continue  # the same right, added at this moment by another purchase
        added += 1
    return added


def claim_purchases(session: Session, user: User) -> int:
    """Attach the guest orders made with `user`'s address to `user` and grant their rights, if the address
    is verified. Returns how many orders were claimed."""
    if not user.is_verified or not user.is_active:
        return 0
    orders = session.scalars(
        select(Order)
        .where(
            Order.buyer_id.is_(None),
            func.lower(Order.email) == user.email.lower(),
            Order.status.in_(CLAIMABLE),
        )
        .order_by(Order.id)
        .with_for_update()
    ).all()
    for order in orders:
        order.buyer_id = user.id
        grant_entitlements(session, order)
    if orders:
        session.flush()
    return len(orders)


def claim_token(tokens: Tokens, order: Order) -> str:
    return tokens.make(CLAIM_PURPOSE, {"order": order.reference, "email": (order.email or "").lower()})


def claim_link(base_url: str, tokens: Tokens, order: Order) -> str:
    return f"{base_url.rstrip('/')}/claim/{claim_token(tokens, order)}"


class ClaimForm(FlaskForm):  # type: ignore[misc]
    pass


@bp.route("/claim/<token>", methods=["GET", "POST"])
@access(PUBLIC)
def claim(token: str) -> Response | str | tuple[str, int]:
    """The receipt's link for a guest: log in (or sign up) with the address it went to, and the purchase
    joins that account's collection."""
    try:
        data = find_service(Tokens).load(CLAIM_PURPOSE, token, max_age=CLAIM_MAX_AGE)
    except TokenInvalid as error:
        return render_template("accounts/token_problem.html", message=error.reason), 400
    email = str(data.get("email", ""))
    user = current_user()
    form = ClaimForm()
    matches = user is not None and user.email.lower() == email
    if form.validate_on_submit() and user is not None and matches and user.is_verified:
        claimed = claim_purchases(get_session(), user)
        flash(
            "Your purchase is in your collection." if claimed else "There was nothing left to claim.",
            "success",
        )
        return redirect(url_for("library.index"))
    return render_template("orders/claim.html", form=form, email=email, user=user, matches=matches)


def claim_on_proof(session: Session, user: User) -> None:
    """For accounts' hooks: run on verification and on log-in to a verified account."""
    claim_purchases(session, user)
