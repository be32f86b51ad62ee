"""Settlement periods (on account, true-up) and annual caps, with hand-worked values."""

from datetime import date

import pytest

from pricing.period import Period
from pricing.result import FlagCode, LineKind
from pricing.terms import FixedFee, GainShare, OutcomeFee, RevenueShare, Settlement, SettlementPeriod

from .builders import D, amounts, flag_codes, price_months

QUARTER, YEAR = SettlementPeriod.QUARTER, SettlementPeriod.CONTRACT_YEAR
FEE = FixedFee("mgmt", D("1000"))
JAN, FEB, MAR, APR = (Period(2026, m) for m in (1, 2, 3, 4))


def revenue(cap=None, provisional="80", period=QUARTER, annual_cap=None):
    return RevenueShare(
        "uplift",
        D("100000"),
        "rev",
        D("10"),
        cap=None if cap is None else D(cap),
        settlement=Settlement(period, D(provisional)),
        annual_cap=None if annual_cap is None else D(annual_cap),
    )


def months(*values, first=JAN, code="rev"):
    return {first.shift(i): {code: v} for i, v in enumerate(values)}


def share_lines(statement):
    return [(str(line.kind), line.amount) for line in statement.lines if line.component_id != "mgmt"]


@pytest.mark.parametrize(
    ("component", "values", "expected"),
    [
        # Ratio of sums, not the sum of monthly shares: 10 % of (360,000 − 300,000) = 6,000,
        # where the months' shares add up to 3,000 + 0 + 4,000 = 7,000. On account at 80 %:
        # 2,400 + nothing (no uplift in February) + 3,200 = 5,600; true-up 400.
        (
            revenue(),
            ("130000", "90000", "140000"),
            {
                JAN: [("revenue_share", D("2400.00"))],
                FEB: [],
                MAR: [("revenue_share", D("3200.00")), ("true_up", D("400.00"))],
            },
        ),
        # The cap limits the period: on account stops at 5,000 (2,400 then 2,600 of 3,200);
        # the period's share 6,000 is capped at 5,000; nothing is left to true up.
        (
            revenue(cap="5000"),
            ("130000", "90000", "140000"),
            {
                JAN: [("revenue_share", D("2400.00"))],
                FEB: [],
                MAR: [("revenue_share", D("2600.00")), ("true_up", D("0.00"))],
            },
        ),
        # A true-up pays back: 100 % on account of 3,000 and 4,000 = 7,000, the period's
        # share is 6,000, so the true-up is −1,000.
        (
            revenue(provisional="100"),
            ("130000", "90000", "140000"),
            {
                JAN: [("revenue_share", D("3000.00"))],
                FEB: [],
                MAR: [("revenue_share", D("4000.00")), ("true_up", D("-1000.00"))],
            },
        ),
        # Nothing on account (0 %): the true-up pays the whole period's share.
        (
            revenue(provisional="0"),
            ("130000", "100000", "100000"),
            {
                JAN: [("revenue_share", D("0.00"))],
                FEB: [],
                MAR: [("true_up", D("3000.00"))],
            },
        ),
    ],
)
def test_quarter_settlement_pays_on_account_and_trues_up_on_the_ratio_of_sums(component, values, expected):
    priced = price_months(FEE, component, months=months(*values))
    assert {period: share_lines(statement) for period, statement in priced.items()} == expected


def test_the_true_up_names_the_period_and_every_amount_paid_on_account():
    march = price_months(FEE, revenue(), months=months("130000", "90000", "140000"))[MAR]
    true_up = next(line for line in march.lines if line.kind == LineKind.TRUE_UP)
    assert true_up.explanation == (
        "True-up for 2026-Q1 (2026-01..2026-03): over the period rev 360,000.00 − baseline 300,000.00 "
        "= uplift 60,000.00; 10% → 6,000.00 (the period's share 6,000.00); paid on account "
        "2026-01 2,400.00 + 2026-03 3,200.00 = 5,600.00; 6,000.00 − 5,600.00 → 400.00"
    )
    on_account = next(line for line in march.lines if line.kind == LineKind.REVENUE_SHARE)
    assert on_account.explanation.endswith(
        "(this month's share); on account for 2026-Q1 (2026-01..2026-03): 80% of 4,000.00 → 3,200.00"
    )


def gain(**changes):
    base = {
        "id": "savings",
        "actual_measure": "cost",
        "baseline_unit_cost": D("4.00"),
        "volume_measure": "contacts",
        "supplier_percent": D("50"),
        "pain_percent": D("25"),
    }
    return GainShare(**(base | changes))


