"""Indexation: the uplift in force each month, applied to prices and fees only, worked by hand.

Index values used throughout (CPI): 2025-01 124.5, 2026-01 128.4, 2027-01 133.0, 2028-01 131.0.
Steps: 128.4 / 124.5 − 1 = +3.1325… % → +3.13 %; 133.0 / 128.4 − 1 = +3.5825… % → +3.58 %;
131.0 / 133.0 − 1 = −1.5037… % → −1.50 %. Compound factors: 1.0313, 1.0313 × 1.0358 =
1.06822054, × 0.985 = 1.0521972319; simple: 1.0313, 1.0671, 1.0521.
"""

from dataclasses import replace
from decimal import Decimal

import pytest

from pricing import PricingError, price_period
from pricing.indexation import Compounding, Indexation, uplift_in_force
from pricing.money import Rounding
from pricing.period import Period
from pricing.result import FlagCode, LineKind
from pricing.terms import Band, CreditKpi, FixedFee, OutcomeFee, PricingInput, ServiceCredit, UnitRate

from .builders import D, terms

CPI = {
    Period(2025, 1): D("124.5"),
    Period(2026, 1): D("128.4"),
    Period(2027, 1): D("133.0"),
    Period(2028, 1): D("131.0"),
}
BASE = Indexation(
    index="CPI",
    base_month=Period(2025, 1),
    anniversary_month=1,
    applies_to_kinds=frozenset({"fixed_fee", "unit_rate", "outcome_fee"}),
    reference_lag_months=0,
)
MGMT = FixedFee("mgmt", D("15000.00"))
VOICE = UnitRate("voice", "contacts_voice", (Band(None, D("2.40")),))
SAVES = OutcomeFee("saves", "customers_retained", D("25.00"))


def priced(indexation, period, values=CPI, components=(MGMT, VOICE)):
    contract = replace(terms(*components, start=Period(2025, 1).first_day), indexation=indexation)
    return price_period(
        PricingInput(
            period=period,
            terms=contract,
            kpis={"contacts_voice": D(1000), "customers_retained": D(10)},
            index_values={"CPI": values},
        )
    )


def amounts_by_component(statement) -> dict[str, Decimal]:
    return {line.component_id: line.amount for line in statement.lines}


@pytest.mark.parametrize(
    ("indexation", "period", "mgmt", "voice"),
    [
        # Before the first anniversary: the prices as the contract states them.
        (BASE, Period(2025, 12), "15000.00", "2400.00"),
        # First anniversary, and the months after it: × 1.0313 (2.40 × 1.0313 = 2.47512 → 2.48).
        (BASE, Period(2026, 1), "15469.50", "2480.00"),
        (BASE, Period(2026, 12), "15469.50", "2480.00"),
        # Second anniversary, compound: × 1.06822054 (2.5637… → 2.56; 16,023.3081 → 16,023.31).
        (BASE, Period(2027, 1), "16023.31", "2560.00"),
        # Second anniversary, simple: × (1 + 3.13 % + 3.58 %) = 1.0671 (2.56104 → 2.56).
        (replace(BASE, compounding=Compounding.SIMPLE), Period(2027, 1), "16006.50", "2560.00"),
        # A cap of 3 %: the 3.13 % step is held at 3 % (2.40 × 1.03 = 2.472 → 2.47).
        (replace(BASE, cap_percent=D(3)), Period(2026, 1), "15450.00", "2470.00"),
        # A fall in the index passes through without a floor: 2028 × 0.985 (15,782.958… → 15,782.96).
        (BASE, Period(2028, 1), "15782.96", "2530.00"),
        # A floor of 0 %: the −1.50 % step is held at 0; the factor stays 1.06822054.
        (replace(BASE, floor_percent=D(0)), Period(2028, 1), "16023.31", "2560.00"),
        # Sensitivity 65 %: 3.1325… % × 65 % = 2.0361… → 2.04 % (2.40 × 1.0204 = 2.44896 → 2.45).
        (replace(BASE, sensitivity_percent=D(65)), Period(2026, 1), "15306.00", "2450.00"),
        # applies_to by id: only mgmt is uplifted; by kind: only the unit rate.
        (
            replace(BASE, applies_to_kinds=frozenset(), applies_to_ids=frozenset({"mgmt"})),
            Period(2026, 1),
            "15469.50",
            "2400.00",
        ),
        (replace(BASE, applies_to_kinds=frozenset({"unit_rate"})), Period(2026, 1), "15000.00", "2480.00"),
        # Anniversary in March reading the index two months before (2026-01): February is not
        # yet uplifted, March is.
        (replace(BASE, anniversary_month=3, reference_lag_months=2), Period(2026, 2), "15000.00", "2400.00"),
        (replace(BASE, anniversary_month=3, reference_lag_months=2), Period(2026, 3), "15469.50", "2480.00"),
        # No indexation block: the prices as stated whatever the index did.
        (None, Period(2027, 1), "15000.00", "2400.00"),
    ],
)
def test_uplifted_amounts(indexation, period, mgmt, voice):
    assert amounts_by_component(priced(indexation, period)) == {"mgmt": D(mgmt), "voice": D(voice)}


