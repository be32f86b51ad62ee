"""One entry per component type: the contracts registry and the pricing registry agree, and a
new type is one entry in each, with nothing else edited."""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

import pytest

from contracts.checks import Checker
from contracts.components import (
    COMPONENT_TYPES,
    ComponentType,
    ComponentValidator,
    KpiInfo,
    component_to_pricing,
    register,
)
from contracts.models import Component
from contracts.schema import ContractFileError, validate_contract
from pricing import price_period
from pricing.components import PRICERS, Phase, prices
from pricing.context import Month
from pricing.money import Rounding
from pricing.period import Period
from pricing.result import Line, LineKind
from pricing.terms import ContractTerms, PricingInput

D = Decimal
CATALOGUE = {
    "contacts_voice": KpiInfo("count", "higher_is_better", "sum"),
    "contacts_total": KpiInfo("count", "higher_is_better", "sum"),
    "cost_to_serve": KpiInfo("money", "lower_is_better", "sum"),
    "retention_revenue": KpiInfo("money", "higher_is_better", "sum"),
    "customers_retained": KpiInfo("count", "higher_is_better", "sum"),
    "saves_reversed": KpiInfo("count", "lower_is_better", "sum"),
    "seats": KpiInfo("count", "higher_is_better", "sum"),
    "csat": KpiInfo("percent", "higher_is_better", "ratio"),
    "service_level": KpiInfo("percent", "higher_is_better", "ratio"),
    "abandon_rate": KpiInfo("percent", "lower_is_better", "ratio"),
}

# One component of every type, as a contract file writes it.
EVERY_TYPE = [
    {"id": "mgmt", "type": "fixed_fee", "amount": "15000.00"},
    {
        "id": "voice",
        "type": "unit_rate",
        "measure": "contacts_voice",
        "bands": [{"up_to": 10000, "price": "3.00"}, {"up_to": None, "price": "2.50"}],
        "minimum_charge": "20000.00",
    },
    {
        "id": "savings",
        "type": "gain_share",
        "actual_measure": "cost_to_serve",
        "baseline_unit_cost": "4.00",
        "volume_measure": "contacts_total",
        "share_bands": [
            {"up_to_percent_of_baseline": "10", "supplier_percent": "50"},
            {"up_to_percent_of_baseline": None, "supplier_percent": "25"},
        ],
    },
    {
        "id": "uplift",
        "type": "revenue_share",
        "baseline_amount": "120000.00",
        "actual_measure": "retention_revenue",
        "supplier_percent": "10",
    },
    {"id": "saves", "type": "outcome_fee", "measure": "customers_retained", "fee": "25.00", "threshold": 200},
    {
        "id": "experience",
        "type": "experience_bonus",
        "pool_percent": "3",
        "kpis": [{"kpi": "csat", "weight": 40, "threshold": "80", "target": "85", "stretch": "90"}],
    },
    {
        "id": "sla",
        "type": "service_credit",
        "at_risk_percent": "12",
        "earn_back_months": 3,
        "kpis": [
            {"kpi": "service_level", "target": "80", "credit_percent": "5"},
            {"kpi": "abandon_rate", "target": "5", "per_point_percent": "1"},
        ],
    },
]


def document(*components) -> dict:
    return {
        "reference": "ACME-NW-001",
        "title": "Acme Telecom customer care",
        "buyer": {"name": "Acme Telecom plc", "country": "GB"},
        "supplier": {"name": "Northwind CX Ltd", "country": "GB"},
        "currency": "GBP",
        "tax_rate": "20",
        "start": "2026-01-01",
        "terms": [{"effective_from": "2026-01", "components": list(components)}],
    }


def registry_mismatches() -> list[str]:
    """What keeps the two registries from describing the same component types."""
    problems = []
    contract_terms = [entry.terms for entry in COMPONENT_TYPES.values()]
    if len(set(contract_terms)) != len(contract_terms):
        problems.append("two contract types convert to the same dataclass")
    for terms in set(contract_terms) - set(PRICERS):
        problems.append(f"{terms.__name__} has a contracts entry but no pricing")
    for terms in set(PRICERS) - set(contract_terms):
        problems.append(f"{terms.__name__} is priced but no contract type converts to it")
    return problems


def test_the_registries_cover_the_same_types():
    assert registry_mismatches() == []
    assert list(COMPONENT_TYPES) == [
        "fixed_fee",
        "unit_rate",
        "gain_share",
        "revenue_share",
        "outcome_fee",
        "experience_bonus",
        "service_credit",
    ]


def test_the_admin_offers_exactly_the_registered_types():
    assert [value for value, _label in Component.Type.choices] == list(COMPONENT_TYPES)


def test_the_sample_has_one_component_of_every_type():
    assert sorted(c["type"] for c in EVERY_TYPE) == sorted(COMPONENT_TYPES)


@pytest.mark.parametrize("component", EVERY_TYPE, ids=lambda c: c["type"])
def test_every_conversion_gives_the_dataclass_its_pricing_is_registered_for(component):
    spec = validate_contract(document(component), file_name="acme.yaml", catalogue=CATALOGUE)
    (stored,) = spec.versions[0].components
    entry = COMPONENT_TYPES[stored.type]
    converted = component_to_pricing(
        component_id=stored.id, type_=stored.type, params=stored.params, catalogue=CATALOGUE
    )
    assert type(converted) is entry.terms
    assert PRICERS[entry.terms].terms is entry.terms
    assert list(stored.params) == [key for key in entry.keys if key in stored.params]


