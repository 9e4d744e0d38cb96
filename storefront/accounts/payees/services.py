"""Who is paid for a release, whether it can be sold, and the payees' connected accounts.

The payee of a release is its artist, unless the release is on a label whose active roster link with the
artist says, by both sides' agreement, that the label collects. A release can be sold for money only while
its payee's account can receive transfers.

An account is created once per artist or label, with an idempotency key of that profile, so a retried or
doubled request finds the same account at the gateway and never a second one; it is never replaced from
here (changing where a profile is paid is a support matter). What the gateway says about the account is
copied on every `account.updated` (or Accounts v2 capability/requirements event) and when the owner
comes back from onboarding.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ...config import Settings
from ...db import Database, utcnow
from ...jobs.interfaces import JobDispatcher, JobQueue, JobRegistry, JobSpec
from ...payments.events import EventRoutes
from ...payments.interfaces import GatewayError, GatewayEvent, PayeeState, PaymentGateway
from ..models import Artist, Label, RosterLink, RosterStatus
from .models import PayeeAccount

if TYPE_CHECKING:
    from ...jobs.runner import JobContext

log = logging.getLogger(__name__)

# {"payee_key": "artist:<id>" | "label:<id>"}: the payee's account can receive transfers now; payouts sends
# what it held back for it. Declared here so this room need not know about transfers (payouts handles it).
PAYEE_READY = JobSpec("payees.ready")

# The gateway's notices that an account's capabilities or requirements changed: Connect's v1 event, and
# the Accounts v2 events for the recipient configuration (its `stripe_transfers` capability) and for
# requirements (what the account still owes).
ACCOUNT_EVENTS = (
    "account.updated",
    "v2.core.account[configuration.recipient].capability_status_updated",
    "v2.core.account[configuration.recipient].updated",
    "v2.core.account[requirements].updated",
    "v2.core.account.updated",
)


class PayeePlatform(Protocol):
    """The platform as payees use it outside a request's transaction (jobs, the onboarding return)."""

    database: Database
    payments: PaymentGateway
    settings: Settings
    jobs: JobDispatcher


class Sellable(Protocol):
    """What deciding the payee needs of a release (so this room need not import releases)."""

    @property
    def artist_id(self) -> int: ...

    @property
    def label_id(self) -> int | None: ...


@dataclass(frozen=True)
class PayeeRef:
    """Who is paid: exactly one of `artist_id` and `label_id`, and its connected account if it has one."""

    artist_id: int | None
    label_id: int | None
    account: PayeeAccount | None

    @property
    def key(self) -> str:
        return f"artist:{self.artist_id}" if self.artist_id is not None else f"label:{self.label_id}"

    @property
    def can_receive(self) -> bool:
        return self.account is not None and self.account.transfers_enabled


@dataclass(frozen=True)
class SaleReadiness:
    ok: bool
    reason: str = ""


def collecting_link(session: Session, *, label_id: int, artist_id: int) -> RosterLink | None:
    """The roster link by which the label collects for the artist, when it is active and agreed."""
    link = session.scalar(
        select(RosterLink).where(RosterLink.label_id == label_id, RosterLink.artist_id == artist_id)
    )
    if link is None or link.status != RosterStatus.ACTIVE or not link.label_collects:
        return None
    return link


def payee_for(session: Session, release: Sellable) -> PayeeRef:
    if release.label_id is not None and collecting_link(
        session, label_id=release.label_id, artist_id=release.artist_id
    ):
        account = session.scalar(select(PayeeAccount).where(PayeeAccount.label_id == release.label_id))
        return PayeeRef(artist_id=None, label_id=release.label_id, account=account)
    account = session.scalar(select(PayeeAccount).where(PayeeAccount.artist_id == release.artist_id))
    return PayeeRef(artist_id=release.artist_id, label_id=None, account=account)


def can_sell(session: Session, release: Sellable) -> SaleReadiness:
    """Whether money taken for this release can reach its payee. Says nothing of the release's review
    state (on sale means APPROVED as well) nor of free downloads, which need no payee."""
    payee = payee_for(session, release)
    who = "The artist" if payee.artist_id is not None else "The label that sells this release"
    if payee.account is None:
        return SaleReadiness(False, f"{who} has not connected a payout account yet.")
    if not payee.account.transfers_enabled:
        return SaleReadiness(False, f"{who} has not finished setting up its payout account.")
    return SaleReadiness(True)


class PayeeError(Exception):
    """A request about payee accounts that is refused; `status` is the HTTP status a view answers with."""

    def __init__(self, message: str, status: int = 409) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


def owner_key(owner: Artist | Label) -> str:
    return f"artist:{owner.id}" if isinstance(owner, Artist) else f"label:{owner.id}"


