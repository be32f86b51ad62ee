"""Explanations name KPIs by their display names, and a gated bonus names what closed the gate.

The arithmetic is the same with or without names: only the words for the KPIs change.
"""

import pytest

from pricing.components.experience import gate_reason, gate_text
from pricing.context import Month
from pricing.period import Period
from pricing.result import LineKind
from pricing.terms import (
    Band,
    CreditKpi,
    Direction,
    ExperienceBonus,
    ExperienceKpi,
    FixedFee,
    GainShare,
    OutcomeFee,
    PricingInput,
    PriorCredit,
    RevenueShare,
    ServiceCredit,
    UnitRate,
)
from pricing.text import in_sentence

from .builders import JUNE, D, amounts, price, terms

NAMES = {
    "contacts_total": "Total contacts",
    "contacts_voice": "Voice contacts handled",
    "cost_to_serve": "Cost to serve",
    "retention_revenue": "Retention revenue",
    "customers_retained": "Customers retained (saves)",
    "saves_reversed": "Saves reversed within the window",
    "service_level": "Service level",
    "csat": "CSAT",
    "fcr": "First-contact resolution",
    "aht_seconds": "Average handling time",
}
FEE = FixedFee("fee", D("10000.00"))
SAVINGS = GainShare(
    "savings",
    actual_measure="cost_to_serve",
    baseline_unit_cost=D("4.00"),
    volume_measure="contacts_total",
    supplier_percent=D(50),
)
VOICE = UnitRate("voice", "contacts_voice", (Band(None, D("2.00")),))
UPLIFT = RevenueShare("uplift", D("1000.00"), "retention_revenue", D(10))
SAVES = OutcomeFee("saves", "customers_retained", D("5.00"), clawback_measure="saves_reversed")
SLA = ServiceCredit(
    "sla", (CreditKpi("service_level", D(80), credit_percent=D(5)),), D(10), earn_back_months=1
)
KPIS = {
    "contacts_total": "31673",
    "cost_to_serve": "118457.02",
    "contacts_voice": "100",
    "retention_revenue": "1500.00",
    "customers_retained": "10",
    "saves_reversed": "2",
    "service_level": "78",
}


def explanation(statement, component_id, kind):
    return next(
        line.explanation for line in statement.lines if (line.component_id, line.kind) == (component_id, kind)
    )


# Each component type with names: the display name, in a sentence's own case, where the code was.
@pytest.mark.parametrize(
    ("component", "kind", "named", "coded"),
    [
        (
            SAVINGS,
            LineKind.GAIN_SHARE,
            "baseline 4.00 × 31,673 total contacts = 126,692.00 − actual cost to serve 118,457.02 "
            "= saving 8,234.98; 50% → 4,117.49",
            "baseline 4.00 × 31,673 contacts_total = 126,692.00 − actual cost_to_serve 118,457.02 "
            "= saving 8,234.98; 50% → 4,117.49",
        ),
        (
            VOICE,
            LineKind.UNIT_RATE,
            "100 voice contacts handled, graduated bands: 100 × 2.00 = 200.00 → 200.00",
            "100 contacts_voice, graduated bands: 100 × 2.00 = 200.00 → 200.00",
        ),
        (
            UPLIFT,
            LineKind.REVENUE_SHARE,
            "Retention revenue 1,500.00 − baseline 1,000.00 = uplift 500.00; 10% → 50.00",
            "retention_revenue 1,500.00 − baseline 1,000.00 = uplift 500.00; 10% → 50.00",
        ),
        (
            SAVES,
            LineKind.OUTCOME_FEE,
            "10 customers retained (saves) × 5.00 → 50.00",
            "10 customers_retained × 5.00 → 50.00",
        ),
        (
            SAVES,
            LineKind.OUTCOME_CLAWBACK,
            "2 saves reversed within the window × 5.00 charged back → -10.00",
            "2 saves_reversed × 5.00 charged back → -10.00",
        ),
        (
            SLA,
            LineKind.SERVICE_CREDIT,
            "Service level 78 missed target 80; 5% of charges 10,000.00 → -500.00",
            "service_level 78 missed target 80; 5% of charges 10,000.00 → -500.00",
        ),
    ],
)
def test_explanations_use_the_names_and_fall_back_to_the_codes(component, kind, named, coded):
    with_names = price(FEE, component, kpis=KPIS, names=NAMES)
    without = price(FEE, component, kpis=KPIS)
    assert explanation(with_names, component.id, kind) == named
    assert explanation(without, component.id, kind) == coded
    assert amounts(with_names) == amounts(without) and with_names.net == without.net


