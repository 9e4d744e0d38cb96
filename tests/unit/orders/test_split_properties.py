"""The money split, for any prices, fee and rate: the parts add up, none is negative, none is more than its
exact share rounded up."""

from __future__ import annotations

from fractions import Fraction
from math import ceil, floor

import pytest
from hypothesis import given
from hypothesis import strategies as st

from storefront.orders.split import SplitError, largest_remainder, split_charge

prices = st.lists(st.integers(min_value=0, max_value=200_000), min_size=1, max_size=8).filter(
    lambda a: sum(a) > 0
)


@st.composite
def charges(draw: st.DrawFn) -> tuple[list[int], int, int]:
    amounts = draw(prices)
    fee = draw(st.integers(min_value=0, max_value=sum(amounts)))
    bps = draw(st.integers(min_value=0, max_value=10_000))
    return amounts, fee, bps


@given(charges())
def test_the_parts_add_up_to_the_charge_and_none_is_negative(charge: tuple[list[int], int, int]) -> None:
    amounts, fee, bps = charge
    parts = split_charge(amounts, processing_fee=fee, platform_fee_bps=bps)

    assert [p.amount_minor for p in parts] == amounts
    assert sum(p.processing_fee_minor for p in parts) == fee
    for part in parts:
        assert part.processing_fee_minor + part.platform_fee_minor + part.payee_minor == part.amount_minor
        assert min(part.processing_fee_minor, part.platform_fee_minor, part.payee_minor) >= 0
    total = sum(amounts)
    assert sum(p.processing_fee_minor + p.platform_fee_minor + p.payee_minor for p in parts) == total


@given(charges())
def test_no_part_is_more_than_its_exact_share_rounded_up(charge: tuple[list[int], int, int]) -> None:
    amounts, fee, bps = charge
    parts = split_charge(amounts, processing_fee=fee, platform_fee_bps=bps)
    total = sum(amounts)
    for amount, part in zip(amounts, parts, strict=True):
        exact = Fraction(fee * amount, total)
        assert floor(exact) <= part.processing_fee_minor <= ceil(exact)
    # The platform's fee: the rate of each price, rounded down and summed (never more than what is left),
    # then shared by what each line has left after its processing fee.
    left = [p.amount_minor - p.processing_fee_minor for p in parts]
    platform = min(sum(a * bps // 10_000 for a in amounts), sum(left))
    assert sum(p.platform_fee_minor for p in parts) == platform
    for rest, part in zip(left, parts, strict=True):
        if sum(left):
            assert part.platform_fee_minor <= ceil(Fraction(platform * rest, sum(left)))


@given(st.integers(min_value=0, max_value=10**9), st.lists(st.integers(0, 10**6), min_size=1, max_size=12))
def test_largest_remainder_shares_exactly_or_refuses(total: int, weights: list[int]) -> None:
    if sum(weights) == 0 and total:
        with pytest.raises(SplitError):
            largest_remainder(total, weights)
        return
    shares = largest_remainder(total, weights)
    assert sum(shares) == total and min(shares) >= 0
    for weight, share in zip(weights, shares, strict=True):
        if sum(weights):
            assert share <= ceil(Fraction(total * weight, sum(weights)))


def test_a_fee_larger_than_the_lines_is_refused() -> None:
    with pytest.raises(SplitError):
        split_charge([100, 50], processing_fee=151, platform_fee_bps=0)
