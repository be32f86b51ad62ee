"""The largest-remainder allocation: shares sum exactly to the total, each within one unit of
its exact proportional share, and the same inputs always give the same shares."""

from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pricing.allocation import largest_remainder

FAST = settings(max_examples=200, deadline=None)


# Worked cases, each group with the rule it checks.
@pytest.mark.parametrize(
    ("total", "weights", "places", "shares"),
    [
        # Proportional when the shares are whole units.
        ("20.00", ["60.00", "40.00"], 2, ["12.00", "8.00"]),
        # A third each: the left-over cent goes to the earliest of the tied lines.
        ("1.00", ["1", "1", "1"], 2, ["0.34", "0.33", "0.33"]),
        # The left-over unit goes to the line that lost most to rounding down.
        ("0.10", ["1", "2"], 2, ["0.03", "0.07"]),
        # A negative line (a service credit) takes a negative share.
        ("18.00", ["100.00", "-10.00"], 2, ["20.00", "-2.00"]),
        # A credit note: negative total and weights.
        ("-3.33", ["-10.00", "-6.65"], 2, ["-2.00", "-1.33"]),
        # Weights summing to zero are shared by size; all zero, equally.
        ("0.00", ["5.00", "-5.00"], 2, ["0.00", "0.00"]),
        ("0.03", ["0", "0"], 2, ["0.02", "0.01"]),
        # Currencies without minor units and with three places.
        ("100", ["1", "1", "1"], 0, ["34", "33", "33"]),
        ("1.000", ["2", "1"], 3, ["0.667", "0.333"]),
        ("0.00", [], 2, []),
    ],
)
def test_worked_cases(total, weights, places, shares):
    result = largest_remainder(Decimal(total), [Decimal(w) for w in weights], decimal_places=places)
    assert result == [Decimal(s) for s in shares]
    assert [str(share) for share in result] == shares  # exactly the currency's places


@pytest.mark.parametrize(
    ("total", "weights", "message"),
    [
        ("1.005", ["1"], "is not a whole number of 0.01"),
        ("1.00", [], "no line to share 1.00 among"),
    ],
)
def test_refused(total, weights, message):
    with pytest.raises(ValueError, match=message):
        largest_remainder(Decimal(total), [Decimal(w) for w in weights], decimal_places=2)


money = st.decimals(min_value=-(10**9), max_value=10**9, places=2, allow_nan=False, allow_infinity=False)


@FAST
@given(
    weights=st.lists(money, min_size=1, max_size=40),
    total=st.integers(min_value=-(10**11), max_value=10**11),
)
def test_shares_sum_to_the_total_each_within_a_unit_of_its_exact_share(weights, total):
    amount = Decimal(total).scaleb(-2)
    shares = largest_remainder(amount, weights, decimal_places=2)
    assert len(shares) == len(weights)
    assert sum(shares, Decimal(0)) == amount
    assert all(share.as_tuple().exponent == -2 for share in shares)
    exact = [Fraction(w) for w in weights]
    if sum(exact) == 0:
        exact = [abs(w) for w in exact]
    if sum(exact) == 0:
        exact = [Fraction(1)] * len(exact)
    for share, weight in zip(shares, exact, strict=True):
        assert abs(Fraction(share) - Fraction(amount) * weight / sum(exact)) < Fraction(1, 100)
    assert largest_remainder(amount, weights, decimal_places=2) == shares