def test_earn_back_names_the_kpi_of_the_credit():
    prior = PriorCredit(JUNE.previous(), "sla", "service_level", D("-500.00"))
    statement = price(FEE, SLA, kpis={"service_level": "85"}, prior_credits=[prior], names=NAMES)
    assert explanation(statement, "sla", LineKind.EARN_BACK) == (
        "Earn-back of the service level credit of 2026-05 (-500.00): target 80 met in each of "
        "2026-06…2026-06 → 500.00"
    )


# The name as it reads inside a sentence: a capital lowered only on a word, never on an acronym or code.
@pytest.mark.parametrize(
    ("name", "in_text"),
    [
        ("All contacts handled", "all contacts handled"),
        ("CSAT", "CSAT"),
        ("NPS score", "NPS score"),
        ("contacts_total", "contacts_total"),
        ("A", "A"),
        ("", ""),
    ],
)
def test_in_sentence(name, in_text):
    assert in_sentence(name) == in_text


CSAT = ExperienceKpi("csat", D(50), D(80), D(85), D(90))
FCR = ExperienceKpi("fcr", D(30), D(70), D(75), D(80))
AHT = ExperienceKpi("aht_seconds", D(20), D(400), D(360), D(320), Direction.LOWER_IS_BETTER)
GATED = ExperienceBonus("experience", (CSAT, FCR, AHT), pool_amount=D("1000.00"), gate="all_thresholds")
PASSING = {"csat": "85", "fcr": "75", "aht_seconds": "360"}


# The gate names each KPI that closed it, with its value and threshold, in the scorecard's order.
@pytest.mark.parametrize(
    ("kpis", "gate"),
    [
        ({**PASSING, "csat": "78.04"}, "gate: CSAT 78.04 is below its threshold 80, so no bonus"),
        ({"fcr": "75", "aht_seconds": "360"}, "gate: CSAT was not measured, so no bonus"),
        (
            {**PASSING, "aht_seconds": "412"},
            "gate: Average handling time 412 is above its threshold 400, so no bonus",
        ),  # lower is better: above the threshold misses it
        (
            {"csat": "78", "fcr": "69.5"},
            "gate: CSAT 78 is below its threshold 80, First-contact resolution 69.5 is below its "
            "threshold 70 and Average handling time was not measured, so no bonus",
        ),
    ],
)
def test_the_gate_names_the_kpis_that_closed_it(kpis, gate):
    statement = price(GATED, kpis=kpis, names=NAMES)
    [line] = statement.lines
    assert line.amount == D("0.00")
    assert line.explanation.endswith(f"; {gate} → 0.00")


def test_an_open_gate_says_nothing_of_it_and_pays():
    [line] = price(GATED, kpis=PASSING, names=NAMES).lines
    assert "gate" not in line.explanation and line.amount == D("1000.00")
    assert line.explanation.startswith(
        "pool 1,000.00; CSAT 85 → 1 × weight 50; First-contact resolution 75 → 1"
    )


def test_without_names_the_gate_names_the_code():
    [line] = price(GATED, kpis={**PASSING, "csat": "79"}).lines
    assert "; gate: csat 79 is below its threshold 80, so no bonus → 0.00" in line.explanation


def test_a_threshold_that_pays_nothing_closes_the_gate_at_the_threshold():
    # threshold_payout 0: at the threshold itself the KPI pays 0, so the gate closes without it being below.
    spec = ExperienceKpi("csat", D(1), D(80), D(85), D(90), threshold_payout=D(0))
    month = Month.of(PricingInput(period=Period(2026, 6), terms=terms(FEE), kpis={}, kpi_names=NAMES))
    assert gate_reason(spec, D(80), D(0), month) == "CSAT 80 pays nothing at its threshold 80"
    assert gate_reason(spec, D(81), D("0.1"), month) is None


def test_gate_text_lists_one_two_or_more():
    assert gate_text(["A"]) == "; gate: A, so no bonus"
    assert gate_text(["A", "B"]) == "; gate: A and B, so no bonus"
    assert gate_text(["A", "B", "C"]) == "; gate: A, B and C, so no bonus"
