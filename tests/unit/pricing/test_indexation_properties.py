"""Invariants of indexation, over generated index series and blocks."""

from dataclasses import replace
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from pricing import price_period
from pricing.indexation import Compounding, Indexation, uplift_in_force
from pricing.money import Rounding
from pricing.period import Period
from pricing.terms import Band, FixedFee, PricingInput, UnitRate

from .builders import D, terms

FAST = settings(max_examples=150, deadline=None)
YEARS = 6
index_values = st.lists(
    st.decimals(min_value="50", max_value="200", places=1, allow_nan=False, allow_infinity=False),
    min_size=YEARS + 1,
    max_size=YEARS + 1,
)
limits = st.none() | st.decimals(
    min_value="-10", max_value="10", places=2, allow_nan=False, allow_infinity=False
)
sensitivities = st.decimals(min_value="0", max_value="100", places=2, allow_nan=False, allow_infinity=False)
roundings = st.sampled_from(list(Rounding))


def series(values: list[Decimal]) -> dict[Period, Decimal]:
    """One value a year, each January from 2025."""
    return {Period(2025 + year, 1): value for year, value in enumerate(values)}


def block(**changes) -> Indexation:
    base = Indexation(
        "CPI",
        Period(2025, 1),
        1,
        applies_to_kinds=frozenset({"fixed_fee", "unit_rate"}),
        reference_lag_months=0,
    )
    return replace(base, **changes)


@FAST
@given(values=index_values, cap=limits, floor=limits, sensitivity=sensitivities, rounding=roundings)
def test_every_step_is_within_floor_and_cap(values, cap, floor, sensitivity, rounding):
    if cap is not None and floor is not None and floor > cap:
        cap, floor = floor, cap
    indexation = block(cap_percent=cap, floor_percent=floor, sensitivity_percent=sensitivity)
    uplift = uplift_in_force(
        indexation=indexation, values=series(values), period=Period(2025 + YEARS, 6), rounding=rounding
    )
    assert len(uplift.steps) == YEARS
    for step in uplift.steps:
        assert cap is None or step.percent <= cap
        assert floor is None or step.percent >= floor


@FAST
@given(values=index_values, compounding=st.sampled_from(list(Compounding)), rounding=roundings)
def test_the_factor_compounds_or_adds_the_steps_as_the_contract_says(values, compounding, rounding):
    uplift = uplift_in_force(
        indexation=block(compounding=compounding),
        values=series(values),
        period=Period(2025 + YEARS, 1),
        rounding=rounding,
    )
    steps = [1 + step.percent / 100 for step in uplift.steps]
    if compounding == Compounding.COMPOUND:
        product = Decimal(1)
        for step in steps:
            product *= step
        assert uplift.factor == product
    else:
        assert uplift.factor == 1 + sum(step - 1 for step in steps)


def _statement(indexation, period, values, fee, price):
    contract = replace(
        terms(
            FixedFee("mgmt", fee),
            UnitRate("voice", "contacts_voice", (Band(None, price),)),
            start=Period(2025, 1).first_day,
        ),
        indexation=indexation,
    )
    return price_period(
        PricingInput(
            period=period, terms=contract, kpis={"contacts_voice": D(1234)}, index_values={"CPI": values}
        )
    )


fees = st.decimals(min_value="0", max_value="1000000", places=2, allow_nan=False, allow_infinity=False)
prices = st.decimals(min_value="0", max_value="100", places=4, allow_nan=False, allow_infinity=False)
months = st.integers(min_value=0, max_value=12 * YEARS).map(lambda n: Period(2025, 1).shift(n))


@FAST
@given(values=index_values, fee=fees, price=prices, period=months)
def test_without_an_indexation_block_the_statement_is_what_it_was(values, fee, price, period):
    plain = _statement(None, period, {}, fee, price)
    assert _statement(None, period, series(values), fee, price) == plain
    # an indexation whose first anniversary is after the month changes nothing either
    later = block(base_month=period)
    assert _statement(later, period, series(values), fee, price) == plain
