"""Months simulated one after another: earn-back reads the credits and KPI values simulated
for the months before, and nothing else."""

from decimal import Decimal

from pricing.period import Period
from pricing.result import LineKind
from pricing.simulation import MonthToPrice, carried_inputs, simulate_months
from pricing.terms import CreditKpi, FixedFee, ServiceCredit

from .builders import D, terms

FEE = FixedFee("fee", D("100000.00"))
SLA = ServiceCredit("sla", (CreditKpi("service_level", D(80), credit_percent=D(5)),), D(12), 2)
JAN, FEB, MAR, APR = (Period(2026, m) for m in (1, 2, 3, 4))
MISSED, MET = {"service_level": D(70)}, {"service_level": D(85)}


def kinds(month) -> list[tuple[str, Decimal]]:
    return [(str(line.kind), line.amount) for line in month.statement.lines]


def test_a_credit_simulated_in_january_is_earned_back_in_march_after_two_months_met():
    # Jan: 5 % × 100,000 = −5,000 credit; Feb and Mar met → March earns the −5,000 back (+5,000).
    months = [MonthToPrice(p, terms(FEE, SLA), k) for p, k in ((JAN, MISSED), (FEB, MET), (MAR, MET))]
    jan, feb, mar = simulate_months(months=months, kpi_names={})
    assert kinds(jan) == [("fixed_fee", D("100000.00")), ("service_credit", D("-5000.00"))]
    assert kinds(feb) == [("fixed_fee", D("100000.00"))]
    assert kinds(mar) == [("fixed_fee", D("100000.00")), ("earn_back", D("5000.00"))]
    assert mar.inputs.kpi_history == {FEB: MET, JAN: MISSED}


def test_no_earn_back_when_a_month_between_missed():
    months = [MonthToPrice(p, terms(FEE, SLA), k) for p, k in ((JAN, MISSED), (FEB, MISSED), (MAR, MET))]
    mar = simulate_months(months=months, kpi_names={})[2]
    assert [line.kind for line in mar.statement.lines if line.kind is LineKind.EARN_BACK] == []


def test_a_month_without_terms_is_not_priced_but_its_values_are_history():
    # January has no terms in force: no credit to earn back, but its values reach March's history.
    months = [
        MonthToPrice(JAN, None, MISSED),
        MonthToPrice(FEB, terms(FEE, SLA), MET),
        MonthToPrice(MAR, terms(FEE, SLA), MET),
    ]
    jan, _, mar = simulate_months(months=months, kpi_names={})
    assert jan.statement is None and jan.error == ""
    assert mar.inputs.kpi_history[JAN] == MISSED and mar.inputs.prior_credits == ()


def test_a_month_the_contract_is_not_active_in_is_kept_with_the_reason():
    from datetime import date

    month = simulate_months(months=[MonthToPrice(JAN, terms(FEE, start=date(2026, 2, 1)), {})], kpi_names={})[
        0
    ]
    assert month.statement is None and "not active in 2026-01" in month.error


def test_carried_inputs_without_earn_back_are_empty():
    assert carried_inputs(period=APR, terms=terms(FEE), earlier={}) == {
        "kpi_history": {},
        "prior_credits": (),
    }
