"""Billing periods: parsing, order, shifting, and their use as dictionary keys."""

from hypothesis import given
from hypothesis import strategies as st

from pricing.period import Period

periods = st.builds(Period, st.integers(1, 9999), st.integers(1, 12))


@given(st.builds(Period, st.integers(100, 9900), st.integers(1, 12)), st.integers(-240, 240))
def test_a_period_and_its_text_round_trip_and_shifts_add_up(period, months):
    assert Period.parse(str(period)) == period
    shifted = period.shift(months)
    assert shifted.shift(-months) == period
    assert (shifted > period) == (months > 0)


@given(periods, periods)
def test_equal_periods_hash_equal_and_keys_find_each_other(a, b):
    copy = Period.parse(str(a))
    assert hash(copy) == hash(a) and {a: "value"}[copy] == "value"
    assert (a == b) == (hash(a) == hash(b))  # one integer a month: no two months share a hash
    assert (a < b) == ((a.year, a.month) < (b.year, b.month))
