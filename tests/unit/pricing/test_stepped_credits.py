"""Stepped service credits (the worst band reached) and how a per-point shortfall is counted."""

import pytest

from pricing.errors import PricingError
from pricing.result import LineKind
from pricing.terms import CreditBand, CreditKpi, Direction, FixedFee, PriorCredit, ServiceCredit, Shortfall

from .builders import JUNE, D, amounts, flag_codes, price

FEE = FixedFee("fee", D("100000.00"))


def stepped(code, *steps, direction=Direction.HIGHER_IS_BETTER):
    bands = tuple(CreditBand(D(limit), D(percent)) for limit, percent in steps)
    return CreditKpi(code, bands[0].limit, direction, bands=bands)


# A published template (trackingcontracts.com, service credits clause template): availability
# below 99.5 % → 5 %, below 99.0 % → 10 %, below 97.0 % → 20 % of the monthly fee.
AVAILABILITY = stepped("availability", ("99.5", "5"), ("99.0", "10"), ("97.0", "20"))
# A telco IVR points schedule as bands on a lower-is-better count of whole points (the same
# reference's family (d)): 10 points → 2 %, 15 → 4 %, 20 → 6 %, 25 → 8 %, 30 or more → 10 %.
POINTS = stepped(
    "failure_points",
    ("9", "2"),
    ("14", "4"),
    ("19", "6"),
    ("24", "8"),
    ("29", "10"),
    direction=Direction.LOWER_IS_BETTER,
)


def credits(*kpis, values, at_risk="30", charges=FEE):
    statement = price(charges, ServiceCredit("sla", kpis, D(at_risk)), kpis=values)
    return amounts(statement, LineKind.SERVICE_CREDIT)


# The worst band reached applies; a value on a band's limit has not reached it.
@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("99.5", []),  # on the mildest limit: met
        ("99.49", ["-5000.00"]),
        ("99.0", ["-5000.00"]),  # on the 99.0 limit: still the 5 % band
        ("98.2", ["-10000.00"]),
        ("96.0", ["-20000.00"]),
        ("0", ["-20000.00"]),
        (None, ["-20000.00"]),  # not measured: the worst band of all
    ],
)
def test_availability_bands(value, expected):
    values = {} if value is None else {"availability": value}
    assert credits(AVAILABILITY, values=values) == [D(x) for x in expected]


def test_published_two_failures_reach_the_thirty_percent_cap_exactly():
    # The same template: fee 100,000, one level at 96.0 % (20 %) and one at 98.2 % (10 %) →
    # 30,000, exactly at the 30 % monthly cap, so nothing is scaled.
    second = stepped("uptime", ("99.5", "5"), ("99.0", "10"), ("97.0", "20"))
    statement = price(
        FEE,
        ServiceCredit("sla", (AVAILABILITY, second), D(30)),
        kpis={"availability": "96.0", "uptime": "98.2"},
    )
    assert amounts(statement, LineKind.SERVICE_CREDIT) == [D("-20000.00"), D("-10000.00")]
    assert "credits_at_cap" not in flag_codes(statement)


# A lower-is-better schedule: bands are "above", the largest limit exceeded applies.
@pytest.mark.parametrize(
    ("points", "expected"),
    [
        ("5", []),
        ("9", []),
        ("10", ["-2000.00"]),
        ("15", ["-4000.00"]),
        ("27", ["-8000.00"]),
        ("40", ["-10000.00"]),
    ],
)
def test_points_table(points, expected):
    assert credits(POINTS, values={"failure_points": points}) == [D(x) for x in expected]


def test_stepped_credit_is_capped_like_any_credit():
    assert credits(AVAILABILITY, values={"availability": "90"}, at_risk="12") == [D("-12000.00")]


def test_stepped_explanation_names_the_band_reached():
    statement = price(FEE, ServiceCredit("sla", (AVAILABILITY,), D(30)), kpis={"availability": "98.2"})
    assert statement.lines[-1].explanation == (
        "availability 98.2 missed target 99.5; band below 99: 10% of charges 100,000.00 → -10,000.00"
    )


# The shortfall of a per-point credit (target 80, 1 % a point, charges 100,000).
@pytest.mark.parametrize(
    ("shortfall", "value", "expected"),
    [
        # whole_points (the default): floor(3.5) = 3
        (Shortfall.WHOLE_POINTS, "76.5", "-3000.00"),
        (Shortfall.WHOLE_POINTS, "79.99", None),  # less than one full point: no line
        # exact: the shortfall itself
        (Shortfall.EXACT, "76.5", "-3500.00"),
        (Shortfall.EXACT, "79.99", "-10.00"),
        # per 0.1 point or part thereof: 3.42 short counts 3.5
        (Shortfall.PER_TENTH_OR_PART, "76.58", "-3500.00"),
        (Shortfall.PER_TENTH_OR_PART, "76.6", "-3400.00"),  # a whole tenth is not rounded up
        (Shortfall.PER_TENTH_OR_PART, "79.99", "-100.00"),
    ],
)
def test_shortfall_counting(shortfall, value, expected):
    spec = CreditKpi("service_level", D(80), per_point_percent=D(1), shortfall=shortfall)
    assert credits(spec, values={"service_level": value}) == ([] if expected is None else [D(expected)])


def test_published_per_point_examples():
    # UK CCS Call-Off Schedule 6: required 98 %, achieved 75 % → 23 % of the charges.
    ccs = CreditKpi("service_level", D(98), per_point_percent=D(1))
    assert credits(ccs, values={"service_level": "75"}, at_risk="100") == [D("-23000.00")]
    # "1 % of the monthly recurring fee for every 0.1 % (or portion thereof) that availability
    # falls below the target" (lawinsider.com, Service Availability Credit): 10 % per point.
    wavelength = CreditKpi(
        "availability", D("99.9"), per_point_percent=D(10), shortfall=Shortfall.PER_TENTH_OR_PART
    )
    assert credits(wavelength, values={"availability": "99.75"}) == [D("-2000.00")]  # 0.15 → 0.2


def test_per_tenth_explanation_shows_the_shortfall_and_the_points_counted():
    spec = CreditKpi("service_level", D(80), per_point_percent=D(1), shortfall=Shortfall.PER_TENTH_OR_PART)
    statement = price(FEE, ServiceCredit("sla", (spec,), D(30)), kpis={"service_level": "76.58"})
    assert "3.42 short, 3.5 points counting each 0.1 or part × 1% = 3.5%" in statement.lines[-1].explanation


def test_a_stepped_kpi_with_no_band_reached_is_met_for_earn_back():
    credit = ServiceCredit("sla", (AVAILABILITY,), D(30), earn_back_months=1)
    prior = PriorCredit(JUNE.shift(-1), "sla", "availability", D("-5000.00"))
    met = price(FEE, credit, kpis={"availability": "99.6"}, prior_credits=[prior])
    assert amounts(met, LineKind.EARN_BACK) == [D("5000.00")]
    missed = price(FEE, credit, kpis={"availability": "99.4"}, prior_credits=[prior])
    assert amounts(missed, LineKind.EARN_BACK) == []


def test_two_credit_forms_on_one_kpi_are_refused_by_the_core():
    spec = CreditKpi("availability", D("99.5"), credit_percent=D(5), bands=AVAILABILITY.bands)
    with pytest.raises(PricingError, match="give one of credit_percent, per_point_percent and bands"):
        price(FEE, ServiceCredit("sla", (spec,), D(30)), kpis={"availability": "90"})
