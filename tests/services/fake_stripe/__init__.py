"""A stateful fake Stripe API for tests: the real SDK talks to it over HTTP on 127.0.0.1."""

from .server import SECRET_KEY, FakeStripe
from .state import StripeFailure, minor_fee
from .webhooks import WEBHOOK_SECRET, Delivery

__all__ = ["SECRET_KEY", "WEBHOOK_SECRET", "Delivery", "FakeStripe", "StripeFailure", "minor_fee"]