def test_a_type_is_registered_once():
    with pytest.raises(ValueError, match="'fixed_fee' is registered twice"):
        register(COMPONENT_TYPES["fixed_fee"])


def test_unknown_types_are_refused_as_before():
    with pytest.raises(KeyError, match="unknown component type 'retainer'"):
        component_to_pricing(component_id="x", type_="retainer", params={}, catalogue=CATALOGUE)
    with pytest.raises(KeyError):
        ComponentValidator(Checker(), CATALOGUE).validate("retainer", {}, "params")


# -- a new component type, declared here alone ------------------------------------------------


@dataclass(frozen=True, slots=True)
class SeatFee:
    id: str
    measure: str  # a `sum` count KPI: seats staffed in the month
    fee: Decimal  # per seat
    minimum_seats: int | None = None


def price_seat_fee(fee: SeatFee, month: Month) -> list[Line]:
    staffed = month.kpi(fee.measure, component_id=fee.id) or D(0)
    seats = max(staffed, D(fee.minimum_seats or 0))
    amount = month.round(seats * fee.fee)
    explanation = f"{seats} seats × {month.money(fee.fee)} → {month.money(amount)}"
    return [Line(fee.id, LineKind.UNIT_RATE, amount, explanation, {"seats": str(seats)})]


def validate_seat_fee(validator: ComponentValidator, p: dict, path: str) -> dict:
    check = validator.check
    minimum = p.get("minimum_seats")
    return {
        "measure": validator.kpi(p, "measure", path, aggregation="sum", units=("count",)),
        "fee": validator.optional(p, "fee", path, check.price),
        "minimum_seats": check.integer(minimum, f"{path}.minimum_seats", maximum=10_000)
        if minimum is not None
        else None,
    }


def seat_fee_terms(component_id: str, p: dict, catalogue) -> SeatFee:
    return SeatFee(
        id=component_id, measure=p["measure"], fee=D(p["fee"]), minimum_seats=p.get("minimum_seats")
    )


@pytest.fixture
def seat_fee():
    """``seat_fee`` in both registries for one test, removed afterwards."""
    prices(SeatFee, phase=Phase.CHARGES)(price_seat_fee)
    entry = register(
        ComponentType(
            name="seat_fee",
            terms=SeatFee,
            required=("measure", "fee"),
            optional=("minimum_seats",),
            validate=validate_seat_fee,
            to_pricing=seat_fee_terms,
        )
    )
    yield entry
    del COMPONENT_TYPES["seat_fee"]
    del PRICERS[SeatFee]


def test_a_new_type_is_one_entry_in_each_registry(seat_fee):
    assert registry_mismatches() == []
    # Validated from a file: canonical keys in the entry's order, numbers as exact text.
    spec = validate_contract(
        document(
            {"id": "mgmt", "type": "fixed_fee", "amount": "1000.00"},
            {"id": "cx", "type": "experience_bonus", "pool_percent": "10", "kpis": EVERY_TYPE[5]["kpis"]},
            {"id": "desks", "type": "seat_fee", "minimum_seats": 20, "fee": "150.50", "measure": "seats"},
        ),
        file_name="acme.yaml",
        catalogue=CATALOGUE,
    )
    stored = spec.versions[0].components
    assert (stored[2].type, stored[2].params) == (
        "seat_fee",
        {"measure": "seats", "fee": "150.50", "minimum_seats": 20},
    )
    components = tuple(
        component_to_pricing(component_id=c.id, type_=c.type, params=c.params, catalogue=CATALOGUE)
        for c in stored
    )
    assert components[2] == SeatFee("desks", "seats", D("150.50"), 20)
    statement = price_period(
        PricingInput(
            period=Period(2026, 6),
            terms=ContractTerms("GBP", 2, Rounding.HALF_UP, D(20), date(2026, 1, 1), None, components),
            kpis={"seats": D(30), "csat": D(85)},
        )
    )
    # The seat fee is a charge: priced before the bonus listed ahead of it, and in its base.
    assert [(line.component_id, line.amount) for line in statement.lines] == [
        ("mgmt", D("1000.00")),
        ("desks", D("4515.00")),
        ("cx", D("551.50")),  # 10 % of charges 5,515.00 × factor 1
    ]
    assert statement.net == D("6066.50")


def test_a_new_type_is_validated_by_its_entry(seat_fee):
    with pytest.raises(ContractFileError) as refused:
        validate_contract(
            document({"id": "desks", "type": "seat_fee", "measure": "csat", "fee": "-1", "seats": 3}),
            file_name="acme.yaml",
            catalogue=CATALOGUE,
        )
    assert refused.value.lines() == [
        "acme.yaml: terms[0].components[0].seats: unknown key (allowed: cost_centre, fee, gl_code, measure, minimum_seats, title)",
        "acme.yaml: terms[0].components[0].measure: csat is a ratio KPI; this needs a sum KPI",
        "acme.yaml: terms[0].components[0].measure: csat is measured in percent; this needs count",
        "acme.yaml: terms[0].components[0].fee: must be at least 0, got -1",
    ]


def test_unknown_type_message_lists_the_registered_types(seat_fee):
    with pytest.raises(ContractFileError, match=r"unknown component type 'retainer' \(known: .*, seat_fee\)"):
        validate_contract(document({"id": "r", "type": "retainer"}), file_name="a.yaml", catalogue=CATALOGUE)
