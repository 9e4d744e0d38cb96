"""The fan's cart: whole releases and single tracks from any artist or label, each at its chosen amount.

A guest's cart is found by a random token kept in the browser's session and merges into the account's cart
on log-in. A line is one thing: the same release twice is one line, and a whole release includes its
tracks, so a track of a release already in the cart is refused and a whole release replaces its tracks.
What the cart shows is worked out afresh on every view from the release as it is now (a changed price,
a release taken down, an item bought meanwhile), and only lines that are still for sale are charged.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session, selectinload

from ..accounts.payees.services import SaleReadiness, can_sell
from ..db import utcnow
from ..releases.identifiers import format_price
from ..releases.models import Release, Track
from .gifts.service import gifted_item_ids
from .models import Cart, CartItem, Order
from .pricing import (
    AmountError,
    Offer,
    estimate_split,
    minimum_charge,
    offer_for,
    owned_items,
    owns,
    parse_amount,
)
from .split import LineSplit

# Far more than anyone buys at once; stops a script from growing one cart without end.
MAX_ITEMS = 100


class CartError(Exception):
    """A change the cart refuses; `status` is the HTTP answer (404 unknown line, 409 conflict, 422 input)."""

    def __init__(self, message: str, status: int = 409) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


def new_token() -> str:
    return secrets.token_urlsafe(24)


# -- what the cart shows ----------------------------------------------------------------------------------
class LineState:
    OK = "ok"  # charged at checkout
    UNAVAILABLE = "unavailable"  # no longer on sale: shown, never charged
    OWNED = "owned"  # already in the fan's collection: shown, never charged
    ATTENTION = "attention"  # the fan must change the amount before this currency can be paid


@dataclass
class CartLine:
    item: CartItem
    offer: Offer
    amount_minor: int
    currency: str
    state: str
    note: str = ""
    split: LineSplit | None = None  # the estimate of where the money goes, for charged lines

    @property
    def charged(self) -> bool:
        return self.state == LineState.OK


@dataclass
class CurrencyGroup:
    currency: str
    lines: list[CartLine] = field(default_factory=list)
    blocked: str = ""  # why this currency cannot be paid yet

    @property
    def charged(self) -> list[CartLine]:
        return [line for line in self.lines if line.charged]

    @property
    def subtotal_minor(self) -> int:
        return sum(line.amount_minor for line in self.charged)

    @property
    def payable(self) -> bool:
        return bool(self.charged) and not self.blocked


@dataclass
class CartSummary:
    cart: Cart | None
    groups: list[CurrencyGroup]

    @property
    def lines(self) -> list[CartLine]:
        return [line for group in self.groups for line in group.lines]

    @property
    def checkouts(self) -> list[CurrencyGroup]:
        return [group for group in self.groups if group.charged]

    def group(self, currency: str) -> CurrencyGroup | None:
        return next((g for g in self.groups if g.currency == currency), None)


def _line(
    session: Session,
    item: CartItem,
    owned: set[tuple[int, int | None]],
    ready: dict[int, SaleReadiness],
    gifted: set[int],
) -> CartLine:
    if item.release_id not in ready:
        ready[item.release_id] = can_sell(session, item.release)
    offer = offer_for(session, item.release, item.track, ready=ready[item.release_id])
    amount = item.amount_minor

    def line(state: str, note: str = "", amount: int = amount) -> CartLine:
        return CartLine(item, offer, amount, offer.currency, state, note)

    if not offer.available:
        return line(LineState.UNAVAILABLE, offer.reason)
    if owns(owned, item.release_id, item.track_id) and item.id not in gifted:
        return line(LineState.OWNED, "Already in your collection: it will not be charged.")
    if not offer.pay_what_you_want:
        note = ""
        if (item.amount_minor, item.currency) != (offer.price_minor, offer.currency):
            note = f"The price is now {format_price(offer.price_minor, offer.currency)}."
        return line(LineState.OK, note, offer.price_minor)
    if item.currency != offer.currency:
        return line(LineState.ATTENTION, f"This is now sold in {offer.currency}: enter your amount again.")
    try:
        offer.amount_for(amount)
    except AmountError as error:
        return line(LineState.ATTENTION, error.message)
    return line(LineState.OK)


def summarise(
    session: Session, cart: Cart | None, *, user_id: int | None, platform_fee_bps: int
) -> CartSummary:
    """The cart as it stands now, grouped by currency in the order the currencies were first added."""
    if cart is None:
        return CartSummary(None, [])
    items = list(cart.items)
    owned = owned_items(session, user_id, {item.release_id for item in items})
    groups: dict[str, CurrencyGroup] = {}
    ready: dict[int, SaleReadiness] = {}
    gifted = gifted_item_ids(session, cart)  # bought for someone else: owning it does not matter
    for item in items:
        line = _line(session, item, owned, ready, gifted)
        groups.setdefault(line.currency, CurrencyGroup(line.currency)).lines.append(line)
    for group in groups.values():
        charged = group.charged
        subtotal = group.subtotal_minor
        smallest = minimum_charge(group.currency)
        if any(line.state == LineState.ATTENTION for line in group.lines):
            group.blocked = "Change the amounts marked below before paying in " + group.currency + "."
        elif 0 < subtotal < smallest:
            group.blocked = (
                f"The smallest payment we can take is {format_price(smallest, group.currency)}; "
                f"this checkout comes to {format_price(subtotal, group.currency)}."
            )
        if charged:
            splits = estimate_split([line.amount_minor for line in charged], group.currency, platform_fee_bps)
            for line, split in zip(charged, splits, strict=True):
                line.split = split
    return CartSummary(cart, list(groups.values()))


# -- changing the cart ------------------------------------------------------------------------------------
class CartService:
    """Finds and changes carts inside the request's transaction; never commits."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def find(self, *, user_id: int | None, token: str | None) -> Cart | None:
        """The account's cart, or the guest's by its token; None when there is none (nothing is made)."""
        stmt = select(Cart).options(
            selectinload(Cart.items).selectinload(CartItem.release).selectinload(Release.artist),
            selectinload(Cart.items).selectinload(CartItem.track),
        )
        if user_id is not None:
            return self.session.scalar(stmt.where(Cart.user_id == user_id))
        if not token or not 20 <= len(token) <= 64:
            return None
        return self.session.scalar(stmt.where(Cart.token == token, Cart.user_id.is_(None)))

    def open(self, *, user_id: int | None, token: str | None) -> Cart:
        """The cart to change, locked against a concurrent change of the same cart, made when missing."""
        found = self.find(user_id=user_id, token=token)
        if found is None:
            found = Cart(token=new_token(), user_id=user_id)
            self.session.add(found)
            self.session.flush()
            return found
        self.session.execute(select(Cart.id).where(Cart.id == found.id).with_for_update())
        return found

    def add(
        self,
        cart: Cart,
        release: Release,
        track: Track | None,
        raw_amount: str | None,
        *,
        user_id: int | None,
    ) -> str:
        """Put a release or one of its tracks in the cart; returns what to tell the fan."""
        offer = offer_for(self.session, release, track)
        if not offer.available:
            raise CartError(offer.reason)
        chosen = None
        if offer.pay_what_you_want and raw_amount is not None:
            chosen = _parse(raw_amount, offer.currency)
        amount = _checked(offer, chosen)
        track_id = track.id if track is not None else None
        if owns(owned_items(self.session, user_id, {release.id}), release.id, track_id):
            raise CartError(f"{offer.name} is already in your collection.")
        same = _item(cart, release.id, track_id)
        if same is not None:
            if offer.pay_what_you_want and (same.amount_minor, same.currency) != (amount, offer.currency):
                same.amount_minor, same.currency = amount, offer.currency
                self._touch(cart)
                price = format_price(amount, offer.currency)
                return f"{offer.name} was already in your cart; it now costs {price}."
            return f"{offer.name} is already in your cart."
        if track is not None and _item(cart, release.id, None) is not None:
            raise CartError(f"The whole of {release.title} is in your cart already, this track included.")
        replaced = [] if track is not None else [i for i in cart.items if i.release_id == release.id]
        if len(cart.items) - len(replaced) >= MAX_ITEMS:
            raise CartError(f"A cart holds at most {MAX_ITEMS} items; pay for these first.")
        for old in replaced:
            cart.items.remove(old)
        cart.items.append(
            CartItem(release_id=release.id, track_id=track_id, amount_minor=amount, currency=offer.currency)
        )
        self._touch(cart)
        if replaced:
            return f"The whole of {release.title} replaces its tracks in your cart."
        return f"{offer.name} is in your cart."

    def set_amount(self, cart: Cart, item_id: int, raw_amount: str) -> str:
        """A pay-what-you-want line's new amount, checked as when it was added."""
        item = self._own_item(cart, item_id)
        offer = offer_for(self.session, item.release, item.track)
        if not offer.available:
            raise CartError(offer.reason)
        if not offer.pay_what_you_want:
            raise CartError(f"{offer.name} has a fixed price.")
        item.amount_minor = _checked(offer, _parse(raw_amount, offer.currency))
        item.currency = offer.currency
        self._touch(cart)
        return f"{offer.name} now costs {format_price(item.amount_minor, item.currency)}."

    def remove(self, cart: Cart, item_id: int) -> str:
        item = self._own_item(cart, item_id)
        name = offer_for(self.session, item.release, item.track).name
        cart.items.remove(item)
        self._touch(cart)
        return f"{name} is out of your cart."

    def merge(self, guest_token: str | None, user_id: int) -> int:
        """Move a guest's cart into the account's on log-in; returns how many lines came across.

        A line the account's cart already has (or covers with the whole release) stays as the account had
        it; a guest's whole release replaces the account's lines for its tracks."""
        guest = self.find(user_id=None, token=guest_token)
        if guest is None:
            return 0
        mine = self.find(user_id=user_id, token=None)
        if mine is None:
            guest.user_id = user_id
            self._touch(guest)
            return len(guest.items)
        moved = 0
        for item in list(guest.items):
            if _item(mine, item.release_id, item.track_id) or _item(mine, item.release_id, None):
                continue
            if item.track_id is None:
                for old in [i for i in mine.items if i.release_id == item.release_id]:
                    mine.items.remove(old)
            if len(mine.items) >= MAX_ITEMS:
                break
            guest.items.remove(item)
            mine.items.append(
                CartItem(
                    release_id=item.release_id,
                    track_id=item.track_id,
                    amount_minor=item.amount_minor,
                    currency=item.currency,
                )
            )
            moved += 1
        # Orders paid from the guest's cart still empty the cart they came from when they are paid.
        self.session.execute(update(Order).where(Order.cart_id == guest.id).values(cart_id=mine.id))
        self.session.delete(guest)
        self._touch(mine)
        return moved

    def _own_item(self, cart: Cart, item_id: int) -> CartItem:
        # Only this cart's lines: another cart's line id is as unknown as one that never existed.
        found = next((item for item in cart.items if item.id == item_id), None)
        if found is None:
            raise CartError("That item is not in your cart.", 404)
        return found

    def _touch(self, cart: Cart) -> None:
        cart.updated_at = utcnow()
        self.session.flush()


