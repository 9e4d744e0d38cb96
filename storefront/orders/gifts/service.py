"""Gifts: marking cart lines, giving each paid line's gift its claim link, claiming, resending and refunding.

Choices, and why:
- A gift is a whole release (a track is not something people give), bought by an account, so the giver
  has a page to follow it on. The giver cannot address it to their own account's address: that is a
  purchase, and buying it as one keeps their collection and refunds plain.
- The link is the secret, as on other music stores: any logged-in account that opens it may claim it,
  once (the recipient may well use another address for their account). Only a SHA-256 of the link's token
  is stored; a fresh link replaces the old one, which stops working. The giver's own account cannot claim.
- Resending makes a fresh link and is limited per gift (a pause between sends, a total), so the feature
  cannot be used to flood someone's mailbox.
- Refunding is refunding the line through the refund service: the payee's share is taken back as for any
  refund. Only a gift nobody claimed yet can be refunded by its giver, and once refunded it cannot be claimed.
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from email_validator import EmailNotValidError, validate_email
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ...accounts.credentials import hash_token, new_secret_token
from ...accounts.models import User
from ...db import utcnow
from ...errors import RuleError
from ...jobs.interfaces import JobQueue, JobRegistry, JobSpec
from ...jobs.runner import JobContext
from ...mail.services import MailService, render_outside_request
from ...releases.models import Release, ReleaseStatus
from ..models import (
    Cart,
    CartItem,
    Entitlement,
    EntitlementSource,
    LineStatus,
    Order,
    OrderLine,
    OrderStatus,
)
from ..refunds import RefundError, RefundService
from .models import CartGift, Gift, GiftState

if TYPE_CHECKING:
    from ..cart import CartService

# {"order_id": int}: mail the claim links of a paid order's gifts; safe to run again.
SEND_GIFTS = JobSpec("orders.send_gifts")
MESSAGE_LENGTH = 500
RESEND_PAUSE = timedelta(minutes=10)
MOST_SENDS = 5  # the first mail and four resends
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


def checked_recipient(raw: str, giver: User) -> str:
    text = (raw or "").strip()
    if not text:
        raise RuleError("Enter the address the gift goes to.", "email")
    if len(text) > 320:
        raise RuleError("That email address is too long.", "email")
    try:
        address = validate_email(text, check_deliverability=False).normalized
    except EmailNotValidError:
        raise RuleError("Enter a valid email address, like name@example.com.", "email") from None
    if address.lower() == giver.email.lower():
        raise RuleError(
            "That is your own address: to keep it yourself, buy it without marking it as a gift.", "email"
        )
    return address


def checked_message(raw: str | None) -> str:
    text = _CONTROL.sub("", (raw or "").replace("\r\n", "\n")).strip()
    if len(text) > MESSAGE_LENGTH:
        raise RuleError(f"Keep the message under {MESSAGE_LENGTH} characters.", "message")
    return text


def one_line(text: str) -> str:
    """Text fit for a mail header: no line breaks or control characters."""
    return " ".join(_CONTROL.sub(" ", text).split())


# -- the cart ------------------------------------------------------------------------------------------------
def gift_for_item(session: Session, item_id: int) -> CartGift | None:
    return session.get(CartGift, item_id)


def gifts_in(session: Session, cart: Cart | None) -> dict[int, CartGift]:
    """The cart's lines marked as gifts, by the cart item's id."""
    if cart is None or not cart.items:
        return {}
    return {gift.cart_item_id: gift for gift in _cart_gifts(session, cart)}


def gifted_item_ids(session: Session, cart: Cart | None) -> set[int]:
    return set(gifts_in(session, cart))


def mark(session: Session, item: CartItem, giver: User, raw_email: str, raw_message: str | None) -> CartGift:
    """Mark (or re-address) a cart line as a gift."""
    if item.track_id is not None:
        raise RuleError("A gift is a whole release: put the whole release in your cart to give it.")
    email, message = checked_recipient(raw_email, giver), checked_message(raw_message)
    gift = session.get(CartGift, item.id)
    if gift is None:
        gift = CartGift(cart_item_id=item.id, recipient_email=email, message=message)
        session.add(gift)
    else:
        gift.recipient_email, gift.message = email, message
    session.flush()
    return gift


def give(
    carts: CartService,
    release: Release,
    giver: User,
    raw_email: str,
    raw_message: str | None,
    raw_amount: str | None,
) -> CartGift:
    """Put a whole release in the giver's cart as a gift (a line of it already there becomes the gift).
    Whether the giver owns it does not matter: they are buying it for someone else."""
    from ..cart import CartError  # the cart asks this module which of its lines are gifts

    # Refuse a bad address or message before anything goes into the cart.
    checked_recipient(raw_email, giver)
    checked_message(raw_message)
    cart = carts.open(user_id=giver.id, token=None)
    try:
        carts.add(cart, release, None, raw_amount, user_id=None)
    except CartError as error:
        raise RuleError(error.message, "amount" if error.status == 422 else None) from None
    item = next(i for i in cart.items if i.release_id == release.id and i.track_id is None)
    return mark(carts.session, item, giver, raw_email, raw_message)


def unmark(session: Session, item: CartItem) -> bool:
    gift = session.get(CartGift, item.id)
    if gift is None:
        return False
    session.delete(gift)
    session.flush()
    return True


def attach(session: Session, order: Order, cart: Cart) -> None:
    """At checkout: the marked lines of `cart` paid by `order` become its gifts, waiting for the payment."""
    marked = {gift.item.release_id: gift for gift in _cart_gifts(session, cart) if gift.item.track_id is None}
    for line in order.lines:
        draft = marked.get(line.release_id)
        if draft is None or line.track_id is not None:
            continue
        session.add(
            Gift(
                order_line_id=line.id,
                giver_id=order.buyer_id,
                recipient_email=draft.recipient_email,
                message=draft.message,
            )
        )
    session.flush()


def _cart_gifts(session: Session, cart: Cart) -> list[CartGift]:
    ids = [item.id for item in cart.items]
    return list(session.scalars(select(CartGift).where(CartGift.cart_item_id.in_(ids)))) if ids else []


def gift_line_ids(session: Session, order: Order) -> set[int]:
    """The lines of an order that are gifts: their right goes to whoever claims, not to the buyer."""
    ids = [line.id for line in order.lines]
    return (
        set(session.scalars(select(Gift.order_line_id).where(Gift.order_line_id.in_(ids)))) if ids else set()
    )


def queue_gifts(session: Session, order: Order, queue: JobQueue) -> None:
    """On payment: the claim links go out by job after this commit (the job knows the public address)."""
    if gift_line_ids(session, order):
        queue.enqueue(SEND_GIFTS, {"order_id": order.id}, dedupe_key=f"gifts:{order.id}")


# -- mail ----------------------------------------------------------------------------------------------------
def mail_gift(session: Session, gift: Gift, mail: MailService, base_url: str) -> None:
    """A fresh claim link for `gift` (the previous one stops working) and the mail that carries it."""
    token, digest = new_secret_token()
    gift.token_hash = digest
    gift.times_sent += 1
    gift.sent_at = utcnow()
    gift.state = GiftState.SENT
    session.flush()
    line = gift.line
    giver = gift.giver.display_name if gift.giver is not None else "Someone"
    mail.send(
        "gift",
        gift.recipient_email,
        one_line(f"{giver} sent you “{line.title}”"),
        "gift",
        giver=giver,
        title=line.release.title,  # the line's own title ends with the artist's name
        artist=line.artist.name,
        message=gift.message,
        link=f"{base_url.rstrip('/')}/gift/{token}",
    )


def send_gifts(context: JobContext, payload: dict[str, Any]) -> None:
    platform = context.services
    with context.transaction() as session:
        order = session.get(Order, int(payload["order_id"]))
        if order is None or order.status != OrderStatus.PAID:
            return
        ids = [line.id for line in order.lines]
        waiting = session.scalars(
            select(Gift)
            .where(Gift.order_line_id.in_(ids), Gift.state == GiftState.PENDING)
            .order_by(Gift.id)
            .with_for_update()
        )
        mail = MailService(session, JobQueue(session, platform.jobs), render_outside_request)
        for gift in waiting:
            if gift.line.status == LineStatus.OPEN:
                mail_gift(session, gift, mail, str(platform.settings.base_url))


def register_jobs(registry: JobRegistry) -> None:
    registry.add(SEND_GIFTS, send_gifts)


# -- the recipient -------------------------------------------------------------------------------------------
def find_by_token(session: Session, token: str, *, lock: bool = False) -> Gift | None:
    if not 20 <= len(token) <= 100:
        return None
    stmt = select(Gift).where(Gift.token_hash == hash_token(token))
    return session.scalar(stmt.with_for_update() if lock else stmt)


def claim_problem(gift: Gift | None, user: User | None) -> str | None:
    """Why this link cannot be claimed (by `user`, when given), or None."""
    if gift is None:
        return "This gift link does not work: it may have been claimed already, or replaced by a newer one."
    if gift.state == GiftState.CLAIMED:
        return "This gift has been claimed already."
    if gift.state in (GiftState.REFUNDED, GiftState.WITHDRAWN) or gift.line.status != LineStatus.OPEN:
        return "This gift was taken back, so it can no longer be claimed."
    if gift.line.release.status == ReleaseStatus.TAKEN_DOWN:
        return "This release is no longer available, so the gift cannot be claimed."
    if user is not None and gift.giver_id == user.id:
        return "You gave this gift: it is for the person you sent it to."
    return None


def claim(session: Session, token: str, user: User) -> Gift:
    gift = find_by_token(session, token, lock=True)
    if (problem := claim_problem(gift, user)) is not None:
        raise RuleError(problem)
    assert gift is not None
    line = gift.line
    right = Entitlement(
        user_id=user.id,
        release_id=line.release_id,
        track_id=None,
        source=EntitlementSource.GIFT,
        order_line_id=line.id,
        payment_reference=line.order.charge_id,
        amount_minor=line.amount_minor,
        currency=line.currency,
    )
    try:
        with session.begin_nested():
            session.add(right)
    except IntegrityError:
        raise RuleError(
            "You already hold this release from another gift. Leave this link for someone else: its giver "
            "can take it back."
        ) from None
    gift.state, gift.claimed_at, gift.claimed_by_id = GiftState.CLAIMED, utcnow(), user.id
    gift.entitlement_id, gift.token_hash = right.id, None
    session.flush()
    return gift


# -- the giver -----------------------------------------------------------------------------------------------
def sent_by(session: Session, giver: User) -> list[Gift]:
    """The giver's gifts, newest first; those of checkouts that were never paid are left out."""
    stmt = (
        select(Gift)
        .join(OrderLine, OrderLine.id == Gift.order_line_id)
        .join(Order, Order.id == OrderLine.order_id)
        .where(Gift.giver_id == giver.id, Order.status.not_in((OrderStatus.EXPIRED, OrderStatus.FAILED)))
        .order_by(Gift.id.desc())
    )
    return list(session.scalars(stmt))


