"""Service credits: credit % or per-point, the at-risk cap with pro-rata scaling, earn-back."""

import pytest

from pricing.period import Period
from pricing.result import LineKind
from pricing.terms import CreditKpi, Direction, FixedFee, PriorCredit, ServiceCredit

from .builders import JUNE, D, amounts, flag_codes, price

SL = CreditKpi("service_level", D(80), credit_percent=D(5))
ABANDON = CreditKpi("abandon_rate", D(5), Direction.LOWER_IS_BETTER, credit_percent=D(3))
FEE = FixedFee("fee", D("100000.00"))


def sla(*kpis, at_risk="12", earn_back=None):
    return ServiceCredit("sla", kpis or (SL, ABANDON), D(at_risk), earn_back)


# A KPI that misses its target credits its percent of charges; targets met exactly are not missed.
@pytest.mark.parametrize(
    ("kpis", "expected"),
    [
        ({"service_level": "80", "abandon_rate": "5"}, []),  # exactly on target: met
        ({"service_level": "79.99", "abandon_rate": "5"}, [("service_level", "-5000.00")]),
        ({"service_level": "85", "abandon_rate": "5.01"}, [("abandon_rate", "-3000.00")]),  # lower is better
        (
            {"service_level": "70", "abandon_rate": "9"},
            [("service_level", "-5000.00"), ("abandon_rate", "-3000.00")],
        ),
        ({"abandon_rate": "4"}, [("service_level", "-5000.00")]),  # not measured counts as missed
    ],
)
def test_credit_percent(kpis, expected):
    statement = price(FEE, sla(), kpis=kpis)
    credits = [(line.kpi, line.amount) for line in statement.lines if line.kind == LineKind.SERVICE_CREDIT]
    assert credits == [(k, D(v)) for k, v in expected]


def test_not_measured_credit_kpi_flags_the_statement():
    assert "kpi_not_measured" in flag_codes(price(FEE, sla(), kpis={"abandon_rate": "4"}))


# Per point: floor(shortfall in whole points) × per_point_percent.
@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("79.5", []),  # half a point short: 0 full points, no credit
        ("79", ["-1000.00"]),
        ("76.5", ["-3000.00"]),  # 3.5 points → 3 full points
        ("70", ["-10000.00"]),
        (None, ["-12000.00"]),  # not measured: the whole at-risk percentage
    ],
)
def test_per_point_credits(value, expected):
    spec = CreditKpi("service_level", D(80), per_point_percent=D(1))
    kpis = {} if value is None else {"service_level": value}
    assert amounts(price(FEE, sla(spec), kpis=kpis), LineKind.SERVICE_CREDIT) == [D(x) for x in expected]


def test_at_risk_cap_scales_credits_pro_rata_to_the_cap_exactly():
    # PRICING.md: charges 500,000, at risk 12 % = 60,000; misses at 8 % and 5.2 % = 66,000
    specs = (
        CreditKpi("service_level", D(80), credit_percent=D(8)),
        CreditKpi("fcr", D(70), credit_percent=D("5.2")),
    )
    statement = price(FixedFee("fee", D("500000.00")), sla(*specs), kpis={"service_level": "70", "fcr": "60"})
    credits = amounts(statement, LineKind.SERVICE_CREDIT)
    assert credits == [D("-36363.64"), D("-23636.36")]
    assert sum(credits) == D("-60000.00")
    assert "credits_at_cap" in flag_codes(statement)


def test_last_line_absorbs_rounding_when_scaling():
    specs = tuple(CreditKpi(code, D(80), credit_percent=D(10)) for code in ("service_level", "fcr", "csat"))
    statement = price(FixedFee("fee", D("1000.00")), sla(*specs, at_risk="10"), kpis={})
    # 300.00 of credits scaled to 100.00: 33.33 + 33.33 + 33.34
    assert amounts(statement, LineKind.SERVICE_CREDIT) == [D("-33.33"), D("-33.33"), D("-33.34")]


def test_scaling_tiny_credits_never_turns_one_into_a_payment():
    # Charges 1.63 at 1 % at risk: the cap is 0.02. Three misses at 0.45 % (0.0073 each,
    # 0.01 rounded) and one at 0.15 % exceed it; their shares of the cap (0.006 each) round
    # up to 0.01, so the last line would be +0.01. They are rounded down instead.
    specs = (
        *(CreditKpi(code, D(80), credit_percent=D("0.45")) for code in ("service_level", "fcr", "csat")),
        CreditKpi("quality_score", D(80), credit_percent=D("0.15")),
    )
    statement = price(FixedFee("fee", D("1.63")), sla(*specs, at_risk="1"), kpis={})
    credits = amounts(statement, LineKind.SERVICE_CREDIT)
    assert credits == [D("0.00"), D("0.00"), D("0.00"), D("-0.02")]
    assert all(credit <= 0 for credit in credits)
    assert sum(credits) == D("-0.02")


def test_credits_exactly_at_the_cap_are_not_scaled():
    statement = price(FEE, sla(at_risk="8"), kpis={"service_level": "70", "abandon_rate": "9"})
    assert amounts(statement, LineKind.SERVICE_CREDIT) == [D("-5000.00"), D("-3000.00")]
    assert "credits_at_cap" not in flag_codes(statement)


MARCH, APRIL, MAY = Period(2026, 3), Period(2026, 4), Period(2026, 5)
LEVIED = PriorCredit(MARCH, "sla", "service_level", D("-5000.00"))
MET = {"service_level": "85", "abandon_rate": "4"}


# Earn-back: a credit levied in m is paid back in m+N if the KPI met its target in every month m+1..m+N.
@pytest.mark.parametrize(
    ("history", "june", "expected"),
    [
        ({APRIL: {"service_level": "81"}, MAY: {"service_level": "80"}}, MET, ["5000.00"]),  # met every month
        ({APRIL: {"service_level": "79"}, MAY: {"service_level": "85"}}, MET, []),  # missed in April
        (
            {APRIL: {"service_level": "85"}, MAY: {"service_level": "85"}},
            {"abandon_rate": "4"},
            [],
        ),  # June not measured
        ({MAY: {"service_level": "85"}}, MET, []),  # April missing from history: not met
    ],
)
def test_earn_back(history, june, expected):
    statement = price(FEE, sla(earn_back=3), kpis=june, history=history, prior_credits=[LEVIED])
    assert amounts(statement, LineKind.EARN_BACK) == [D(x) for x in expected]


def test_earn_back_only_for_credits_levied_exactly_n_months_ago():
    too_recent = PriorCredit(APRIL, "sla", "service_level", D("-5000.00"))
    other_component = PriorCredit(MARCH, "other", "service_level", D("-5000.00"))
    history = {APRIL: {"service_level": "85"}, MAY: {"service_level": "85"}}
    statement = price(
        FEE, sla(earn_back=3), kpis=MET, history=history, prior_credits=[too_recent, other_component]
    )
    assert amounts(statement, LineKind.EARN_BACK) == []
    assert JUNE.shift(-3) == MARCH