class PayeeService:
    def __init__(
        self,
        session: Session,
        gateway: PaymentGateway,
        settings: Settings,
        *,
        queue: JobQueue | None = None,
        url_for: Callable[..., str] | None = None,
    ) -> None:
        self.session = session
        self.gateway = gateway
        self.settings = settings
        self.queue = queue
        self.url_for = url_for

    def account_of(self, owner: Artist | Label) -> PayeeAccount | None:
        column = PayeeAccount.artist_id if isinstance(owner, Artist) else PayeeAccount.label_id
        return self.session.scalar(select(PayeeAccount).where(column == owner.id))

    def connect(self, owner: Artist | Label, *, email: str) -> str:
        """The address where the owner sets up (or goes on setting up) the profile's one payout account.

        Creates the account at the gateway on first use. An account that can already receive transfers is
        not onboarded again: changing it goes through support, so nobody can quietly redirect a payout.
        May raise `GatewayError`; the account, once recorded, is kept even if the link could not be made."""
        account = self.account_of(owner)
        if account is not None and account.transfers_enabled:
            raise PayeeError(
                "This profile's payout account is set up and receiving transfers. To change where it is "
                "paid, write to support from an owner's address."
            )
        if account is None:
            account = self._create(owner, email=email)
        return self.onboarding_link(owner, account)

    def _create(self, owner: Artist | Label, *, email: str) -> PayeeAccount:
        kind = "artist" if isinstance(owner, Artist) else "label"
        provider_id = self.gateway.create_payee(
            display_name=owner.name,
            email=email,
            country=self.settings.payee_default_country,
            idempotency_key=f"velvet-payee-{kind}-{owner.id}",
        )
        account = PayeeAccount(
            artist_id=owner.id if kind == "artist" else None,
            label_id=owner.id if kind == "label" else None,
            gateway=self.gateway.backend_name,
            provider_account_id=provider_id,
            transfers_enabled=False,
            details_needed=[],
        )
        try:
            with self.session.begin_nested():
                self.session.add(account)
        except IntegrityError:
            # Another request for the same profile recorded it first (the same key gave the same account).
            found = self.account_of(owner)
            if found is None or found.provider_account_id != provider_id:
                raise PayeeError("This profile already has a payout account.") from None
            return found
        try:
            self.refresh(account)  # so the page can say what the gateway will ask for
        except GatewayError:
            log.warning("could not read payee account %s after creating it", provider_id)
        return account

    def onboarding_link(self, owner: Artist | Label, account: PayeeAccount) -> str:
        if self.url_for is None:
            raise RuntimeError("PayeeService needs url_for to make onboarding links")
        kind = "artist" if isinstance(owner, Artist) else "label"
        return self.gateway.payee_onboarding_link(
            account.provider_account_id,
            return_url=self.url_for(f"payees.{kind}_return", slug=owner.slug),
            refresh_url=self.url_for(f"payees.{kind}_refresh", slug=owner.slug),
        )

    def refresh(self, account: PayeeAccount) -> PayeeAccount:
        """Read the account back from the gateway and keep what it says. May raise `GatewayError`."""
        return self.apply(account, self.gateway.fetch_payee(account.provider_account_id))

    def apply(self, account: PayeeAccount, state: PayeeState) -> PayeeAccount:
        account.transfers_enabled = state.transfers_enabled
        account.details_needed = list(state.details_needed)
        account.checked_at = utcnow()
        self.session.flush()
        if account.transfers_enabled and self.queue is not None:
            # Not only on the change: a transfer held back while this account was being read must not
            # wait for the next change. Sending what is held is safe to repeat.
            self.queue.enqueue(PAYEE_READY, {"payee_key": account.payee_key})
        return account


def _provider_ids(event: GatewayEvent) -> list[str]:
    return [value for value in (event.object_id, event.account) if value]


def on_account_event(context: JobContext, event: GatewayEvent) -> None:
    """Copy a connected account's state from the gateway, read fresh rather than from the event."""
    ids = _provider_ids(event)
    with context.database.session() as session:
        provider_id = session.scalar(
            select(PayeeAccount.provider_account_id).where(PayeeAccount.provider_account_id.in_(ids))
        )
    if provider_id is None:
        log.info("gateway event %s is about no payee account of ours", event.event_id)
        return
    platform: PayeePlatform = context.services
    # Asked before the transaction, so no lock is held while the gateway answers.
    state = platform.payments.fetch_payee(provider_id)
    with context.transaction() as session:
        account = session.scalar(select(PayeeAccount).where(PayeeAccount.provider_account_id == provider_id))
        if account is None:
            return
        service = PayeeService(
            session, platform.payments, platform.settings, queue=JobQueue(session, platform.jobs)
        )
        service.apply(account, state)


def register_jobs(registry: JobRegistry, routes: EventRoutes) -> None:
    for event_type in ACCOUNT_EVENTS:
        routes.add(event_type, on_account_event)
