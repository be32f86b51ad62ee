"""The value each side gets, in the pure core: pay buckets, value split and outcome mix."""

from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pricing.money import Rounding
from pricing.result import LineKind
from pricing.value import (
    BUCKET_OF_KIND,
    PayBucket,
    line_value,
    outcome_mix,
    pay_bucket,
    pay_by_bucket,
    value_split,
)

from .builders import D


@pytest.mark.parametrize(
    "kind, bucket",
    [
        # Presence and activity: what per-unit pricing pays for.
        (LineKind.FIXED_FEE, PayBucket.FIXED),
        (LineKind.UNIT_RATE, PayBucket.PER_UNIT),
        (LineKind.MINIMUM_TOP_UP, PayBucket.PER_UNIT),
        # Shared value: savings and uplift, and the pain share of an overrun.
        (LineKind.GAIN_SHARE, PayBucket.SHARED_VALUE),
        (LineKind.PAIN_SHARE, PayBucket.SHARED_VALUE),
        (LineKind.REVENUE_SHARE, PayBucket.SHARED_VALUE),
        # Outcomes, net of clawbacks.
        (LineKind.OUTCOME_FEE, PayBucket.OUTCOMES),
        (LineKind.OUTCOME_CLAWBACK, PayBucket.OUTCOMES),
        (LineKind.EXPERIENCE_BONUS, PayBucket.EXPERIENCE),
        # Credits net of what was earned back.
        (LineKind.SERVICE_CREDIT, PayBucket.CREDITS),
        (LineKind.EARN_BACK, PayBucket.CREDITS),
        # Amounts agreed on queries, and a kind the module does not know yet.
        (LineKind.AGREED, PayBucket.OTHER),
        ("indexation_uplift", PayBucket.OTHER),
    ],
)
def test_each_line_kind_has_its_bucket(kind, bucket):
    assert pay_bucket(kind) == bucket


def test_every_line_kind_of_the_core_is_mapped_explicitly():
    assert set(LineKind) <= set(BUCKET_OF_KIND)


@pytest.mark.parametrize(
    "kind, detail, expected",
    [
        # A gain share's saving, and a pain share's (negative) overrun.
        (LineKind.GAIN_SHARE, {"baseline": "4000", "actual": "3000", "saving": "1000.00"}, D("1000.00")),
        (LineKind.PAIN_SHARE, {"baseline": "4000", "actual": "4500", "saving": "-500.00"}, D("-500.00")),
        # A revenue share's uplift, exact as stored.
        (LineKind.REVENUE_SHARE, {"uplift": "5000.125"}, D("5000.125")),
        # No value: an adjustment line keeps no detail; a line of another kind shares none.
        (LineKind.GAIN_SHARE, {}, None),
        (LineKind.UNIT_RATE, {"saving": "1"}, None),
        (LineKind.REVENUE_SHARE, None, None),
    ],
)
def test_line_value(kind, detail, expected):
    assert line_value(kind, detail) == expected


def test_a_stored_value_that_is_not_a_number_is_refused():
    with pytest.raises(ValueError, match="not a number"):
        line_value(LineKind.GAIN_SHARE, {"saving": "lots"})


def test_pay_is_summed_per_bucket_with_every_bucket_present():
    pay = pay_by_bucket(
        [
            (LineKind.FIXED_FEE, D("1000.00")),
            (LineKind.SERVICE_CREDIT, D("-100.00")),
            (LineKind.EARN_BACK, D("40.00")),
            ("something_new", D("5.00")),
        ]
    )
    assert pay == {
        PayBucket.FIXED: D("1000.00"),
        PayBucket.PER_UNIT: D(0),
        PayBucket.SHARED_VALUE: D(0),
        PayBucket.OUTCOMES: D(0),
        PayBucket.EXPERIENCE: D(0),
        PayBucket.CREDITS: D("-60.00"),
        PayBucket.OTHER: D("5.00"),
    }


