"""Experience bonus: the threshold → target → stretch curve, weights, pools and the gate."""

import pytest

from pricing.components.experience import payout_factor
from pricing.result import LineKind
from pricing.terms import Direction, ExperienceBonus, ExperienceKpi, FixedFee

from .builders import D, amounts, flag_codes, price

THREE_PERCENT = D(3)
CSAT = ExperienceKpi("csat", D(40), D(80), D(85), D(90))
AHT = ExperienceKpi("aht_seconds", D(1), D(400), D(360), D(320), Direction.LOWER_IS_BETTER)


# Higher-is-better curve: 0 below threshold, 0.5 at it, linear to 1 at target, to 1.5 at stretch, flat above.
@pytest.mark.parametrize(
    ("value", "payout"),
    [
        ("79.99", "0"),
        ("80", "0.5"),
        ("82.5", "0.75"),
        ("85", "1"),
        ("87", "1.2"),  # PRICING.md example
        ("90", "1.5"),
        ("99", "1.5"),
    ],
)
def test_payout_curve_higher_is_better(value, payout):
    assert payout_factor(CSAT, D(value)) == D(payout)


# Lower-is-better mirrors the comparisons: below threshold means above it in value.
@pytest.mark.parametrize(
    ("value", "payout"),
    [
        ("401", "0"),
        ("400", "0.5"),
        ("380", "0.75"),
        ("360", "1"),
        ("340", "1.25"),
        ("320", "1.5"),
        ("100", "1.5"),
    ],
)
def test_payout_curve_lower_is_better(value, payout):
    assert payout_factor(AHT, D(value)) == D(payout)


def test_custom_threshold_and_stretch_payouts():
    spec = ExperienceKpi("csat", D(1), D(80), D(85), D(90), threshold_payout=D("0.2"), stretch_payout=D(2))
    assert [payout_factor(spec, D(v)) for v in ("80", "90", "95")] == [D("0.2"), D(2), D(2)]


def scorecard(gate=None, pool_percent=THREE_PERCENT, pool_amount=None):
    return ExperienceBonus(
        "experience",
        (
            CSAT,
            ExperienceKpi("fcr", D(30), D(70), D(75), D(80)),
            ExperienceKpi("nps", D(30), D(20), D(30), D(40)),
        ),
        pool_percent=pool_percent,
        pool_amount=pool_amount,
        gate=gate,
    )


GOOD = {"csat": "87", "fcr": "77", "nps": "26"}


def test_pricing_md_worked_example():
    # pool 3 % of 200,000 = 6,000; CSAT 1.2 × 40, FCR 1.2 × 30, NPS 0.8 × 30 → factor 1.08 → 6,480.00
    statement = price(FixedFee("fee", D("200000.00")), scorecard(), kpis=GOOD)
    assert amounts(statement, LineKind.EXPERIENCE_BONUS) == [D("6480.00")]
    assert "factor 1.08" in statement.lines[-1].explanation


# Pools, gate and not-measured KPIs.
@pytest.mark.parametrize(
    ("bonus", "kpis", "expected", "flags"),
    [
        (scorecard(pool_percent=None, pool_amount=D("5000.00")), GOOD, "5400.00", set()),  # fixed pool
        (
            scorecard(),
            {**GOOD, "nps": "19"},
            "5040.00",
            set(),
        ),  # NPS below threshold pays 0, others still pay
        (scorecard(gate="all_thresholds"), {**GOOD, "nps": "19"}, "0.00", set()),  # gate: nothing
        (scorecard(gate="all_thresholds"), GOOD, "6480.00", set()),  # gate passed
        (scorecard(), {"csat": "87", "fcr": "77"}, "5040.00", {"kpi_not_measured"}),  # not measured pays 0
        (scorecard(gate="all_thresholds"), {"csat": "87", "fcr": "77"}, "0.00", {"kpi_not_measured"}),
        (scorecard(), {"csat": "95", "fcr": "80", "nps": "40"}, "9000.00", {"bonus_at_maximum"}),
    ],
)
def test_bonus_pool_gate_and_flags(bonus, kpis, expected, flags):
    statement = price(FixedFee("fee", D("200000.00")), bonus, kpis=kpis)
    assert amounts(statement, LineKind.EXPERIENCE_BONUS) == [D(expected)]
    assert flag_codes(statement) == flags


def test_fixed_pool_is_prorated():
    from datetime import date

    from pricing.period import Period

    bonus = scorecard(pool_percent=None, pool_amount=D("3100.00"))
    statement = price(bonus, kpis=GOOD, period=Period(2026, 3), start=date(2026, 3, 10))
    # 3,100 × 22/31 = 2,200 × 1.08 = 2,376.00
    assert amounts(statement, LineKind.EXPERIENCE_BONUS) == [D("2376.00")]
