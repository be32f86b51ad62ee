"""Invariants of stepped credits, pain-share bands, package pricing and KPI rounding."""

from decimal import ROUND_CEILING, Decimal

from hypothesis import assume, given, settings
from hypothesis import strategies as st

from pricing.components.kpi_rounding import round_kpi
from pricing.components.shares import pain_band_share
from pricing.context import Month
from pricing.money import Rounding, percent_of, round_money
from pricing.result import LineKind
from pricing.terms import (
    Band,
    CreditBand,
    CreditKpi,
    FixedFee,
    GainShare,
    KpiRounding,
    KpiRoundingMode,
    PricingInput,
    ServiceCredit,
    ShareBand,
    Shortfall,
    UnitRate,
)

from .builders import JUNE, D, amounts, price, terms

FAST = settings(max_examples=150, deadline=None)
scores = st.decimals(min_value=0, max_value=100, places=2, allow_nan=False, allow_infinity=False)
percents = st.decimals(min_value=0, max_value=100, places=2, allow_nan=False, allow_infinity=False)
money = st.decimals(min_value=1, max_value=10**7, places=2, allow_nan=False, allow_infinity=False)


@st.composite
def credit_bands(draw):
    """1–6 bands from the mildest to the worst: limits descending, credits not decreasing."""
    limits = sorted(draw(st.sets(scores, min_size=1, max_size=6)), reverse=True)
    credits = sorted(draw(st.lists(percents, min_size=len(limits), max_size=len(limits))))
    return tuple(CreditBand(limit, credit) for limit, credit in zip(limits, credits, strict=True))


def credit_total(spec: CreditKpi, value: Decimal, charges: Decimal, at_risk: Decimal) -> Decimal:
    statement = price(
        FixedFee("fee", charges), ServiceCredit("sla", (spec,), at_risk), kpis={spec.kpi: str(value)}
    )
    return sum(amounts(statement, LineKind.SERVICE_CREDIT), D(0))


@FAST
@given(bands=credit_bands(), better=scores, worse=scores, charges=money, at_risk=percents)
def test_stepped_credit_grows_with_the_shortfall_and_never_passes_the_cap(
    bands, better, worse, charges, at_risk
):
    better, worse = max(better, worse), min(better, worse)
    spec = CreditKpi("availability", bands[0].limit, bands=bands)
    at_better, at_worse = (credit_total(spec, v, charges, at_risk) for v in (better, worse))
    assert at_worse <= at_better <= 0  # credits are negative: a worse value credits at least as much
    cap = round_money(percent_of(charges, at_risk), decimal_places=2, rounding=Rounding.HALF_UP)
    assert -cap <= at_worse


@FAST
@given(
    shortfall=st.sampled_from(list(Shortfall)),
    target=scores,
    better=scores,
    worse=scores,
    per_point=percents,
    at_risk=percents,
)
def test_per_point_credit_grows_with_the_shortfall_in_every_counting(
    shortfall, target, better, worse, per_point, at_risk
):
    better, worse = max(better, worse), min(better, worse)
    spec = CreditKpi("service_level", target, per_point_percent=per_point, shortfall=shortfall)
    charges = D("100000.00")
    at_better, at_worse = (credit_total(spec, v, charges, at_risk) for v in (better, worse))
    assert -percent_of(charges, at_risk) <= at_worse <= at_better <= 0


@FAST
@given(
    units=st.decimals(min_value=0, max_value=10**7, places=2, allow_nan=False, allow_infinity=False),
    size=st.integers(min_value=1, max_value=10**4).map(Decimal),
    unit_price=st.decimals(min_value=0, max_value=1000, places=2, allow_nan=False, allow_infinity=False),
)
def test_package_price_is_the_packages_started_times_the_price(units, size, unit_price):
    rate = UnitRate("api", "contacts_chat", (Band(None, unit_price),), package_size=size)
    statement = price(rate, kpis={"contacts_chat": str(units)})
    started = (units / size).to_integral_value(rounding=ROUND_CEILING)
    assert amounts(statement) == [(started * unit_price).quantize(D("0.01"))]


@st.composite
def pain_bands(draw):
    limits = sorted(draw(st.sets(st.integers(min_value=1, max_value=100), max_size=4)))
    shares = draw(st.lists(percents, min_size=len(limits) + 1, max_size=len(limits) + 1))
    bounded = [ShareBand(D(limit), share) for limit, share in zip(limits, shares, strict=False)]
    return (*bounded, ShareBand(None, shares[-1]))


@FAST
@given(bands=pain_bands(), baseline=money, overrun=money)
def test_pain_bands_share_the_whole_overrun_within_the_bands_rates(bands, baseline, overrun):
    month = Month.of(PricingInput(period=JUNE, terms=terms(), kpis={}))
    borne, _ = pain_band_share(overrun, baseline, bands, month)
    rates = [band.supplier_percent for band in bands]
    assert percent_of(overrun, min(rates)) <= borne <= percent_of(overrun, max(rates))
    # The line is that share, rounded once.
    share = GainShare(
        "savings", "cost_to_serve", baseline_amount=baseline, supplier_percent=D(50), pain_bands=bands
    )
    statement = price(share, kpis={"cost_to_serve": str(baseline + overrun)})
    assert amounts(statement, LineKind.PAIN_SHARE) == [
        round_money(-borne, decimal_places=2, rounding=Rounding.HALF_UP)
    ]


@FAST
@given(bands=pain_bands(), baseline=money)
def test_pain_band_slices_add_up_to_the_overrun(bands, baseline):
    # With every band at 100 %, the supplier bears exactly the overrun: the slices cover it whole.
    assume(baseline > 0)
    month = Month.of(PricingInput(period=JUNE, terms=terms(), kpis={}))
    whole = tuple(ShareBand(band.up_to_percent_of_baseline, D(100)) for band in bands)
    overrun = baseline * D("1.37")
    assert pain_band_share(overrun, baseline, whole, month)[0] == overrun


@FAST
@given(
    value=st.decimals(min_value=-1000, max_value=1000, places=4, allow_nan=False, allow_infinity=False),
    decimals=st.integers(min_value=0, max_value=4),
    mode=st.sampled_from(list(KpiRoundingMode)),
)
def test_kpi_rounding_is_idempotent_and_moves_less_than_one_step(value, decimals, mode):
    rounding = KpiRounding(decimals, mode)
    once = round_kpi(value, rounding)
    assert round_kpi(once, rounding) == once
    assert abs(once - value) < Decimal(1).scaleb(-decimals)
