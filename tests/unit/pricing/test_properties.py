"""Invariants of the pricing core, checked over generated inputs."""

from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pricing.money import Rounding, to_decimal
from pricing.result import LineKind
from pricing.terms import (
    Band,
    CreditKpi,
    ExperienceBonus,
    ExperienceKpi,
    FixedFee,
    GainShare,
    ServiceCredit,
    UnitRate,
)

from .builders import D, price

amounts = st.decimals(min_value=0, max_value=10**7, places=2, allow_nan=False, allow_infinity=False)
counts = st.integers(min_value=0, max_value=10**6).map(Decimal)
percents = st.decimals(min_value=0, max_value=100, places=2, allow_nan=False, allow_infinity=False)
scores = st.decimals(min_value=0, max_value=100, places=1, allow_nan=False, allow_infinity=False)
roundings = st.sampled_from(list(Rounding))

FAST = settings(max_examples=150, deadline=None)


@FAST
@given(volume=counts, actual=amounts, percent=percents, cap=amounts, pain=percents, pain_cap=amounts)
def test_gain_share_never_exceeds_cap_and_pain_never_below_pain_cap(
    volume, actual, percent, cap, pain, pain_cap
):
    component = GainShare(
        "savings",
        "cost_to_serve",
        baseline_unit_cost=D("4.00"),
        volume_measure="contacts_total",
        supplier_percent=percent,
        cap=cap,
        pain_percent=pain,
        pain_cap=pain_cap,
    )
    statement = price(component, kpis={"contacts_total": str(volume), "cost_to_serve": str(actual)})
    for line in statement.lines:
        if line.kind == LineKind.GAIN_SHARE:
            assert D(0) <= line.amount <= cap
        else:
            assert -pain_cap <= line.amount <= 0


credit_specs = st.lists(
    st.builds(
        CreditKpi,
        kpi=st.sampled_from(["service_level", "fcr", "csat", "quality_score"]),
        target=scores,
        credit_percent=percents,
    ),
    min_size=1,
    max_size=4,
    unique_by=lambda spec: spec.kpi,
)


@FAST
@given(
    fee=amounts,
    specs=credit_specs,
    at_risk=percents,
    values=st.lists(scores, min_size=4, max_size=4),
    mode=roundings,
)
def test_credits_never_exceed_the_at_risk_amount(fee, specs, at_risk, values, mode):
    kpis = dict(zip(["service_level", "fcr", "csat", "quality_score"], map(str, values), strict=True))
    statement = price(
        FixedFee("fee", fee), ServiceCredit("sla", tuple(specs), at_risk), kpis=kpis, rounding=mode
    )
    credits = sum((line.amount for line in statement.lines if line.kind == LineKind.SERVICE_CREDIT), D(0))
    at_risk_amount = (fee * at_risk / 100).quantize(
        D("0.01"), rounding=mode.value.replace("half_", "ROUND_HALF_").upper()
    )
    assert -credits <= at_risk_amount
    assert all(line.amount <= 0 for line in statement.lines if line.kind == LineKind.SERVICE_CREDIT)


def month_strategy():
    return st.fixed_dictionaries(
        {
            "contacts_voice": counts.map(str),
            "csat": scores.map(str),
            "service_level": scores.map(str),
        }
    )


COMPONENTS = (
    FixedFee("mgmt", D("15000.00")),
    UnitRate(
        "voice",
        "contacts_voice",
        (Band(D(10000), D("3.00")), Band(None, D("2.00"))),
        minimum_charge=D("20000"),
    ),
    ExperienceBonus("exp", (ExperienceKpi("csat", D(1), D(80), D(85), D(90)),), pool_percent=D(3)),
    ServiceCredit("sla", (CreditKpi("service_level", D(80), per_point_percent=D("1.5")),), D(12)),
)


@FAST
@given(kpis=month_strategy(), tax_rate=percents.map(str), mode=roundings, places=st.sampled_from([0, 2, 3]))
def test_net_is_the_sum_of_lines_and_amounts_have_the_currency_places(kpis, tax_rate, mode, places):
    statement = price(*COMPONENTS, kpis=kpis, tax_rate=tax_rate, rounding=mode, decimal_places=places)
    assert statement.net == sum((line.amount for line in statement.lines), D(0))
    assert statement.gross == statement.net + statement.tax
    for amount in [statement.net, statement.tax, statement.gross, *(line.amount for line in statement.lines)]:
        assert -amount.as_tuple().exponent == places


@FAST
@given(kpis=month_strategy())
def test_same_inputs_give_the_same_statement(kpis):
    assert price(*COMPONENTS, kpis=kpis) == price(*COMPONENTS, kpis=dict(kpis))


@FAST
@given(value=st.floats(allow_nan=False, allow_infinity=False, min_value=0, max_value=1e6))
def test_a_float_never_reaches_the_core(value):
    with pytest.raises(TypeError):
        to_decimal(value)
    with pytest.raises(TypeError):  # a float smuggled into the terms fails loudly, never silently
        price(
            FixedFee("fee", value),
            UnitRate("voice", "contacts_voice", (Band(None, D("1.00")),)),
            kpis={"contacts_voice": "1"},
        )