@pytest.mark.parametrize(
    "value, share, places, rounding, expected",
    [
        # The buyer keeps the value less the supplier's share.
        (D("1000"), D("500.00"), 2, Rounding.HALF_UP, (D("1000.00"), D("500.00"), D("500.00"))),
        # The value is rounded once, with the contract's mode, before the subtraction.
        (D("100.005"), D("50.00"), 2, Rounding.HALF_UP, (D("100.01"), D("50.00"), D("50.01"))),
        (D("100.005"), D("50.00"), 2, Rounding.HALF_EVEN, (D("100.00"), D("50.00"), D("50.00"))),
        (D("1234.5"), D("617"), 0, Rounding.HALF_UP, (D("1235"), D("617"), D("618"))),
        # An overrun borne in part by a pain share: the buyer bears the rest.
        (D("-600"), D("-150.00"), 2, Rounding.HALF_UP, (D("-600.00"), D("-150.00"), D("-450.00"))),
        # No value recorded: nothing to split.
        (None, D("0"), 2, Rounding.HALF_UP, (None, D("0"), None)),
    ],
)
def test_value_split(value, share, places, rounding, expected):
    split = value_split(value=value, supplier_share=share, decimal_places=places, rounding=rounding)
    assert (split.value, split.supplier_share, split.buyer_retained) == expected


@pytest.mark.parametrize(
    "pay, expected",
    [
        # Per-unit pay only: nothing for results.
        ({PayBucket.PER_UNIT: D("2000.00")}, D("0.0")),
        # Fixed 1,000, per unit 1,000, shared 500, outcomes 50: 550 / 2,550.
        (
            {
                PayBucket.FIXED: D("1000"),
                PayBucket.PER_UNIT: D("1000"),
                PayBucket.SHARED_VALUE: D("500"),
                PayBucket.OUTCOMES: D("50"),
            },
            D("21.6"),
        ),
        # Credits and agreed amounts are outside the whole: 500 / 2,500 whatever they are.
        (
            {
                PayBucket.FIXED: D("1000"),
                PayBucket.PER_UNIT: D("1000"),
                PayBucket.EXPERIENCE: D("500"),
                PayBucket.CREDITS: D("-900"),
                PayBucket.OTHER: D("77"),
            },
            D("20.0"),
        ),
        # All for results.
        ({PayBucket.SHARED_VALUE: D("10")}, D("100.0")),
        # No pay, or pay that is not positive: no mix.
        ({}, None),
        ({PayBucket.SHARED_VALUE: D("-10")}, None),
    ],
)
def test_outcome_mix(pay, expected):
    assert outcome_mix(pay) == expected


money = st.decimals(min_value=-(10**9), max_value=10**9, places=4, allow_nan=False, allow_infinity=False)
positive = st.decimals(min_value=0, max_value=10**9, places=2, allow_nan=False, allow_infinity=False)


@settings(max_examples=200, deadline=None)
@given(value=money, share=money, places=st.sampled_from([0, 2, 3]), rounding=st.sampled_from(list(Rounding)))
def test_the_two_parts_add_up_to_the_value(value, share, places, rounding):
    share = share.quantize(Decimal(1).scaleb(-places))
    split = value_split(value=value, supplier_share=share, decimal_places=places, rounding=rounding)
    assert split.supplier_share + split.buyer_retained == split.value
    assert abs(split.value - value) <= Decimal(1).scaleb(-places) / 2


@settings(max_examples=200, deadline=None)
@given(amounts=st.dictionaries(st.sampled_from(list(PayBucket)), positive, min_size=1))
def test_the_mix_of_pay_that_is_not_negative_is_a_percent(amounts):
    mix = outcome_mix(amounts)
    whole = sum(
        amount for bucket, amount in amounts.items() if bucket not in {PayBucket.CREDITS, PayBucket.OTHER}
    )
    if whole == 0:
        assert mix is None
    else:
        assert Decimal(0) <= mix <= Decimal(100)
