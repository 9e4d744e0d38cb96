"""What a release or a track costs, what a fan may pay for it, and where the money would go.

Amounts are integer minor units of the release's currency. A fixed price is the artist's price; with
pay-what-you-want the artist's minimum is enforced here, whatever the form sent, and a minimum of 0 makes
the release a free download that the fan may still choose to pay for. The payment provider cannot take
very small charges, so a non-zero amount below its minimum charge is refused.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..accounts.payees.services import SaleReadiness, can_sell
from ..releases.identifiers import CURRENCIES, format_price
from ..releases.models import Release, ReleaseStatus, Track
from .models import Entitlement
from .split import LineSplit, split_charge

# The most one item may cost when the fan names the price: a typo of three zeros must not reach a card.
MAX_AMOUNT_MINOR = 1_000_000
# The smallest charge Stripe accepts, per currency (Stripe's "minimum and maximum charge amounts").
MINIMUM_CHARGE_MINOR: dict[str, int] = {
    "USD": 50,
    "EUR": 50,
    "GBP": 30,
    "JPY": 50,
    "CAD": 50,
    "AUD": 50,
    "NZD": 50,
    "CHF": 50,
    "SGD": 50,
    "BRL": 50,
    "DKK": 250,
    "SEK": 300,
    "NOK": 300,
    "PLN": 200,
    "HKD": 400,
    "MXN": 1000,
    "CZK": 1500,
}
DEFAULT_MINIMUM_CHARGE_MINOR = 50
# Stripe's published card pricing, as (basis points, fixed minor units) per charge: only an estimate shown
# before paying; the real fee is read from the charge when it settles.
FEE_ESTIMATE: dict[str, tuple[int, int]] = {"JPY": (360, 0)}
DEFAULT_FEE_ESTIMATE = (290, 30)
_AMOUNT_RE = re.compile(r"\d{1,9}(?:[.,]\d{1,9})?")


class AmountError(ValueError):
    """An amount a fan may not pay; the message says what they can do instead."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def minimum_charge(currency: str) -> int:
    return MINIMUM_CHARGE_MINOR.get(currency, DEFAULT_MINIMUM_CHARGE_MINOR)


def format_amount(minor: int, currency: str) -> str:
    """An amount as typed in a form field: "7.50" for USD, "700" for JPY."""
    exponent = CURRENCIES.get(currency, 2)
    if exponent == 0:
        return str(minor)
    scale = 10**exponent
    return f"{minor // scale}.{minor % scale:0{exponent}d}"


def parse_amount(raw: str | None, currency: str) -> int:
    """An amount typed by a person ("7", "7.50", "7,50", "€7") in minor units of `currency`."""
    if currency not in CURRENCIES:
        raise AmountError(f"{currency} is not a currency we can take payments in.")
    exponent = CURRENCIES[currency]
    text = (raw or "").strip()[:40].lstrip("$€£¥ ").removesuffix(currency).strip()
    if text == "":
        raise AmountError("Enter an amount, or 0.")
    if not _AMOUNT_RE.fullmatch(text):
        raise AmountError("Enter an amount as a number, like 7 or 7.50.")
    whole, _, fraction = text.replace(",", ".").partition(".")
    digits = fraction.rstrip("0")  # "7.50" and "7.5" are the same amount; so are "700.0" yen and "700"
    if len(digits) > exponent:
        places = f"{exponent} decimal place{'s' if exponent != 1 else ''}" if exponent else "no decimals"
        raise AmountError(f"Amounts in {currency} have {places}.")
    minor = int(whole) * int(10**exponent) + (int(digits.ljust(exponent, "0")) if digits else 0)
    if minor > MAX_AMOUNT_MINOR:
        raise AmountError(f"The most we accept for one item is {format_price(MAX_AMOUNT_MINOR, currency)}.")
    return minor


# -- offers -----------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Offer:
    """How one release or track is sold right now. `price_minor` is the fixed price or, with
    pay-what-you-want, the suggested one. `payable`: a non-zero amount can reach the payee."""

    release: Release
    track: Track | None
    currency: str
    price_minor: int
    minimum_minor: int
    pay_what_you_want: bool
    available: bool
    payable: bool
    reason: str = ""

    @property
    def free(self) -> bool:
        return self.minimum_minor == 0

    @property
    def name(self) -> str:
        return line_name(self.release, self.track)

    def amount_for(self, chosen: int | None) -> int:
        """The amount to charge: the fixed price, or the fan's choice checked against the rules."""
        if not self.available:
            raise AmountError(self.reason)
        if self.pay_what_you_want:
            suggested = self.price_minor if self.payable else 0
            amount = suggested if chosen is None else chosen
        else:
            amount = self.price_minor  # what the form sent does not matter for a fixed price
        if amount < 0 or amount > MAX_AMOUNT_MINOR:
            most = format_price(MAX_AMOUNT_MINOR, self.currency)
            raise AmountError(f"The most we accept for one item is {most}.")
        if amount < self.minimum_minor:
            raise AmountError(
                f"The artist asks at least {format_price(self.minimum_minor, self.currency)} for this."
            )
        if amount and not self.payable:
            raise AmountError(f"{self.reason} You can still take it for free: enter 0.")
        smallest = minimum_charge(self.currency)
        if 0 < amount < smallest and self.pay_what_you_want:
            alternative = "enter 0 for a free download, or " if self.free else "enter "
            raise AmountError(
                f"The smallest payment we can take is {format_price(smallest, self.currency)}: "
                f"{alternative}at least that."
            )
        return amount


