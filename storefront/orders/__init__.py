"""Orders: the cart, checkout, the orders and their lines, the ledger, and what each fan may download."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..web.services import RequestServices, ServiceRegistry
    from .checkout import CheckoutService


def register_services(registry: ServiceRegistry) -> None:
    from ..accounts.services import ProvenAddressHooks
    from .cart import CartService
    from .checkout import CheckoutService
    from .fulfilment.claims import claim_on_proof

    registry.register(CartService, lambda s: CartService(s.session))
    registry.register(CheckoutService, _checkout_service)
    # A guest's purchases join the account that proves their address.
    registry.value(ProvenAddressHooks).add(claim_on_proof)


def _checkout_service(services: RequestServices) -> CheckoutService:
    from ..config import Settings
    from ..jobs.interfaces import JobQueue
    from ..payments.interfaces import PaymentGateway
    from ..web.services import external_url
    from .checkout import CheckoutService

    settings = services.find(Settings)
    return CheckoutService(
        services.session,
        payments=services.find(PaymentGateway),
        queue=services.find(JobQueue),
        platform_fee_bps=settings.platform_fee_bps,
        automatic_tax=settings.automatic_tax,
        thanks_url=lambda reference: external_url("orders.thanks", reference=reference),
        cart_url=external_url("orders.cart"),
    )
