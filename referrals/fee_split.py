"""Sharing a case's fee between its parties, to the cent.

Largest remainder: each party gets the floor of its exact share, and the cents left over
go one each to the largest fractional remainders (ties to the earlier party), so the
shares always add up to the total exactly: 3 x 1,000.00 EUR is 333.34 + 333.33 + 333.33.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from fractions import Fraction

HUNDRED = Decimal(100)


class SplitError(ValueError):
    """Percentages that are not a valid split (negative, or not summing to 100)."""


def split_cents(total_cents: int, weights: list[Fraction]) -> list[int]:
    """`total_cents` shared in proportion to `weights` (which sum to 1)."""
    if total_cents < 0 or not weights:
        raise SplitError("nothing to split")
    exact = [total_cents * w for w in weights]
    shares = [int(e) for e in exact]  # floors: weights and total are non-negative
    left = total_cents - sum(shares)
    order = sorted(range(len(exact)), key=lambda i: (-(exact[i] - shares[i]), i))
    for i in order[:left]:
        shares[i] += 1
    return shares


def equal_split(total_cents: int, parties: int) -> list[int]:
    if parties < 1:
        raise SplitError("no party to split between")
    return split_cents(total_cents, [Fraction(1, parties)] * parties)


def parse_percentages(values: list[str]) -> list[Decimal]:
    """Custom percentages: each between 0 and 100, two decimals at most, summing to 100."""
    try:
        percentages = [Decimal(v.strip().replace(",", ".")) for v in values]
    except InvalidOperation as exc:
        raise SplitError("a share is not a number") from exc
    for p in percentages:
        if not p.is_finite() or p < 0 or p > HUNDRED or p.as_tuple().exponent < -2:  # type: ignore[operator]
            raise SplitError("a share must be between 0 and 100, with two decimals at most")
    if sum(percentages, Decimal(0)) != HUNDRED:
        raise SplitError("the shares must add up to 100")
    return percentages


def percentage_split(total_cents: int, percentages: list[Decimal]) -> list[int]:
    return split_cents(total_cents, [Fraction(p) / 100 for p in percentages])
