"""The contract's rounding of a KPI value before a component uses it."""

from dataclasses import replace

import pytest

from pricing.components.kpi_rounding import round_kpi
from pricing.result import LineKind
from pricing.terms import (
    CreditKpi,
    ExperienceBonus,
    ExperienceKpi,
    FixedFee,
    KpiRounding,
    KpiRoundingMode,
    ServiceCredit,
)

from .builders import D, amounts, price

WHOLE = KpiRounding(0, KpiRoundingMode.HALF_UP)


# Each mode, to whole numbers and to a decimal; down and up go to the lower and higher number.
@pytest.mark.parametrize(
    ("value", "decimals", "mode", "expected"),
    [
        ("87.6", 0, KpiRoundingMode.HALF_UP, "88"),
        ("87.5", 0, KpiRoundingMode.HALF_UP, "88"),
        ("87.5", 0, KpiRoundingMode.HALF_EVEN, "88"),
        ("86.5", 0, KpiRoundingMode.HALF_EVEN, "86"),
        ("87.6", 0, KpiRoundingMode.DOWN, "87"),
        ("87.1", 0, KpiRoundingMode.UP, "88"),
        ("-3.4", 0, KpiRoundingMode.DOWN, "-4"),  # NPS below zero: down is the lower number
        ("-3.4", 0, KpiRoundingMode.UP, "-3"),
        ("79.949", 1, KpiRoundingMode.HALF_UP, "79.9"),
        ("79.95", 1, KpiRoundingMode.HALF_UP, "80.0"),
    ],
)
def test_round_kpi(value, decimals, mode, expected):
    assert round_kpi(D(value), KpiRounding(decimals, mode)) == D(expected)


def test_not_measured_and_no_rounding_leave_the_value():
    assert round_kpi(None, WHOLE) is None
    assert round_kpi(D("87.6"), None) == D("87.6")


CSAT = ExperienceKpi("csat", D(100), D(80), D(85), D(90), rounding=WHOLE)


def test_csat_is_scored_on_its_rounded_value_and_the_explanation_shows_both():
    bonus = ExperienceBonus("experience", (CSAT,), pool_amount=D("1000.00"))
    statement = price(bonus, kpis={"csat": "87.6"}, names={"csat": "CSAT"})
    # 88 on 85/90 → 1 + 0.5 × 3/5 = 1.3 (87.6 unrounded would pay 1.26)
    assert amounts(statement) == [D("1300.00")]
    assert (
        "CSAT 87.6, rounded to 88 as the contract says → 1.3 × weight 100" in statement.lines[0].explanation
    )


def test_a_service_level_rounded_up_to_its_target_is_met():
    spec = CreditKpi("service_level", D(80), credit_percent=D(5), rounding=WHOLE)
    sla = ServiceCredit("sla", (spec,), D(12))
    fee = FixedFee("fee", D("100000.00"))
    assert amounts(price(fee, sla, kpis={"service_level": "79.5"}), LineKind.SERVICE_CREDIT) == []
    missed = price(fee, sla, kpis={"service_level": "79.4"})
    assert amounts(missed, LineKind.SERVICE_CREDIT) == [D("-5000.00")]
    assert (
        "service_level 79.4, rounded to 79 as the contract says missed target 80"
        in missed.lines[-1].explanation
    )


def test_a_value_the_rounding_leaves_unchanged_reads_as_before():
    bonus = ExperienceBonus("experience", (CSAT,), pool_amount=D("1000.00"))
    assert "csat 87 → " in price(bonus, kpis={"csat": "87"}).lines[0].explanation
    unrounded = ExperienceBonus("experience", (replace(CSAT, rounding=None),), pool_amount=D("1000.00"))
    assert amounts(price(unrounded, kpis={"csat": "87.6"})) == [D("1260.00")]


def test_a_ratio_with_many_decimals_is_shown_to_two_before_its_rounding():
    # A month's CSAT is Σ numerator / Σ denominator: shown as statements show KPI values.
    statement = price(
        ExperienceBonus("experience", (CSAT,), pool_amount=D("1000.00")), kpis={"csat": "91.46884273"}
    )
    assert "csat 91.47, rounded to 91 as the contract says → 1.5" in statement.lines[0].explanation