@pytest.mark.parametrize(
    ("component", "values", "expected"),
    [
        # Gain-share over a contract year from 2026-02 (a contract starting on 2026-02-01):
        # each month 4.00 × 1,000 contacts = 4,000 baseline. Feb saving 1,000 → 500, 50 % on
        # account 250; Mar overrun 600 → pain 25 % = −150, on account −75; the year's true-up
        # waits for 2027-01, so only on-account lines.
        (
            gain(settlement=Settlement(YEAR, D("50"))),
            {FEB: {"contacts": "1000", "cost": "3000"}, MAR: {"contacts": "1000", "cost": "4600"}},
            {FEB: [("gain_share", D("250.00"))], MAR: [("pain_share", D("-75.00"))]},
        ),
        # Quarter Apr..Jun of the same contract: Apr saving 1,000 (on account 50 % of 500),
        # May overrun 600 (−75), Jun saving 200 (50): period baseline 12,000 − actual 11,400 =
        # saving 600 → 300; true-up 300 − (250 − 75 + 50) = 75.
        (
            gain(settlement=Settlement(QUARTER, D("50"))),
            {
                APR: {"contacts": "1000", "cost": "3000"},
                Period(2026, 5): {"contacts": "1000", "cost": "4600"},
                Period(2026, 6): {"contacts": "1000", "cost": "3800"},
            },
            {
                APR: [("gain_share", D("250.00"))],
                Period(2026, 5): [("pain_share", D("-75.00"))],
                Period(2026, 6): [("gain_share", D("50.00")), ("true_up", D("75.00"))],
            },
        ),
    ],
)
def test_gain_share_settles_gains_and_pains_over_the_period(component, values, expected):
    priced = price_months(component, months=values, start=date(2026, 2, 1))
    assert {period: share_lines(statement) for period, statement in priced.items()} == expected


def test_a_quarter_starts_with_the_contract_and_ends_with_it():
    # Start 2026-02-15, end 2026-03-10: the quarter is 2026-02..2026-03, trued up in March.
    # Baselines prorate per month: 100,000 × 14/28 + 100,000 × 10/31 = 82,258.0645…;
    # uplift 120,000 − 82,258.06 = 37,741.94 → 3,774.19.
    priced = price_months(
        revenue(),
        months={FEB: {"rev": "60000"}, MAR: {"rev": "60000"}},
        start=date(2026, 2, 15),
        end=date(2026, 3, 10),
    )
    true_up = next(line for line in priced[MAR].lines if line.kind == LineKind.TRUE_UP)
    assert true_up.explanation.startswith("True-up for 2026-Q1 (2026-02..2026-03)")
    assert true_up.detail["period_share"] == "3774.19"


def test_an_earlier_month_not_issued_is_flagged_and_its_on_account_not_counted():
    priced = price_months(FEE, revenue(), months=months("130000", "90000", "140000"), issued={FEB})
    assert FlagCode.SETTLEMENT_PENDING in flag_codes(priced[MAR])
    assert "2026-01" in next(f.message for f in priced[MAR].flags if f.code == FlagCode.SETTLEMENT_PENDING)


def test_a_month_not_measured_in_the_period_gives_no_true_up_and_says_which():
    values = months("130000", None, "140000")
    march = price_months(FEE, revenue(), months=values)[MAR]
    assert [line.kind for line in march.lines] == [LineKind.FIXED_FEE, LineKind.REVENUE_SHARE]
    assert "rev was not measured in 2026-02: no true-up for 2026-Q1 (2026-01..2026-03)" in [
        f.message for f in march.flags
    ]


# --- annual caps ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("component", "values", "expected"),
    [
        # Outcome fee 10.00 per outcome, at most 2,500 per contract year: 1,000 + 1,200 paid,
        # then 800 outcomes = 8,000 limited to the 300 left (−7,700), then nothing (−2,000).
        (
            OutcomeFee("saves", "saves", D("10"), annual_cap=D("2500")),
            {JAN: {"saves": "100"}, FEB: {"saves": "120"}, MAR: {"saves": "800"}, APR: {"saves": "200"}},
            {
                JAN: [D("1000.00")],
                FEB: [D("1200.00")],
                MAR: [D("8000.00"), D("-7700.00")],
                APR: [D("2000.00"), D("-2000.00")],
            },
        ),
        # The cap applies per contract year: a new year (2027-01) starts from nothing.
        (
            OutcomeFee("saves", "saves", D("10"), annual_cap=D("1500")),
            {Period(2026, 12): {"saves": "200"}, Period(2027, 1): {"saves": "100"}},
            {Period(2026, 12): [D("2000.00"), D("-500.00")], Period(2027, 1): [D("1000.00")]},
        ),
        # Under a settlement, on-account and true-up lines count towards the annual cap too.
        (
            revenue(period=QUARTER, annual_cap="5000"),
            months("130000", "90000", "140000", first=JAN),
            {JAN: [D("2400.00")], FEB: [], MAR: [D("3200.00"), D("400.00"), D("-1000.00")]},
        ),
    ],
)
def test_annual_cap_limits_the_contract_years_total(component, values, expected):
    priced = price_months(component, months=values)
    assert {period: amounts(statement) for period, statement in priced.items()} == expected
    for statement in priced.values():
        if any(line.kind == LineKind.ANNUAL_CAP for line in statement.lines):
            assert FlagCode.ANNUAL_CAP_REACHED in flag_codes(statement)


def test_annual_cap_line_names_the_year_and_what_was_paid():
    values = {JAN: {"saves": "100"}, FEB: {"saves": "120"}, MAR: {"saves": "800"}}
    march = price_months(OutcomeFee("saves", "saves", D("10"), annual_cap=D("2500")), months=values)[MAR]
    assert march.lines[-1].explanation == (
        "Annual cap 2,500.00 for contract year 2026-01..2026-12: paid so far this year 2026-01 1,000.00 "
        "+ 2026-02 1,200.00 = 2,200.00; room 300.00; this month's lines 8,000.00 limited to 300.00 → -7,700.00"
    )
