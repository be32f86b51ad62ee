"""Pain-share bands: an overrun shared band by band (share ranges as a percent of baseline)."""

import pytest

from pricing.errors import PricingError
from pricing.result import LineKind
from pricing.terms import GainShare, ShareBand

from .builders import D, amounts, price


def bands(*steps):
    return tuple(ShareBand(None if limit is None else D(limit), D(percent)) for limit, percent in steps)


def savings(pain_bands, *, pain_cap=None, pain_percent=None):
    return GainShare(
        "savings",
        "cost_to_serve",
        baseline_amount=D("1000000.00"),
        supplier_percent=D(50),
        pain_percent=pain_percent,
        pain_cap=pain_cap,
        pain_bands=pain_bands,
    )


# A target-cost split from construction practice (isurv, target cost share tips): the first 10 %
# over target shared equally, then 25 % borne by the contractor beyond 110 %.
TARGET_COST = bands(("10", "50"), (None, "25"))
# NEC share ranges with a 0 % share beyond a range, which caps the pain (jonbroome.com,
# "Intelligently setting the Contractor's share range"): 50 % to 10 %, 25 % to 20 %, 0 % beyond.
NEC_CAPPED = bands(("10", "50"), ("20", "25"), (None, "0"))


# Each slice of the overrun, measured against the baseline of 1,000,000, at its band's share.
@pytest.mark.parametrize(
    ("pain_bands", "actual", "expected"),
    [
        (TARGET_COST, "1060000", "-30000.00"),  # 60,000 all in the first band at 50 %
        (TARGET_COST, "1100000", "-50000.00"),  # exactly to the band's limit
        (TARGET_COST, "1150000", "-62500.00"),  # 100,000 × 50 % + 50,000 × 25 %
        (NEC_CAPPED, "1150000", "-62500.00"),
        (NEC_CAPPED, "1250000", "-75000.00"),  # 50,000 + 25,000 + 50,000 × 0 %
        (NEC_CAPPED, "2000000", "-75000.00"),  # the 0 % band is the cap: never more
        (bands(("5", "0"), (None, "40")), "1030000", None),  # inside a 0 % band: a zero line
    ],
)
def test_overrun_shared_band_by_band(pain_bands, actual, expected):
    statement = price(savings(pain_bands), kpis={"cost_to_serve": actual})
    assert amounts(statement, LineKind.PAIN_SHARE) == ([D("0.00")] if expected is None else [D(expected)])


def test_pain_cap_still_limits_banded_pain():
    statement = price(savings(TARGET_COST, pain_cap=D("40000.00")), kpis={"cost_to_serve": "1150000"})
    assert amounts(statement, LineKind.PAIN_SHARE) == [D("-40000.00")]


def test_a_saving_is_still_shared_and_gives_no_pain_line():
    statement = price(savings(TARGET_COST), kpis={"cost_to_serve": "900000"})
    assert amounts(statement) == [D("50000.00")]


def test_explanation_names_each_band():
    statement = price(savings(TARGET_COST), kpis={"cost_to_serve": "1150000"})
    assert statement.lines[0].explanation == (
        "baseline 1,000,000.00 − actual cost_to_serve 1,150,000.00 = saving -150,000.00; overrun borne by band: "
        "100,000.00 (up to 10% of baseline) × 50% = 50,000.00 + 50,000.00 (the rest) × 25% = 12,500.00 "
        "→ -62,500.00"
    )


def test_pain_percent_and_pain_bands_together_are_refused_by_the_core():
    with pytest.raises(PricingError, match="give either pain_percent or pain_bands"):
        price(savings(TARGET_COST, pain_percent=D(50)), kpis={"cost_to_serve": "1150000"})