def _item(cart: Cart, release_id: int, track_id: int | None) -> CartItem | None:
    return next((i for i in cart.items if i.release_id == release_id and i.track_id == track_id), None)


def _parse(raw: str, currency: str) -> int:
    try:
        return parse_amount(raw, currency)
    except AmountError as error:
        raise CartError(error.message, 422) from None


def _checked(offer: Offer, chosen: int | None) -> int:
    try:
        return offer.amount_for(chosen)
    except AmountError as error:
        raise CartError(error.message, 422) from None


def clear_bought(session: Session, order: Order) -> None:
    """Take an order's items out of the cart it was paid from, once it is paid. Safe to call twice.

    The order's cart, else the buyer's; a whole release bought also takes its single tracks out."""
    cart_id = order.cart_id
    if cart_id is None and order.buyer_id is not None:
        cart_id = session.scalar(select(Cart.id).where(Cart.user_id == order.buyer_id))
    if cart_id is None:
        return
    for line in order.lines:
        stmt = delete(CartItem).where(CartItem.cart_id == cart_id, CartItem.release_id == line.release_id)
        if line.track_id is not None:
            stmt = stmt.where(CartItem.track_id == line.track_id)
        session.execute(stmt.execution_options(synchronize_session="fetch"))
    session.flush()
