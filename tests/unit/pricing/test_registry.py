"""The pricing registry: one entry per component type, in its phase, and the engine asks it."""

import typing
from dataclasses import dataclass

import pytest

from pricing import PricingError
from pricing.components import PRICERS, Phase, prices
from pricing.terms import (
    Component,
    CreditKpi,
    ExperienceBonus,
    ExperienceKpi,
    FixedFee,
    GainShare,
    OutcomeFee,
    PriorCredit,
    RevenueShare,
    ServiceCredit,
    UnitRate,
)

from .builders import JUNE, D, price


def test_every_component_type_of_the_core_has_exactly_one_entry():
    union = typing.get_args(Component)
    assert len(set(union)) == len(union)
    assert set(PRICERS) == set(union)
    assert all(PRICERS[terms].terms is terms for terms in union)


# Charges first; the percent-of-charges components (and only they) are given the charges.
@pytest.mark.parametrize(
    ("terms", "phase", "takes_charges"),
    [
        (FixedFee, Phase.CHARGES, False),
        (UnitRate, Phase.CHARGES, False),
        (GainShare, Phase.AFTER_CHARGES, False),
        (RevenueShare, Phase.AFTER_CHARGES, False),
        (OutcomeFee, Phase.AFTER_CHARGES, False),
        (ExperienceBonus, Phase.AFTER_CHARGES, True),
        (ServiceCredit, Phase.AFTER_CHARGES, True),
    ],
)
def test_phase_of_each_type(terms, phase, takes_charges):
    assert (PRICERS[terms].phase, PRICERS[terms].takes_charges) == (phase, takes_charges)


def test_a_type_is_priced_once():
    with pytest.raises(ValueError, match="FixedFee is priced twice"):
        prices(FixedFee, phase=Phase.CHARGES)
    assert PRICERS[FixedFee].price.__name__ == "price_fixed_fee"


def test_a_charge_cannot_take_the_charges():
    @dataclass(frozen=True)
    class Retainer:
        id: str

    with pytest.raises(ValueError, match="a charge cannot take the month's charges"):
        prices(Retainer, phase=Phase.CHARGES, takes_charges=True)
    assert Retainer not in PRICERS


def test_a_component_without_pricing_is_refused():
    @dataclass(frozen=True)
    class Unpriced:
        id: str

    with pytest.raises(PricingError, match="no pricing for a Unpriced component"):
        price(FixedFee("fee", D("100.00")), Unpriced("x"))


def test_the_service_credit_entry_yields_credits_then_earn_back():
    sla = ServiceCredit("sla", (CreditKpi("service_level", D(80), credit_percent=D(5)),), D(12), 1)
    may_credit = PriorCredit(JUNE.shift(-1), "sla", "service_level", D("-40.00"))
    fee = FixedFee("fee", D("1000.00"))
    bonus = ExperienceBonus("cx", (ExperienceKpi("csat", D(1), D(80), D(85), D(90)),), pool_amount=D(10))
    # Missed in June: a credit on the charges priced before it, no earn-back of May's credit;
    # the bonus listed after the credit is priced after it.
    missed = price(fee, sla, bonus, kpis={"service_level": "70", "csat": "85"}, prior_credits=[may_credit])
    assert [(str(line.kind), line.amount) for line in missed.lines] == [
        ("fixed_fee", D("1000.00")),
        ("service_credit", D("-50.00")),
        ("experience_bonus", D("10.00")),
    ]
    # Met in June, the one month of the earn-back window: May's credit is paid back.
    met = price(fee, sla, kpis={"service_level": "85"}, prior_credits=[may_credit])
    assert [(str(line.kind), line.amount) for line in met.lines] == [
        ("fixed_fee", D("1000.00")),
        ("earn_back", D("40.00")),
    ]
