"""Invariants of the terms that read earlier months, over generated sequences of months
priced one after the other (``builders.price_months``)."""

from datetime import date
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from pricing.money import ZERO, percent_of, round_money
from pricing.period import Period
from pricing.result import LineKind
from pricing.terms import (
    Band,
    CreditKpi,
    Excess,
    OutcomeFee,
    RevenueShare,
    ServiceCredit,
    Settlement,
    SettlementPeriod,
    UnitRate,
)
from pricing.windows import calendar_quarter, contract_year, rolling_twelve

from .builders import D, price_months

FAST = settings(max_examples=60, deadline=None)
START = date(2026, 1, 1)
FIRST = Period(2026, 1)
CHARGES = UnitRate("calls", "calls", (Band(None, D("1.00")),))  # charges = the month's calls

volumes = st.integers(min_value=0, max_value=200_000).map(Decimal)
levels = st.integers(min_value=60, max_value=100).map(Decimal)
percents = st.decimals(min_value=0, max_value=100, places=1, allow_nan=False, allow_infinity=False)
revenues = st.integers(min_value=0, max_value=400_000).map(Decimal)


def month_values(draw, count, **codes):
    return {
        FIRST.shift(i): {code: str(draw(strategy)) for code, strategy in codes.items()} for i in range(count)
    }


def component_total(statement, component_id, kinds=None):
    return sum(
        (
            line.amount
            for line in statement.lines
            if line.component_id == component_id and (kinds is None or line.kind in kinds)
        ),
        ZERO,
    )


@FAST
@given(data=st.data(), rolling=percents, at_risk=percents, excess=st.sampled_from(list(Excess)))
def test_rolling_cap_is_never_exceeded_and_carry_forward_loses_or_invents_nothing(
    data, rolling, at_risk, excess
):
    months = month_values(data.draw, 14, calls=volumes, service_level=levels)
    credit = ServiceCredit(
        "sla",
        (CreditKpi("service_level", D("90"), per_point_percent=D("1")),),
        at_risk,
        rolling_cap_percent=rolling,
        excess=excess,
    )
    priced = price_months(CHARGES, credit, months=months)
    charges = {p: component_total(s, "calls") for p, s in priced.items()}
    levied = {p: -component_total(s, "sla", {LineKind.SERVICE_CREDIT}) for p, s in priced.items()}
    for period in priced:
        window = rolling_twelve(period, start=START).months()
        cap = round_money(
            percent_of(sum((charges[p] for p in window), ZERO), rolling), decimal_places=2, rounding="half_up"
        )
        # The cap is checked when a credit is levied, over the twelve months ending then:
        # a month that levies leaves its window within the cap. (Charges that later leave a
        # window claw nothing back, so a later window may hold more than its own cap.)
        if levied[period] > 0:
            assert sum((levied[p] for p in window), ZERO) <= cap
        assert all(line.amount <= 0 for line in priced[period].lines if line.kind == LineKind.SERVICE_CREDIT)
    raw = sum(
        (D(line.detail["raw"]) for s in priced.values() for line in s.lines if "raw" in line.detail), ZERO
    )
    excess_total = sum(
        (D(line.detail["excess"]) for s in priced.values() for line in s.lines if "excess" in line.detail),
        ZERO,
    )
    own_levied = sum(
        (
            D(line.detail["raw"]) - D(line.detail["excess"])
            for s in priced.values()
            for line in s.lines
            if "raw" in line.detail
        ),
        ZERO,
    )
    assert own_levied + excess_total == raw
    if excess is Excess.CARRY_FORWARD:
        last = [line for line in priced[max(priced)].lines if "carried" in line.detail]
        still = sum(
            (
                D(item.split("|")[2])
                for line in last[:1]
                for item in filter(None, line.detail["carried"].split(";"))
            ),
            ZERO,
        )
        if not last:  # nothing recorded in the last month: nothing was carried into it
            still = ZERO
        # levied + still carried == raw credits: the carried balance is levied, never lost.
        assert sum(levied.values(), ZERO) + still == raw


@FAST
@given(
    data=st.data(),
    provisional=percents,
    period=st.sampled_from(list(SettlementPeriod)),
    cap=st.one_of(st.none(), st.integers(min_value=0, max_value=50_000).map(Decimal)),
)
def test_true_up_plus_on_account_equals_the_periods_share(data, provisional, period, cap):
    months = month_values(data.draw, 12, rev=revenues)
    share = RevenueShare(
        "uplift", D("100000"), "rev", D("10"), cap=cap, settlement=Settlement(period, provisional)
    )
    priced = price_months(share, months=months)
    window_of = calendar_quarter if period is SettlementPeriod.QUARTER else contract_year
    for month in priced:
        window = window_of(month, start=START)
        if month != window.last:
            continue
        paid = sum((component_total(priced[p], "uplift") for p in window.months()), ZERO)
        uplift = sum((D(months[p]["rev"]) for p in window.months()), ZERO) - 100000 * len(window.months())
        expected = max(percent_of(uplift, D("10")), ZERO)
        expected = min(expected, cap) if cap is not None else expected
        assert paid == round_money(expected, decimal_places=2, rounding="half_up")


@FAST
@given(data=st.data(), annual_cap=st.integers(min_value=0, max_value=20_000).map(Decimal))
def test_annual_cap_is_never_exceeded_in_any_contract_year(data, annual_cap):
    months = {FIRST.shift(i): {"saves": str(data.draw(st.integers(0, 500)))} for i in range(24)}
    priced = price_months(OutcomeFee("saves", "saves", D("10"), annual_cap=annual_cap), months=months)
    for year in (2026, 2027):
        total = sum((component_total(s, "saves") for p, s in priced.items() if p.year == year), ZERO)
        assert ZERO <= total <= annual_cap
