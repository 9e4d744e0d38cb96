"""Splitting a charge between its lines: the processing fee, the platform's fee and each payee's share.

Everything is integer minor units. A total is shared out in proportion to weights by the largest-remainder
rule: each part first gets the floor of its exact share, then the units left over go one each to the parts
with the largest fractional remainders (ties to the earlier line). So the parts always add up to the total,
and no part is more than its exact share rounded up.

The processing fee is shared by the lines' prices. The platform fee is each line's price times the rate,
rounded down, summed; it is then shared out of what each line has left after its processing fee, so no
payee's share is ever negative. Tax, when collected, is outside the split: it is the platform's to remit.
"""

from __future__ import annotations

from dataclasses import dataclass


class SplitError(ValueError):
    pass


def largest_remainder(total: int, weights: list[int]) -> list[int]:
    """`total` shared in proportion to `weights` (non-negative; not all zero unless total is 0)."""
    if total < 0 or any(w < 0 for w in weights):
        raise SplitError("amounts must not be negative")
    whole = sum(weights)
    if whole == 0:
        if total:
            raise SplitError("nothing to share a non-zero amount over")
        return [0] * len(weights)
    floors = [total * w // whole for w in weights]
    remainders = [total * w % whole for w in weights]
    left = total - sum(floors)
    # Largest remainder first; among equals, the earlier line.
    for index in sorted(range(len(weights)), key=lambda i: (-remainders[i], i))[:left]:
        floors[index] += 1
    return floors


@dataclass(frozen=True)
class LineSplit:
    amount_minor: int
    processing_fee_minor: int
    platform_fee_minor: int
    payee_minor: int


def split_charge(amounts: list[int], *, processing_fee: int, platform_fee_bps: int) -> list[LineSplit]:
    """Each line's parts. `amounts` are the lines' prices (their sum is what was charged before tax)."""
    subtotal = sum(amounts)
    if processing_fee < 0 or processing_fee > subtotal:
        raise SplitError(f"a processing fee of {processing_fee} cannot come out of {subtotal}")
    if not 0 <= platform_fee_bps <= 10_000:
        raise SplitError("the platform fee must be between 0 and 100 %")
    fees = largest_remainder(processing_fee, amounts)
    left = [amount - fee for amount, fee in zip(amounts, fees, strict=True)]
    platform_total = min(sum(a * platform_fee_bps // 10_000 for a in amounts), sum(left))
    platform = largest_remainder(platform_total, left) if platform_total else [0] * len(amounts)
    return [
        LineSplit(amount, fee, cut, amount - fee - cut)
        for amount, fee, cut in zip(amounts, fees, platform, strict=True)
    ]