def resend(session: Session, gift: Gift, mail: MailService, base_url: str) -> None:
    if gift.state != GiftState.SENT or claim_problem(gift, None) is not None:
        raise RuleError("Only a gift that is waiting to be claimed can be sent again.")
    if gift.times_sent >= MOST_SENDS:
        raise RuleError(
            f"This gift was sent {gift.times_sent} times already. If it does not arrive, take it back and "
            "give it to another address."
        )
    if gift.sent_at is not None and utcnow() - gift.sent_at < RESEND_PAUSE:
        raise RuleError("This gift was sent a few minutes ago: give the mail some time to arrive.")
    mail_gift(session, gift, mail, base_url)


def refund(session: Session, gift: Gift, giver: User, refunds: RefundService) -> None:
    session.refresh(gift, with_for_update=True)
    if gift.state == GiftState.CLAIMED:
        raise RuleError("This gift has been claimed: it belongs to its recipient now and cannot be refunded.")
    if gift.state in (GiftState.REFUNDED, GiftState.WITHDRAWN):
        raise RuleError("This gift was refunded already.")
    if gift.state == GiftState.PENDING:
        raise RuleError("This gift's payment has not arrived yet; try again in a few minutes.")
    line = gift.line
    try:
        refunds.refund_line(line, refunds.refundable(line), reason="Gift taken back unclaimed", by=giver)
    except RefundError as error:
        raise RuleError(error.message) from None
    gift.state, gift.ended_at, gift.token_hash = GiftState.REFUNDED, utcnow(), None
    session.flush()


# -- takedown ------------------------------------------------------------------------------------------------
def withdraw_unclaimed(session: Session, release_id: int, refunds: RefundService) -> int:
    """A release taken down: its unclaimed gifts stop working and their givers are refunded."""
    waiting = list(
        session.scalars(
            select(Gift)
            .join(OrderLine, OrderLine.id == Gift.order_line_id)
            .where(OrderLine.release_id == release_id, Gift.state.in_((GiftState.PENDING, GiftState.SENT)))
            .with_for_update(of=Gift)
        )
    )
    for gift in waiting:
        gift.state, gift.ended_at, gift.token_hash = GiftState.WITHDRAWN, utcnow(), None
        if refunds.refusal(gift.line) is None:
            refunds.refund_line(gift.line, refunds.refundable(gift.line), reason="takedown", by=None)
    session.flush()
    return len(waiting)