def line_name(release: Release, track: Track | None) -> str:
    """As the fan sees it on the payment page and the receipt."""
    parts = [track.title] if track is not None else []
    return " — ".join([*parts, release.title, release.artist.name])[:300]


def _not_on_sale(release: Release) -> str:
    if release.status == ReleaseStatus.TAKEN_DOWN:
        return "This release has been withdrawn from sale."
    return "This release is not on sale."


def offer_for(
    session: Session, release: Release, track: Track | None = None, *, ready: SaleReadiness | None = None
) -> Offer:
    """`ready`: the release's `can_sell` answer when the caller has it already (one per release)."""
    currency = release.currency
    if track is not None:
        price = track.price_minor if track.price_minor is not None else 0
        pwyw, minimum = False, price
    elif release.pay_what_you_want:
        minimum = release.minimum_price_minor
        price, pwyw = max(release.price_minor, minimum), True
    else:
        price = minimum = release.price_minor
        pwyw = False

    def offer(available: bool, payable: bool, reason: str = "") -> Offer:
        return Offer(release, track, currency, price, minimum, pwyw, available, payable, reason)

    if release.status != ReleaseStatus.APPROVED or currency not in CURRENCIES:
        return offer(False, False, _not_on_sale(release))
    if track is not None and (track.release_id != release.id or track.price_minor is None):
        return offer(False, False, "This track is sold only as part of the release.")
    ready = ready or can_sell(session, release)
    if ready.ok:
        return offer(True, True)
    # Nothing owed to anyone: a free download needs no payee.
    return offer(minimum == 0, False, ready.reason or "The artist cannot receive payments yet.")


# -- ownership --------------------------------------------------------------------------------------------
def owned_items(session: Session, user_id: int | None, release_ids: set[int]) -> set[tuple[int, int | None]]:
    """(release id, track id or None) the user holds a live right to, among these releases."""
    if user_id is None or not release_ids:
        return set()
    rows = session.execute(
        select(Entitlement.release_id, Entitlement.track_id).where(
            Entitlement.user_id == user_id,
            Entitlement.release_id.in_(release_ids),
            Entitlement.revoked_at.is_(None),
        )
    )
    return {(release_id, track_id) for release_id, track_id in rows}


def owns(owned: set[tuple[int, int | None]], release_id: int, track_id: int | None) -> bool:
    # The whole release covers each of its tracks.
    return (release_id, None) in owned or (track_id is not None and (release_id, track_id) in owned)


# -- the release page's buy buttons -----------------------------------------------------------------------
@dataclass(frozen=True)
class BuyOptions:
    release: Offer
    tracks: dict[int, Offer]  # track id -> offer, for the tracks sold on their own
    owned: bool
    owned_tracks: frozenset[int]


def buy_options(session: Session, release: Release, user_id: int | None) -> BuyOptions:
    owned = owned_items(session, user_id, {release.id})
    ready = can_sell(session, release)
    tracks = {
        track.id: offer
        for track in release.tracks
        if (offer := offer_for(session, release, track, ready=ready)).available
    }
    return BuyOptions(
        offer_for(session, release, ready=ready),
        tracks,
        owns(owned, release.id, None),
        frozenset(t.id for t in release.tracks if owns(owned, release.id, t.id)),
    )


# -- where the money goes ---------------------------------------------------------------------------------
def estimated_processing_fee(subtotal: int, currency: str) -> int:
    """Stripe's published price for one charge of `subtotal`, rounded half up; never more than the charge."""
    if subtotal <= 0:
        return 0
    bps, fixed = FEE_ESTIMATE.get(currency, DEFAULT_FEE_ESTIMATE)
    return min(subtotal, (subtotal * bps + 5_000) // 10_000 + fixed)


def estimate_split(amounts: list[int], currency: str, platform_fee_bps: int) -> list[LineSplit]:
    """Each line's artist share, estimated processing fee and platform fee, as one charge would split."""
    fee = estimated_processing_fee(sum(amounts), currency)
    return split_charge(amounts, processing_fee=fee, platform_fee_bps=platform_fee_bps)
