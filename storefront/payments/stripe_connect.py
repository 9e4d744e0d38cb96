"""Stripe Connect for the gateway: artists' accounts (Accounts v2, recipient configuration), their
onboarding links, transfers and reversals; and the translation of the SDK's errors both halves use."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import TYPE_CHECKING, TypeVar

import stripe as stripe_sdk

from .interfaces import GatewayError, PayeeState, TransferRecord

if TYPE_CHECKING:
    from stripe.params import TransferCreateParams, TransferListParams
    from stripe.params.v2.core import AccountCreateParams

_Object = TypeVar("_Object", bound=stripe_sdk.StripeObject)

# Refusals: asking again with the same request gets the same answer.
_REFUSALS: tuple[type[stripe_sdk.StripeError], ...] = (
    stripe_sdk.InvalidRequestError,
    stripe_sdk.CardError,
    stripe_sdk.AuthenticationError,
    stripe_sdk.PermissionError,
    stripe_sdk.IdempotencyError,
)


def is_retryable(exc: stripe_sdk.StripeError) -> bool:
    """Network trouble, rate limits and Stripe's own 5xx may pass; a refused request will not."""
    if isinstance(exc, stripe_sdk.APIConnectionError | stripe_sdk.RateLimitError):
        return True
    if isinstance(exc, _REFUSALS):
        return False
    return exc.http_status is None or exc.http_status >= 500


@contextmanager
def stripe_errors(action: str) -> Iterator[None]:
    """Turn the SDK's errors into `GatewayError`, saying what was being done and whether to try again."""
    try:
        yield
    except stripe_sdk.StripeError as exc:
        reason = exc.user_message or exc.__class__.__name__
        code = f" ({exc.code})" if exc.code else ""
        raise GatewayError(f"Stripe could not {action}: {reason}{code}", retryable=is_retryable(exc)) from exc


def object_id(field: str | stripe_sdk.StripeObject | None) -> str | None:
    """The id of an expandable field, expanded or not."""
    if field is None or isinstance(field, str):
        return field
    found = getattr(field, "id", None)
    return found if isinstance(found, str) else None


def expanded(field: str | _Object | None) -> _Object | None:
    """The object behind an expandable field when it was expanded, else None."""
    return None if field is None or isinstance(field, str) else field


def plain_metadata(metadata: stripe_sdk.StripeObject | None) -> dict[str, str]:
    if metadata is None:
        return {}
    return {str(key): str(value) for key, value in metadata.to_dict().items()}


class StripeConnect:
    client: stripe_sdk.StripeClient
    page_size: int

    def create_payee(self, *, display_name: str, email: str, country: str, idempotency_key: str) -> str:
        params: AccountCreateParams = {
            "contact_email": email,
            "display_name": display_name,
            "dashboard": "express",
            "identity": {"country": country.lower()},
            # The platform pays Stripe's fees and carries losses: artists only receive transfers.
            "defaults": {
                "responsibilities": {"fees_collector": "application", "losses_collector": "application"}
            },
            "configuration": {
                "recipient": {"capabilities": {"stripe_balance": {"stripe_transfers": {"requested": True}}}}
            },
            "include": ["configuration.recipient", "requirements"],
        }
        with stripe_errors("create the connected account"):
            account = self.client.v2.core.accounts.create(
                params=params, options={"idempotency_key": idempotency_key}
            )
        return account.id

    def payee_onboarding_link(self, account_id: str, *, return_url: str, refresh_url: str) -> str:
        with stripe_errors("create the onboarding link"):
            link = self.client.v2.core.account_links.create(
                params={
                    "account": account_id,
                    "use_case": {
                        "type": "account_onboarding",
                        "account_onboarding": {"refresh_url": refresh_url, "return_url": return_url},
                    },
                }
            )
        return link.url

    def fetch_payee(self, account_id: str) -> PayeeState:
        with stripe_errors("read the connected account"):
            account = self.client.v2.core.accounts.retrieve(
                account_id, params={"include": ["configuration.recipient", "requirements"]}
            )
        status = None
        recipient = account.configuration.recipient if account.configuration else None
        capabilities = recipient.capabilities if recipient else None
        if capabilities and capabilities.stripe_balance and capabilities.stripe_balance.stripe_transfers:
            status = capabilities.stripe_balance.stripe_transfers.status
        entries = (account.requirements.entries if account.requirements else None) or []
        return PayeeState(
            account_id=account.id,
            transfers_enabled=status == "active",
            details_needed=tuple(entry.description for entry in entries),
        )

    def create_transfer(
        self,
        *,
        amount_minor: int,
        currency: str,
        destination: str,
        source_transaction: str | None,
        transfer_group: str,
        metadata: Mapping[str, str],
        idempotency_key: str,
    ) -> TransferRecord:
        params: TransferCreateParams = {
            "amount": amount_minor,
            "currency": currency.lower(),
            "destination": destination,
            "transfer_group": transfer_group,
            "metadata": dict(metadata),
        }
        if source_transaction is not None:
            # Tied to the charge, the transfer can go out before the charge's funds become available.
            params["source_transaction"] = source_transaction
        with stripe_errors("make the transfer"):
            transfer = self.client.v1.transfers.create(
                params=params, options={"idempotency_key": idempotency_key}
            )
        return transfer_record(transfer)

    def reverse_transfer(
        self, transfer_id: str, amount_minor: int, *, idempotency_key: str, metadata: Mapping[str, str]
    ) -> str:
        with stripe_errors("reverse the transfer"):
            reversal = self.client.v1.transfers.reversals.create(
                transfer_id,
                params={"amount": amount_minor, "metadata": dict(metadata)},
                options={"idempotency_key": idempotency_key},
            )
        return reversal.id

    def list_transfers(self, *, created_from: int, created_to: int) -> Iterator[TransferRecord]:
        params: TransferListParams = {
            "created": {"gte": created_from, "lt": created_to},
            "limit": self.page_size,
        }
        with stripe_errors("list transfers"):
            for transfer in self.client.v1.transfers.list(params=params).auto_paging_iter():
                yield transfer_record(transfer)


def transfer_record(transfer: stripe_sdk.Transfer) -> TransferRecord:
    return TransferRecord(
        transfer_id=transfer.id,
        amount_minor=transfer.amount,
        currency=transfer.currency.upper(),
        destination=object_id(transfer.destination) or "",
        transfer_group=transfer.transfer_group,
        source_transaction=object_id(transfer.source_transaction),
        reversed_minor=transfer.amount_reversed,
        metadata=plain_metadata(transfer.metadata),
        created=transfer.created,
    )
