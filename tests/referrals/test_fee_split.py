"""Sharing a fee between parties to the cent (referrals.fee_split)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from referrals.fee_split import SplitError, equal_split, parse_percentages, percentage_split


def test_three_parties_share_1000_euros_to_the_cent():
    shares = equal_split(100000, 3)
    assert shares == [33334, 33333, 33333]
    assert sum(shares) == 100000


def test_custom_percentages_share_to_the_cent():
    shares = percentage_split(100000, parse_percentages(["50", "33.33", "16.67"]))
    assert shares == [50000, 33330, 16670]
    assert percentage_split(1, [Decimal(50), Decimal(50)]) == [1, 0]


@pytest.mark.parametrize(
    "values",
    [["50", "49.99"], ["101", "-1"], ["abc", "100"], ["33.333", "66.667"], ["NaN", "100"]],
)
def test_percentages_that_are_not_a_split_are_refused(values):
    with pytest.raises(SplitError):
        parse_percentages(values)


@given(total=st.integers(min_value=0, max_value=10**9), parties=st.integers(1, 12))
def test_equal_shares_always_add_up_and_differ_by_a_cent_at_most(total, parties):
    shares = equal_split(total, parties)
    assert sum(shares) == total
    assert max(shares) - min(shares) <= 1


@given(
    total=st.integers(min_value=0, max_value=10**9),
    cuts=st.lists(st.integers(0, 10000), min_size=1, max_size=8),
)
def test_percentage_shares_always_add_up(total, cuts):
    # Percentages with two decimals summing to exactly 100 (the last takes the rest).
    weights = [Decimal(c % 10000) / 100 for c in cuts[:-1]]
    rest = Decimal(100) - sum(weights, Decimal(0))
    if rest < 0:
        return
    percentages = [*weights, rest]
    shares = percentage_split(total, percentages)
    assert sum(shares) == total
    for share, p in zip(shares, percentages, strict=True):
        assert abs(share - total * p / 100) < 1
