"""The demo fan's first purchase: one release bought in the sandbox, fulfilled the way every purchase is.

The order is written as checkout writes it, the sandbox opens its session and takes the (pretend) payment,
and the event that records goes through the same handlers, split, ledger, rights and receipt as a Stripe
webhook's. No money moves: this only runs with the sandbox gateway.
"""

from __future__ import annotations

from sqlalchemy import func, select

from ..accounts.models import Artist, User
from ..accounts.payees.models import PayeeAccount
from ..accounts.payees.services import payee_for
from ..container import Platform
from ..jobs.inline import InlineDispatcher
from ..orders.checkout import new_reference
from ..orders.models import Order, OrderLine, OrderStatus
from ..orders.pricing import line_name
from ..payments.interfaces import CheckoutLine, CheckoutRequest
from ..payments.sandbox import SandboxGateway
from ..releases.models import Release, ReleaseStatus


def connect_payees(platform: Platform) -> int:
    """Give every demo artist without one a sandbox payout account that can receive transfers, as if its
    owner had finished onboarding, so the demo store sells. Returns how many were connected."""
    sandbox = platform.payments
    if not isinstance(sandbox, SandboxGateway):
        return 0
    with platform.database.session() as session:
        waiting = [
            (artist.id, artist.name, artist.members[0].user.email if artist.members else "")
            for artist in session.scalars(
                select(Artist)
                .outerjoin(PayeeAccount, PayeeAccount.artist_id == Artist.id)
                .where(PayeeAccount.id.is_(None))
                .order_by(Artist.id)
            )
        ]
    for artist_id, name, email in waiting:
        account_id = sandbox.create_payee(
            display_name=name,
            email=email or "payouts@example.com",
            country=platform.settings.payee_default_country,
            idempotency_key=f"velvet-payee-artist-{artist_id}",
        )
        sandbox.enable_transfers(account_id)
        with platform.database.transaction() as session:
            session.add(
                PayeeAccount(
                    artist_id=artist_id,
                    gateway=sandbox.backend_name,
                    provider_account_id=account_id,
                    transfers_enabled=True,
                    details_needed=[],
                )
            )
    InlineDispatcher(platform.executor, mode="manual").drain()
    return len(waiting)


def seed_purchase(platform: Platform, fan_email: str) -> bool:
    """Buy the first priced demo release for the fan, unless the fan has bought anything already.
    Returns whether a purchase was made."""
    sandbox = platform.payments
    if not isinstance(sandbox, SandboxGateway):
        return False
    base = platform.settings.base_url.rstrip("/")
    with platform.database.transaction() as session:
        fan = session.scalar(select(User).where(func.lower(User.email) == fan_email.lower()))
        release = session.scalar(
            select(Release)
            .where(Release.status == ReleaseStatus.APPROVED, Release.price_minor > 0)
            .order_by(Release.id)
        )
        if fan is None or release is None:
            return False
        if session.scalar(select(Order.id).where(Order.buyer_id == fan.id).limit(1)) is not None:
            return False
        payee = payee_for(session, release)
        order = Order(
            reference=new_reference(),
            buyer_id=fan.id,
            email=fan.email,
            currency=release.currency,
            subtotal_minor=release.price_minor,
            status=OrderStatus.PENDING,
            gateway=sandbox.backend_name,
            platform_fee_bps=platform.settings.platform_fee_bps,
        )
        order.transfer_group = "order_" + order.reference
        order.lines.append(
            OrderLine(
                release_id=release.id,
                artist_id=release.artist_id,
                payee_artist_id=payee.artist_id,
                payee_label_id=payee.label_id,
                title=line_name(release, None),
                amount_minor=release.price_minor,
                currency=release.currency,
            )
        )
        session.add(order)
        session.flush()
        order_id, reference, currency = order.id, order.reference, order.currency
        request = CheckoutRequest(
            order_reference=reference,
            currency=currency,
            lines=tuple(CheckoutLine(line.title, line.amount_minor) for line in order.lines),
            success_url=f"{base}/orders/{reference}/thanks?session_id={{CHECKOUT_SESSION_ID}}",
            cancel_url=f"{base}/cart",
            transfer_group=order.transfer_group,
            idempotency_key=f"velvet-checkout-{reference}",
            customer_email=fan.email,
        )
    started = sandbox.create_checkout(request)
    with platform.database.transaction() as session:
        stored = session.get(Order, order_id)
        assert stored is not None
        stored.checkout_session_id = started.session_id
    sandbox.pay(started.session_id, "succeeds")  # records checkout.session.completed, as Stripe would send
    InlineDispatcher(platform.executor, mode="manual").drain()
    return True
