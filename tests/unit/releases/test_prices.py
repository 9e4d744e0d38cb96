"""Prices shown to people: minor units written in the currency's own decimals, negative amounts included."""

from __future__ import annotations

import pytest

from storefront.releases.identifiers import format_price


@pytest.mark.parametrize(
    ("minor", "currency", "shown"),
    [
        (700, "USD", "7.00 USD"),
        (5, "EUR", "0.05 EUR"),
        (0, "GBP", "0.00 GBP"),
        (-5, "USD", "-0.05 USD"),
        (-1995, "EUR", "-19.95 EUR"),
        (1200, "JPY", "1200 JPY"),
        (-50, "JPY", "-50 JPY"),
    ],
)
def test_format_price(minor: int, currency: str, shown: str) -> None:
    assert format_price(minor, currency) == shown