# Only prices and fees move: an outcome fee per outcome is uplifted; percentages of charges
# (a service credit) follow the uplifted charges but their own percentages do not change.
def test_only_money_prices_are_uplifted_and_percentages_follow_the_charges():
    credit = ServiceCredit(
        "sla", (CreditKpi("service_level", D(80), credit_percent=D(5)),), at_risk_percent=D(10)
    )
    statement = priced(BASE, Period(2026, 1), components=(MGMT, SAVES, credit))
    lines = {(line.component_id, line.kind): line.amount for line in statement.lines}
    assert lines[("saves", LineKind.OUTCOME_FEE)] == D("257.80")  # 10 × (25.00 × 1.0313 = 25.7825 → 25.78)
    assert lines[("sla", LineKind.SERVICE_CREDIT)] == D("-773.48")  # 5 % of 15,469.50 = 773.475 → 773.48
    assert "Indexed" not in statement.lines[-1].explanation


# A price stated with more places than the currency keeps them when uplifted.
def test_a_price_with_more_places_keeps_them():
    fine = UnitRate("voice", "contacts_voice", (Band(None, D("0.0125")),))
    statement = priced(BASE, Period(2026, 1), components=(fine,))
    assert statement.lines[0].amount == D("12.90")  # 1000 × (0.0125 × 1.0313 = 0.01289125 → 0.0129)
    assert "0.0125 → 0.0129" in statement.lines[0].explanation


# Half-even rounding of a step: 3.125 % rounds to 3.12 %, half-up to 3.13 %.
@pytest.mark.parametrize(("rounding", "percent"), [(Rounding.HALF_UP, "3.13"), (Rounding.HALF_EVEN, "3.12")])
def test_steps_round_with_the_contracts_rounding(rounding, percent):
    values = {Period(2025, 1): D("100"), Period(2026, 1): D("103.125")}
    uplift = uplift_in_force(indexation=BASE, values=values, period=Period(2026, 1), rounding=rounding)
    assert [step.percent for step in uplift.steps] == [D(percent)]


def test_the_explanation_names_the_index_values_sensitivity_cap_and_factor():
    statement = priced(replace(BASE, cap_percent=D(4), sensitivity_percent=D(100)), Period(2026, 1))
    voice = next(line for line in statement.lines if line.component_id == "voice")
    assert voice.explanation.endswith(
        "Indexed × 1.0313 (CPI, compound; 2026-01: CPI 2026-01 128.4 / 2025-01 124.5 = +3.13 % "
        "× 100 % = +3.13 % (cap 4 %)): 2.40 → 2.48."
    )
    assert voice.detail["indexation_factor"] == "1.0313"


# Not yet published: the last known value is read, the statement is flagged, naming the
# series and the month; the explanation marks the value provisional.
def test_a_value_not_yet_published_uses_the_last_known_and_flags_it():
    values = {**{k: v for k, v in CPI.items() if k < Period(2027, 1)}, Period(2026, 12): D("130.0")}
    statement = priced(BASE, Period(2027, 1), values=values)
    (flag,) = statement.flags
    assert flag.code == FlagCode.INDEX_PROVISIONAL
    assert "CPI 2027-01 is not yet published" in flag.message and "2026-12 (130)" in flag.message
    # 130.0 / 128.4 − 1 = +1.2461… % → +1.25 %: 1.0313 × 1.0125 = 1.04419125
    assert amounts_by_component(statement)["mgmt"] == D("15662.87")
    assert "CPI 2026-12 130 (provisional, for 2027-01)" in statement.lines[0].explanation


def test_no_value_at_all_before_the_month_wanted_is_a_pricing_error_naming_the_index():
    with pytest.raises(PricingError, match="index CPI has no value for 2025-01 or any month before it"):
        priced(BASE, Period(2026, 1), values={Period(2026, 1): D("128.4")})


def test_before_the_first_anniversary_no_index_value_is_needed():
    assert amounts_by_component(priced(BASE, Period(2025, 6), values={}))["mgmt"] == D("15000.00")


def test_a_step_held_by_the_cap_says_so():
    statement = priced(replace(BASE, cap_percent=D(3)), Period(2026, 1))
    assert "= +3.13 % × 100 % = +3.13 %, held at the cap: +3.00 %): 15,000.00 → 15,450.00." in (
        statement.lines[0].explanation
    )


def test_a_minimum_charge_is_uplifted_and_named_as_such():
    voice = UnitRate("voice", "contacts_voice", (Band(None, D("2.40")),), minimum_charge=D("5000.00"))
    statement = priced(BASE, Period(2026, 1), components=(voice,))
    top_up = statement.lines[1]
    assert (top_up.kind, top_up.amount) == (LineKind.MINIMUM_TOP_UP, D("2676.50"))  # 5,156.50 − 2,480.00
    assert top_up.explanation.endswith("2.40 → 2.48, minimum charge 5,000.00 → 5,156.50.")


def test_a_bands_flat_fee_is_uplifted_as_a_price():
    # Factor 1.0313 in 2026-01 (128.4 / 124.5 = +3.13 %): 1,000 × 2.48 and the band's flat fee
    # 100.00 → 103.13, both named in the explanation.
    voice = UnitRate("voice", "contacts_voice", (Band(None, D("2.40"), flat_fee=D("100.00")),))
    statement = priced(BASE, Period(2026, 1), components=(voice,))
    assert sum(line.amount for line in statement.lines) == D("2583.13")
    assert "flat fee 100.00 → 103.13" in " ".join(line.explanation for line in statement.lines)
