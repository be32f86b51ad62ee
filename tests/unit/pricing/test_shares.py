"""Gain-share (and pain-share), revenue share and outcome fees."""

import pytest

from pricing import PricingError
from pricing.result import LineKind
from pricing.terms import GainShare, OutcomeFee, RevenueShare, ShareBand

from .builders import D, amounts, flag_codes, price

COST_KPIS = {"contacts_total": "300000"}


def gain(**overrides):
    params = {
        "id": "savings",
        "actual_measure": "cost_to_serve",
        "baseline_unit_cost": D("4.00"),
        "volume_measure": "contacts_total",
        "supplier_percent": D(50),
    }
    params.update(overrides)
    return GainShare(**params)


# Flat share of a positive saving against a volume-normalised baseline; cap; pain-share.
@pytest.mark.parametrize(
    ("actual", "overrides", "kind", "expected"),
    [
        ("1050000", {}, LineKind.GAIN_SHARE, "75000.00"),  # PRICING.md: 50 % of 150,000
        ("1050000", {"cap": D("75000.00")}, LineKind.GAIN_SHARE, "75000.00"),  # cap exactly hit
        ("1050000", {"cap": D("60000.00")}, LineKind.GAIN_SHARE, "60000.00"),  # cap binds
        ("1200000", {}, None, None),  # zero saving: no line
        ("1260000", {}, None, None),  # overrun without pain_percent: no line
        ("1260000", {"pain_percent": D(50)}, LineKind.PAIN_SHARE, "-30000.00"),  # PRICING.md
        ("1260000", {"pain_percent": D(50), "pain_cap": D("30000.00")}, LineKind.PAIN_SHARE, "-30000.00"),
        ("1260000", {"pain_percent": D(50), "pain_cap": D("20000.00")}, LineKind.PAIN_SHARE, "-20000.00"),
        ("1200000.01", {"pain_percent": D(50)}, LineKind.PAIN_SHARE, "-0.01"),  # half a penny rounds up
    ],
)
def test_gain_and_pain_share(actual, overrides, kind, expected):
    statement = price(gain(**overrides), kpis={**COST_KPIS, "cost_to_serve": actual})
    if kind is None:
        assert statement.lines == ()
    else:
        assert [(line.kind, line.amount) for line in statement.lines] == [(kind, D(expected))]


# Share bands: each slice of the saving (as a percent of the baseline) at its band's rate.
@pytest.mark.parametrize(
    ("actual", "expected"),
    [
        ("1050000", "67500.00"),  # PRICING.md: 120,000 × 50 % + 30,000 × 25 %
        ("1080000", "60000.00"),  # saving exactly at the band edge (10 % of baseline)
        ("1190000", "5000.00"),  # inside the first band
        ("1000000", "80000.00"),  # 120,000 × 50 % + 80,000 × 25 %
    ],
)
def test_banded_gain_share(actual, expected):
    bands = (ShareBand(D(10), D(50)), ShareBand(None, D(25)))
    component = gain(supplier_percent=None, share_bands=bands)
    assert amounts(price(component, kpis={**COST_KPIS, "cost_to_serve": actual})) == [D(expected)]


def test_fixed_baseline_is_prorated():
    from datetime import date

    from pricing.period import Period

    component = gain(baseline_unit_cost=None, volume_measure=None, baseline_amount=D("31000.00"))
    statement = price(
        component, kpis={"cost_to_serve": "20000"}, period=Period(2026, 3), start=date(2026, 3, 10)
    )
    # baseline 31,000 × 22/31 = 22,000; saving 2,000; 50 % → 1,000
    assert amounts(statement) == [D("1000.00")]


@pytest.mark.parametrize("missing", ["cost_to_serve", "contacts_total"])
def test_gain_share_not_measured_gives_no_line_and_flags(missing):
    kpis = {"contacts_total": "300000", "cost_to_serve": "1050000"}
    del kpis[missing]
    statement = price(gain(), kpis=kpis)
    assert statement.lines == ()
    assert "kpi_not_measured" in flag_codes(statement)


def test_gain_share_explanation():
    line = price(gain(), kpis={**COST_KPIS, "cost_to_serve": "1050000"}).lines[0]
    assert line.explanation == (
        "baseline 4.00 × 300,000 contacts_total = 1,200,000.00 − actual cost_to_serve 1,050,000.00"
        " = saving 150,000.00; 50% → 75,000.00"
    )


@pytest.mark.parametrize(
    "overrides",
    [
        {"baseline_amount": D("1.00")},  # both baseline forms
        {"baseline_unit_cost": None},  # neither
        {"share_bands": (ShareBand(None, D(10)),)},  # both share forms
    ],
)
def test_inconsistent_gain_share_terms_are_refused(overrides):
    with pytest.raises(PricingError):
        price(gain(**overrides), kpis={**COST_KPIS, "cost_to_serve": "1"})


# Revenue share: a percent of the uplift over a (prorated) baseline, capped; nothing if no uplift.
@pytest.mark.parametrize(
    ("actual", "cap", "expected"),
    [
        ("150000", None, ["3000.00"]),  # 10 % of 30,000
        ("150000", "2500.00", ["2500.00"]),  # capped
        ("120000", None, []),  # no uplift
        ("100000", None, []),  # below baseline: no negative line
        (None, None, []),  # not measured
    ],
)
def test_revenue_share(actual, cap, expected):
    component = RevenueShare(
        "uplift", D("120000.00"), "retention_revenue", D(10), None if cap is None else D(cap)
    )
    kpis = {} if actual is None else {"retention_revenue": actual}
    assert amounts(price(component, kpis=kpis)) == [D(x) for x in expected]


# Outcome fees: only outcomes above the threshold are paid, capped; reversals are clawed back.
@pytest.mark.parametrize(
    ("retained", "reversed_", "threshold", "cap", "expected"),
    [
        ("300", "0", "200", None, [("outcome_fee", "2500.00")]),  # (300 − 200) × 25
        ("200", "0", "200", None, []),  # exactly at the threshold: nothing paid
        ("201", "0", "200", None, [("outcome_fee", "25.00")]),
        ("300", "0", None, None, [("outcome_fee", "7500.00")]),
        ("300", "0", None, "5000.00", [("outcome_fee", "5000.00")]),  # capped
        ("300", "12", "200", None, [("outcome_fee", "2500.00"), ("outcome_clawback", "-300.00")]),
        ("100", "12", "200", None, [("outcome_clawback", "-300.00")]),  # clawback even below threshold
    ],
)
def test_outcome_fee(retained, reversed_, threshold, cap, expected):
    component = OutcomeFee(
        "saves",
        "customers_retained",
        D("25.00"),
        threshold=None if threshold is None else D(threshold),
        cap=None if cap is None else D(cap),
        clawback_measure="saves_reversed",
    )
    statement = price(component, kpis={"customers_retained": retained, "saves_reversed": reversed_})
    assert [(str(line.kind), line.amount) for line in statement.lines] == [(k, D(v)) for k, v in expected]
